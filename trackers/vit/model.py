"""The one-stream ViT tracking network (backbone + optional query neck + centre head) and its builder.

One module covers the three families; the config switches the differences on:

=========  ===========  ==============  =================================================
family     query token  temporal embed  head input
=========  ===========  ==============  =================================================
OSTrack    no           no              search tokens
ODTrack    yes          no              search tokens * (search tokens . output query)
SSTrack    yes          yes             same as ODTrack
=========  ===========  ==============  =================================================

The forward is **stateless**: the query token carried between frames goes in as ``track_query`` and the
new one comes out as ``out['track_query']`` (the official modules keep it in ``self.track_query``; the
tracker here holds it instead, so a model can be profiled or shared without hidden state).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from bench.core.errors import ConfigError
from trackers.base import warn_random_weights
from trackers.vit.backbone import VisionTransformerCE, init_backbone_
from trackers.vit.configs import ViTTrackConfig, get_config
from trackers.vit.head import CenterPredictor, init_head_

DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "bfloat16": torch.bfloat16}


def torch_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """'float32' / 'float64' / ... -> torch dtype (a bad name raises ConfigError)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return DTYPES[str(dtype)]
    except KeyError:
        raise ConfigError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}") from None


class OneStreamViTTracker(nn.Module):
    """ViT-B/16 + CE one-stream tracker network; ``state_dict`` keys equal the official checkpoints'."""

    def __init__(self, cfg: ViTTrackConfig):
        super().__init__()
        self.cfg = cfg
        self.backbone = VisionTransformerCE(cfg)
        self.box_head = CenterPredictor(cfg.embed_dim, cfg.head_channels, cfg.feat_size, cfg.patch_size)
        self.feat_sz = cfg.feat_size
        #: True when the weights are random (no checkpoint was given)
        self.random_weights = False

    def profile_inputs(self, num_templates: int | None = None):
        """The profiling contract (:func:`trackers.base.model_profile_inputs`): the official profiler's inputs."""
        from trackers.vit.flops import profile_inputs

        return profile_inputs(self, num_templates)

    def template_mask(self, num_templates: int, batch: int = 1, device=None) -> torch.Tensor | None:
        """The test-time CE template mask: ``[batch, T * Nz]`` bool (``CTR_POINT``: the centre token of
        each template, index (3,3) of 8x8 / (5,5) of 12x12), or None for ``ALL``."""
        n = self.cfg.template_feat_size
        if self.cfg.ce_template_range == "ALL":
            return None
        if self.cfg.ce_template_range != "CTR_POINT":
            raise ConfigError(f"CE template range {self.cfg.ce_template_range!r} is not supported")
        centre = {8: 3, 12: 5, 16: 7, 24: 11, 7: 3, 14: 6}[n]
        one = torch.zeros(batch, n, n, dtype=torch.bool, device=device)
        one[:, centre, centre] = True
        return one.flatten(1).repeat(1, num_templates)

    def forward(self, template: torch.Tensor | Sequence[torch.Tensor], search: torch.Tensor | Sequence[torch.Tensor],
                ce_template_mask: torch.Tensor | None = None,
                track_query: torch.Tensor | None = None) -> dict:
        """Templates ``[B,3,z,z]`` (one tensor or a list of T) and a search crop ``[B,3,x,x]``.

        Returns a dict: ``score_map [B,1,F,F]``, ``size_map [B,2,F,F]``, ``offset_map [B,2,F,F]``,
        ``pred_boxes [B,1,4]`` (cx,cy,w,h at the raw score arg-max, normalised), ``removed_indexes_s``
        (list of ``[B, n]`` search-token indexes pruned per CE block) and, for query-token families,
        ``track_query [B,1,C]`` to pass in with the next frame.
        """
        templates = [template] if isinstance(template, torch.Tensor) else list(template)
        if not isinstance(search, torch.Tensor):
            search = list(search)
            if len(search) != 1:
                raise ValueError("one search crop per call")
            search = search[0]
        x, query, removed = self.backbone(templates, search, ce_template_mask, track_query)
        if query is not None:
            # ODTrack/SSTrack neck: scale each search token by its similarity to the output query
            x = x * torch.matmul(x, query.transpose(1, 2))
        B, N, C = x.shape
        feat = x.transpose(1, 2).reshape(B, C, self.feat_sz, self.feat_sz)
        score_map, size_map, offset_map = self.box_head(feat)
        boxes = self.box_head.cal_bbox(score_map, size_map, offset_map)
        out = {"score_map": score_map, "size_map": size_map, "offset_map": offset_map,
               "pred_boxes": boxes.view(B, 1, 4), "removed_indexes_s": removed}
        if query is not None:
            out["track_query"] = query.detach()
        return out


def build_model(config: str | ViTTrackConfig, checkpoint: str | None = None, device: str = "cpu",
                dtype: str | torch.dtype = "float32", trust_checkpoint: bool = False, seed: int = 0,
                display_name: str | None = None) -> OneStreamViTTracker:
    """Build the network for ``config``; load ``checkpoint`` strictly (official layout, state dict under
    ``net``) or, without one, initialise random weights and warn loudly.

    ``device='meta'`` builds a shape-only model (no memory, no values): enough for key lists, parameter
    counts and MAC counts.
    """
    cfg = get_config(config) if isinstance(config, str) else config
    tdtype = torch_dtype(dtype)
    meta = str(device) == "meta"
    with torch.device("meta"):          # no storage and no wasted default init; filled below
        model = OneStreamViTTracker(cfg)
    name = display_name or cfg.name
    if checkpoint is not None:
        if meta:
            raise ConfigError("a checkpoint cannot be loaded into a meta-device model")
        from trackers.checkpoint import load_weights

        model = model.to_empty(device="cpu")
        model.checkpoint_sha256 = load_weights(model, checkpoint, trust=trust_checkpoint, strict=True)
    else:
        model.random_weights = True
        if not meta:
            model = model.to_empty(device="cpu")
            g = torch.Generator().manual_seed(seed)
            init_backbone_(model.backbone, g)
            init_head_(model.box_head, g)
            warn_random_weights(f"{name} ({cfg.official or cfg.name})")
    if not meta:
        model = model.to(device=device, dtype=tdtype)
    return model.eval()


__all__ = ["OneStreamViTTracker", "build_model", "torch_dtype", "DTYPES"]

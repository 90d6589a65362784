"""The SpikeTrack network in the training-checkpoint layout, with a cached-template inference path.

``SpikeTrackModel.state_dict()`` has exactly the keys and shapes of an official training checkpoint
(``encoder.*``, ``decoder.*``), so official ``.pth.tar`` files load with ``strict=True``.

Two ways to run it, with identical outputs:

- ``model(templates, search)``: the full forward of the training model (templates re-encoded).
- ``memories = model.encode_templates(templates)`` once per template update, then
  ``model.track_search(search, memories)`` every frame: the official inference variant
  (``spiketrack_inf``), which skips the template branch on ordinary frames.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from trackers.spiketrack.backbone import SpikingEncoder
from trackers.spiketrack.config import SpikeTrackConfig
from trackers.spiketrack.head import CenterHead

Memories = list[torch.Tensor]


def _stack_templates(templates: Sequence[torch.Tensor] | torch.Tensor) -> torch.Tensor:
    """List of T ``[B,3,H,W]`` crops (or a ``[T,B,3,H,W]`` / ``[B,3,H,W]`` tensor) -> ``[T,B,3,H,W]``."""
    if isinstance(templates, torch.Tensor):
        return templates if templates.dim() == 5 else templates.unsqueeze(0)
    return torch.stack(list(templates), dim=0)


class SpikeTrackModel(nn.Module):
    """Encoder + centre head. ``branch`` / ``image_index`` tell firing-rate hooks what is running."""

    def __init__(self, cfg: SpikeTrackConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = SpikingEncoder(cfg)
        self.decoder = CenterHead(cfg.hidden_dim, cfg.head_channels, cfg.feat_size)
        self.branch = "search"
        self.image_index = {"template": 0, "search": 0}

    def _enter(self, branch: str) -> None:
        self.branch = branch
        self.image_index[branch] += 1

    def encode_templates(self, templates: Sequence[torch.Tensor] | torch.Tensor) -> Memories:
        """Template memories for the six MRMs (``[T,B,8,C/8,4C/8]`` each) from T template crops."""
        z = _stack_templates(templates)
        if z.shape[0] != self.cfg.num_templates:
            raise ValueError(f"{self.cfg.model_name} expects {self.cfg.num_templates} templates, "
                             f"got {z.shape[0]}")
        self._enter("template")
        return self.encoder.template_memories(z)

    def encode_search(self, search: torch.Tensor, memories: Memories) -> torch.Tensor:
        """Encoder output ``xz`` ``[1,B,C,fs,fs]`` for a ``[B,3,H,W]`` search crop."""
        self._enter("search")
        return self.encoder.search_features(search.unsqueeze(0), memories)

    def track_search(self, search: torch.Tensor, memories: Memories) -> dict[str, torch.Tensor]:
        """Cached-template path: encoder (search branch) + head. Adds ``xz`` to the head outputs."""
        xz = self.encode_search(search, memories)
        self.branch = "search"
        out = self.decoder(xz)
        out["xz"] = xz
        return out

    def forward(self, templates: Sequence[torch.Tensor] | torch.Tensor,
                search: torch.Tensor) -> dict[str, torch.Tensor]:
        """Full forward: ``templates`` (list of T ``[B,3,H,W]``) and ``search`` ``[B,3,H,W]`` ->
        ``{'score_map' [B,1,fs,fs], 'size_map' [B,2,fs,fs], 'offset_map' [B,2,fs,fs],
        'pred_boxes' [B,1,4] (cx,cy,w,h in [0,1] of the crop), 'xz' [1,B,C,fs,fs]}``."""
        return self.track_search(search, self.encode_templates(templates))


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (buffers excluded), as the official figures count them."""
    return sum(p.numel() for p in module.parameters())


def build_model(cfg: SpikeTrackConfig, device: str | torch.device = "cpu",
                dtype: torch.dtype = torch.float32, meta: bool = False) -> SpikeTrackModel:
    """Build in eval mode (frozen/batch norms use running statistics). ``meta=True``: no storage."""
    if meta:
        with torch.device("meta"):
            return SpikeTrackModel(cfg).eval()
    return SpikeTrackModel(cfg).to(device=device, dtype=dtype).eval()

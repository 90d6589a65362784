"""SpikeTrack test-time tracking (official lib/test/tracker/spiketrack_inf.py semantics).

Per frame: crop the search region (4x the target side, resized to 256/384) around the previous box,
run the search branch against the cached template memories, multiply the score map by a Hann window,
take the box at the windowed maximum (its score is the confidence), map it back to the image and clip
it with a 10-pixel margin. T3 variants keep the first template and a FIFO of T-1 later ones: every
``interval`` frames, when the confidence exceeds ``threshold``, the crop around the new box replaces
the oldest later template and the template memories are recomputed (40/0.8 on LaSOT-like datasets,
25/0.7 elsewhere, as the official tracker hard-codes).
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch

from trackers.base import Tracker, TrackResult, validate_box
from trackers.common import clip_box, hann2d, map_box_back, normalize_crop, sample_target
from trackers.spiketrack.config import SpikeTrackConfig, update_rule
from trackers.spiketrack.model import SpikeTrackModel
from trackers.spiketrack.neuron import MAX_LEVEL
from trackers.spiketrack.sfr import FiringRateRecorder, write_official_sfr


def _fast_note() -> str:
    from trackers.spiketrack.fast import NOTE

    return NOTE


#: Minimum box side after clipping (official ``clip_box(..., margin=10)``).
CLIP_MARGIN = 10


class SpikeTrackTracker(Tracker):
    """One SpikeTrack variant behind the suite's tracker interface.

    Args:
        model: a :class:`SpikeTrackModel` (eval mode, on ``device`` in the wanted dtype).
        cached: use the cached-template path (official inference mode); ``False`` re-runs the full
            training-layout forward (templates re-encoded) on every frame -- same boxes, slower.
        record_sfr: attach firing-rate hooks; :meth:`sequence_stats` then returns per-layer rates.
        sfr_histograms: also keep per-layer level histograms 0..4 (``nonzero_fraction``,
            ``level_fraction``; several times the recording cost); mean counts are always recorded.
        fast: run a batch-norm-folded, channels-last (bfloat16 where the CPU has it) copy of the model
            (:mod:`trackers.spiketrack.fast`); faster, but last-bit differences can flip spikes, so boxes
            may differ from the official code's (``describe()["numerics"]``).
    """

    spiking = True
    spike_scale = MAX_LEVEL   # NI-LIF emits integer counts / MAX_LEVEL

    def __init__(self, model: SpikeTrackModel, name: str | None = None, cached: bool = True,
                 record_sfr: bool = True, sfr_histograms: bool = False, fast: bool = False):
        self.fast = bool(fast)
        param = next(model.parameters())
        self.device, self.dtype = param.device, param.dtype  # crops are made in the model's dtype
        if self.fast:
            from trackers.spiketrack.fast import make_fast

            model = make_fast(model, counts=True)
        #: what the encoder takes (bfloat16 in fast mode where the CPU supports it)
        self.encoder_dtype = getattr(model, "encoder_dtype", self.dtype)
        self.model = model
        self.cfg: SpikeTrackConfig = model.cfg
        self.name = name or self.cfg.model_name
        self.cached = cached
        self.window = hann2d(self.cfg.feat_size).to(self.device)  # float32, as the official window
        self.recorder = FiringRateRecorder(model, histograms=sfr_histograms)
        if getattr(model, "spike_counts", False):   # fast mode's neurons emit k, not k/4
            from trackers.spiketrack.fast import count_recorder

            count_recorder(self.recorder)
        if record_sfr:
            self.recorder.attach()
        self.template_updated = False
        self.update_interval, self.update_threshold = update_rule(None)
        self.state: list[float] | None = None
        self.templates: list[torch.Tensor] = []
        self.memories: list[torch.Tensor] | None = None
        self.frame_id = 0
        self.update_frames: list[int] = []
        self.sequence = None
        self.dataset = None

    # -- helpers -------------------------------------------------------------------------------
    def _crop(self, image: np.ndarray, box: Sequence[float]) -> tuple[torch.Tensor, float]:
        patch, resize_factor = sample_target(image, box, self.cfg.search_factor, self.cfg.crop_size)
        return normalize_crop(patch, self.device, self.dtype).to(self.encoder_dtype), resize_factor

    @torch.inference_mode()
    def _encode_templates(self) -> None:
        self.memories = self.model.encode_templates(torch.stack(self.templates, dim=0))

    # -- Tracker interface -----------------------------------------------------------------------
    def initialize(self, image: np.ndarray, box: Sequence[float], info: dict | None = None) -> None:
        info = info or {}
        box = validate_box(box, image.shape)
        self.dataset, self.sequence = info.get("dataset"), info.get("sequence")
        self.update_interval, self.update_threshold = update_rule(self.dataset)
        self.recorder.reset()
        z, _ = self._crop(image, box)
        self.templates = [z] * self.cfg.num_templates
        self.state = list(box)
        self.frame_id = 0
        self.update_frames = []
        self.template_updated = False
        self._encode_templates()

    @torch.inference_mode()
    def track(self, image: np.ndarray) -> TrackResult:
        if self.state is None or self.memories is None:
            raise RuntimeError("track() called before initialize()")
        H, W = image.shape[:2]
        self.frame_id += 1
        self.template_updated = False
        x, resize_factor = self._crop(image, self.state)
        if self.cached:
            out = self.model.track_search(x, self.memories)
        else:
            out = self.model(torch.stack(self.templates, dim=0), x)
        response = self.window * out["score_map"]
        boxes, score = self.model.decoder.cal_bbox(response, out["size_map"], out["offset_map"])
        pred = (boxes.view(-1, 4).mean(dim=0) * self.cfg.crop_size / resize_factor).tolist()
        self.state = clip_box(map_box_back(pred, self.state, self.cfg.crop_size, resize_factor),
                              H, W, margin=CLIP_MARGIN)
        conf = float(score.max())
        if (self.cfg.num_templates > 1 and self.frame_id % self.update_interval == 0
                and conf > self.update_threshold):
            z, _ = self._crop(image, self.state)
            if len(self.templates) >= self.cfg.num_templates:
                self.templates.pop(1)  # keep the initial template, FIFO for the rest
            self.templates.append(z)
            self._encode_templates()
            self.template_updated = True
            self.update_frames.append(self.frame_id)
        return TrackResult(tuple(float(v) for v in self.state), conf)

    @property
    def template_update_interval(self) -> int | None:
        """The profiling contract (:class:`trackers.base.Tracker`): T1 keeps its one template."""
        return self.update_interval if self.cfg.num_templates > 1 else None

    def record_firing_rates(self, on: bool) -> bool:
        """The profiling contract: attach or detach the firing-rate hooks (``record_sfr``)."""
        if on:
            self.recorder.attach()
        elif self.recorder.attached:
            self.recorder.detach()
        return self.recorder.attached

    def sequence_stats(self) -> dict:
        stats: dict[str, Any] = {
            "template_updates": len(self.update_frames),
            "update_rule": {"interval": self.update_interval, "threshold": self.update_threshold},
        }
        if self.recorder.attached:
            stats["firing_rates"] = self.recorder.stats()
        return stats

    def export_official_sfr(self, out_dir: str | os.PathLike, sequence: str | None = None) -> list[str]:
        """Write this sequence's rates as the official ``spike_rate_data_<cfg>/{search,template}`` files."""
        name = sequence or self.sequence or "sequence"
        return write_official_sfr(self.recorder.stats(), name, out_dir)

    def describe(self) -> dict:
        return {
            "name": self.name, "spiking": True, "config": self.cfg.name,
            "dtype": str(self.dtype).replace("torch.", ""), "device": str(self.device),
            "inference_path": "cached-template" if self.cached else "full-forward",
            "firing_rate_hooks": self.recorder.attached,
            "fast": self.fast,
            **({"encoder_dtype": str(self.encoder_dtype).replace("torch.", "")} if self.fast else {}),
            **({"numerics": _fast_note()} if self.fast else {}),
            "checkpoint_sha256": getattr(self.model, "checkpoint_sha256", None),
            "update_rule": "lasot*: every 40 frames if conf > 0.8; others: every 25 frames if conf > 0.7",
        }

"""The test-time tracking loop shared by OSTrack, ODTrack and SSTrack (``lib/test/tracker/*.py``).

Per frame: crop the search region around the previous box (factor 4 at 256, 5 at 384), run the network
on the selected templates, multiply the score map by a Hann window, decode the box at its arg-max, map
it back to the image and clip it (``margin=10``). OSTrack keeps its first template; ODTrack/SSTrack add a
template every frame and pick from that memory (:mod:`trackers.vit.memory`) and carry the network's
output query token to the next frame. There is no score gating and no re-detection in any of them.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import torch

from trackers.base import Tracker, TrackResult, validate_box
from trackers.common import clip_box, hann2d, map_box_back, normalize_crop, sample_target
from trackers.vit.memory import TemplateMemory
from trackers.vit.model import OneStreamViTTracker, torch_dtype


class ViTTracker(Tracker):
    """``initialize`` / ``track`` around a :class:`OneStreamViTTracker`."""

    spiking = False

    def __init__(self, model: OneStreamViTTracker, name: str, device: str = "cpu", dtype: str = "float32",
                 template_number: int | None = None):
        self.model = model
        self.cfg = model.cfg
        self.name = name
        self.device = torch.device(device)
        self.dtype = torch_dtype(dtype)
        self.template_number = self.cfg.template_number if template_number is None else int(template_number)
        self.window = hann2d(self.cfg.feat_size, centered=True).to(self.device)  # float32, as official
        self.memory = TemplateMemory(self.template_number)
        self.state: list[float] | None = None
        self.frame_id = 0
        self.track_query: torch.Tensor | None = None
        self._templates_used: Counter = Counter()

    # ------------------------------------------------------------------ helpers
    def _crop_tensor(self, crop: np.ndarray) -> torch.Tensor:
        return normalize_crop(crop, self.device, self.dtype)

    def _template_crop(self, image: np.ndarray, box: Sequence[float]) -> np.ndarray:
        crop, _ = sample_target(image, box, self.cfg.template_factor, self.cfg.template_size)
        return crop

    # ------------------------------------------------------------------ interface
    def initialize(self, image: np.ndarray, box: Sequence[float], info: dict | None = None) -> None:
        box = validate_box(box, image.shape)
        self.memory.reset(self._template_crop(image, box))
        self.state = list(box)
        self.frame_id = 0
        self.track_query = None  # a new sequence starts without a carried query (official: new network)
        self._templates_used = Counter()
        self.template_updated = False

    def track(self, image: np.ndarray) -> TrackResult:
        if self.state is None:
            raise RuntimeError(f"{self.name}: track() called before initialize()")
        H, W = image.shape[:2]
        self.frame_id += 1
        crop, resize_factor = sample_target(image, self.state, self.cfg.search_factor, self.cfg.search_size)
        search = self._crop_tensor(crop)
        _, crops = self.memory.select(self.frame_id)
        templates = [self._crop_tensor(c) for c in crops]
        mask = self.model.template_mask(len(templates), 1, self.device)
        with torch.no_grad():
            out = self.model(templates, search, ce_template_mask=mask, track_query=self.track_query)
        self.track_query = out.get("track_query")
        response = self.window * out["score_map"]
        box, score = self.model.box_head.cal_bbox(response, out["size_map"], out["offset_map"], return_score=True)
        pred = (box.view(-1, 4).mean(dim=0) * self.cfg.search_size / resize_factor).tolist()
        self.state = clip_box(map_box_back(pred, self.state, self.cfg.search_size, resize_factor), H, W, margin=10)
        self._templates_used[len(templates)] += 1
        self.template_updated = self.template_number > 1
        if self.template_updated:
            self.memory.append(self._template_crop(image, self.state))
        return TrackResult(box=tuple(float(v) for v in self.state), confidence=float(score.max()),
                           extras={"num_templates": len(templates)})

    def sequence_stats(self) -> dict:
        return {"templates_per_frame": {str(k): v for k, v in sorted(self._templates_used.items())},
                "memory_size": len(self.memory), "random_weights": bool(self.model.random_weights)}

    def describe(self) -> dict:
        return {"name": self.name, "spiking": False, "family": self.cfg.family, "config": self.cfg.name,
                "official": self.cfg.official, "template_number": self.template_number,
                "dtype": str(self.dtype).replace("torch.", ""), "random_weights": bool(self.model.random_weights)}


__all__ = ["ViTTracker"]

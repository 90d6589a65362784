"""What the ViT trackers declare for profiling: the inputs of the official ``tracking/profile_model.py``.

Batch 1, one random template repeated T times (the official template count: 3 for ODTrack/SSTrack, 1 for
OSTrack, unless ``num_templates`` is given) and ``ce_template_mask=None`` (every template token votes in
candidate elimination, which only changes which tokens survive, not how many). The counting itself
(thop 0.0.31's convention and the exact one) is the efficiency engine's:
:func:`bench.efficiency.model_macs.count_macs`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from trackers.base import ProfileInputs

if TYPE_CHECKING:
    from trackers.vit.model import OneStreamViTTracker

#: where the inputs come from, as a profile records it
NOTE = "official tracking/profile_model.py inputs (batch 1, random crops)"


def profile_inputs(model: "OneStreamViTTracker", num_templates: int | None = None) -> ProfileInputs:
    """``model(templates, search)`` as the official profiler calls it, on the model's device and dtype."""
    cfg = model.cfg
    p = next(model.parameters())
    t = cfg.profile_templates if num_templates is None else int(num_templates)
    z = torch.randn(1, 3, cfg.template_size, cfg.template_size, device=p.device, dtype=p.dtype)
    x = torch.randn(1, 3, cfg.search_size, cfg.search_size, device=p.device, dtype=p.dtype)
    return ProfileInputs(args=([z] * t, x), note=NOTE, describe={"num_templates": t})


__all__ = ["NOTE", "profile_inputs"]

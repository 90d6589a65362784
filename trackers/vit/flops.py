"""MACs of the ViT trackers in two conventions, side by side.

``thop_macs`` is the number papers print as "FLOPs": thop 0.0.31's count (the version the official
profilers pin), taken with the suite's one thop counter, :class:`bench.efficiency.thop.ThopCounter`.
In these models it sees ``nn.Linear`` (``in_features x output elements``), ``nn.Conv2d``
(``output elements x (C_in/groups x k_h x k_w + 1 if bias)``) and eval-mode ``nn.BatchNorm2d``
(``2 x elements``). It misses the attention matmuls, softmax, GELU and LayerNorm.

``exact_macs`` is every multiply-accumulate of a matrix product, attention included:
``torch.utils.flop_counter.FlopCounterMode`` total / 2 (it counts mm/addmm/bmm/conv at 2 FLOPs per MAC;
conv bias and elementwise ops are not counted). For SSTrack-256 with 3 templates this equals fvcore's
total minus its LayerNorm and BatchNorm terms.

Inputs follow the official ``tracking/profile_model.py``: batch 1, ``ce_template_mask=None`` (every
template token votes in candidate elimination, which only changes which tokens survive, not how many),
the official template count (3 for ODTrack/SSTrack, 1 for OSTrack) unless ``num_templates`` is given.
The general engine (per-layer tables, SOPs, energy) is ``bench/efficiency``; this is a small, checked
helper for these models only.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.efficiency.thop import ThopCounter
from trackers.vit.model import OneStreamViTTracker


@dataclass(frozen=True)
class MacCount:
    """MACs of one forward (batch 1)."""

    thop_macs: int
    exact_macs: int
    num_templates: int
    by_module_type: dict = field(default_factory=dict)   # thop convention, per nn module type
    by_operator: dict = field(default_factory=dict)      # exact convention, MACs per aten op

    @property
    def thop_gmacs(self) -> float:
        return self.thop_macs / 1e9

    @property
    def exact_gmacs(self) -> float:
        return self.exact_macs / 1e9

    def to_dict(self) -> dict:
        return {"thop_macs": self.thop_macs, "exact_macs": self.exact_macs, "num_templates": self.num_templates,
                "thop_gmacs": round(self.thop_gmacs, 2), "exact_gmacs": round(self.exact_gmacs, 2),
                "by_module_type": dict(self.by_module_type), "by_operator": dict(self.by_operator)}


def _op_name(op) -> str:
    """'aten.mm' / 'aten.mm.default' -> 'mm'."""
    parts = str(op).split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def profile_inputs(model: OneStreamViTTracker, num_templates: int | None = None):
    """(templates, search) as the official profiler builds them: one random template repeated T times."""
    cfg = model.cfg
    p = next(model.parameters())
    t = cfg.profile_templates if num_templates is None else int(num_templates)
    z = torch.randn(1, 3, cfg.template_size, cfg.template_size, device=p.device, dtype=p.dtype)
    x = torch.randn(1, 3, cfg.search_size, cfg.search_size, device=p.device, dtype=p.dtype)
    return [z] * t, x


def count_macs(model: OneStreamViTTracker, num_templates: int | None = None) -> MacCount:
    """Both MAC counts of one forward of ``model``. Works on a ``device='meta'`` model (instant).

    One forward carries both counters; it runs in eval mode, as ``thop.profile`` does
    (``bench.efficiency.thop.thop_profile`` gives the same thop total), and the mode is restored.
    """
    templates, search = profile_inputs(model, num_templates)
    flops = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), ThopCounter(model) as thop, flops:
            model(templates, search)
    finally:
        model.train(was_training)
    modules = dict(model.named_modules())
    per_type: Counter = Counter()
    for name, n in thop.per_module().items():
        if n:
            per_type[type(modules[name]).__name__] += n
    by_op = {_op_name(op): int(n) // 2 for op, n in flops.get_flop_counts().get("Global", {}).items()}
    return MacCount(thop_macs=int(thop.macs()), exact_macs=int(flops.get_total_flops()) // 2,
                    num_templates=len(templates), by_module_type=dict(per_type), by_operator=by_op)


__all__ = ["MacCount", "count_macs", "profile_inputs"]

"""MACs of one forward of a model, in two conventions side by side, on the inputs the model declares.

``thop_macs`` is the number papers print as "FLOPs": thop 0.0.31's count (the version the official
profilers pin), taken with the suite's one thop counter, :class:`bench.efficiency.thop.ThopCounter`.
In the ViT trackers it sees ``nn.Linear`` (``in_features x output elements``), ``nn.Conv2d``
(``output elements x (C_in/groups x k_h x k_w + 1 if bias)``) and eval-mode ``nn.BatchNorm2d``
(``2 x elements``); it misses the attention matmuls, softmax, GELU and LayerNorm.

``exact_macs`` is every multiply-accumulate of a matrix product, attention included, as the suite's one
exact counter (:func:`bench.efficiency.counter.count_once`, the per-frame engine's full mode) counts them:
``torch.utils.flop_counter``'s convention (mm/addmm/bmm/conv at 2 FLOPs per MAC, its total / 2; conv
bias and elementwise ops are not counted). For SSTrack-256 with 3 templates this equals fvcore's total
minus its LayerNorm and BatchNorm terms.

The inputs are the model's declared ones (:func:`trackers.base.model_profile_inputs`; for the ViT
trackers, the official ``tracking/profile_model.py``'s). Per-layer tables, SOPs and energy on real frames
are :mod:`bench.efficiency.profile`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import nn

from bench.core.errors import ConfigError
from bench.efficiency.counter import EfficiencyCounter
from bench.efficiency.thop import ThopCounter
from trackers.base import ProfileInputs, model_profile_inputs


@dataclass(frozen=True)
class MacCount:
    """MACs of one forward (batch 1)."""

    thop_macs: int
    exact_macs: int
    num_templates: int | None
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


def declared_inputs(model: nn.Module, num_templates: int | None = None) -> ProfileInputs:
    """The inputs ``model`` declares for profiling; ConfigError when it declares none."""
    inputs = model_profile_inputs(model, num_templates)
    if inputs is None:
        raise ConfigError(f"{type(model).__name__} declares no profile inputs (a profile_inputs(num_templates) "
                          f"method returning trackers.base.ProfileInputs)")
    return inputs


def profile_inputs(model: nn.Module, num_templates: int | None = None) -> tuple:
    """The positional arguments of the declared profiling forward (for the ViT trackers ``(templates,
    search)``), as ``thop.profile(model, inputs)`` takes them."""
    return declared_inputs(model, num_templates).args


def count_macs(model: nn.Module, num_templates: int | None = None) -> MacCount:
    """Both MAC counts of one forward of ``model`` on its declared inputs. Works on a ``device='meta'``
    model (instant).

    One forward carries both counters; it runs in eval mode, as ``thop.profile`` does
    (:func:`bench.efficiency.thop.thop_profile` gives the same thop total), and the mode is restored.
    """
    inputs = declared_inputs(model, num_templates)
    exact = EfficiencyCounter(model, mode="full")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), ThopCounter(model) as thop, exact.frame("track"):
            model(*inputs.args, **inputs.kwargs)
    finally:
        exact.detach()
        model.train(was_training)
    modules = dict(model.named_modules())
    per_type: Counter = Counter()
    for name, n in thop.per_module().items():
        if n:
            per_type[type(modules[name]).__name__] += n
    by_op: Counter = Counter()
    for row in exact.layers.values():
        by_op[row.op] += int(row.macs)
    return MacCount(thop_macs=int(thop.macs()), exact_macs=sum(by_op.values()),
                    num_templates=inputs.describe.get("num_templates"), by_module_type=dict(per_type),
                    by_operator=dict(by_op))


__all__ = ["MacCount", "count_macs", "profile_inputs", "declared_inputs"]

"""The thop-convention MAC count that tracking papers print as "FLOPs" (thop 0.0.31.post2005241907).

Re-implemented from the rules of that release (the version OSTrack/ODTrack/SSTrack profilers pin), so
the number can be printed beside the exact count without installing thop:

- rules match the module's *exact type* (a subclass of ``nn.Conv2d`` is not counted);
- ``ConvNd`` / ``ConvTransposeNd``: output elements x (C_in/groups x prod(kernel) + 1 if bias);
- ``Linear``: in_features x output elements (bias not counted);
- ``BatchNorm1d/2d/3d``, ``SyncBatchNorm`` (eval mode): 2 x input elements;
- ``LeakyReLU``: input elements; ``AvgPoolNd``: output elements; ``AdaptiveAvgPoolNd``:
  (prod(in/out) + 1) x output elements; ``Upsample``: linear 5, bilinear 11, bicubic 259 per output;
- ReLU, ReLU6, MaxPool, Dropout, ZeroPad2d: 0; every other module (LayerNorm, GELU, Softmax,
  functional matmuls, attention) is not seen at all.
- A module with a rule is counted as a whole (its children are not visited), except
  ``Sequential``/``ModuleList``; every call adds up.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn


def _conv(m, x, y) -> int:
    k = math.prod(m.weight.shape[2:])
    return y.numel() * (m.in_channels // m.groups * k + (1 if m.bias is not None else 0))


def _linear(m, x, y) -> int:
    return m.in_features * y.numel()


def _bn(m, x, y) -> int:
    return 0 if m.training else 2 * x[0].numel()


def _zero(m, x, y) -> int:
    return 0


def _relu_like(m, x, y) -> int:
    return x[0].numel()


def _avgpool(m, x, y) -> int:
    return y.numel()


def _adaptive_avgpool(m, x, y) -> int:
    out = m.output_size
    in_sp = x[0].shape[2:]
    out_sp = out if isinstance(out, (tuple, list)) else (out,) * len(in_sp)
    kernel = math.prod(int(i) // int(o if o is not None else i) for i, o in zip(in_sp, out_sp))
    return (kernel + 1) * y.numel()


def _upsample(m, x, y) -> int:
    per = {"linear": 5, "bilinear": 11, "bicubic": 259, "trilinear": 31}.get(m.mode, 0)
    return per * y.numel()


THOP_RULES: dict[type, Callable] = {
    nn.ZeroPad2d: _zero,
    nn.Conv1d: _conv, nn.Conv2d: _conv, nn.Conv3d: _conv,
    nn.ConvTranspose1d: _conv, nn.ConvTranspose2d: _conv, nn.ConvTranspose3d: _conv,
    nn.BatchNorm1d: _bn, nn.BatchNorm2d: _bn, nn.BatchNorm3d: _bn, nn.SyncBatchNorm: _bn,
    nn.ReLU: _zero, nn.ReLU6: _zero, nn.LeakyReLU: _relu_like,
    nn.MaxPool1d: _zero, nn.MaxPool2d: _zero, nn.MaxPool3d: _zero,
    nn.AdaptiveMaxPool1d: _zero, nn.AdaptiveMaxPool2d: _zero, nn.AdaptiveMaxPool3d: _zero,
    nn.AvgPool1d: _avgpool, nn.AvgPool2d: _avgpool, nn.AvgPool3d: _avgpool,
    nn.AdaptiveAvgPool1d: _adaptive_avgpool, nn.AdaptiveAvgPool2d: _adaptive_avgpool,
    nn.AdaptiveAvgPool3d: _adaptive_avgpool,
    nn.Linear: _linear, nn.Dropout: _zero,
    nn.Upsample: _upsample, nn.UpsamplingBilinear2d: _upsample, nn.UpsamplingNearest2d: _upsample,
}


class ThopCounter:
    """Forward hooks with thop 0.0.31's rules on every module of ``model`` that has one.

    Use as a context manager around any number of forwards; ``macs()`` is the thop total,
    ``params()`` thop's parameter count (parameters of called modules that have a rule), ``per_module()``
    the counted modules in thop's DFS order.
    """

    def __init__(self, model: nn.Module, custom_rules: dict[type, Callable] | None = None):
        self.model = model
        self.rules = {**THOP_RULES, **(custom_rules or {})}
        self.counts: dict[str, int] = {}
        self.called: set[str] = set()
        self._handles: list = []

    def __enter__(self) -> "ThopCounter":
        for name, m in self.model.named_modules():
            rule = self.rules.get(type(m))
            if rule is None:
                continue
            self.counts.setdefault(name, 0)
            self._handles.append(m.register_forward_hook(self._hook(name, rule)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _hook(self, name: str, rule: Callable):
        def hook(m, x, y):
            self.counts[name] += int(rule(m, x, y))
            self.called.add(name)
        return hook

    def _counted(self) -> list[tuple[str, nn.Module]]:
        """Modules thop sums, in its DFS order: a module with a rule stops the descent (unless it is a
        Sequential/ModuleList)."""
        out = []

        def visit(prefix: str, module: nn.Module) -> None:
            for cname, child in module.named_children():
                full = f"{prefix}.{cname}" if prefix else cname
                if type(child) in self.rules and not isinstance(child, (nn.Sequential, nn.ModuleList)):
                    out.append((full, child))
                else:
                    visit(full, child)

        visit("", self.model)
        return out

    def per_module(self) -> dict[str, int]:
        return {n: self.counts.get(n, 0) for n, _ in self._counted()}

    def macs(self) -> int:
        return sum(self.per_module().values())

    def params(self) -> int:
        return sum(p.numel() for n, m in self._counted() if n in self.called for p in m.parameters())


def thop_profile(model: nn.Module, inputs: tuple, method: str | None = None,
                 custom_rules: dict[type, Callable] | None = None, kwargs: dict | None = None) -> tuple[int, int]:
    """``(macs, params)`` as ``thop.profile(model, inputs)`` 0.0.31 returns them (model put in eval mode
    for the call, as thop does, then restored). ``kwargs``: keyword arguments of the call (thop itself
    passes positional inputs only; the hooks count the same either way)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), ThopCounter(model, custom_rules) as counter:
            (getattr(model, method) if method else model)(*inputs, **(kwargs or {}))
    finally:
        model.train(was_training)
    return counter.macs(), counter.params()


__all__ = ["THOP_RULES", "ThopCounter", "thop_profile"]

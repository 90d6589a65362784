"""fvcore's count (``fvcore.nn.FlopCountAnalysis``), the third convention papers print as "FLOPs".

fvcore traces a forward with ``torch.jit`` and counts per traced aten operator: 1 per multiply-accumulate
for ``linear``/``matmul``/``mm``/``addmm``/``bmm``/``einsum``/convolutions (bias not counted), plus
per-element terms of its own handles: ``layer_norm``/``group_norm`` 5 per input element with an affine
transform (4 without), eval-mode ``batch_norm`` 2 per element with affine (1 without), bilinear upsampling
4 and nearest 1 per output element, adaptive average pooling 1 per input element. Element-wise work
(GELU, softmax, adds) and custom autograd Functions (``prim::PythonOp``: spike functions with surrogate
gradients) count 0 and are listed as ``unsupported``. So it exceeds thop's figure by the attention
matmuls and the norms, and differs from the exact count by the norms (see docs/efficiency.md).

``scaled_dot_product_attention`` has no fvcore handle and would count 0; here it counts as the two
matmuls it replaces (``QK^T`` and ``AV``), as fvcore counts them when attention is written out.

fvcore is optional (``pip install 'spiketrack-bench[fvcore]'``); :func:`available` says whether it is
installed, and nothing here imports it before a count is asked for.

:class:`CallCapture` records what a frame passed to the model (the outermost module calls and their
inputs), so the count can be taken afterwards on exactly those calls, for any tracker.
"""
from __future__ import annotations

import importlib.util
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from bench.core.errors import ConfigError

CONVENTION = ("fvcore FlopCountAnalysis: torch.jit-traced operators, 1 per MAC for linear/matmul/bmm/einsum/"
              "conv (bias not counted) plus its per-element norm, upsample and pooling terms; element-wise "
              "ops and custom autograd Functions count 0; scaled_dot_product_attention as its two matmuls")


def available() -> bool:
    """Whether fvcore is installed (without importing it)."""
    return importlib.util.find_spec("fvcore") is not None


def version() -> str | None:
    try:
        from importlib.metadata import version as _v

        return _v("fvcore")
    except Exception:
        return None


def require() -> None:
    """ConfigError naming the extra unless fvcore is importable."""
    if not available():
        raise ConfigError("--counter fvcore: fvcore is not installed; pip install 'spiketrack-bench[fvcore]'")


@dataclass
class FvcoreCount:
    """fvcore's count of one or more traced calls."""

    total: int = 0
    by_operator: dict = field(default_factory=dict)
    components: dict = field(default_factory=dict)     # per top-level submodule of the model
    unsupported: dict = field(default_factory=dict)    # operator -> occurrences counted as 0
    calls: list = field(default_factory=list)          # the module calls counted

    def add(self, other: "FvcoreCount") -> None:
        self.total += other.total
        for mine, theirs in ((self.by_operator, other.by_operator), (self.components, other.components),
                             (self.unsupported, other.unsupported)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        self.calls += other.calls

    def to_dict(self) -> dict:
        return {"total": self.total, "gtotal": self.total / 1e9, "by_operator": dict(self.by_operator),
                "components": dict(self.components), "unsupported": dict(self.unsupported),
                "calls": list(self.calls)}


# ------------------------------------------------------------------------------------------------
# tracing any call: tensors in, tensors out
# ------------------------------------------------------------------------------------------------

def _leaves(obj: Any, out: list) -> Any:
    """Replace every tensor of a nested list/tuple/dict by its index in ``out`` (a structure to refill)."""
    if isinstance(obj, torch.Tensor):
        out.append(obj)
        return _Leaf(len(out) - 1)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_leaves(o, out) for o in obj) if not hasattr(obj, "_fields") else \
            type(obj)(*(_leaves(o, out) for o in obj))
    if isinstance(obj, dict):
        return {k: _leaves(v, out) for k, v in obj.items()}
    return obj


class _Leaf:
    def __init__(self, i: int):
        self.i = i


def _refill(obj: Any, tensors: tuple) -> Any:
    if isinstance(obj, _Leaf):
        return tensors[obj.i]
    if isinstance(obj, (list, tuple)):
        return type(obj)(_refill(o, tensors) for o in obj) if not hasattr(obj, "_fields") else \
            type(obj)(*(_refill(o, tensors) for o in obj))
    if isinstance(obj, dict):
        return {k: _refill(v, tensors) for k, v in obj.items()}
    return obj


def _tensor_outputs(obj: Any) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensor_outputs(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensor_outputs(o)]
    return []


class _Bound(nn.Module):
    """``module(*args, **kwargs)`` as a module whose forward takes the tensors only and returns a tuple of
    tensors: the form ``torch.jit`` traces (keyword arguments, ``None`` and dict outputs are not)."""

    def __init__(self, module: nn.Module, args: tuple, kwargs: dict, method: str | None = None):
        super().__init__()
        self.m = module
        self.method = method
        tensors: list[torch.Tensor] = []
        self.structure = _leaves((tuple(args), dict(kwargs)), tensors)
        self.inputs = tuple(tensors)

    def forward(self, *tensors: torch.Tensor):
        args, kwargs = _refill(self.structure, tensors)
        fn = getattr(self.m, self.method) if self.method else self.m
        outs = _tensor_outputs(fn(*args, **kwargs))
        return tuple(outs) if outs else (tensors[0].sum() * 0 if tensors else torch.zeros(()),)


def _sdpa_handle(inputs: list, outputs: list) -> int:
    from fvcore.nn.jit_handles import get_shape

    q, k, v = (get_shape(x) for x in inputs[:3])
    lead = math.prod(q[:-2])
    L, E, S, Ev = q[-2], q[-1], k[-2], v[-1]
    return lead * L * S * E + lead * L * S * Ev


def fvcore_count(module: nn.Module, args: tuple = (), kwargs: dict | None = None, label: str = "",
                 method: str | None = None) -> FvcoreCount:
    """fvcore's total of ``module(*args, **kwargs)`` (or ``module.<method>(...)``), one traced forward
    under ``torch.no_grad()``; its own warnings (tracer, unsupported operators) are listed, not printed."""
    from fvcore.nn import FlopCountAnalysis

    bound = _Bound(module, args, kwargs or {}, method)
    analysis = FlopCountAnalysis(bound, bound.inputs)
    analysis.set_op_handle("aten::scaled_dot_product_attention", _sdpa_handle)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = int(analysis.total())
        by_op = {k: int(v) for k, v in analysis.by_operator().items() if v}
        by_module = analysis.by_module()
        unsupported = dict(Counter(analysis.unsupported_ops()))
    components = {}
    for name, child in module.named_children():
        n = int(by_module.get(f"m.{name}", 0))
        if n:
            components[name] = n
    rest = total - sum(components.values())
    if rest:
        components["(outside submodules)"] = rest
    return FvcoreCount(total, by_op, components, unsupported, [label or type(module).__name__])


# ------------------------------------------------------------------------------------------------
# what a frame gave the model
# ------------------------------------------------------------------------------------------------

def _clone(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, (list, tuple)):
        items = [_clone(o) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    return obj


class CallCapture:
    """Records the outermost calls into ``model``'s modules while active: ``(name, module, args, kwargs)``
    with tensors copied, so they can be counted later on the very inputs the tracker gave.

    For most trackers that is one call of the model itself per frame; a tracker that calls parts of its
    model (SpikeTrack's ``encode_templates`` / ``track_search``) gives the outermost submodules it ran.
    Work a tracker does between those calls, outside any module, is not in them.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.calls: list[tuple[str, nn.Module, tuple, dict]] = []
        self._depth = 0
        self._handles: list = []

    def __enter__(self) -> "CallCapture":
        for name, m in self.model.named_modules():
            self._handles.append(m.register_forward_pre_hook(self._pre(name), with_kwargs=True))
            self._handles.append(m.register_forward_hook(self._post, always_call=True))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _pre(self, name: str):
        def hook(module, args, kwargs):
            if self._depth == 0:
                self.calls.append((name, module, _clone(args), _clone(kwargs)))
            self._depth += 1
        return hook

    def _post(self, module, args, out) -> None:
        self._depth = max(self._depth - 1, 0)

    def count(self) -> FvcoreCount:
        """fvcore's total over the recorded calls (ValueError when there were none)."""
        if not self.calls:
            raise ValueError("the tracker called no module of its model")
        total = FvcoreCount()
        for name, module, args, kwargs in self.calls:
            one = fvcore_count(module, args, kwargs, label=name or "(model)")
            if name:   # components are named from the model's root
                one.components = {f"{name}.{k}" if not k.startswith("(") else f"{name} {k}": v
                                  for k, v in one.components.items()}
            total.add(one)
        return total


__all__ = ["CONVENTION", "FvcoreCount", "CallCapture", "available", "version", "require", "fvcore_count"]

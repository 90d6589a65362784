"""The structure of what a model executes: per operator call its geometry, per module call its output shape.

The counter (:mod:`bench.efficiency.counter`) keeps MACs and spike counts per (module, operator, branch);
a memory-aware energy model also needs what those figures do not say: how many elements an operator
reads and writes, how large its weight memory is, a convolution's kernel, stride and groups, and how many
neurons a neuron layer updates per time step. :class:`ShapeRecorder` records them on the frames it is
asked to watch (the first frame of each kind, where the counter runs in full mode too), with the same
keys and the same call order as the counter's tables, so each call can be matched to its counts.

Only the first segment of each branch is kept (a segment = a run of work in one branch): the tables
are per call of a branch, and later calls of the branch repeat its structure.
"""
from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import torch
from torch import nn

from bench.efficiency.macs import ModuleStack, RuleDispatch

_CONV = ("convolution", "_convolution")
_BIASED = ("addmm", "_addmm_activation", "baddbmm", "addmv")   # first argument added to the product
_ATTENTION = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
              "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention")


@dataclass
class OpShape:
    """One executed MAC-bearing operator call."""

    kind: str                  # "conv" or "linear" (every other product: fan-out = MACs / input elements)
    macs: int
    in_numel: int
    out_numel: int
    params_numel: int          # weight memory: weight (+ bias) of a layer, the other operand of a product
    bias: bool = False
    weight_is_param: bool = True
    out_channels: int = 0
    out_per_group: int = 0
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()


@dataclass
class _Segment:
    branch: str | None
    ops: dict = field(default_factory=lambda: defaultdict(list))
    outputs: dict = field(default_factory=lambda: defaultdict(list))


def _shapes(out: Any) -> list[tuple[int, ...] | None]:
    if isinstance(out, torch.Tensor):
        return [tuple(out.shape)]
    if isinstance(out, (tuple, list)):
        return [tuple(o.shape) if isinstance(o, torch.Tensor) else None for o in out]
    return []


class ShapeRecorder:
    """Structure of ``model``'s operator and module calls, per branch (first segment of each).

    ``branch_of``: ``() -> str | None``, the same function the counter uses (``model.branch``); without it
    what runs in an ``init`` frame is the ``template`` branch and the rest the ``search`` branch.
    ``ops[(path, op, branch)]``: :class:`OpShape` per call in call order; ``outputs[(module, branch)]``:
    the shapes of the tensors each call of a module returned.
    """

    def __init__(self, model: nn.Module, branch_of: Callable[[], str | None] | None = None):
        self.model = model
        self.branch_of = branch_of
        self.ops: dict[tuple, list[OpShape]] = {}
        self.outputs: dict[tuple, list[list]] = {}
        self.branches_seen: set = set()
        self._kind = "track"
        self._segments: list[_Segment] = []
        self._stack: ModuleStack | None = None
        self._params: set[int] = set()

    def _branch(self) -> str | None:
        if self.branch_of is not None:
            return self.branch_of()
        return "template" if self._kind == "init" else "search"

    def _segment(self) -> _Segment:
        b = self._branch()
        if not self._segments or self._segments[-1].branch != b:
            self._segments.append(_Segment(b))
        return self._segments[-1]

    @contextlib.contextmanager
    def frame(self, kind: str, capture: bool = True) -> Iterator["ShapeRecorder"]:
        """Record what runs inside as one frame of ``kind``; nothing is recorded when ``capture`` is False."""
        if not capture:
            yield self
            return
        self._kind = kind
        self._segments = []
        self._params = {t.untyped_storage().data_ptr() for t in
                        list(self.model.parameters()) + list(self.model.buffers()) if not t.is_meta}
        self._stack = ModuleStack(self.model)
        self._stack.active = True
        # every module, not only leaves: a neuron may hold submodules (spikingjelly's surrogate function)
        handles = [m.register_forward_hook(self._leaf_hook(name)) for name, m in self.model.named_modules() if name]
        try:
            with torch.no_grad(), RuleDispatch(self._record_op):
                yield self
        finally:
            for h in handles:
                h.remove()
            self._stack.remove()
            self._stack = None
        for seg in self._segments:   # the first segment of each branch describes the branch
            if seg.branch in self.branches_seen:
                continue
            self.branches_seen.add(seg.branch)
            for key, calls in seg.ops.items():
                self.ops[key + (seg.branch,)] = calls
            for name, calls in seg.outputs.items():
                self.outputs[(name, seg.branch)] = calls

    def _leaf_hook(self, name: str):
        def hook(module, args, out):
            self._segment().outputs[name].append(_shapes(out))
        return hook

    def _record_op(self, rule, args, kwargs, out) -> None:
        name, fn = rule
        path = self._stack.path() or self._stack.caller_path()
        seg = self._segment()
        for suffix, macs, operands in fn(args, kwargs, out):
            seg.ops[(path, name + suffix)].append(self._shape(name, suffix, int(macs), args, operands, out))

    def _is_param(self, t: Any) -> bool:
        return isinstance(t, torch.Tensor) and not t.is_meta and t.untyped_storage().data_ptr() in self._params

    def _shape(self, name: str, suffix: str, macs: int, args, operands, out) -> OpShape:
        x = operands[0]
        out_numel = out.numel() if isinstance(out, torch.Tensor) else 0
        if name in _CONV:
            w, bias = args[1], args[2]
            transposed = bool(args[6]) if len(args) > 6 else False
            groups = int(args[8]) if len(args) > 8 else 1
            params = w.numel() + (bias.numel() if isinstance(bias, torch.Tensor) else 0)
            if transposed:   # outside the Lemaire formulas: costed as a product with fan-out MACs/input
                return OpShape("linear", macs, x.numel(), out_numel, params, isinstance(bias, torch.Tensor),
                               self._is_param(w))
            stride = tuple(int(s) for s in args[3]) if len(args) > 3 else (1,) * (w.dim() - 2)
            return OpShape("conv", macs, x.numel(), out_numel, params, isinstance(bias, torch.Tensor),
                           self._is_param(w), int(w.shape[0]), int(w.shape[0]) // groups,
                           tuple(int(k) for k in w.shape[2:]), stride)
        if name in _ATTENTION:
            q, k, v = args[0], args[1], args[2]
            lead = q.numel() // (q.shape[-2] * q.shape[-1])
            L, S, Ev = q.shape[-2], k.shape[-2], v.shape[-1]
            if suffix == ".qk":   # q against the keys: the keys are the memory
                return OpShape("linear", macs, q.numel(), lead * L * S, k.numel(), weight_is_param=False)
            # the values against the attention probabilities (L x S per head): the probabilities are the memory
            return OpShape("linear", macs, v.numel(), lead * L * Ev, lead * L * S, weight_is_param=False)
        w = operands[1] if len(operands) > 1 else None
        bias = args[0] if name in _BIASED else None
        params = (w.numel() if isinstance(w, torch.Tensor) else 0) + \
                 (bias.numel() if isinstance(bias, torch.Tensor) else 0)
        return OpShape("linear", macs, x.numel(), out_numel, params, isinstance(bias, torch.Tensor),
                       self._is_param(w))


__all__ = ["ShapeRecorder", "OpShape"]

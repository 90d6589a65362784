"""The building blocks of the MAC/SOP counter (bench.efficiency.counter): MAC rules per aten operator,
spike-tensor detection, and attribution of operators to the module that ran them.

Why a dispatch mode: module hooks (thop) and fvcore's tracer miss work done outside ``nn.Module``
forwards (matrix products in attention, Python loops over SNN time steps, custom autograd Functions)
and count ``scaled_dot_product_attention`` as zero on CPU. A :class:`~torch.utils._python_dispatch.
TorchDispatchMode` sees every aten operator after decomposition (``einsum``/``matmul``/``linear`` arrive
as ``mm``/``bmm``/``addmm``, every convolution as ``convolution``) *and its real input tensors*, so each
operator's MACs can be weighted by the spike count of the tensor it consumes.

Conventions (see docs/efficiency.md):

- MACs of an operator are the multiply-accumulates of its matrix/convolution product (bias, norms and
  element-wise work are not counted), as ``torch.utils.flop_counter`` counts them (its FLOPs / 2).
- An operand is a *spike tensor* when every value is a non-negative multiple of ``1/8`` no larger than
  ``16`` (binary spikes, integer counts, or counts normalised by D like SpikeTrack's ``count/4``);
  real-valued activations essentially never pass that test. The counter runs it once per (module,
  operator, operand, shape) and caches the answer.
- Spike counts: count = value x ``spike_scale`` (D; 4 for SpikeTrack's normalised spikes, 1 for binary
  or integer-count spikes). ``spike_scale=None`` infers it as the smallest power of two that makes all
  spike operands integral.
- SOP of an operator call = sum over its time steps of (MACs per step) x (mean integer spike count of
  its spike operand at that step). Operators whose operands are all real-valued have no SOPs and count
  as MACs (the encoding layer). With two spike operands (``k^T v``) the ``pair_rule`` says which count
  weights the MACs: ``'first'`` (default), ``'product'`` or ``'max'``.
- Time steps: a spike operand that shares storage with the output of a neuron module whose output is
  ``[T, B, ...]`` (multi-step layout, B = 1 when tracking) is split into T steps along its leading
  dimension; other operands count as one step. Python loops over time steps give one call per step.
"""
from __future__ import annotations

import functools
import math
import sys
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten

#: largest spike scale tried when inferring D, and largest integer count accepted as a spike
MAX_SCALE = 8
MAX_COUNT = 16


# ------------------------------------------------------------------------------------------------
# MAC formulas per aten operator. Each returns [(suffix, macs, operands)], operands being the
# activation tensors whose spike counts may weight the MACs.
# ------------------------------------------------------------------------------------------------

def _numel(shape: Iterable[int]) -> int:
    return math.prod(int(s) for s in shape)


def _conv(args, kwargs, out):
    x, w = args[0], args[1]
    transposed = bool(args[6]) if len(args) > 6 else bool(kwargs.get("transposed", False))
    if transposed:  # weight [C_in, C_out/g, k...]: every input element meets C_out/g x k weights
        macs = x.numel() * _numel(w.shape[1:])
    else:           # weight [C_out, C_in/g, k...]: every output element is a C_in/g x k dot product
        macs = out.numel() * _numel(w.shape[1:])
    return [("", macs, (x,))]


def _mm(args, kwargs, out):
    a, b = args[0], args[1]
    return [("", a.shape[0] * a.shape[1] * b.shape[-1], (a, b))]


def _addmm(args, kwargs, out):
    return _mm(args[1:], kwargs, out)


def _bmm(args, kwargs, out):
    a, b = args[0], args[1]
    return [("", a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2], (a, b))]


def _baddbmm(args, kwargs, out):
    return _bmm(args[1:], kwargs, out)


def _mv(args, kwargs, out):
    a, v = args[0], args[1]
    return [("", a.shape[0] * a.shape[1], (a, v))]


def _addmv(args, kwargs, out):
    return _mv(args[1:], kwargs, out)


def _dot(args, kwargs, out):
    return [("", args[0].numel(), (args[0], args[1]))]


def _sdpa(args, kwargs, out):
    """Attention kernels (CPU flash, efficient, cuDNN): QK^T and AV, the mask ignored (dense count)."""
    q, k, v = args[0], args[1], args[2]
    lead = _numel(q.shape[:-2])
    L, E = q.shape[-2], q.shape[-1]
    S, Ev = k.shape[-2], v.shape[-1]
    return [(".qk", lead * L * S * E, (q, k)), (".av", lead * L * S * Ev, (v,))]


def _overloads(packet) -> list:
    return [getattr(packet, name) for name in packet.overloads()]


def _build_rules() -> dict:
    table: list[tuple[str, Callable]] = [
        ("convolution", _conv), ("_convolution", _conv),
        ("mm", _mm), ("addmm", _addmm), ("_addmm_activation", _addmm),
        ("bmm", _bmm), ("baddbmm", _baddbmm),
        ("mv", _mv), ("addmv", _addmv), ("dot", _dot), ("vdot", _dot),
        ("_scaled_dot_product_flash_attention_for_cpu", _sdpa),
        ("_scaled_dot_product_flash_attention", _sdpa),
        ("_scaled_dot_product_efficient_attention", _sdpa),
        ("_scaled_dot_product_cudnn_attention", _sdpa),
    ]
    rules = {}
    for name, fn in table:
        packet = getattr(aten, name, None)
        if packet is None:
            continue
        for ov in _overloads(packet):
            rules[ov] = (name, fn)
    return rules


RULES = _build_rules()


@functools.lru_cache(maxsize=None)
def _composite(func) -> bool:
    """Whether ``func`` has a CompositeImplicitAutograd kernel (it reaches a dispatch mode undecomposed
    only under ``torch.inference_mode()``)."""
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), "CompositeImplicitAutograd")
    except (AttributeError, RuntimeError):
        return False


class RuleDispatch(TorchDispatchMode):
    """Sees every aten operator a forward runs; hands those with a MAC rule to ``record(rule, args,
    kwargs, out)``. The one dispatch mode of the efficiency engine (the counter and the shape recorder)."""

    def __init__(self, record: Callable):
        super().__init__()
        self.record = record

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = RULES.get(func)
        if rule is None and _composite(func):
            # under torch.inference_mode() composite operators (conv2d, linear, matmul, ...) reach the mode
            # whole; their decomposition, run inside the mode, shows the primitives counted without it
            # (torch.utils.flop_counter.FlopCounterMode does the same)
            with self:
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        out = func(*args, **kwargs)
        if rule is not None:
            self.record(rule, args, kwargs, out)
        return out


# ------------------------------------------------------------------------------------------------
# spike tensors
# ------------------------------------------------------------------------------------------------

def spike_scale_of(x: torch.Tensor) -> int | None:
    """Smallest scale s in {1, 2, 4, 8} such that ``x * s`` is a tensor of integer spike counts in
    ``[0, 16]``; ``None`` when ``x`` is not a spike tensor (real-valued, negative, complex, integer dtype
    aside)."""
    if not x.is_floating_point() or x.numel() == 0:
        return None
    xd = x.detach()
    if xd.numel() > 4096 and xd.is_contiguous():
        # real-valued activations fail on their first values: a prefix that is no spike tensor decides it
        # without a pass over the whole tensor (the first frame checks every module's output)
        head = xd.reshape(-1)[:1024]
        if bool((head < 0).any()) or not bool(torch.equal(head * MAX_SCALE, (head * MAX_SCALE).round())):
            return None
    if bool((xd < 0).any()) or float(xd.max()) > MAX_COUNT:
        return None
    scaled = xd * MAX_SCALE
    if not bool(torch.equal(scaled, scaled.round())):
        return None
    s = 1
    while s < MAX_SCALE and not bool(torch.equal(xd * s, (xd * s).round())):
        s *= 2
    return s


# ------------------------------------------------------------------------------------------------
# records
# ------------------------------------------------------------------------------------------------

class ModuleStack:
    """Which module of ``root`` is running: forward pre/post hooks on every submodule push/pop names.

    ``path()`` is the innermost running module's qualified name ('' when no submodule of ``root`` is
    in its ``forward``, e.g. ops of the root's own methods or of the tracker's pre-processing).
    """

    def __init__(self, root: nn.Module, on_exit: Callable | None = None):
        self.root = root
        self.stack: list[str] = []
        self.active = False
        self.on_exit = on_exit
        self._names: dict[int, str] | None = None
        self._handles = []
        for name, m in root.named_modules():
            if not name:
                continue
            self._handles.append(m.register_forward_pre_hook(self._pre(name)))
            self._handles.append(m.register_forward_hook(self._post(name, m), always_call=True))

    def _pre(self, name: str):
        stack = self.stack

        def hook(module, args):
            if self.active:
                stack.append(name)
        return hook

    def _post(self, name: str, module: nn.Module):
        stack = self.stack

        def hook(mod, args, out):
            if self.active and stack and stack[-1] == name:
                stack.pop()
                if self.on_exit is not None:
                    self.on_exit(name, mod, args, out)
        return hook

    def path(self) -> str:
        return self.stack[-1] if self.stack else ""

    def caller_path(self, max_depth: int = 24) -> str:
        """For work done outside any submodule's ``forward`` (e.g. in ``model.encoder.mrm[0].memory()``):
        the innermost module of ``root`` whose method is on the Python call stack, else ''."""
        if self._names is None:
            self._names = {id(m): n for n, m in self.root.named_modules() if n}
        f = sys._getframe(1)
        for _ in range(max_depth):
            if f is None:
                break
            obj = f.f_locals.get("self")
            if obj is not None:
                name = self._names.get(id(obj))
                if name is not None:
                    return name
            f = f.f_back
        return ""

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


__all__ = ["ModuleStack", "RULES", "spike_scale_of", "MAX_COUNT", "MAX_SCALE"]

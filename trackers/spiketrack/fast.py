"""Opt-in fast inference for SpikeTrack (``fast=True``): numerics may differ from the official code.

What it changes, on a private copy of the model (the checkpoint layout of the original is untouched):

- every batch norm in eval mode (frozen or not) is folded into the convolution before it, so a
  conv + BN pair becomes one convolution with a bias (two elementwise passes fewer per layer);
- 2-D activations run in channels-last layout (oneDNN's preferred format on CPU), which removes the
  layout conversions around each oneDNN convolution;
- convolution weights are reordered into oneDNN's blocked layout once per input shape
  (:func:`_conv2d`), not on every call as ``F.conv2d`` does;
- neurons emit integer counts k, the 1/4 of k/4 moved into every consumer's weights and the attention
  scales (:func:`fold_spike_unit`: exact, powers of two; the tracker rescales its firing-rate read-out);
- the temporal gate runs as matrix products in its input's layout, the retriever's read scale is folded
  into the cached template memory, the MLPs' kernel-1 Conv1d run as 1x1 Conv2d (no layout copies);
- each neuron writes its spikes into a buffer kept between calls (no allocation per call);
- where the CPU has native bfloat16 (AVX512-BF16 / AMX; :func:`bf16_supported`) the encoder runs in
  bfloat16 -- spike counts are exact there, membrane inputs are not -- and the head in float32.

Against the official code (scratch harness, 1 thread, float32 input, OTB Crossing): 0.37x / 0.38x
(B256-T3 / S256-T1) on a CPU with native bfloat16; 0.65x / 0.57x on one without (AMD EPYC, AVX2 only),
where the encoder stays float32 and the convolutions, three quarters of a fast frame, already run near the
core's float32 peak (fast / default there: 0.82x / 0.76x, ``benchmarks/bench_spiketrack.py``).

Measured model-only on B256-T3 / S256-T1 (alternating rounds in one process, relative to the step before;
bfloat16 encoder): bfloat16 0.75x of the folded float32 path; weights packed once 0.72x; integer-count
neurons 0.86x / 0.89x; gate rewrite 0.92x (T3 only); scaled read and Conv2d MLPs about 0.99x each.
Tried and dropped: the reads as one block-diagonal product (8x the multiply-adds, no gain), oneDNN's
fake-quantize op for clamp+round (25x slower). ``torch.compile`` is not used: on the 2-core CPU runner it
took 283 s to compile the S256-T1 search path and the compiled graph ran 3x slower than eager (torch
2.13, inductor, one thread).

The bfloat16 encoder changes the rounding of the membrane inputs. Spikes are ``round(clamp(x, 0, 4))``,
so a last-bit change can flip a spike and the flip propagates: boxes and firing rates may differ from
the official (and from the default mode's) values. In float64 (``bf16=False``) every rewrite agrees with
the default model to ~1e-10 (tests/test_spiketrack_fast.py). The tracker says so in ``describe()`` and
the run configuration records ``fast``, so the two modes never share a results folder.
"""
from __future__ import annotations

import copy
import functools
import types

import torch
import torch.nn.functional as F
from torch import nn

from trackers.spiketrack.blocks import (ConvBlockSpike, FrozenBatchNorm2d, LinearSpikeAttention, SepConvSpike,
                                        SpikeDownsample, SpikeMLP, merge_heads, split_heads)
from trackers.spiketrack.head import CenterHead
from trackers.spiketrack.mrm import Retriever, TemporalGate
from trackers.spiketrack.neuron import MAX_LEVEL, MAX_TIME_STEPS, NILIFNeuron

NOTE = ("fast mode: batch norms folded into convolutions, weights packed once, channels-last, integer-count "
        "neurons, bfloat16 encoder where the CPU supports it; last-bit differences can flip integer spikes, so "
        "boxes and firing rates may differ from the official code's")


@functools.lru_cache(maxsize=None)
def bf16_supported() -> bool:
    """Whether oneDNN runs bfloat16 natively on this CPU (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _bn_affine(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel (scale, shift) of an eval-mode batch norm, in float64."""
    w, b = bn.weight.double(), bn.bias.double()
    rm, rv = bn.running_mean.double(), bn.running_var.double()
    eps = getattr(bn, "eps", 1e-5)
    scale = w / torch.sqrt(rv + eps)
    return scale, b - rm * scale


def _fold(conv: nn.Module, bn: nn.Module) -> None:
    scale, shift = _bn_affine(bn)
    w = conv.weight.detach().double()
    conv.weight.data = (w * scale.view(-1, *([1] * (w.dim() - 1)))).to(conv.weight.dtype)
    bias = conv.bias.detach().double() if conv.bias is not None else torch.zeros_like(scale)
    new_bias = (bias * scale + shift).to(conv.weight.dtype)
    if conv.bias is None:
        conv.bias = nn.Parameter(new_bias, requires_grad=False)
    else:
        conv.bias.data = new_bias


_BN = (FrozenBatchNorm2d, nn.BatchNorm1d, nn.BatchNorm2d)
#: (conv attribute, norm attribute) pairs that are not ``Sequential(conv, norm)``
_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("encode_conv", "encode_bn"), ("fc1_conv", "fc1_bn"),
          ("fc2_conv", "fc2_bn"))


def fold_batch_norms(model: nn.Module) -> int:
    """Fold every eval-mode BN into its preceding conv in place (the BN becomes ``nn.Identity``);
    returns the number folded."""
    folded = 0
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential) and len(module) >= 2:
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.modules.conv._ConvNd) and isinstance(module[i + 1], _BN):
                    _fold(module[i], module[i + 1])
                    module[i + 1] = nn.Identity()
                    folded += 1
        for conv_name, bn_name in _PAIRS:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.modules.conv._ConvNd) and isinstance(bn, _BN):
                _fold(conv, bn)
                setattr(module, bn_name, nn.Identity())
                folded += 1
    return folded


# -- layout-free rewrites of two MRM pieces (bound to the private copy's modules only) ------------------
def _gate_forward(self: TemporalGate, x: torch.Tensor) -> torch.Tensor:
    """:class:`TemporalGate` as matrix products on ``x`` in its own layout (no token transposes).

    The gate's Conv1d(HW -> HW/2, k=1) on tokens ``[B*C, HW, T]`` is, per step, a product of its weight with
    the ``[HW, C]`` (channels-last) or ``[C, HW]`` (contiguous) view of ``x[t]``; the neuron then runs over
    the leading T axis directly and the T-weighted sum accumulates with ``addcmul_``."""
    T, B, C, H, W = x.shape
    w1, b1 = self.mlp[0].weight[..., 0], self.mlp[0].bias
    w2, b2 = self.mlp[2].weight[..., 0], self.mlp[2].bias
    if x.is_contiguous():
        hidden = self.mlp[1](F.linear(x.reshape(T, B, C, H * W), w1, b1))        # [T, B, C, HW/2]
        logits = F.linear(hidden, w2, b2)[..., 0]                                  # [T, B, C]
    else:   # channels-last steps: [T, B, HW, C] is a view
        xv = x.permute(0, 1, 3, 4, 2).reshape(T, B, H * W, C)
        hidden = self.mlp[1](torch.matmul(w1, xv).add_(b1[:, None]))               # [T, B, HW/2, C]
        logits = torch.matmul(w2, hidden)[:, :, 0].add_(b2)                        # [T, B, C]
    # the spike unit (1/4 with integer-count neurons, :func:`fold_spike_unit`) goes into the weights
    weights = F.softmax(logits.float(), dim=0).mul_(getattr(self, "spike_unit", 1.0)).to(x.dtype)[..., None, None]
    out = x[0] * weights[0]
    for t in range(1, T):
        out.addcmul_(x[t], weights[t])
    return out


def _scaled_memory(self: Retriever, template: torch.Tensor) -> torch.Tensor:
    """The template memory times the read scale ``scale * 2`` (folded once per template update, which
    saves the two scaling passes of every read: :func:`_scaled_read`)."""
    return Retriever.memory(self, template).mul_(self.scale * 2)


def _scaled_read(self: Retriever, q: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """``Retriever._read`` against :func:`_scaled_memory`."""
    return merge_heads(split_heads(q, self.num_heads) @ memory)


# -- convolutions with weights packed once per input shape -------------------------------------------
def _packable(dtype: torch.dtype) -> bool:
    """float32 always; bfloat16 only where oneDNN runs it natively (elsewhere its weight reorder refuses:
    "bf16 path needs the cpu support avx_ne_convert or avx512bw, avx512vl and avx512dq")."""
    return dtype == torch.float32 or (dtype == torch.bfloat16 and bf16_supported())


class _PackCache(dict):
    """Packed weights by input shape; a copy of the model starts with none (oneDNN tensors do not copy)."""

    def __deepcopy__(self, memo: dict) -> "_PackCache":
        return _PackCache()


def _conv2d(owner: nn.Module, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, stride,
            padding, dilation, groups: int) -> torch.Tensor:
    """``F.conv2d`` through oneDNN with the weight reordered into its blocked layout once per input shape
    (kept on ``owner``); ``F.conv2d`` reorders it on every call, which on the 16x16 stages costs about as
    much as the convolution. Same results as ``F.conv2d`` (bfloat16: bit-equal in our checks); float64,
    bfloat16 on a CPU without native bfloat16, and autograd fall back to ``F.conv2d``."""
    if not _packable(x.dtype) or weight.dtype != x.dtype or x.dim() != 4 \
            or (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)):
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    cache = owner.__dict__.setdefault("_packed_weights", _PackCache())
    key = (tuple(x.shape), x.dtype, weight.data_ptr())
    packed = cache.get(key)
    if packed is None:
        packed = cache[key] = torch._C._nn.mkldnn_reorder_conv2d_weight(
            weight.contiguous().to_mkldnn(), list(padding), list(stride), list(dilation), groups, list(x.shape))
    return torch.ops.mkldnn._convolution_pointwise(x, packed, bias, list(padding), list(stride), list(dilation),
                                                   groups, "none", [None], "")


def _packed_conv_forward(self: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    return _conv2d(self, x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


def prepack_supported() -> bool:
    """Whether this torch build has the oneDNN ops :func:`_conv2d` uses."""
    try:
        return bool(torch.backends.mkldnn.is_available()
                    and hasattr(torch.ops.mkldnn, "_convolution_pointwise")
                    and hasattr(torch._C._nn, "mkldnn_reorder_conv2d_weight"))
    except (AttributeError, RuntimeError):
        return False


def _pointwise(mlp: SpikeMLP, conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """A kernel-1 Conv1d of the MLP as a 1x1 Conv2d on ``[N, C, H, W]``."""
    if getattr(mlp, "prepacked", False):
        return _conv2d(conv, x, conv.weight[..., None], conv.bias, (1, 1), (0, 0), (1, 1), 1)
    return F.conv2d(x, conv.weight[..., None], conv.bias)


def _mlp_forward(self: SpikeMLP, x: torch.Tensor) -> torch.Tensor:
    """:class:`SpikeMLP` with folded norms, its 1x1 Conv1d over H*W tokens run as 1x1 Conv2d on ``x``'s own
    (channels-last) layout: a Conv1d on the flattened channels-last tokens copies its input first."""
    T, B, C, H, W = x.shape
    y = _pointwise(self, self.fc1_conv, self.fc1_spike(x).flatten(0, 1))
    y = self.fc2_spike(y.reshape(T, B, *y.shape[1:]))
    y = _pointwise(self, self.fc2_conv, y.flatten(0, 1))
    return y.reshape(T, B, C, H, W)


# -- integer-count neurons: the 1/4 of every spike moves into the weights that consume it ---------------
class CountNeuron(NILIFNeuron):
    """NI-LIF emitting the integer count ``k = round(clamp(mem, 0, 4))`` instead of ``k / 4`` (one
    elementwise pass fewer per step); the soft reset subtracts ``k / 4`` as the official neuron does."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.shape[0]
        if steps > MAX_TIME_STEPS:
            raise ValueError(f"NI-LIF time window {steps} > {MAX_TIME_STEPS}: input must be [T, ...]")
        if torch.is_grad_enabled() and (x.requires_grad or self.decay.requires_grad):
            return self._forward_autograd(x) * MAX_LEVEL
        out = self._output_buffer(x)
        mem = x[0]
        for t in range(steps):
            if t:   # k * 1/4 is exact: mem - k/4 rounds as the official mem - spike
                mem = torch.sub(mem, out[t - 1], alpha=1.0 / MAX_LEVEL).mul_(self.decay[t - 1].sigmoid()).add_(x[t])
            torch.clamp(mem, 0, MAX_LEVEL, out=out[t]).round_()
        return out


def _spike_consumers(model: nn.Module) -> list[nn.Module]:
    """Every convolution whose input is a neuron output (each once), from the official wiring: all of them
    but the stem, which takes the image. Attention products are handled by their scale."""
    found: list[nn.Module] = []
    for m in model.modules():
        if isinstance(m, SepConvSpike):
            found += [m.pwconv1[0], m.dwconv[0], m.pwconv2[0]]
        elif isinstance(m, ConvBlockSpike):
            found += [m.conv1, m.conv2]
        elif isinstance(m, SpikeMLP):
            found += [m.fc1_conv, m.fc2_conv]
        elif isinstance(m, LinearSpikeAttention):
            found += [m.q_conv[0], m.k_conv[0], m.v_conv[0], m.proj_conv[0]]
        elif isinstance(m, SpikeDownsample) and hasattr(m, "encode_spike"):
            found.append(m.encode_conv)
        elif isinstance(m, Retriever):
            found += [m.q_conv[0], m.k_conv[0], m.v_conv[0], m.proj_conv[0], m.fuser[0], m.gate.mlp[0],
                      m.gate.mlp[2], *(s[0] for s in m.seg_responder_dw), *(s[0] for s in m.seg_responder_pw)]
        elif isinstance(m, CenterHead):
            found += [c for c in m.modules() if isinstance(c, nn.Conv2d)]
    return found


def fold_spike_unit(model: nn.Module) -> int:
    """Make every neuron a :class:`CountNeuron` and multiply what consumes its output by 1/4 (exact: a
    power of two): consumer conv weights, the attention scales (q, k, v spikes: 1/64) and the temporal
    gate's step weights. Needs :func:`_gate_forward` on the gates. Returns the convolutions scaled."""
    consumers = _spike_consumers(model)
    with torch.no_grad():
        for conv in consumers:
            conv.weight.mul_(1.0 / MAX_LEVEL)
    for m in model.modules():
        if isinstance(m, (LinearSpikeAttention, Retriever)):
            m.scale = m.scale / MAX_LEVEL ** 3
        elif isinstance(m, TemporalGate):
            m.spike_unit = 1.0 / MAX_LEVEL
        elif isinstance(m, NILIFNeuron):
            m.__class__ = CountNeuron
    return len(consumers)


def count_recorder(recorder) -> None:
    """Make a :class:`~trackers.spiketrack.sfr.FiringRateRecorder` of a count-neuron model report the
    official figures: its accumulator sums outputs ``k`` where it expects ``k / 4``, so its read-out sums
    are divided by 4 (exact) and its level histograms (when kept) see ``k / 4``."""
    acc = recorder.acc
    read, histogram = acc.read, acc.histogram

    def read_counts(keys=None):
        out = read(keys)
        for record in out.values():
            if record["sums"] is not None:
                record["sums"] = record["sums"] / MAX_LEVEL
        return out

    acc.read = read_counts
    if histogram is not None:
        acc.histogram = lambda spikes: histogram(spikes / MAX_LEVEL)


def _head_in_float32(module: nn.Module, args: tuple) -> tuple:
    return tuple(a.float() if isinstance(a, torch.Tensor) else a for a in args)


def make_fast(model: nn.Module, channels_last: bool = True, bf16: bool | None = None, gate: bool = True,
              scaled_read: bool = True, mlp2d: bool = True,
              prepack: bool | None = None, counts: bool = False) -> nn.Module:
    """A folded copy of ``model`` for inference (eval mode, no gradients). ``bf16``: run the encoder in
    bfloat16 (``None``: where :func:`bf16_supported`); ``fast.encoder_dtype`` says which dtype it takes.
    ``gate`` / ``scaled_read`` / ``mlp2d``: the layout rewrites of the gate, the retriever reads and the
    MLPs; ``prepack``: weights packed once (``None``: where :func:`prepack_supported`); ``counts``:
    integer-count neurons (:func:`fold_spike_unit`; off by default because the copy's neuron outputs and
    consumer weights then differ by 4 from the original's -- :class:`SpikeTrackTracker` turns it on and
    rescales its recorder)."""
    if model.training:
        raise ValueError("fast mode folds batch norms: put the model in eval mode first")
    fast = copy.deepcopy(model)
    for m in fast.modules():
        # a deep copy keeps the forward hooks of recorders attached to the original, which would record
        # this copy's spikes into the original's statistics: the copy starts without any
        m._forward_hooks.clear()
        m._forward_pre_hooks.clear()
    for p in fast.parameters():
        p.requires_grad_(False)
    fast.folded_batch_norms = fold_batch_norms(fast)
    if channels_last:
        for m in fast.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.data = m.weight.data.contiguous(memory_format=torch.channels_last)
    for m in fast.modules():
        if isinstance(m, NILIFNeuron):
            m.reuse_output = True  # no fresh allocation (and page faults) per neuron call
    for m in fast.modules():
        if isinstance(m, TemporalGate) and (gate or counts):
            m.forward = types.MethodType(_gate_forward, m)
        elif isinstance(m, Retriever) and scaled_read:
            m.memory, m._read = types.MethodType(_scaled_memory, m), types.MethodType(_scaled_read, m)
        elif isinstance(m, SpikeMLP) and mlp2d and isinstance(m.fc1_bn, nn.Identity) \
                and isinstance(m.fc2_bn, nn.Identity):
            m.forward = types.MethodType(_mlp_forward, m)
    if prepack_supported() if prepack is None else prepack:
        for m in fast.modules():
            if isinstance(m, SpikeMLP):
                m.prepacked = True
            elif isinstance(m, nn.Conv2d) and m.padding_mode == "zeros" and not isinstance(m.padding, str):
                m.forward = types.MethodType(_packed_conv_forward, m)
    fast.spike_counts = counts
    if counts:
        fast.spike_consumers = fold_spike_unit(fast)
    fast.encoder_dtype = next(fast.encoder.parameters()).dtype
    if (bf16_supported() if bf16 is None else bf16) and fast.encoder_dtype == torch.float32:
        fast.encoder.to(torch.bfloat16)
        fast.encoder_dtype = torch.bfloat16
        fast.decoder.register_forward_pre_hook(_head_in_float32)
    fast.fast_mode = True
    return fast.eval()

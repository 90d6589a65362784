"""NI-LIF: the integer-spike leaky integrate-and-fire neuron of SpikeTrack (official ni_lif.py).

A neuron turns a membrane potential into an integer spike count ``round(clamp(mem, 0, D))`` with
``D = 4`` and emits it normalised, ``count / D`` (so outputs lie in {0, .25, .5, .75, 1}). Over the
leading time axis (T <= 3, the template time steps) the membrane leaks with a learnable per-step
factor ``alpha_t = sigmoid(decay[t-1])`` and is soft-reset by the *normalised* spike:

    mem_0 = x_0,   mem_t = (mem_{t-1} - s_{t-1}) * alpha_t + x_t,   s_t = round(clamp(mem_t, 0, D)) / D

No state survives between calls: every call starts from rest.
"""
from __future__ import annotations

import math

import torch
from torch import nn

#: Quantisation depth D: the largest integer spike count.
MAX_LEVEL = 4
#: Largest time window the official neuron accepts.
MAX_TIME_STEPS = 3


class _QuantSTE(torch.autograd.Function):
    """round(clamp(x, 0, D)) with a straight-through gradient inside [0, D] (for fine-tuning)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return torch.round(torch.clamp(x, 0, MAX_LEVEL))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * ((x >= 0) & (x <= MAX_LEVEL)).to(grad.dtype)


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Integer spike count ``round(clamp(x, 0, 4))`` (round half to even, like ``torch.round``)."""
    if torch.is_grad_enabled() and x.requires_grad:
        return _QuantSTE.apply(x)
    return torch.round(torch.clamp(x, 0, MAX_LEVEL))


class NILIFNeuron(nn.Module):
    """Multi-step NI-LIF neuron over the leading time axis of ``x`` ([T, ...], T <= 3).

    ``decay`` holds the logits of the per-step leak factors (3 of them, as in the official
    ``mem_update(time_step=4)``); with T = 1 none is used.
    """

    #: steps at the start of a call with no leak multiply (``mem[0] = x[0]``), read by the energy models
    leak_free_steps = 1

    def __init__(self, num_decays: int = MAX_TIME_STEPS):
        super().__init__()
        init = math.log(0.25 / 0.75)  # logit(0.25)
        self.decay = nn.Parameter(torch.full((num_decays,), init, dtype=torch.float32))
        #: write every inference output into one buffer kept between calls (fast mode only: an output
        #: is then valid until this neuron's next call, which holds inside the SpikeTrack forward)
        self.reuse_output = False
        self._out: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.shape[0]
        if steps > MAX_TIME_STEPS:
            raise ValueError(f"NI-LIF time window {steps} > {MAX_TIME_STEPS}: input must be [T, ...]")
        if torch.is_grad_enabled() and (x.requires_grad or self.decay.requires_grad):
            return self._forward_autograd(x)
        # inference: the same operations, written into one output buffer (no per-step temporaries;
        # x 0.25 equals / 4 exactly)
        out = self._output_buffer(x)
        mem = x[0]
        for t in range(steps):
            if t:
                mem = torch.sub(mem, out[t - 1]).mul_(self.decay[t - 1].sigmoid()).add_(x[t])
            torch.clamp(mem, 0, MAX_LEVEL, out=out[t]).round_().mul_(1.0 / MAX_LEVEL)
        return out

    def _output_buffer(self, x: torch.Tensor) -> torch.Tensor:
        """A tensor like ``x`` for the outputs: the one kept from the last call where ``reuse_output`` allows
        and it still fits, else a new one."""
        out = self._out
        if not (self.reuse_output and out is not None and out.shape == x.shape and out.dtype == x.dtype
                and out.stride() == x.stride() and out.device == x.device
                and out.is_inference() == torch.is_inference_mode_enabled()):
            out = torch.empty_like(x)
            if self.reuse_output:
                self._out = out
        return out

    def _forward_autograd(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] == 1:
            return quantize(x) / MAX_LEVEL
        out = torch.empty_like(x)
        mem = x[0]
        spike = quantize(mem) / MAX_LEVEL
        out[0] = spike
        for t in range(1, x.shape[0]):
            alpha = self.decay[t - 1].sigmoid()
            mem = (mem - spike.detach()) * alpha + x[t]
            spike = quantize(mem) / MAX_LEVEL
            out[t] = spike
        return out

    def extra_repr(self) -> str:
        return f"max_level={MAX_LEVEL}, time_steps<={MAX_TIME_STEPS}"

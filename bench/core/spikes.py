"""One accumulator of neuron-output statistics, kept on the model's device, for every recorder of the suite.

A recorder (the SpikeTrack tracker's firing-rate hooks, the efficiency engine's activation-sparsity
hooks) hands each neuron output ``[steps, ...]`` to :meth:`SpikeAccumulator.add` under a key of its
choice. Per key and per *entry* -- one time step of one call within an image, in call order
(``per_call=True``), or every call pooled into one entry (``per_call=False``) -- the accumulator keeps,
as asked, the exact sum of the output values, the number of non-zero outputs and a level histogram.
Nothing is read back to the host until :meth:`SpikeAccumulator.read`, which moves everything in one
transfer: a hook costs one or two reductions and no synchronisation.

A recorder that needs each call's figures on their own (the efficiency counter: SOPs of a frame come
from that frame's spike counts) reads after every frame with ``read(reset=True)``, a new image each
frame: each call is then its own entry. ``add(..., histogram=fn)`` histograms one call with its own
function (a neuron's own spike scale).

Exactness: outputs are spike values, ``value x D`` an integer count in ``[0, top]`` for a power-of-two
D (``top`` = 4 by default: binary spikes, SpikeTrack's counts / 4). A step's sum, in units of 1/D, is
then an integer of at most ``numel x top``: float32 sums it exactly while that is at most 2**24 (2**22
outputs for ``top`` = 4), else the sum is float64; half-precision outputs are summed in groups small
enough for bfloat16's 8 bits (64 values for ``top`` = 4) before widening; running totals are float64.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable

import numpy as np
import torch

#: integers float32 holds exactly (a step's sum in units of 1/D up to this is exact)
F32_INTEGERS = 2 ** 24
#: integers bfloat16 holds exactly (its 8 significant bits): bounds a half-precision partial sum
BF16_INTEGERS = 2 ** 8
#: largest integer count ``value x D`` the accumulator assumes by default (binary spikes, counts / 4)
TOP = 4
#: below this many outputs per step a float32 sum of values on a 1/4 grid is exact (multiples of 1/4 to 2**22)
EXACT_F32 = F32_INTEGERS // TOP


def _dense(x: torch.Tensor) -> torch.Tensor | None:
    """``x`` with its non-leading axes in memory order (a view; e.g. channels-last), or ``None`` when that
    is not contiguous."""
    order = sorted(range(1, x.dim()), key=lambda d: -x.stride(d))
    y = x.permute(0, *order)
    return y if y.is_contiguous() else None


def step_sums(spikes: torch.Tensor, top: int = TOP) -> torch.Tensor:
    """``[steps, ...]`` -> ``[steps]`` exact sums of the values of each step, ``value x D`` an integer in
    ``[0, top]`` (see the module note)."""
    numel = spikes.numel() // spikes.shape[0]
    exact_f32 = numel <= F32_INTEGERS // top
    group = max(BF16_INTEGERS // top, 1)
    dims = tuple(range(1, spikes.dim()))  # reduce in place of a reshape, which would copy strided outputs
    if spikes.dtype in (torch.float64, torch.float32) and exact_f32:
        return spikes.sum(dims)  # about 17x faster on CPU than a converting float64 sum
    if (spikes.dtype in (torch.bfloat16, torch.float16) and numel % group == 0
            and (dense := _dense(spikes)) is not None):
        # only the group sums are widened (a widening sum of every value costs 3x)
        return dense.view(spikes.shape[0], group, -1).sum(1).sum(-1, dtype=torch.float64)
    return spikes.sum(dims, dtype=torch.float32 if exact_f32 else torch.float64)


def step_nonzero(spikes: torch.Tensor) -> torch.Tensor:
    """``[steps, ...]`` -> ``[steps]`` non-zero outputs of each step of a non-negative tensor, in one
    ``sign().sum()`` pass where float32 counts them exactly (see :func:`nonzero_count`)."""
    if spikes.is_floating_point() and spikes.numel() < F32_INTEGERS:
        half = spikes.dtype in (torch.float16, torch.bfloat16)
        return torch.sign(spikes).sum(tuple(range(1, spikes.dim())), dtype=torch.float32 if half else None)
    return torch.stack([nonzero_count(t) for t in spikes])


def count_histogram(spikes: torch.Tensor, scale: int, top: int) -> torch.Tensor:
    """``[steps, ...]`` -> ``[steps, top + 1]`` int64 counts of the integer counts ``value x scale``
    (rounded, clipped to ``[0, top]``) of each step, one ``bincount`` for all steps."""
    steps = spikes.shape[0]
    flat = spikes.reshape(steps, -1)
    levels = top + 1
    idx = (flat * scale).round_().clamp_(0, top).to(torch.int64)
    idx += torch.arange(steps, device=idx.device).unsqueeze(1) * levels
    return torch.bincount(idx.flatten(), minlength=steps * levels).reshape(steps, levels)


def nonzero_count(x: torch.Tensor) -> torch.Tensor:
    """Non-zero elements of a non-negative tensor (spikes, ReLU and Sigmoid outputs), a 0-d tensor:
    ``sign().sum()`` is about 10x faster than ``count_nonzero`` on CPU and exact below 2**24 elements."""
    if x.is_floating_point() and x.numel() < 2 ** 24:
        return torch.sign(x).sum(dtype=torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else None)
    return torch.count_nonzero(x)


class _Entries:
    """Per-call-index device accumulators of one key."""

    __slots__ = ("sums", "nonzero", "hist", "obs", "calls", "images", "last_image", "call")

    def __init__(self) -> None:
        self.sums: list[torch.Tensor] = []
        self.nonzero: list[torch.Tensor] = []
        self.hist: list[torch.Tensor] = []
        self.obs: list[int] = []      # outputs per step of each entry, summed over images
        self.calls = 0
        self.images = 0
        self.last_image: Any = None
        self.call = 0


class SpikeAccumulator:
    """Device-side statistics of neuron outputs per key and entry.

    ``sums``: keep the exact sum of the output values per entry; ``nonzero``: the non-zero outputs;
    ``histogram``: ``[steps, ...] -> [steps, L]`` integer counts (on the device) to accumulate too.
    ``per_call=False`` pools every call of a key into one entry (the outputs of all steps together).
    ``top``: the largest integer count ``value x D`` of the outputs (the exactness bound of the sums).
    """

    def __init__(self, sums: bool = True, nonzero: bool = False,
                 histogram: Callable[[torch.Tensor], torch.Tensor] | None = None, per_call: bool = True,
                 top: int = TOP):
        self.keep_sums, self.keep_nonzero, self.histogram, self.per_call = sums, nonzero, histogram, per_call
        self.top = top
        self.entries: dict[Hashable, _Entries] = {}

    def reset(self) -> None:
        self.entries = {}

    def discard(self, key: Hashable) -> None:
        self.entries.pop(key, None)

    def add(self, key: Hashable, image: Any, spikes: torch.Tensor,
            histogram: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        """Add one call's output ``[steps, ...]`` (``image``: what groups calls into images;
        ``histogram``: this call's histogram function in place of the accumulator's)."""
        e = self.entries.get(key)
        if e is None:
            e = self.entries[key] = _Entries()
        if image != e.last_image:
            e.last_image, e.call = image, 0
            e.images += 1
        spikes = spikes.detach()
        if not self.per_call:
            e.call = 0
            spikes = spikes.unsqueeze(0)  # all outputs as one step (a view: strided outputs are not copied)
        c, numel = e.call, spikes.numel() // spikes.shape[0]
        first = c >= len(e.obs)
        if first:
            e.obs.append(numel)
        else:
            e.obs[c] += numel
        if self.keep_sums:
            s = step_sums(spikes, self.top)
            e.sums.append(s.to(torch.float64)) if first else e.sums[c].add_(s)
        if self.keep_nonzero:
            z = step_nonzero(spikes)
            e.nonzero.append(z.to(torch.float64)) if first else e.nonzero[c].add_(z)
        histogram = histogram or self.histogram
        if histogram is not None:
            h = histogram(spikes)
            e.hist.append(h.to(torch.int64)) if first else e.hist[c].add_(h)
        e.call += 1
        e.calls += 1

    def read(self, keys: list | None = None, reset: bool = False) -> dict[Hashable, dict[str, Any]]:
        """``{key: {"sums", "nonzero", "histogram" ([entries(, L)] arrays or None), "observations",
        "images", "calls"}}`` in first-add order; one device-to-host transfer per kind of statistic.
        ``reset``: then forget everything recorded (a recorder that reads per frame)."""
        keys = [k for k in (self.entries if keys is None else keys) if k in self.entries]
        if not keys:
            if reset:
                self.reset()
            return {}
        entries = [self.entries[k] for k in keys]
        flat: dict[str, np.ndarray | None] = {}
        for kind in ("sums", "nonzero", "hist"):
            parts = [t for e in entries for t in getattr(e, kind)]
            flat[kind] = torch.cat(parts, 0).cpu().numpy() if parts else None
        # steps of every entry, all keys together: one repeat for the observations (a per-key repeat costs
        # more than the rest of a read when every call is its own key)
        steps = [[t.shape[0] for t in (e.sums or e.nonzero or e.hist)] or [1] * len(e.obs) for e in entries]
        obs = np.repeat(np.asarray([o for e in entries for o in e.obs], dtype=np.int64),
                        [n for st in steps for n in st])
        out: dict[Hashable, dict[str, Any]] = {}
        i = 0
        for k, e, st in zip(keys, entries, steps):
            n = sum(st)
            out[k] = {
                "sums": flat["sums"][i:i + n] if e.sums else None,
                "nonzero": flat["nonzero"][i:i + n] if e.nonzero else None,
                "histogram": flat["hist"][i:i + n] if e.hist else None,
                "observations": obs[i:i + n],
                "images": e.images, "calls": e.calls,
            }
            i += n
        if reset:
            self.reset()
        return out


__all__ = ["SpikeAccumulator", "step_sums", "step_nonzero", "nonzero_count", "count_histogram", "EXACT_F32"]

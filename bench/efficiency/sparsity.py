"""How many neuron outputs are zero: NeuroBench's activation sparsity, measured on every profiled frame.

NeuroBench 2.3.0 (``metrics/workload/activation_sparsity.py:44-54``) hooks every activation module --
snnTorch spiking neurons, ``nn.ReLU`` and ``nn.Sigmoid`` (``blocks/activation.py:3``) -- and reports
``(all outputs - non-zero outputs) / all outputs`` over every layer, time step and sample. A spike of
any level is one non-zero output there, which is also what a binary-spike tool calls firing. The
recorder here counts the same thing for the neurons the efficiency engine recognises (by class or by
behaviour, :mod:`bench.efficiency.neurons`) and for ``nn.ReLU``/``nn.Sigmoid`` modules, per (module,
branch), in the suite's one neuron-output accumulator (:class:`bench.core.spikes.SpikeAccumulator`, the one
the SpikeTrack firing-rate recorder uses): one pass per call (``sign().sum()``) on the device, read back
when the sparsity is asked for.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Mapping

import torch
from torch import nn

from bench.core.spikes import SpikeAccumulator

#: activation modules NeuroBench hooks besides spiking neurons (neurobench/blocks/activation.py:3)
ACTIVATIONS = (nn.ReLU, nn.Sigmoid)
#: leaves that compute an affine map or pass their input on: never a neuron, so not watched while the
#: counter is still recognising neurons by behaviour (saves a reduction per call in the first frames)
_NOT_NEURONS = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm,
                nn.Dropout, nn.Identity, nn.Embedding)


def _first_tensor(out):
    if isinstance(out, (tuple, list)):
        out = out[0] if out else None
    return out


class ActivationRecorder:
    """Non-zero and total outputs per (module, branch) of neurons and NeuroBench's activation modules.

    ``kinds``: ``() -> {name: NeuronKind}``, the counter's neurons (it learns neurons recognised by
    behaviour during their first call, so it is asked again after each frame). ``branch_of`` as in
    :class:`bench.efficiency.counter.EfficiencyCounter`. ``totals[(name, branch)] = [non-zero, outputs,
    calls]``.
    """

    @property
    def totals(self) -> dict[tuple, list[float]]:
        return {k: [float(r["nonzero"].sum()), float(r["observations"].sum()), r["calls"]]
                for k, r in self.acc.read().items()}

    def __init__(self, model: nn.Module, kinds: Callable[[], Mapping[str, object]],
                 branch_of: Callable[[], str | None] | None = None):
        self.model = model
        self.kinds = kinds
        self.branch_of = branch_of
        self.acc = SpikeAccumulator(sums=False, nonzero=True, per_call=False)
        self.activation_names = {n for n, m in model.named_modules() if n and isinstance(m, ACTIVATIONS)}
        self._modules = dict(model.named_modules())
        self._handles: dict[str, object] = {}
        self._kind = "track"
        self._seen: set[tuple] = set()
        self.frames = 0

    @property
    def neuron_names(self) -> set[str]:
        return set(self.kinds())

    def _watch(self) -> None:
        for name, kind in self.kinds().items():
            if name not in self._handles and name in self._modules:
                self._handles[name] = self._modules[name].register_forward_hook(self._hook(name, kind.spikes))
        for name in self.activation_names - set(self._handles):
            self._handles[name] = self._modules[name].register_forward_hook(self._hook(name, None))

    def detach(self) -> None:
        for h in self._handles.values():
            h.remove()
        self._handles = {}

    def _branch(self) -> str | None:
        if self.branch_of is not None:
            return self.branch_of()
        return "template" if self._kind == "init" else "search"

    def _hook(self, name: str, spikes_of):
        def hook(module, args, out):
            spikes = spikes_of(out) if spikes_of is not None else out
            if not isinstance(spikes, torch.Tensor) or spikes.is_meta or spikes.numel() == 0:
                return
            key = (name, self._branch())
            self._seen.add(key)
            if torch.is_inference_mode_enabled():
                self.acc.add(key, self.frames, spikes)
            else:  # the accumulators are inference tensors whichever mode the frames run in
                with torch.inference_mode():
                    self.acc.add(key, self.frames, spikes)
        return hook

    @contextlib.contextmanager
    def frame(self, kind: str, discover: bool = False) -> Iterator["ActivationRecorder"]:
        """Count the outputs of what runs inside as one frame of ``kind``. ``discover``: also watch every
        other leaf module, and keep the counts of those the counter recognises as neurons by the end of the
        frame (a neuron recognised by behaviour is known only after its first call)."""
        self._kind = kind
        self._seen = set()
        self._watch()
        provisional = []
        if discover:
            inside = tuple(n + "." for n in self._handles)
            provisional = [m.register_forward_hook(self._hook(n, _first_tensor)) for n, m in self._modules.items()
                           if n and n not in self._handles and not n.startswith(inside)
                           and next(m.children(), None) is None and not isinstance(m, _NOT_NEURONS)]
        try:
            yield self
        finally:
            for h in provisional:
                h.remove()
            keep = set(self._handles) | self.neuron_names
            for key in self._seen:
                if key[0] not in keep:   # watched provisionally and not a neuron after all
                    self.acc.discard(key)
            self._seen = set()
            self.frames += 1

    def sparsity(self, branch: str | None = None, names: set[str] | None = None) -> dict:
        """NeuroBench's activation sparsity over the watched outputs (of one branch, or all); ``None``
        when no activation was seen (NeuroBench then reports 0.0)."""
        nz = tot = 0.0
        for (name, b), (z, n, _) in self.totals.items():  # one read-out of the device accumulators
            if (branch is None or b == branch) and (names is None or name in names):
                nz += z
                tot += n
        return {"activation_sparsity": (tot - nz) / tot if tot else None, "outputs": tot, "nonzero": nz}


__all__ = ["ActivationRecorder", "ACTIVATIONS"]

"""Which modules are spiking neurons, and how to read their output: recognised by class, never by name.

The efficiency engine needs three facts about every neuron module: that it *is* one, where its spikes are
in what it returns, and how its output is laid out in time. They come from the neuron's class:

===============================  ==========================================  ==========================
classes                          time layout                                 spikes
===============================  ==========================================  ==========================
the suite's own (SpikeTrack      leading time axis ``[T, ...]``              the output
``NILIFNeuron``)
spikingjelly ``activation_based``  ``step_mode='m'``: leading ``[T, B, ...]``;  the output
``BaseNode`` and the other        ``'s'``: one step per call (a Python loop
spiking node bases               over T gives one entry per step)
snnTorch ``SpikingNeuron``        one step per call; ``StateLeaky`` /         the first element of the
(``Leaky``, ``Synaptic``,         ``LinearLeaky`` / ``LeakyParallel``:        ``(spk, mem, ...)`` tuple
``Alpha``, ``RLeaky``, ...)       leading ``[T, ...]``                        (or the tensor itself)
classes given to                  as registered                               as registered
:func:`register_neuron_class`
===============================  ==========================================  ==========================

Library classes are looked up only in modules already imported (``sys.modules``): a model built from
spikingjelly or snnTorch has imported them, so nothing is imported here and neither library is needed.

A module of no known class is recognised by what it *does* (:func:`acts_as_neuron`), in the first frame
where it runs: a leaf module that turns a real-valued input into a spike tensor. Its output is then read
with a leading time axis, as the suite's own neurons are. Its class name is never consulted.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from bench.efficiency.macs import spike_scale_of


@dataclass(frozen=True)
class NeuronKind:
    """How to read one neuron class.

    ``library``: where the class comes from (``bench``, ``spikingjelly``, ``snntorch``, ``user``,
    ``observed``). ``layout``: ``'leading'`` (the output's first axis is time), ``'single'`` (one time step
    per call) or ``'step_mode'`` (spikingjelly: ``'m'`` leading, ``'s'`` single). ``output_index``: which
    element of a tuple output holds the spikes. ``scale``: the integer count of a spike value is
    ``value x scale`` -- an int where the class fixes it, ``"auto"`` where it is read from this neuron's own
    output (library neurons: binary, or graded by a factor), ``None`` to share the counter's D (inferred
    over the whole model, or the tracker's ``spike_scale``).
    """

    library: str
    layout: str = "leading"
    output_index: int = 0
    scale: int | str | None = None

    def multi_step(self, module: nn.Module) -> bool:
        """True when the output's first axis is the time axis."""
        if self.layout == "step_mode":
            return getattr(module, "step_mode", "s") == "m"
        return self.layout == "leading"

    def spikes(self, out: Any) -> torch.Tensor | None:
        """The spike tensor in what the module returned (``None`` when there is none)."""
        if isinstance(out, (tuple, list)):
            out = out[self.output_index] if len(out) > self.output_index else None
        return out if isinstance(out, torch.Tensor) else None


BENCH = NeuronKind("bench", "leading")
OBSERVED = NeuronKind("observed", "leading")
USER = NeuronKind("user", "leading")

#: (module, class, kind) looked up lazily; a class whose module is not imported cannot be in a model
_KNOWN: list[tuple[str, str, NeuronKind]] = [
    ("trackers.spiketrack.neuron", "NILIFNeuron", BENCH),
    # spikingjelly 0.0.0.0.15+ / 2.0: every spiking node base of activation_based.neuron. The non-spiking
    # nodes (NonSpiking*, which output membrane potentials) derive from none of these.
    *[("spikingjelly.activation_based.neuron", cls, NeuronKind("spikingjelly", "step_mode", scale="auto"))
      for cls in ("BaseNode", "SimpleBaseNode", "ILCBaseNode", "NoisyBaseNode", "GatedLIFNode", "DSRIFNode",
                  "DSRLIFNode", "FlexSN", "STBIFNode", "ActivationAwareIFNode")],
    # parallel spiking neurons always take the whole sequence [T, ...]
    *[("spikingjelly.activation_based.neuron", cls, NeuronKind("spikingjelly", "leading", scale="auto"))
      for cls in ("PSN", "MaskedPSN", "SlidingPSN")],
    # snnTorch: the sequence-at-once neurons first (they are SpikingNeuron subclasses too)
    ("snntorch", "StateLeaky", NeuronKind("snntorch", "leading", scale="auto")),
    ("snntorch", "LeakyParallel", NeuronKind("snntorch", "leading", scale="auto")),
    ("snntorch", "SpikingNeuron", NeuronKind("snntorch", "single", scale="auto")),
]

_REGISTERED: list[tuple[type, NeuronKind]] = []


def register_neuron_class(cls: type | None = None, *, multi_step: bool = True, output_index: int = 0,
                          spike_scale: int | None = 1) -> Any:
    """Declare ``cls`` a spiking neuron for the efficiency engine; also a class decorator, bare or called
    (``@register_neuron_class(multi_step=False)``).

    ``multi_step``: its output has a leading time axis ``[T, ...]`` (else: one time step per call).
    ``output_index``: where the spikes are when it returns a tuple. ``spike_scale``: integer spike count =
    output value x this (1: binary or integer spikes; 4 for counts normalised by 4; ``None``: inferred
    with the rest of the model).
    """
    if cls is None:
        return lambda c: register_neuron_class(c, multi_step=multi_step, output_index=output_index,
                                               spike_scale=spike_scale)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise TypeError(f"register_neuron_class: {cls!r} is not an nn.Module subclass")
    kind = NeuronKind("user", "leading" if multi_step else "single", output_index, spike_scale)
    _REGISTERED[:] = [(c, k) for c, k in _REGISTERED if c is not cls] + [(cls, kind)]
    return cls


def _known_classes() -> list[tuple[type, NeuronKind]]:
    out = list(_REGISTERED)
    for module, name, kind in _KNOWN:
        mod = sys.modules.get(module)
        cls = getattr(mod, name, None) if mod is not None else None
        if isinstance(cls, type):
            out.append((cls, kind))
    return out


def neuron_kind(module: nn.Module, classes: list[tuple[type, NeuronKind]] | None = None) -> NeuronKind | None:
    """The :class:`NeuronKind` of ``module``'s class, or ``None`` when its class is no known neuron."""
    for cls, kind in (classes if classes is not None else _known_classes()):
        if isinstance(module, cls):
            return kind
    return None


def classify(model: nn.Module, neuron: Any = None) -> dict[str, NeuronKind]:
    """Qualified name -> kind of every neuron module of ``model`` known before it runs.

    ``neuron``: ``None`` (known classes), a class or tuple of classes, or a predicate ``module -> bool``
    (modules it accepts are read with a leading time axis, tuple outputs by their first element).
    """
    if neuron is None:
        classes = _known_classes()
        found = {}
        for name, m in model.named_modules():
            kind = neuron_kind(m, classes) if name else None
            if kind is not None:
                found[name] = kind
        return found
    if isinstance(neuron, (tuple, type)):
        given = neuron
        pred: Callable[[nn.Module], bool] = lambda m: isinstance(m, given)  # noqa: E731
    else:
        pred = neuron
    return {name: (neuron_kind(m) or USER) for name, m in model.named_modules() if name and pred(m)}


def acts_as_neuron(args: tuple, out: Any) -> bool | None:
    """Whether a module call behaved as a spiking neuron: real-valued input in, spike tensor out.

    ``None`` when the call says nothing (no tensor output, shape-only tensors, an empty or all-zero
    output): the module is asked again on its next call.
    """
    x = next((a for a in args if isinstance(a, torch.Tensor)), None)
    if not isinstance(out, torch.Tensor) or out.is_meta or out.numel() == 0 or not out.is_floating_point():
        return None
    if x is None or x.is_meta:
        return None
    if spike_scale_of(out) is None:
        return False
    if not bool(out.detach().any()):   # all zeros (a silent layer, a ReLU of negatives): no evidence yet
        return None
    # spikes in, spikes out (pooling, dropout, reshaping of spikes) is not a neuron
    return not (x.is_floating_point() and x.numel() > 0 and spike_scale_of(x) is not None)


__all__ = ["NeuronKind", "register_neuron_class", "neuron_kind", "classify", "acts_as_neuron", "BENCH",
           "OBSERVED", "USER"]

"""Per-branch synaptic and neuron calls with this suite's integer event counts, for memory-aware models.

Joins two records of the same frames: the counter's tables (``profile.json``'s ``layers`` and
``neurons``: MACs, SOPs and mean integer spike counts per call x time step, per call of a branch) and
:class:`~bench.efficiency.shapes.ShapeRecorder`'s structure (elements read and written, weight memory,
convolution geometry, neuron-layer sizes), call by call in execution order. The result is what
:mod:`bench.efficiency.lemaire` costs: ``events`` of a spike-fed call = its SOPs / its MACs x its input
elements (the mean integer count x the inputs; a spike of k is k events), the output events of a neuron
call = its mean integer count per step x its neurons, summed over steps.
"""
from __future__ import annotations

import math
import sys
from collections import defaultdict
from typing import Iterable, Mapping

from torch import nn

from bench.efficiency.lemaire import NeuronCall, SynapseCall
from bench.efficiency.shapes import ShapeRecorder

OUTSIDE = "(outside module forward)"   # profile.json's name for work outside any submodule's forward


def _split(entries_macs: list, entries_sops: list, macs: list[float]) -> list[tuple[float, int]] | None:
    """(SOPs, steps) per call: the counter lists one entry per call x time step, in call order, each holding
    the call's MACs / steps; ``None`` when the entries do not add up to the calls."""
    out, j = [], 0
    for m in macs:
        got = sops = 0.0
        steps = 0
        while j < len(entries_macs) and got < m * (1 - 1e-9):
            got += entries_macs[j]
            sops += entries_sops[j]
            j += 1
            steps += 1
        if steps == 0 or abs(got - m) > 1e-6 * max(m, 1.0):
            return None
        out.append((sops, steps))
    return out if j == len(entries_macs) else None


def synapse_calls(layers: Iterable[Mapping], shapes: ShapeRecorder) -> tuple[dict[str, list[SynapseCall]], list[dict]]:
    """``({branch: [SynapseCall, ...]}, unmatched rows)`` for one call of each branch."""
    out: dict[str, list[SynapseCall]] = defaultdict(list)
    unmatched = []
    for row in layers:
        path = "" if row.get("path") == OUTSIDE else str(row.get("path", ""))
        calls = shapes.ops.get((path, row["op"], row["branch"]))
        if not calls:
            unmatched.append({"path": row.get("path"), "op": row["op"], "branch": row["branch"], "macs": row["macs"]})
            continue
        spike_macs, sops = float(row.get("spike_macs") or 0.0), float(row.get("sops") or 0.0)
        entries = row.get("entries") or {}
        split = _split(entries.get("macs") or [], entries.get("sops") or [], [c.macs for c in calls])
        scale = float(row["macs"]) / sum(c.macs for c in calls) if sum(c.macs for c in calls) else 1.0
        for i, c in enumerate(calls):
            if split is not None:
                c_sops, steps = split[i]
                spike = spike_macs > 0 and (spike_macs >= row["macs"] * (1 - 1e-9) or c_sops > 0)
                events = c_sops / c.macs * c.in_numel if (spike and c.macs) else 0.0
            else:   # calls of differing structure across segments: the row's mean count for every call
                spike = spike_macs > 0
                events = sops / spike_macs * c.in_numel if spike else 0.0
                steps = int(row.get("steps") or 1)
            # a branch whose calls repeat unevenly over segments: weigh the first segment's calls to the mean
            out[row["branch"]].append(SynapseCall(
                c.kind, c.macs * scale, c.in_numel, c.out_numel, c.params_numel, c.bias, spike, events * scale,
                steps, c.out_channels, c.out_per_group, c.kernel, c.stride))
    return dict(out), unmatched


def leak_multiplies(module: nn.Module | None, steps: int, numel_step: int) -> float:
    """Multiplications of a neuron layer's leak in one call: none for integrate-and-fire (spikingjelly's
    ``IFNode``), else one per neuron update, as spikingjelly charges its ``LIFNode``
    (analytical_energy.py:506-507), less the steps a neuron class declares leak-free by a class attribute
    ``leak_free_steps`` (SpikeTrack's NI-LIF: 1, ``mem[0] = x[0]``, then ``mem[t] = (mem[t-1] - s[t-1]) *
    alpha_t + x[t]``)."""
    sj = sys.modules.get("spikingjelly.activation_based.neuron")
    if sj is not None and isinstance(module, getattr(sj, "IFNode", ())):
        return 0.0
    free = getattr(type(module), "leak_free_steps", 0) if module is not None else 0
    return float(numel_step * max(steps - (free if isinstance(free, int) else 0), 0))


def neuron_calls(neurons: Iterable[Mapping], shapes: ShapeRecorder, kinds: Mapping, model: nn.Module
                 ) -> tuple[dict[str, list[NeuronCall]], list[dict]]:
    """``({branch: [NeuronCall, ...]}, unmatched rows)`` for one call of each branch."""
    modules = dict(model.named_modules())
    out: dict[str, list[NeuronCall]] = defaultdict(list)
    unmatched = []
    for row in neurons:
        name, branch = row["name"], row["branch"]
        kind = kinds.get(name)
        calls = shapes.outputs.get((name, branch))
        counts = [float(c) for c in (row.get("mean_count") or [])]
        if kind is None or not calls:
            unmatched.append({"name": name, "branch": branch})
            continue
        module = modules.get(name)
        multi = kind.multi_step(module) if module is not None else True
        j = 0
        per_call = []
        for shp in calls:
            s = shp[kind.output_index] if len(shp) > kind.output_index else None
            if not s:
                continue
            steps = int(s[0]) if multi else 1
            numel_step = math.prod(s) // max(steps, 1)
            step_counts = counts[j:j + steps]
            j += steps
            per_call.append((numel_step, steps, step_counts))
        if j != len(counts):   # entries and calls disagree: the layer's mean count on every call
            mean = sum(counts) / len(counts) if counts else 0.0
            per_call = [(n, t, [mean] * t) for n, t, _ in per_call]
        for numel_step, steps, step_counts in per_call:
            out[branch].append(NeuronCall(numel_step, steps, sum(step_counts) * numel_step,
                                          leak_multiplies(module, steps, numel_step)))
    return dict(out), unmatched


__all__ = ["synapse_calls", "neuron_calls", "leak_multiplies"]

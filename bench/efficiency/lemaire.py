"""The memory-aware analytical energy model of Lemaire et al. (ICONIP 2022), fed with this suite's counts.

Lemaire, Cordone, Castagnetti, Novac, Courtois, Miramond, "An analytical estimation of spiking neural
networks energy efficiency", ICONIP 2022 (arXiv:2210.13107): energy = arithmetic operations + the
additions/multiplications that address synapses and neurons + every SRAM read and write of inputs,
weights and membrane potentials, each access costed by the size of the buffer it hits. The formulas
here are the ones spikingjelly 2.0.0 implements in ``activation_based/op_counter/analytical_energy.py``
(``LemaireEnergyProfiler``); line numbers below refer to that file. What differs is only where the
counts come from:

* spikingjelly counts a layer's input events with ``count_nonzero`` of a tensor that must be binary
  (``is_binary_tensor``, :381-382); an integer spike (SpikeTrack's ``round(clamp(x,0,4))/4``) fails that
  test and the whole layer is costed as a dense MAC layer. Here a spike of k is k events (the
  suite's SOP convention), so ``events = mean integer count x input elements``;
* spikingjelly sees ``nn.Linear``/``nn.Conv*`` modules only; here every executed matrix product is
  costed, a product of two activations (attention's ``q @ (k^T v)``) as a linear layer whose second
  operand is the "weight" memory (an extension, named in the report).

Per synaptic call, 32-bit words (:370-471):

* spike input: ``synops = events x fan-out`` with fan-out ``C_out/g x prod(ceil(k/s))`` for a convolution,
  the output features for a linear product; weights read ``events x C_out/g x prod(k)`` (convolution) or
  ``synops`` (linear); input events read from the 1000-message FIFO; membrane potentials read and
  written once per weight read, in a buffer of one time step of the output;
* real input: ``MACs`` multiply-accumulates, every weight read once per MAC, inputs read once per MAC
  (convolution) or once (linear), outputs written when the network has no neurons;
* a bias: one addition and one read per output element.

Per neuron call (:473-513): every membrane potential read and written once per time step; one addition
and one FIFO write per output event; a leaky neuron adds one multiplication per update.

Energy (:692-702): ``ops = AC x E_add + MAC x (E_mul + E_add)``, ``addressing = acc_addr x E_add +
mac_addr x (E_mul + E_add)``, ``memory = sum over accesses of bytes x e(buffer bytes)`` with ``e`` the
piecewise-linear SRAM cost through 8 KB, 32 KB and 1 MB (:106-111, :142-152).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Iterable

#: bytes per word: spikingjelly's Lemaire model prices 32-bit accesses (analytical_energy.py:32)
WORD_BYTES = 4
#: access kinds, as spikingjelly's report names them (analytical_energy.py:328-334)
ACCESS_KINDS = ("read_in_bytes", "write_out_bytes", "read_params_bytes", "read_potential_bytes",
                "write_potential_bytes")
MODEL_NAME = "lemaire2022"
SOURCE = ("Lemaire et al., ICONIP 2022 (arXiv:2210.13107), as implemented by spikingjelly 2.0.0 "
          "op_counter/analytical_energy.py; 45 nm, 32-bit integer operations and SRAM accesses")


@dataclass(frozen=True)
class LemaireCosts:
    """Operation and SRAM-access costs in pJ (spikingjelly's defaults, analytical_energy.py:104-111, 206).

    ``sram``: (buffer bytes, pJ per byte) points of the piecewise-linear access cost: 10, 20 and 100 pJ per
    32-bit access at 8 KB, 32 KB and 1 MB (Horowitz, ISSCC 2014), clamped outside [0, 1 MB].
    """

    e_add_pj: float = 0.1
    e_mul_pj: float = 3.1
    sram: tuple[tuple[float, float], ...] = ((0.0, 0.0), (8.0 * 1024, 10.0 / WORD_BYTES),
                                             (32.0 * 1024, 20.0 / WORD_BYTES), (1024.0 * 1024, 100.0 / WORD_BYTES))
    fifo_elements: int = 1000

    def sram_pj_per_byte(self, capacity_bytes: float) -> float:
        """Energy per byte of one access to a buffer of ``capacity_bytes`` (linear between the points)."""
        pts = self.sram
        x = min(max(capacity_bytes, pts[0][0]), pts[-1][0])
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if x <= x1:
                return y0 + (y1 - y0) / (x1 - x0) * (x - x0)
        return pts[-1][1]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sram"] = [list(p) for p in self.sram]
        return d


@dataclass
class SynapseCall:
    """One call of a synaptic operator (convolution or matrix product), per call of its branch.

    ``macs``: dense weight uses (every multiply-accumulate of the call); ``params_numel``: elements of the
    memory the weights live in (weights + bias for a layer; the second operand for a product of two
    activations); ``events``: integer input events when ``spike_input`` (a spike of k counts k);
    ``steps``: time steps the call covers (membrane buffer = one step of the output).
    """

    kind: str                     # "conv" or "linear"
    macs: float
    in_numel: int
    out_numel: int
    params_numel: int
    bias: bool = False
    spike_input: bool = False
    events: float = 0.0
    steps: int = 1
    out_channels: int = 0         # convolution: C_out, C_out per group, kernel and stride
    out_per_group: int = 0
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()


@dataclass
class NeuronCall:
    """One call of a neuron layer: ``numel_step`` neurons updated for ``steps`` time steps, ``events``
    integer output events, ``leak_muls`` multiplications of the leak."""

    numel_step: int
    steps: int
    events: float
    leak_muls: float = 0.0


@dataclass
class LemaireCounts:
    """The operation counts and memory accesses of some calls (spikingjelly's ``counts`` keys)."""

    synop: float = 0.0
    mac: float = 0.0
    ac: float = 0.0
    acc_addr: float = 0.0
    mac_addr: float = 0.0
    accesses: list[tuple[str, float, float]] = field(default_factory=list)   # (kind, bytes, buffer bytes)

    def record(self, kind: str, nbytes: float, capacity: float) -> None:
        self.accesses.append((kind, nbytes, capacity))

    def extend(self, other: "LemaireCounts") -> "LemaireCounts":
        for k in ("synop", "mac", "ac", "acc_addr", "mac_addr"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.accesses += other.accesses
        return self


def count_synapse(c: SynapseCall, out: LemaireCounts, model_has_neurons: bool, costs: LemaireCosts) -> None:
    """Add one synaptic call's operations and accesses (analytical_energy.py:358-471)."""
    w = WORD_BYTES
    in_bytes, out_bytes = c.in_numel * w, c.out_numel * w
    params_capacity = c.params_numel * w
    bias_bytes = c.out_numel * w if c.bias else 0
    conv = c.kind == "conv"
    if c.spike_input:
        if conv:
            synops = c.events * c.out_per_group * math.prod(-(-k // s) for k, s in zip(c.kernel, c.stride))
            fanout = c.events * c.out_per_group * math.prod(c.kernel)
            out.mac_addr += 2 * c.events          # two multiplications locate a spike's first output
        else:
            # a linear product's fan-out per input element: its MACs over its input elements
            synops = fanout = c.events * (c.macs / c.in_numel if c.in_numel else 0.0)
        out.ac += synops
        out.synop += synops
        out.acc_addr += fanout
        out.record("read_in_bytes", c.events * w, costs.fifo_elements * w)
        out.record("read_params_bytes", fanout * w + bias_bytes, params_capacity)
        # membrane potentials of the next layer: one buffer per time step (integer division as upstream)
        potential_capacity = out_bytes // max(int(c.steps), 1)
        out.record("read_potential_bytes", fanout * w, potential_capacity)
        out.record("write_potential_bytes", fanout * w, potential_capacity)
    else:
        out.mac += c.macs
        out.acc_addr += c.in_numel + c.out_numel + (c.out_channels * math.prod(c.kernel) if conv else 0)
        # a convolution reads an input per MAC from an input-sized buffer; a linear layer reads each once
        out.record("read_in_bytes", c.macs * w if conv else in_bytes, in_bytes)
        out.record("read_params_bytes", c.macs * w + bias_bytes, params_capacity)
        if not model_has_neurons:   # in an SNN the next neuron layer's potential update stores the result
            out.record("write_out_bytes", out_bytes, out_bytes)
    if c.bias:
        out.ac += c.out_numel


def count_neuron(n: NeuronCall, out: LemaireCounts, costs: LemaireCosts) -> None:
    """Add one neuron call's operations and accesses (analytical_energy.py:473-513)."""
    w = WORD_BYTES
    capacity = n.numel_step * w
    out.record("read_potential_bytes", capacity * n.steps, capacity)
    out.record("write_potential_bytes", capacity * n.steps, capacity)
    out.ac += n.events
    out.mac += n.leak_muls
    out.record("write_out_bytes", n.events * w, costs.fifo_elements * w)


def count(synapses: Iterable[SynapseCall], neurons: Iterable[NeuronCall], model_has_neurons: bool,
          costs: LemaireCosts = LemaireCosts()) -> LemaireCounts:
    """The counts of a set of calls (one call of a branch, say)."""
    out = LemaireCounts()
    for s in synapses:
        count_synapse(s, out, model_has_neurons, costs)
    for n in neurons:
        count_neuron(n, out, costs)
    return out


def energy_own(counts: LemaireCounts, costs: LemaireCosts = LemaireCosts()) -> dict:
    """This suite's costing of ``counts``: total and breakdown in pJ, counts, largest buffers."""
    totals = {k: 0.0 for k in ACCESS_KINDS}
    buffers = {"inout_buffer_bytes": 0.0, "params_buffer_bytes": 0.0, "potential_buffer_bytes": 0.0}
    parts = {"inout_pj": 0.0, "params_pj": 0.0, "potential_pj": 0.0}
    for kind, nbytes, capacity in counts.accesses:
        totals[kind] += nbytes
        group = ("inout" if kind in ("read_in_bytes", "write_out_bytes") else
                 "params" if kind == "read_params_bytes" else "potential")
        buffers[f"{group}_buffer_bytes"] = max(buffers[f"{group}_buffer_bytes"], capacity)
        parts[f"{group}_pj"] += nbytes * costs.sram_pj_per_byte(capacity)
    ops = counts.ac * costs.e_add_pj + counts.mac * (costs.e_mul_pj + costs.e_add_pj)
    addressing = counts.acc_addr * costs.e_add_pj + counts.mac_addr * (costs.e_mul_pj + costs.e_add_pj)
    memory = parts["inout_pj"] + parts["params_pj"] + parts["potential_pj"]
    return {"total_pj": ops + addressing + memory,
            "breakdown_pj": {"ops_pj": ops, "addressing_pj": addressing, "memory_pj": memory, **parts},
            "counts": {"synop": counts.synop, "mac": counts.mac, "ac": counts.ac, **totals,
                       "acc_addr": counts.acc_addr, "mac_addr": counts.mac_addr},
            "buffer_sizes_bytes": buffers}


def spikingjelly_version() -> str | None:
    """spikingjelly's version when its Lemaire estimator imports, else ``None``."""
    try:
        from importlib.metadata import version

        from spikingjelly.activation_based.op_counter import analytical_energy  # noqa: F401
        return version("spikingjelly")
    except Exception:   # not installed, or an install without this estimator
        return None


def energy_spikingjelly(counts: LemaireCounts, costs: LemaireCosts = LemaireCosts()) -> dict:
    """spikingjelly's costing of this suite's ``counts``: its ``LemaireEnergyProfiler.get_report`` over a
    counter filled with them (the profiler's module hooks, which would recount integer spikes as dense
    values, are never run). Raises ImportError without spikingjelly."""
    from spikingjelly.activation_based.op_counter.analytical_energy import (LemaireEnergyConfig,
                                                                            LemaireEnergyCostConfig,
                                                                            LemaireEnergyProfiler)

    cfg = LemaireEnergyConfig(strict=False, snn_fifo_capacity_elements=costs.fifo_elements,
                              cost_config=LemaireEnergyCostConfig(
                                  e_add_pj=costs.e_add_pj, e_mul_pj=costs.e_mul_pj,
                                  memory_breakpoints=tuple((float(x), float(y)) for x, y in costs.sram)))
    prof = LemaireEnergyProfiler(config=cfg)
    sj = prof.lemaire_counter
    sj.paper_synop, sj.paper_mac, sj.paper_ac = counts.synop, counts.mac, counts.ac
    sj.paper_acc_addr, sj.paper_mac_addr = counts.acc_addr, counts.mac_addr
    for kind, nbytes, capacity in counts.accesses:
        sj._record(kind, nbytes, capacity)
    rep = prof.get_report()
    return {"total_pj": float(rep.total_pj), "breakdown_pj": {k: float(v) for k, v in rep.breakdown_pj.items()},
            "counts": {k: float(v) for k, v in rep.counts.items()},
            "buffer_sizes_bytes": {k: float(v) for k, v in rep.buffer_sizes_bytes.items()}}


def relative_difference(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def estimate(counts: LemaireCounts, costs: LemaireCosts = LemaireCosts(), implementation: str = "auto") -> dict:
    """Energy of ``counts``: spikingjelly's costing when it is installed (``auto``), this suite's own
    otherwise, and both compared where both ran (``cross_check``)."""
    own = energy_own(counts, costs)
    version = spikingjelly_version() if implementation in ("auto", "spikingjelly") else None
    if version is None:
        if implementation == "spikingjelly":
            from bench.core.errors import ConfigError

            raise ConfigError("energy model lemaire2022: spikingjelly 2.0 is not installed "
                              "(pip install --no-deps spikingjelly==2.0.0)")
        return {**own, "implementation": "bench.efficiency.lemaire (spikingjelly not installed)"}
    sj = energy_spikingjelly(counts, costs)
    return {**sj, "implementation": f"spikingjelly {version} LemaireEnergyProfiler.get_report on this "
                                    f"suite's integer-aware counts",
            "cross_check": {"own_total_pj": own["total_pj"], "spikingjelly_total_pj": sj["total_pj"],
                            "relative_difference": relative_difference(own["total_pj"], sj["total_pj"])}}


__all__ = ["LemaireCosts", "SynapseCall", "NeuronCall", "LemaireCounts", "count", "count_synapse", "count_neuron",
           "energy_own", "energy_spikingjelly", "estimate", "spikingjelly_version", "MODEL_NAME", "SOURCE",
           "WORD_BYTES"]

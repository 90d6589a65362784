"""Theoretical energy of a network from its MACs and synaptic operations, with the convention named.

Base convention (``"mac-for-real-input, ac-for-spike-input"``): an operator whose input is real-valued
(the encoding layer: the stem convolution on pixels) costs ``E_MAC`` per MAC; an operator fed by spikes
costs ``E_AC`` per synaptic operation, SOP = sum over time steps of MACs/step x mean integer spike count
(bench.efficiency.counter). This is the spike-driven-transformer convention; in SpikeTrack the stem is
the only real-valued MAC layer, so it coincides with "first layer MAC, every other layer AC".

Literature variants replace the exact SOPs by ``MACs x SFR`` with optional extra factors, so a paper's
number can be reproduced from the same firing rates (see docs/efficiency.md):

    E_AC part = E_AC x sum_l M_l x s_l x (T_l if extra_T) x (D if extra_D)

``M_l`` = the layer's MACs per frame summed over its time steps (``macs_base='total'``, what FLOP
counters print) or per time step (``'per_step'``); ``s_l`` = the MAC-weighted mean firing of its input
as the integer count in [0, D] (``rate_unit='count'``, the SpikeTrack hook's unit) or normalised to
[0, 1] (``'rate'`` = count / D).

Units: the suite's firing rate is the mean integer count per neuron and time step (0..D, a spike of k
counts k); D is applied once, inside that count. The ``macs*sfr*T*D`` variant multiplies a count by D
again: it exists only to reproduce a published figure that did so, is flagged ``applies_D_twice``, and
is never the quoted figure. Memory-aware and device models: :mod:`bench.efficiency.energy_models`.

Constants (Horowitz, ISSCC 2014, 45 nm), in pJ: FP32 MAC 4.6 / AC 0.9, FP16 1.5 / 0.4, INT8 0.23 / 0.03.
The optional memory term charges ``e_mem`` pJ per byte for every weight and activation element an
operator reads or writes (once per call) -- a crude upper-level model, off by default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

from bench.core.errors import ConfigError


@dataclass(frozen=True)
class EnergyConstants:
    """Energy per operation in picojoules."""

    name: str
    e_mac: float
    e_ac: float
    bytes_per_element: int = 4
    e_mem_per_byte: float = 1.25   # 45 nm 8 KB SRAM: ~10 pJ per 64-bit read (Horowitz 2014)
    source: str = "Horowitz, ISSCC 2014, 45 nm"

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, EnergyConstants] = {
    "fp32": EnergyConstants("fp32", 4.6, 0.9, 4),
    "fp16": EnergyConstants("fp16", 1.5, 0.4, 2),
    "int8": EnergyConstants("int8", 0.23, 0.03, 1),
}


def constants(preset: str = "fp32", e_mac: float | None = None, e_ac: float | None = None,
              e_mem_per_byte: float | None = None) -> EnergyConstants:
    """A preset, optionally with user-defined values (the name then says ``custom``)."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown energy preset {preset!r}; known: {', '.join(PRESETS)}")
    base = PRESETS[preset]
    if e_mac is None and e_ac is None and e_mem_per_byte is None:
        return base
    for label, v in (("e_mac", e_mac), ("e_ac", e_ac), ("e_mem_per_byte", e_mem_per_byte)):
        if v is not None and not v >= 0:
            raise ConfigError(f"energy constant {label} must be a non-negative number of pJ, got {v}")
    return EnergyConstants(f"custom({preset})", base.e_mac if e_mac is None else float(e_mac),
                           base.e_ac if e_ac is None else float(e_ac), base.bytes_per_element,
                           base.e_mem_per_byte if e_mem_per_byte is None else float(e_mem_per_byte),
                           source="user-defined" if (e_mac is not None or e_ac is not None) else base.source)


@dataclass(frozen=True)
class Variant:
    """How the AC part is computed: exact SOPs, or MACs x SFR with optional extra T / D factors."""

    exact: bool = True
    rate_unit: str = "count"        # 'count' (0..D) or 'rate' (count / D)
    macs_base: str = "total"        # 'total' (all time steps) or 'per_step'
    extra_T: bool = False
    extra_D: bool = False

    @property
    def applies_D_twice(self) -> bool:
        """A count-unit rate (already 0..D) multiplied by D again."""
        return not self.exact and self.rate_unit == "count" and self.extra_D

    @property
    def applies_T_twice(self) -> bool:
        """MACs over all steps multiplied by T again (equal to the exact figure only when T = 1)."""
        return not self.exact and self.macs_base == "total" and self.extra_T

    def describe(self) -> str:
        if self.exact:
            return "E_MAC*MACs[real input] + E_AC*SOPs, SOP = sum_t MACs_t*count_t"
        m = "MACs" if self.macs_base == "total" else "MACs_per_step"
        s = "SFR[count 0..D]" if self.rate_unit == "count" else "SFR[rate 0..1]"
        extra = ("*T" if self.extra_T else "") + ("*D" if self.extra_D else "")
        warn = (" [applies D twice: reproduces a paper's misreading, never one of this suite's figures]"
                if self.applies_D_twice else
                " [applies T twice when T > 1: reproduces a paper's misreading]" if self.applies_T_twice else "")
        return f"E_MAC*MACs[real input] + E_AC*sum_l {m}*{s}{extra}{warn}"


EXACT = Variant()
#: named variants found in the SNN tracking literature
VARIANTS: dict[str, Variant] = {
    "exact": EXACT,
    "macs*sfr": Variant(exact=False),
    "macs*rate*T": Variant(exact=False, rate_unit="rate", macs_base="per_step", extra_T=True),
    "macs*rate*T*D": Variant(exact=False, rate_unit="rate", macs_base="per_step", extra_T=True, extra_D=True),
    "macs*sfr*T*D": Variant(exact=False, rate_unit="count", macs_base="per_step", extra_T=True, extra_D=True),
    "macs*sfr*T": Variant(exact=False, rate_unit="count", macs_base="total", extra_T=True),
}


def layer_energy_pj(layer: Mapping, c: EnergyConstants, variant: Variant = EXACT, spike_scale: int = 1,
                    memory: bool = False) -> float:
    """Energy (pJ per frame) of one row of the layer table (keys: macs, spike_macs, sops, steps,
    weight_numel, io_numel)."""
    macs = float(layer["macs"])
    spike_macs = float(layer.get("spike_macs", 0.0))
    e = c.e_mac * (macs - spike_macs)
    if spike_macs:
        if variant.exact:
            e += c.e_ac * float(layer["sops"])
        else:
            count = float(layer["sops"]) / spike_macs
            s = count if variant.rate_unit == "count" else count / spike_scale
            T = max(int(layer.get("steps", 1)), 1)
            m = spike_macs if variant.macs_base == "total" else spike_macs / T
            e += c.e_ac * m * s * (T if variant.extra_T else 1) * (spike_scale if variant.extra_D else 1)
    if memory:
        e += c.e_mem_per_byte * c.bytes_per_element * (float(layer.get("weight_numel", 0))
                                                        + float(layer.get("io_numel", 0)))
    return e


def energy_pj(layers: Iterable[Mapping], c: EnergyConstants, variant: Variant = EXACT, spike_scale: int = 1,
              memory: bool = False) -> float:
    return sum(layer_energy_pj(row, c, variant, spike_scale, memory) for row in layers)


def energy_report(branches: Mapping[str, list[Mapping]], c: EnergyConstants, spike_scale: int,
                  template_per_frame: float | None = None, update_interval: int | None = None,
                  template_branch: str = "template", memory: bool = False,
                  variants: Iterable[str] = tuple(VARIANTS)) -> dict:
    """Energy per branch (mJ), the template branch amortised, under every requested variant.

    ``branches``: ``{branch: layer rows}`` with rows *per call of that branch* (per frame for the
    search branch, per update for the template branch). ``template_per_frame``: template-branch calls
    per tracked frame measured in the run ((init + updates) / frames); ``update_interval``: the
    tracker's nominal interval (amortisation ``1/interval``), when it has one.
    """
    out = {"constants": c.to_dict(), "unit": "mJ", "memory_term": memory, "spike_scale": spike_scale,
           "template_branch": template_branch, "variants": {}}
    for name in variants:
        v = VARIANTS[name]
        per_branch = {b: energy_pj(rows, c, v, spike_scale, memory) * 1e-9 for b, rows in branches.items()}
        per_frame = sum(e for b, e in per_branch.items() if b != template_branch)
        tmpl = per_branch.get(template_branch, 0.0)
        res = {"convention": v.describe(), "model": c.name, "applies_D_twice": v.applies_D_twice,
               "per_branch_mJ": per_branch, "per_frame_excluding_template_mJ": per_frame}
        if template_branch in per_branch:
            res["template_per_update_mJ"] = tmpl
            if template_per_frame is not None:
                res["template_amortised_measured_mJ"] = tmpl * template_per_frame
                res["per_frame_amortised_measured_mJ"] = per_frame + tmpl * template_per_frame
            if update_interval:
                res["template_amortised_nominal_mJ"] = tmpl / update_interval
                res["per_frame_amortised_nominal_mJ"] = per_frame + tmpl / update_interval
        out["variants"][name] = res
    return out


__all__ = ["EnergyConstants", "PRESETS", "constants", "Variant", "VARIANTS", "EXACT", "layer_energy_pj",
           "energy_pj", "energy_report"]

"""Every energy model the suite knows, each figure under its model's name, and the per-frame amortisation.

Models (``MODELS``; ``bench profile --energy-model NAME`` picks the one quoted first, ``profile.json``
holds them all):

* ``fp32``, ``fp16``, ``int8`` -- compute only (Horowitz, ISSCC 2014, 45 nm): ``E_MAC x MACs[real input]
  + E_AC x SOPs`` (:mod:`bench.efficiency.energy`'s exact convention); memory traffic ignored;
* ``lemaire2022`` -- memory-aware (:mod:`bench.efficiency.lemaire`): operations, addressing, and SRAM
  reads/writes of inputs, weights and membrane potentials costed by buffer size;
* ``loihi`` -- device constants of Intel Loihi (Davies et al., IEEE Micro 38(1), 2018, Table 2;
  pre-silicon figures): 23.6 pJ per synaptic spike operation (its minimum), 81 pJ per active neuron
  update, 1.7 pJ per spike within a tile (no inter-tile hops, which depend on placement); the
  real-valued encoding layer cannot run on the chip and is charged off-chip at ``fp32``'s 4.6 pJ per MAC.
  Only spiking trackers have figures under it.

Every model gives energy per call of each branch; a tracked frame costs

    E_frame = E_search + E_template x (template encodings / tracked frames)

with the rate measured in the profiled frames or, once ``bench run`` has logged the run's template
updates (``<seq>_stats.json``), over the whole run (:mod:`bench.efficiency.amortise`). Both parts are stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from bench.efficiency import lemaire
from bench.efficiency.energy import EXACT, PRESETS, EnergyConstants, energy_pj

TEMPLATE = "template"


@dataclass(frozen=True)
class EnergyModel:
    """An energy model: its name (quoted beside every figure), kind, constants and their source."""

    name: str
    kind: str                       # "compute-only", "memory-aware" or "device"
    convention: str
    source: str
    constants: Mapping[str, Any] = field(default_factory=dict)
    spiking_only: bool = False

    def describe(self) -> dict:
        return {"model": self.name, "kind": self.kind, "convention": self.convention, "source": self.source,
                "constants": dict(self.constants)}


def compute_model(c: EnergyConstants) -> EnergyModel:
    return EnergyModel(c.name, "compute-only", "E_MAC x MACs[real-valued input] + E_AC x SOPs "
                       "(SOP = sum over steps of MACs per step x mean integer spike count); memory ignored",
                       c.source, {"e_mac_pj": c.e_mac, "e_ac_pj": c.e_ac})


LOIHI = EnergyModel(
    "loihi", "device",
    "E_synop x SOPs + E_neuron x neuron updates + E_spike x output spikes (a spike of k = k events) "
    "+ 4.6 pJ x MACs of real-valued-input layers (the encoding layer runs off-chip, fp32 45 nm)",
    "Davies et al., Loihi: a neuromorphic manycore processor with on-chip learning, IEEE Micro 38(1), 2018, "
    "Table 2 (pre-silicon SDF/SPICE figures at 0.75 V): synaptic spike op 23.6 pJ (min), neuron update "
    "81 pJ active / 52 pJ inactive, within-tile spike 1.7 pJ; encoding MACs: Horowitz, ISSCC 2014",
    {"e_synop_pj": 23.6, "e_neuron_update_pj": 81.0, "e_spike_pj": 1.7, "e_mac_offchip_pj": 4.6},
    spiking_only=True)

LEMAIRE = EnergyModel(
    lemaire.MODEL_NAME, "memory-aware",
    "ops (AC x E_add + MAC x (E_mul + E_add)) + addressing + SRAM reads/writes of inputs, weights and "
    "membrane potentials, each costed by its buffer size; input events = integer spike counts",
    lemaire.SOURCE, lemaire.LemaireCosts().to_dict())

#: the models every profile evaluates, in the order they are shown
MODELS: dict[str, EnergyModel] = {**{n: compute_model(c) for n, c in PRESETS.items()},
                                  LEMAIRE.name: LEMAIRE, LOIHI.name: LOIHI}


def model_names(custom: EnergyConstants | None = None) -> list[str]:
    """The names a profile holds (a user-defined compute model first when given)."""
    return ([custom.name] if custom is not None and custom.name not in MODELS else []) + list(MODELS)


def check_model(name: str, custom: EnergyConstants | None = None) -> str:
    """``name`` when it is a known model, else a ConfigError naming the known ones."""
    from bench.core.errors import ConfigError

    names = model_names(custom)
    if name not in names:
        raise ConfigError(f"--energy-model {name!r}: unknown energy model; known: {', '.join(names)}")
    return name


def template_rate(doc: Mapping) -> dict:
    """Template encodings per tracked frame in the profiled frames (the counter's template calls)."""
    calls = ((doc.get("branches") or {}).get(TEMPLATE) or {}).get("calls", 0) or 0
    frames = (doc.get("frames") or {}).get("track", 0) or 0
    return {"value": calls / frames if frames else None, "template_encodings": calls, "tracked_frames": frames,
            "source": "profiled frames (template branch calls: initialisations + updates)"}


def amortise(per_branch_mj: Mapping[str, float | None], rate: float | None) -> dict:
    """Per-frame energy from per-call branch energies: every non-template branch once, the template
    branch ``rate`` times; both parts kept."""
    if any(v is None for v in per_branch_mj.values()):
        return {"search_mJ": None, "template_per_update_mJ": None, "template_amortised_mJ": None,
                "per_frame_mJ": None}
    search = sum(v for b, v in per_branch_mj.items() if b != TEMPLATE)
    tmpl = per_branch_mj.get(TEMPLATE)
    part = tmpl * rate if (tmpl is not None and rate is not None) else (0.0 if tmpl is None else None)
    return {"search_mJ": search, "template_per_update_mJ": tmpl, "template_amortised_mJ": part,
            "per_frame_mJ": None if part is None else search + part}


def _rows_by_branch(layers) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in layers:
        out.setdefault(r["branch"], []).append(r)
    return out


def _loihi(rows: list, neurons: list) -> float:
    c = LOIHI.constants
    real = sum(float(r["macs"]) - float(r.get("spike_macs") or 0.0) for r in rows)
    sops = sum(float(r.get("sops") or 0.0) for r in rows)
    updates = sum(n.numel_step * n.steps for n in neurons)
    spikes = sum(n.events for n in neurons)
    return (c["e_mac_offchip_pj"] * real + c["e_synop_pj"] * sops + c["e_neuron_update_pj"] * updates
            + c["e_spike_pj"] * spikes)


def evaluate(doc: Mapping, synapses: Mapping[str, list], neurons: Mapping[str, list], model_has_neurons: bool,
             custom: EnergyConstants | None = None, unmatched: Mapping[str, list] | None = None,
             rate: Mapping | None = None) -> dict:
    """Every model's energy per call of each branch and per tracked frame.

    ``doc``: the profile so far (``layers``, ``spike_scale``, ``branches``, ``frames``, ``spiking``);
    ``synapses``/``neurons``: :mod:`bench.efficiency.calls`' per-branch calls (for the memory-aware and
    device models).
    """
    rows = _rows_by_branch(doc.get("layers") or [])
    branches = list(rows)
    rate = dict(rate or template_rate(doc))
    scale = int(doc.get("spike_scale") or 1)
    spiking = bool(doc.get("spiking")) or model_has_neurons
    models: dict[str, dict] = {}
    compute = [c for c in ([custom] if custom is not None else []) + list(PRESETS.values())]
    seen = set()
    for c in compute:
        if c.name in seen:
            continue
        seen.add(c.name)
        per_branch = {b: energy_pj(rows[b], c, EXACT, scale) * 1e-9 for b in branches}
        models[c.name] = {**compute_model(c).describe(), "per_branch_mJ": per_branch,
                          **amortise(per_branch, rate["value"])}
    lem_branch, details = {}, {}
    for b in branches:
        counts = lemaire.count(synapses.get(b, []), neurons.get(b, []), model_has_neurons)
        est = lemaire.estimate(counts)
        lem_branch[b] = est["total_pj"] * 1e-9
        details[b] = est
    first = next(iter(details.values()), {})
    models[LEMAIRE.name] = {
        **LEMAIRE.describe(), "per_branch_mJ": lem_branch, **amortise(lem_branch, rate["value"]),
        "implementation": first.get("implementation"),
        "cross_check": {b: d["cross_check"] for b, d in details.items() if "cross_check" in d} or None,
        "breakdown_per_branch_pJ": {b: d["breakdown_pj"] for b, d in details.items()},
        "counts_per_branch": {b: d["counts"] for b, d in details.items()},
        "buffer_sizes_bytes": {b: d["buffer_sizes_bytes"] for b, d in details.items()},
        "not_costed": dict(unmatched or {}),
    }
    if spiking:
        per = {b: _loihi(rows[b], neurons.get(b, [])) * 1e-9 for b in branches}
        models[LOIHI.name] = {**LOIHI.describe(), "per_branch_mJ": per, **amortise(per, rate["value"])}
    else:
        models[LOIHI.name] = {**LOIHI.describe(), "applicable": False,
                              "reason": "not a spiking tracker: a neuromorphic chip has no figure for it",
                              "per_branch_mJ": None, "search_mJ": None, "template_per_update_mJ": None,
                              "template_amortised_mJ": None, "per_frame_mJ": None}
    return {"unit": "mJ", "template_rate": rate, "models": models,
            "formula": "per_frame_mJ = search_mJ + template_per_update_mJ x template_rate"}


def reamortise(block: dict, rate: Mapping) -> dict:
    """The same models with another template rate (e.g. the whole run's logged updates)."""
    out = {**block, "template_rate": dict(rate), "models": {}}
    for name, m in block.get("models", {}).items():
        per = m.get("per_branch_mJ")
        out["models"][name] = {**m, **(amortise(per, rate.get("value")) if per is not None else {})}
    return out


def headline(block: Mapping, name: str) -> dict:
    """``{"model", "per_frame_mJ", "search_mJ", "template_amortised_mJ"}`` of one model."""
    m = (block.get("models") or {}).get(name) or {}
    return {"model": name, **{k: m.get(k) for k in ("per_frame_mJ", "search_mJ", "template_amortised_mJ",
                                                   "template_per_update_mJ")}}


__all__ = ["EnergyModel", "MODELS", "LOIHI", "LEMAIRE", "compute_model", "model_names", "check_model",
           "template_rate", "amortise", "evaluate", "reamortise", "headline"]

"""Energy models and NeuroBench's metric set for a profile: what :mod:`bench.efficiency.profile` adds.

While the profile's frames run, :class:`EnergyAccounting` records the structure of the first frame of
each kind (:class:`~bench.efficiency.shapes.ShapeRecorder`) and the non-zero outputs of every neuron on
every frame (:class:`~bench.efficiency.sparsity.ActivationRecorder`); :meth:`EnergyAccounting.finish`
joins them with the counter's tables into ``profile.json``'s ``energy_models`` (every model of
:mod:`bench.efficiency.energy_models`, per branch and amortised per frame), ``neurobench``
(:mod:`bench.efficiency.neurobench`) and ``rate_convention`` (what each firing-rate figure means).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

from torch import nn

from bench.efficiency.calls import neuron_calls, synapse_calls
from bench.efficiency.energy import EnergyConstants
from bench.efficiency.energy_models import check_model, evaluate, reamortise
from bench.efficiency.neurobench import metric_set
from bench.efficiency.neurobench import reamortise as reamortise_synops
from bench.efficiency.shapes import ShapeRecorder
from bench.efficiency.sparsity import ActivationRecorder

#: what each firing-rate figure of a profile means; D is applied once, in the mean integer count
RATE_CONVENTION = {
    "mean_count": "mean integer spike count per neuron and time step, 0..D (SpikeTrack's official hook: "
                  "mean(output) x 4); a spike of k counts k. SOPs = MACs per step x this, summed over steps",
    "nonzero_fraction": "binary-equivalent rate: fraction of neuron outputs per time step with at least one "
                        "spike (what binary-spike tools and NeuroBench count; 1 - activation sparsity)",
    "normalised_rate": "mean_count / D, in [0, 1]; never multiplied by D again",
}


class EnergyAccounting:
    """Records what the energy models and NeuroBench's metrics need, frame by frame, for ``counter``'s
    model (an :class:`~bench.efficiency.counter.EfficiencyCounter`)."""

    def __init__(self, model: nn.Module, counter: Any):
        self.model = model
        self.counter = counter
        branch_of = getattr(counter, "branch_of", None)
        # a labelled template branch (SpikeTrack's model.branch): a template update re-runs the branch
        self.updates_encode = branch_of is not None
        self.shapes = ShapeRecorder(model, branch_of)
        self.activity = ActivationRecorder(model, lambda: getattr(counter, "kinds", {}) or {}, branch_of)

    @contextlib.contextmanager
    def frame(self, kind: str, first: bool) -> Iterator["EnergyAccounting"]:
        """Watch one frame; ``first``: the first of its kind (its structure is recorded)."""
        with self.shapes.frame(kind, capture=first), self.activity.frame(kind, discover=first):
            yield self

    def detach(self) -> None:
        self.activity.detach()

    def finish(self, doc: Mapping, energy_model: str | None = None, custom: EnergyConstants | None = None
               ) -> dict[str, Any]:
        """``{"energy_models", "neurobench", "rate_convention"}`` for a profile whose tables are ``doc``.
        ``custom``: user-defined compute constants (a model of their own name); ``energy_model``: the model
        quoted first (default: the custom one, else ``fp32``)."""
        kinds = getattr(self.counter, "kinds", {}) or {}
        syn, syn_missing = synapse_calls(doc.get("layers") or [], self.shapes)
        neu, neu_missing = neuron_calls(doc.get("neurons") or [], self.shapes, kinds, self.model)
        block = evaluate(doc, syn, neu, bool(kinds), custom,
                         unmatched={"operators": syn_missing, "neurons": neu_missing})
        block["headline"] = check_model(energy_model or (custom.name if custom is not None else "fp32"), custom)
        block["template_updates_encode"] = self.updates_encode
        nb = metric_set(doc, self.model, self.activity, block["template_rate"]["value"])
        return {"energy_models": block, "neurobench": nb, "rate_convention": RATE_CONVENTION}


def apply_run_rate(doc: dict, rate: Mapping | None) -> dict:
    """Re-amortise a profile's per-frame energy and synaptic operations with ``rate`` (template encodings
    per tracked frame over a whole run, :func:`bench.efficiency.amortise.run_template_rate`); the profiled
    frames' own rate stays under ``template_rate_profiled``."""
    block = doc.get("energy_models")
    if not block or not rate or rate.get("value") is None:
        return doc
    profiled = block.get("template_rate")
    doc["energy_models"] = {**reamortise(block, rate), "template_rate_profiled": profiled}
    if isinstance(doc.get("neurobench"), dict) and "per_branch" in doc["neurobench"]:
        doc["neurobench"] = reamortise_synops(doc["neurobench"], rate["value"])
    return doc


def amortise_over_run(doc: dict, results: Any) -> dict:
    """When the results store holds a ``bench run`` of the same tracker on the same dataset, amortise the
    template branch over that run's logged template updates (:func:`apply_run_rate`)."""
    from bench.efficiency.amortise import run_template_rate
    from bench.results import ResultsStore

    block = doc.get("energy_models")
    if not block or not doc.get("tracker") or not doc.get("dataset"):
        return doc
    folder = ResultsStore(results).run(doc["tracker"], doc["dataset"]).path
    rate = run_template_rate(folder, bool(block.get("template_updates_encode", True)))
    return apply_run_rate(doc, rate)


def format_lines(doc: Mapping) -> list[str]:
    """Console lines: every model's energy per frame (both parts), NeuroBench's set, the rate units."""
    block = doc.get("energy_models")
    lines: list[str] = []
    if doc.get("random_weights"):
        lines.append("  RANDOM WEIGHTS (no checkpoint): parameters, MACs, footprint and latency are valid; "
                     "firing rates, SOPs, sparsity and energy are NOT")
    if block:
        rate = block.get("template_rate") or {}
        r = rate.get("value")
        lines.append(f"  energy per tracked frame by model = search + template x {'-' if r is None else f'{r:.4g}'} "
                     f"template encodings per frame ({rate.get('source', '')}):")
        for name, m in block.get("models", {}).items():
            star = "*" if name == block.get("headline") else " "
            if m.get("per_frame_mJ") is None:
                lines.append(f"    {star}{name:<14} -  ({m.get('reason', 'no figure')})")
                continue
            t = m.get("template_amortised_mJ") or 0.0
            extra = ""
            if m.get("cross_check"):
                worst = max(v["relative_difference"] for v in m["cross_check"].values())
                extra = f"  [{m.get('implementation', '').split(' on ')[0]}; own implementation rel. diff {worst:.1e}]"
            lines.append(f"    {star}{name:<14} {m['per_frame_mJ']:9.4f} mJ = {m['search_mJ']:.4f} search + "
                         f"{t:.4f} template ({m['kind']}){extra}")
        lines.append(f"    (* quoted model: {block.get('headline')}; every model in profile.json['energy_models'])")
    nb = doc.get("neurobench")
    if nb and nb.get("footprint") is not None:
        def f(v, fmt):
            return "-" if v is None else format(v, fmt)
        lines.append(f"  NeuroBench per frame: footprint {nb['footprint']:,} B, connection sparsity "
                     f"{f(nb.get('connection_sparsity'), '.4f')}, activation sparsity "
                     f"{f(nb.get('activation_sparsity'), '.4f')}, dense {f(nb.get('dense'), '.4g')}, "
                     f"effective_macs {f(nb.get('effective_macs'), '.4g')}, effective_acs "
                     f"{f(nb.get('effective_acs'), '.4g')}")
    if doc.get("rate_convention") and doc.get("neurons"):
        lines.append("  firing rates: 'mean_count' = mean integer spike count per neuron and step (0..D); "
                     "'nonzero_fraction' = binary-equivalent rate")
    return lines


__all__ = ["EnergyAccounting", "RATE_CONVENTION", "apply_run_rate", "format_lines"]

"""The one energy figure per tracked frame a profile quotes, chosen once and written into ``profile.json``.

``bench profile`` stores every energy model and convention; reports and leaderboards need one number per
tracker. :func:`headline` picks it by the rule below and :func:`bench.efficiency.profile.write_profile`
stores the choice as the document's ``"headline"`` block, so every reader quotes the same figure without
knowing the rule. Files written before the block existed are read by applying :func:`headline` to them.

The rule: the energy model ``bench profile`` quoted (``energy_models.headline``, ``--energy-model``),
amortised by its template rate (template encodings per tracked frame, from the profiled frames or the
run's log); in documents without energy models, the base convention's (:data:`VARIANT`) figure amortised
over the template calls *measured* in the profiled run (:data:`MEASURED`, what ``format_profile`` prints
first), else over the nominal update interval (:data:`NOMINAL`), else, for a model without a template
branch, the whole per-frame cost (:data:`NO_TEMPLATE`).

No torch here: readers import this without the counting engine.
"""
from __future__ import annotations

from typing import Any, Mapping

from bench.core.io import json_number

#: the energy convention of ``energy.variants`` quoted (bench.efficiency.energy's variant names)
VARIANT = "exact"
MEASURED = "per_frame_amortised_measured_mJ"
NOMINAL = "per_frame_amortised_nominal_mJ"
NO_TEMPLATE = "per_frame_excluding_template_mJ"



def variant_energy(energy: Mapping | None, source: str = "profile.json") -> tuple[str | None, float | None]:
    """``(key, mJ per frame)`` of the ``energy`` block under :data:`VARIANT` by the module's rule;
    ``(None, None)`` when it gives no per-frame figure."""
    energy = energy or {}
    var = (energy.get("variants") or {}).get(VARIANT) or {}
    tmpl = energy.get("template_branch", "template")
    has_template = "template_per_update_mJ" in var or tmpl in (var.get("per_branch_mJ") or {})
    for key in (MEASURED, NOMINAL) + (() if has_template else (NO_TEMPLATE,)):
        if var.get(key) is not None:
            return key, json_number(var[key], source, f"energy.variants.{VARIANT}.{key}")
    return None, None


def models_energy(doc: Mapping, source: str = "profile.json") -> dict[str, float | None]:
    """``energy_models.models[name].per_frame_mJ`` by model name (every model the profile holds)."""
    block = doc.get("energy_models")
    models = block.get("models") if isinstance(block, dict) else None
    if not isinstance(models, dict):
        return {}
    return {str(name): json_number(m.get("per_frame_mJ"), source, f"energy_models.models.{name}.per_frame_mJ")
            for name, m in models.items() if isinstance(m, dict)}


def headline(doc: Mapping, source: str = "profile.json") -> dict[str, Any]:
    """The ``"headline"`` block of a ``bench profile`` document: ``energy_mJ`` (per tracked frame),
    ``figure`` (the key it was read from), ``model``, ``convention``, ``source``, and ``template_rate``
    (template-branch calls per tracked frame that weigh the template branch in every per-frame figure,
    energy, MACs and SOPs alike) with ``template_rule`` saying where that rate comes from; ``by_model``:
    every energy model's figure per tracked frame."""
    energy_doc = doc.get("energy") or {}
    var = (energy_doc.get("variants") or {}).get(VARIANT) or {}
    figure, energy = variant_energy(energy_doc, source)
    consts = energy_doc.get("constants") or {}
    model, convention, model_source = consts.get("name", "fp32"), var.get("convention", ""), ""
    models_doc = doc.get("energy_models") if isinstance(doc.get("energy_models"), dict) else {}
    by_model = models_energy(doc, source)
    head = models_doc.get("headline")
    if by_model.get(head) is not None:
        m = models_doc["models"][head]
        figure, energy, model = f"energy_models.models.{head}.per_frame_mJ", by_model[head], head
        convention, model_source = m.get("convention", convention), m.get("source", "")
    rate_doc = models_doc.get("template_rate") if isinstance(models_doc.get("template_rate"), dict) else {}
    rate = json_number(rate_doc.get("value"), source, "energy_models.template_rate.value")
    measured = json_number(doc.get("template_calls_per_frame"), source, "template_calls_per_frame")
    interval = doc.get("update_interval")
    if by_model and rate is not None:
        share, rule = rate, (f"amortised: {rate:.4g} template encodings per tracked frame "
                             f"({rate_doc.get('source', 'profiled frames')})")
    elif measured is not None and figure != NOMINAL:
        share, rule = measured, f"amortised over the profiled run: {measured:.4g} template calls per tracked frame"
    elif interval:
        share, rule = 1.0 / interval, f"amortised over the update interval ({interval} frames)"
    else:
        share, rule = 0.0, "computed once at initialisation (not per frame)"
    return {"energy_mJ": energy, "figure": figure, "model": model, "convention": convention,
            "source": model_source, "variant": VARIANT, "template_rate": share, "template_rule": rule,
            "by_model": by_model}


__all__ = ["MEASURED", "NOMINAL", "NO_TEMPLATE", "VARIANT", "headline", "models_energy", "variant_energy"]

"""The efficiency-metric registry, and how a profile computes and stores every registered metric.

A metric is a function ``(profile: ProfileView) -> float | dict | None`` registered with
:func:`register_efficiency_metric`. It returns a number; or a dict with a ``"value"`` key, whose other keys
are stored beside it as ``details``; or ``None`` (or raises :class:`NotApplicable` with a one-line reason)
where it does not apply to the profiled tracker. :func:`compute_metrics` runs every registered metric
once and gives ``profile.json["metrics"]``::

    {name: {"value", "unit", "label", "description", "weight_dependent", "higher_is_better"
            [, "reason"][, "details"]}}

Readers (``bench profile``'s console, the reports) show that block generically: a metric is one file.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Mapping

from bench.core.registry import Registry
from bench.efficiency.metrics.view import NotApplicable, ProfileView

#: metric name -> ``(ProfileView) -> float | dict | None``. meta: ``unit``, ``label``, ``description``,
#: ``weight_dependent`` (meaningless with random weights: reports leave it out), ``higher_is_better``,
#: ``needs_model`` (reads ``ProfileView.model``: computed only while the profiler holds the model).
#: Plugins: entry-point group ``bench.efficiency_metrics`` (a factory may carry ``bench_meta``).
EFFICIENCY_METRICS = Registry("efficiency_metric")

Metric = Callable[[ProfileView], "float | dict | None"]


def register_efficiency_metric(name: str, *, unit: str, label: str, weight_dependent: bool,
                               higher_is_better: bool, description: str = "", needs_model: bool = False,
                               source: str = "") -> Callable[[Metric], Metric]:
    """Decorator registering an efficiency metric under ``name`` (the key in ``profile.json["metrics"]``).

    ``unit``: shown in headers (``""`` for a plain ratio); ``label``: the column title; ``description``:
    its definition (default: the function's first docstring line); ``source``: the citation."""
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"efficiency metric {name}: label must be a non-empty string")
    if not isinstance(unit, str):
        raise ValueError(f"efficiency metric {name}: unit must be a string ('' for a plain ratio)")
    meta = {"unit": unit, "label": label, "weight_dependent": bool(weight_dependent),
            "higher_is_better": bool(higher_is_better), "needs_model": bool(needs_model)}
    if description:
        meta["description"] = description
    if source:
        meta["source"] = source
    return EFFICIENCY_METRICS.register(name, **meta)


def _one_line(e: BaseException) -> str:
    msg = " ".join(str(e).split())[:200]
    return msg if isinstance(e, NotApplicable) else f"{type(e).__name__}: {msg}"


def _number(v: Any) -> tuple[float | int | None, str | None]:
    """A JSON number (numpy and 0-d torch scalars converted), or ``(None, reason)``."""
    if not isinstance(v, numbers.Real) and callable(getattr(v, "item", None)):
        try:
            v = v.item()
        except (ValueError, RuntimeError):   # more than one element
            pass
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None, f"returned a {type(v).__name__}, not a number"
    v = int(v) if isinstance(v, numbers.Integral) else float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None, f"returned {v}"
    return v, None


def evaluate_metric(name: str, view: ProfileView) -> dict[str, Any]:
    """One metric's ``profile.json["metrics"]`` entry on ``view``; never raises for the metric's own errors."""
    entry = EFFICIENCY_METRICS.get(name)
    meta = entry.meta
    out: dict[str, Any] = {"value": None, "unit": str(meta.get("unit", "")),
                           "label": str(meta.get("label") or entry.name), "description": entry.description,
                           # a plugin that does not say is assumed weight-dependent: never shown for random weights
                           "weight_dependent": bool(meta.get("weight_dependent", True)),
                           "higher_is_better": meta.get("higher_is_better")}
    if meta.get("source"):
        out["source"] = meta["source"]
    try:
        if meta.get("needs_model") and view.model is None:
            raise NotApplicable("needs the tracker's torch model, which this profile has not (re-profile it)")
        result = entry.factory(view)
    except Exception as e:   # any error of a metric's code: a null value with its reason, not a failed profile
        out["reason"] = _one_line(e)
        return out
    details = None
    if isinstance(result, Mapping):
        if "value" not in result:
            out["reason"] = "returned a dict without a 'value' key"
            return out
        details = {k: v for k, v in result.items() if k != "value"}
        result = result["value"]
    if result is None:
        out["reason"] = "does not apply to this profile (returned None)"
    else:
        out["value"], reason = _number(result)
        if reason:
            out["reason"] = reason
    if details:
        out["details"] = details
    return out


def compute_metrics(doc: Mapping[str, Any], model: Any = None,
                    keep: Mapping[str, Mapping] | None = None) -> dict[str, dict[str, Any]]:
    """Every registered metric on the profile ``doc`` (``model``: the tracker's torch module, if held).

    ``keep``: earlier entries (``doc["metrics"]``) kept for the metrics that need the model when it is not
    given, e.g. when a profile is re-amortised over a run after the profiler let the model go."""
    view = ProfileView.from_profile(doc, model)
    out = {}
    for entry in EFFICIENCY_METRICS.entries():
        if model is None and entry.meta.get("needs_model") and keep and entry.name in keep:
            out[entry.name] = dict(keep[entry.name])
        else:
            out[entry.name] = evaluate_metric(entry.name, view)
    return out


def metric_lines(doc: Mapping[str, Any]) -> list[str]:
    """Console lines for ``doc["metrics"]``: label, value and unit, or why there is no value."""
    block = doc.get("metrics")
    if not isinstance(block, Mapping) or not block:
        return []
    random = bool(doc.get("random_weights"))
    lines = ["  efficiency metrics (profile.json['metrics']; bench.efficiency.metrics):"]
    for name, m in block.items():
        label = f"{m.get('label', name)} [{name}]"
        unit = f" {m['unit']}" if m.get("unit") else ""
        if m.get("value") is None:
            text = f"-  ({m.get('reason', 'no value')})"
        else:
            v = m["value"]
            text = (f"{v:,}" if isinstance(v, int) else f"{v:.6g}") + unit
            if random and m.get("weight_dependent"):
                text += "  (RANDOM weights: not valid)"
        lines.append(f"    {label[:56]:<56} {text}")
    return lines


__all__ = ["EFFICIENCY_METRICS", "register_efficiency_metric", "compute_metrics", "evaluate_metric",
           "metric_lines", "NotApplicable", "ProfileView"]

"""Efficiency metrics, one file each: ``profile.json["metrics"]``, ``bench profile``'s console and the reports.

A new metric is ONE new module in this package (docs/efficiency.md, "Adding an efficiency metric")::

    from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric

    @register_efficiency_metric("gmacs_per_frame", unit="GMAC/frame", label="GMACs per tracked frame",
                                weight_dependent=False, higher_is_better=False)
    def gmacs_per_frame(profile: ProfileView) -> float | None:
        macs = profile.per_frame("macs")
        return None if macs is None else macs / 1e9

Every non-underscore module here other than the infrastructure ones is imported on import of the package
(as :mod:`bench.metrics` finds protocols), so the file registers itself; installed packages add metrics
through the entry-point group ``bench.efficiency_metrics`` (:data:`bench.core.registry.ENTRY_POINT_GROUPS`).
:func:`bench.efficiency.profile.profile_tracker` computes every registered metric once, at the end.
"""
from __future__ import annotations

from bench.core.registry import import_package_modules
from bench.efficiency.metrics.base import (EFFICIENCY_METRICS, compute_metrics, evaluate_metric, metric_lines,
                                           register_efficiency_metric)
from bench.efficiency.metrics.view import BranchView, LayerView, NeuronView, NotApplicable, ProfileView

#: modules of this package that register no metric
_INFRASTRUCTURE = frozenset({"base", "view"})


def import_metric_modules() -> None:
    """Import every metric module of this package (each non-underscore module other than the
    infrastructure ones): a new ``bench/efficiency/metrics/<name>.py`` is found without editing any file."""
    import_package_modules(__name__, __path__, _INFRASTRUCTURE)


import_metric_modules()

__all__ = ["EFFICIENCY_METRICS", "register_efficiency_metric", "compute_metrics", "evaluate_metric", "metric_lines",
           "ProfileView", "BranchView", "LayerView", "NeuronView", "NotApplicable", "import_metric_modules"]

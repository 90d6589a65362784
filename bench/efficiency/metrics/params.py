"""Parameters of the tracker's model (``profile.json["params"]``: every ``nn.Parameter`` element)."""
from __future__ import annotations

from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric


@register_efficiency_metric("params", unit="parameters", label="Parameters", weight_dependent=False,
                            higher_is_better=False,
                            description="elements of every parameter of the tracker's torch model")
def params(profile: ProfileView) -> int:
    return profile.need(profile.params, "parameter count (the tracker has no torch model)")

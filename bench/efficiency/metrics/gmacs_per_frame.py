"""MACs per tracked frame, in billions: the counter's exact MACs (docs/efficiency.md "MACs"), the search
branch once plus the template branch x its rate (the weighting of the quoted energy figure)."""
from __future__ import annotations

from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric


@register_efficiency_metric("gmacs_per_frame", unit="GMAC/frame", label="GMACs per tracked frame",
                            weight_dependent=False, higher_is_better=False,
                            description="multiply-accumulates of every conv/matmul/attention operator executed "
                                        "per tracked frame (template branch amortised), / 1e9")
def gmacs_per_frame(profile: ProfileView) -> float:
    return profile.need(profile.per_frame("macs"), "MAC count (the tracker has no torch model)") / 1e9

"""Synaptic operations per tracked frame, in billions (docs/efficiency.md "SOPs": MACs of spike-fed operators
x the mean integer spike count of their input), the template branch amortised as for MACs."""
from __future__ import annotations

from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric


@register_efficiency_metric("gsops_per_frame", unit="GSOP/frame", label="GSOPs per tracked frame",
                            weight_dependent=True, higher_is_better=False,
                            description="synaptic operations (spike-fed MACs x mean integer spike count; a spike "
                                        "of k counts k) per tracked frame (template branch amortised), / 1e9")
def gsops_per_frame(profile: ProfileView) -> float:
    return profile.need(profile.per_frame("sops"), "SOP count (the tracker has no torch model)") / 1e9

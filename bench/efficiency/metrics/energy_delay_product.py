"""Energy-delay product per tracked frame (Gonzalez & Horowitz, "Energy dissipation in general purpose
microprocessors", IEEE J. Solid-State Circuits 31(9):1277-1284, 1996): energy x delay of the same work,
so a design cannot look better by trading one for the other at a fixed cost (lower is better).

Here: the quoted energy model's mJ per tracked frame (``profile.json["headline"]``, template amortised) x
the mean time per tracked frame inside the model's forward calls (``latency.all_frames.model``: the work
that energy counts; template-update frames included, as in the amortised energy). The energy is an
estimate for the model's constants (45 nm for the Horowitz presets) while the delay is measured on the
profiling device (``latency.environment``): compare EDPs measured on one device only.
"""
from __future__ import annotations

from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric


@register_efficiency_metric("energy_delay_product", unit="mJ*ms", label="Energy-delay product",
                            weight_dependent=True, higher_is_better=False,
                            description="energy per tracked frame (quoted energy model) x mean model time per "
                                        "tracked frame on the profiling device",
                            source="Gonzalez & Horowitz, IEEE JSSC 31(9):1277-1284, 1996")
def energy_delay_product(profile: ProfileView) -> dict:
    energy = profile.need(profile.energy_mJ, "energy per frame (the tracker has no torch model)")
    delay = profile.need(profile.model_latency_ms, "model latency (profiled with --no-latency, or no torch model)")
    return {"value": energy * delay, "energy_mJ": energy, "delay_ms": delay, "energy_model": profile.energy_model}

"""The efficiency engine: per-layer MACs, synaptic operations, firing rates, energy and latency.

- :mod:`bench.efficiency.macs`: MAC rules per aten operator, spike-tensor detection, module attribution;
- :mod:`bench.efficiency.counter`: :class:`EfficiencyCounter`, frame-by-frame MACs/SOPs/firing rates;
- :mod:`bench.efficiency.thop`: the thop 0.0.31 count papers print as "FLOPs";
- :mod:`bench.efficiency.model_macs`: :func:`count_macs`, both conventions of one forward on a model's
  declared profile inputs (:class:`trackers.base.ProfileInputs`);
- :mod:`bench.efficiency.energy`: energy presets, the base convention and literature variants;
- :mod:`bench.efficiency.latency`: model-only / end-to-end clocks with warm-up and device sync;
- :mod:`bench.efficiency.profile`: ``profile_tracker`` and the stored ``profile.json``;
- :mod:`bench.efficiency.metrics`: the efficiency-metric registry, one file per metric
  (``profile.json["metrics"]``, shown generically by the console and the reports).

Conventions and formulas: docs/efficiency.md.
"""
from bench.efficiency.counter import EfficiencyCounter, count_once, totals
from bench.efficiency.energy import PRESETS, VARIANTS, constants, energy_report
from bench.efficiency.model_macs import MacCount, count_macs
from bench.efficiency.profile import profile_tracker, write_profile
from bench.efficiency.thop import ThopCounter, thop_profile

__all__ = ["EfficiencyCounter", "count_once", "totals", "PRESETS", "VARIANTS", "constants", "energy_report",
           "profile_tracker", "write_profile", "ThopCounter", "thop_profile", "MacCount", "count_macs"]

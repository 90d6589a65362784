"""Firing rates of a ``bench run``: the per-sequence ``<seq>_stats.json`` its spiking trackers write, averaged.

The one reader of those files for reports (which read files and import no tracker): the averaging is the
SpikeTrack tracker's own (:func:`trackers.spiketrack.sfr.aggregate_stats_files`: each video weighs the
same, as the official ``get_avg_sfr.py``).
"""
from __future__ import annotations

import os


def stats_firing_rates(folder: str | os.PathLike) -> tuple[dict[str, dict[str, list[float]]], int]:
    """``({branch: {layer: [mean count per time step]}}, sequences)`` from a run folder's ``<seq>_stats.json``."""
    from trackers.spiketrack.sfr import BRANCHES, aggregate_stats_files

    agg = aggregate_stats_files(folder)
    rates = {b: {name: [float("nan") if v is None else float(v) for v in layer["mean_count"]]
                 for name, layer in (agg.get(b) or {}).get("layers", {}).items()}
             for b in BRANCHES}
    return {b: layers for b, layers in rates.items() if layers}, int(agg.get("sequences", 0))


__all__ = ["stats_firing_rates"]

"""Write a whole report (workbook, tables, figures, JSON summary) from a :class:`ReportData`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from bench.io import atomic_write_json, atomic_write_text
from reports.model import ReportData, benchmark_label

WORKBOOK = "report.xlsx"
FIGURES = "figures"


def summary(data: ReportData) -> dict[str, Any]:
    """JSON-able figures of the report (what scripts compare), protocol named per benchmark."""
    return {
        "source": data.source,
        "benchmarks": {benchmark_label(b): {
            "protocol": data.protocol_for(b),
            "trackers": {r.tracker: {"metrics": dict(r.metrics), "sequences": r.n_sequences,
                                     "protocol": r.protocol} for r in data.results_for(b)}}
            for b in data.benchmarks()},
        "efficiency": {t: {"params": p.params, "gmacs": p.gmacs, "gsops": p.gsops, "energy_mj": p.energy_mj,
                           "fps": p.fps, "device": p.device, "source": p.source}
                       for t, p in data.profiles.items()},
        "spiking": {t: data.is_spiking(t) for t in data.trackers()},
        "published": [{"tracker": p.tracker, "benchmark": p.benchmark, "metric": p.metric, "value": p.value,
                       "source": p.source} for p in data.published],
        "notes": list(data.notes),
    }


def write_report(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf"),
                 plots: bool = True) -> dict[str, Any]:
    """Write everything under ``out``; returns ``{"files": [...], **summary}``."""
    from reports.excel import write_workbook
    from reports.tables import leaderboard_latex, leaderboard_markdown

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_workbook(data, out / WORKBOOK)]
    md, tex = out / "leaderboard.md", out / "leaderboard.tex"
    atomic_write_text(md, leaderboard_markdown(data))
    atomic_write_text(tex, leaderboard_latex(data))
    files += [md, tex]
    if plots and formats:
        from reports.plots import plot_all

        files += plot_all(data, out / FIGURES, formats)
    result = {"files": [str(f) for f in files], **summary(data)}
    js = out / "report.json"
    atomic_write_json(js, result)
    result["files"].append(str(js))
    return result

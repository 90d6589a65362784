"""Write a whole report (workbook, tables, figures, JSON summary) from a :class:`ReportData`."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

from bench.core.io import atomic_write_json, atomic_write_text
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
        "efficiency": {t: {"params": p.params, "gmacs": p.gmacs, "gsops": p.value("gsops"),
                           "energy_mj": p.value("energy_mj"), "energy_model": p.energy_model.get("model"),
                           "energy_by_model": {m: p.value(f"energy:{m}") for m in p.energy_by_model},
                           "neurobench": {k: p.value(k) for k in p.neurobench},
                           "metrics": {k: p.metric(k) for k in p.metrics},
                           "random_weights": p.random_weights,
                           "firing_rate_unit": p.rate_unit if p.firing_rates else None, "fps": p.fps, "device": p.device,
                           "source": p.source}
                       for t, p in data.profiles.items()},
        "spiking": {t: data.is_spiking(t) for t in data.trackers()},
        "published": [{"tracker": p.tracker, "benchmark": p.benchmark, "metric": p.metric, "value": p.value,
                       "source": p.source} for p in data.published],
        "notes": list(data.notes),
    }


def write_report(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf"),
                 plots: bool = True) -> dict[str, Any]:
    """Write everything under ``out``; returns ``{"files": [...], **summary}``.

    The whole report is built in a hidden folder beside ``out`` and its files are moved in only once
    every one of them is written: a report that fails halfway leaves an earlier report as it was, never
    a new workbook beside old figures. Other files in ``out`` are left alone.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        files = _write_all(data, stage, formats, plots)
        result = {"files": [str(out / f.relative_to(stage)) for f in files], **summary(data)}
        atomic_write_json(stage / "report.json", {**result, "files": result["files"]})
        result["files"].append(str(out / "report.json"))
        for f in [*files, stage / "report.json"]:
            target = out / f.relative_to(stage)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


def _write_all(data: ReportData, out: Path, formats: Sequence[str], plots: bool) -> list[Path]:
    from reports.excel import write_workbook
    from reports.tables import leaderboard_latex, leaderboard_markdown

    files = [Path(write_workbook(data, out / WORKBOOK))]
    md, tex = out / "leaderboard.md", out / "leaderboard.tex"
    atomic_write_text(md, leaderboard_markdown(data))
    atomic_write_text(tex, leaderboard_latex(data))
    files += [md, tex]
    if plots and formats:
        from reports.plots import plot_all

        files += [Path(f) for f in plot_all(data, out / FIGURES, formats)]
    return files

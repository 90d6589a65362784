"""Cost of building a report over what scoring alone costs: the real OTB100 raw results (9 trackers).

Run: ``pytest benchmarks/bench_reports.py`` (pytest-benchmark) or ``python benchmarks/bench_reports.py``.
Baseline: ``bench.evaluation.evaluate_results`` (read every file, score every tracker under the official
protocol). Measured: ``reports.collect.collect`` on the same folder (the same scoring plus discovery and
per-sequence bookkeeping), then the workbook and Markdown/LaTeX tables (no figures). The figure that
matters is the median per-round ratio report / baseline (target: below 1.5). Rounds alternate so load
drift on a shared machine moves both sides alike.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()
RESULTS = SHARED / "data" / "raw_results" / "OTB100"
ANNOS = SHARED / "data" / "otb"
ROUNDS = 5


def baseline() -> None:
    from bench.evaluation import evaluate_results

    # MDNet's one-row-short file makes the official protocol fail; score the other eight, as the report does
    evaluate_results(RESULTS, "otb100", annotations=ANNOS,
                     trackers=[p.name for p in RESULTS.iterdir() if p.is_dir() and p.name != "MDNet"])


def report(out: Path) -> None:
    from reports.collect import collect
    from reports.excel import write_workbook
    from reports.tables import leaderboard_latex, leaderboard_markdown

    data = collect(RESULTS, annotations={"otb100": ANNOS}, attributes=False)
    write_workbook(data, out / "r.xlsx")
    leaderboard_markdown(data)
    leaderboard_latex(data)


def ratios() -> tuple[float, list[float]]:
    out = Path(tempfile.mkdtemp())
    baseline(), report(out)  # warm caches and imports
    rs = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        report(out)
        t2 = time.perf_counter()
        rs.append((t2 - t1) / (t1 - t0))
    return statistics.median(rs), rs


@pytest.mark.skipif(not RESULTS.is_dir(), reason=f"{RESULTS} is absent")
def test_report_over_scoring_ratio(benchmark):
    out = Path(tempfile.mkdtemp())
    benchmark.pedantic(report, args=(out,), rounds=3, iterations=1)
    med, rs = ratios()
    benchmark.extra_info["ratio_report_over_scoring_median"] = med
    benchmark.extra_info["ratios"] = rs
    assert med < 1.5, f"report / scoring = {med:.2f} (rounds {rs})"


if __name__ == "__main__":
    if not RESULTS.is_dir():
        sys.exit(f"{RESULTS} is absent")
    med, rs = ratios()
    print(f"report / scoring (OTB100, 8 trackers): median {med:.2f} over {len(rs)} rounds: "
          + ", ".join(f"{r:.2f}" for r in rs))

"""`bench evaluate` as a whole process: one protocol (lasot-toolkit) on LaSOT's 280 test sequences, from
``python -m bench evaluate`` starting to its JSON on disk, imports included.

Compared in the same run with a plain per-sequence evaluator, also a whole process: a short numpy script
that reads each sequence's three files with ``np.loadtxt`` and scores it the way the LaSOT toolkit's
MATLAB code does (one comparison per threshold), then averages the curves (``BASELINE`` below). Both print
their numbers; they must be identical to the last bit. Targets: the suite at most 0.4 s, and at least 3x
faster than the plain evaluator.

The suite is timed twice: as users run it again and again (``warm``: the parsed ground truth and results
in the cache of parsed box files, ``bench/core/box_cache.py``, filled by the untimed first run) and with
that cache off (``BENCH_CACHE_DIR=off``: every file parsed, as on the very first run).

All processes run with their bytecode cached out of the tree (``PYTHONPYCACHEPREFIX``; one untimed run
each first), as an installed suite runs. Wall time is the figure; the CPU time (user + system) of the
child is reported beside it because the machine is shared.

Run: ``pytest benchmarks/bench_evaluate_process.py -s`` or ``python benchmarks/bench_evaluate_process.py``.
Rounds alternate the two sides; the ratio is the median over rounds of baseline time / suite time.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()
ANNOS = SHARED / "data" / "lasot"
RESULTS = SHARED / "data" / "raw_results" / "LaSOT" / "ATOM"
ROUNDS = 7
KEYS = ("auc", "precision", "norm_precision", "op50", "op75")

# The plain evaluator: per sequence, np.loadtxt of the GT, absent flags and results, then the rules of
# LaSOT_Evaluation_Toolkit utils/calc_seq_err_robust.m (first frame = GT, bad rows carried forward, absent
# frames removed, pixel-inclusive IoU, +1/-1 centres) and plot_draw_save.m (all-zero curves dropped).
BASELINE = r"""
import json, sys
import numpy as np

annos, results = sys.argv[1], sys.argv[2]
eps = np.finfo(float).eps

def iou(p, g):
    tl = np.maximum(p[:, :2], g[:, :2])
    br = np.minimum(p[:, :2] + p[:, 2:] - 1.0, g[:, :2] + g[:, 2:] - 1.0)
    sz = np.maximum(br - tl + 1.0, 0.0)
    inter = sz[:, 0] * sz[:, 1]
    return inter / (p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter)

def curve(v, thr, above, n):
    return np.array([np.sum(v > t) if above else np.sum(v <= t) for t in thr]) / n

curves = []
for name in open(annos + "/testing_set.txt").read().split():
    gt = np.loadtxt(f"{annos}/annos/{name}.txt", delimiter=",")
    absent = np.loadtxt(f"{annos}/annos/absent/{name}.txt")
    res = np.loadtxt(f"{results}/{name}.txt", delimiter=",")[:len(gt)].copy()
    with np.errstate(all="ignore"):
        for i in np.flatnonzero(np.isnan(res).any(1) | (res[:, 2] <= 0) | (res[:, 3] <= 0)):
            if i > 0 and not np.isnan(gt[i]).any():
                res[i] = res[i - 1]
        res[0] = gt[0]
        r, g = res[absent == 0], gt[absent == 0]
        c = lambda b: b[:, :2] + (b[:, 2:] - 1) / 2
        err = np.sqrt(((c(r) - c(g)) ** 2).sum(1))
        errn = np.sqrt(((c(r) / g[:, 2:] - c(g) / g[:, 2:]) ** 2).sum(1))
        valid = (g > 0).sum(1) == 4
        cov = np.full(len(g), -1.0)
        cov[valid] = iou(r[valid], g[valid])
        err[~valid] = errn[~valid] = -1
        n = len(gt) + eps
        curves.append((curve(cov, np.arange(21) * 0.05, True, n), curve(err, np.arange(51.0), False, n),
                       curve(errn, np.arange(51.0) / 100, False, n)))
out = []
for k in range(3):
    a = np.array([c[k] for c in curves])
    out.append(a[a.sum(1) > eps].mean(0))
print(json.dumps({"auc": float(np.mean(out[0])), "precision": float(out[1][20]),
                  "norm_precision": float(out[2][20]), "op50": float(out[0][10]), "op75": float(out[0][15])}))
"""


def _env(pycache: str, box_cache: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": pycache, "PYTHONPATH": str(REPO), "BENCH_CACHE_DIR": box_cache}


def _timed(argv: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, the child's CPU seconds (user + system) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert r.returncode == 0, f"{argv[:4]}: exit {r.returncode}: {r.stderr.strip()[-500:]}"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def suite_argv(json_path: Path) -> list[str]:
    return [sys.executable, "-m", "bench", "evaluate", "--results", str(RESULTS), "--dataset", "lasot",
            "--annotations", str(ANNOS), "--protocol", "lasot-toolkit", "--json", str(json_path)]


def baseline_argv() -> list[str]:
    return [sys.executable, "-c", BASELINE, str(ANNOS), str(RESULTS)]


SIDES = ("suite", "suite_cold", "baseline")


def measure(rounds: int = ROUNDS) -> dict:
    times: dict = {k: [] for side in SIDES for k in (side, f"{side}_cpu")}
    ratios: dict = {"suite": [], "suite_cold": []}
    with tempfile.TemporaryDirectory() as tmp:
        pycache = str(Path(tmp) / "pycache")
        envs = {"suite": _env(pycache, str(Path(tmp) / "box-cache")), "suite_cold": _env(pycache, "off")}
        envs["baseline"] = envs["suite_cold"]
        out = Path(tmp) / "figures.json"
        for side in SIDES:   # untimed: bytecode cached, files in the page cache, the box cache filled
            _timed(baseline_argv() if side == "baseline" else suite_argv(out), envs[side])
        for _ in range(rounds):   # alternate, so load drift on the machine hits every side alike
            for side in SIDES:
                wall, cpu, text = _timed(baseline_argv() if side == "baseline" else suite_argv(out), envs[side])
                times[side].append(wall)
                times[f"{side}_cpu"].append(cpu)
                figures = json.loads(text) if side == "baseline" else \
                    json.loads(out.read_text())["trackers"]["ATOM"]["lasot"]["metrics"]
                if side == "suite":
                    suite = figures
                elif side == "suite_cold":
                    for k in KEYS:   # the cache changes no number
                        assert figures[k] == suite[k], (k, figures[k], suite[k])
                else:
                    for k in KEYS:   # identical numbers, bit for bit (JSON floats round-trip exactly)
                        assert suite[k] == figures[k], (k, suite[k], figures[k])
            for side in ratios:
                ratios[side].append(times["baseline"][-1] / times[side][-1])
    return {**{f"ratio_{side}_median": statistics.median(v) for side, v in ratios.items()},
            **{f"ratio_{side}_min": min(v) for side, v in ratios.items()},
            **{f"ratio_{side}_max": max(v) for side, v in ratios.items()},
            **{f"{k}_s_median": statistics.median(v) for k, v in times.items()},
            **{f"{k}_s_min": min(v) for k, v in times.items()}, "rounds": rounds, "sequences": 280}


def summary(m: dict) -> str:
    return (f"bench evaluate, lasot-toolkit, {m['sequences']} LaSOT sequences, whole process, {m['rounds']} rounds "
            f"(medians): suite {m['suite_s_median']:.3f} s (min {m['suite_s_min']:.3f}; CPU "
            f"{m['suite_cpu_s_median']:.3f} s; target <= 0.4 s), with the box cache off "
            f"{m['suite_cold_s_median']:.3f} s (min {m['suite_cold_s_min']:.3f}); plain per-sequence numpy "
            f"evaluator {m['baseline_s_median']:.3f} s (CPU {m['baseline_cpu_s_median']:.3f} s) -> "
            f"{m['ratio_suite_median']:.1f}x (rounds {m['ratio_suite_min']:.1f}-{m['ratio_suite_max']:.1f}x), "
            f"cache off {m['ratio_suite_cold_median']:.1f}x (rounds {m['ratio_suite_cold_min']:.1f}-"
            f"{m['ratio_suite_cold_max']:.1f}x); target >= 3x; numbers identical")


requires_data = pytest.mark.skipif(not (ANNOS / "annos").is_dir() or not RESULTS.is_dir(),
                                   reason=f"LaSOT annotations / raw results absent under {SHARED} "
                                          f"(set BENCH_SHARED to the folder holding data/)")


@requires_data
def test_evaluate_process_speed(benchmark):
    m = benchmark.pedantic(measure, kwargs={"rounds": ROUNDS}, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    print("\n" + summary(m))
    assert m["ratio_suite_median"] >= 3.0
    assert m["ratio_suite_cold_median"] >= 3.0


if __name__ == "__main__":
    print(summary(measure()))

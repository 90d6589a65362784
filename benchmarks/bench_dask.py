"""The demo on 2 local Dask workers vs 1: the speed-up of sharding sequences, as a ratio in one run.

Run: ``pytest benchmarks/bench_dask.py --benchmark-only -s``. Cluster start-up and the workers' first
imports are excluded (a warm-up round runs first); every round tracks all three demo sequences into a
fresh results folder. The demo has 3 sequences of 120, 140 and 74 frames, so with 2 workers the ideal
speed-up is (120 + 140 + 74) / max(140, 120 + 74) = 1.72; 1.5 if frames cost the same everywhere and
tasks are placed badly. On a machine with fewer free cores than workers it is lower.
"""
from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from bench.executors.dask import DaskExecutor  # noqa: E402
from bench.runner import RunSpec, run  # noqa: E402

TRACKER = "csrt"   # ~50 ms a frame on one core: tracking dominates, not scheduling
ROUNDS = 3
_counter = itertools.count()


def one_round(address: str, root: Path) -> float:
    spec = RunSpec(tracker=TRACKER, results=str(root / f"r{next(_counter)}"))
    t0 = time.perf_counter()
    report = run(spec, progress=False, executor=DaskExecutor(scheduler=address))
    dt = time.perf_counter() - t0
    assert len(report.computed) == 3
    return dt


def test_dask_two_workers_vs_one(benchmark):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=50) as c1:
            one_round(c1.scheduler_address, root)  # warm-up: imports, tracker construction
            one = min(one_round(c1.scheduler_address, root) for _ in range(ROUNDS))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=50) as c2:
            benchmark.pedantic(one_round, args=(c2.scheduler_address, root), rounds=ROUNDS, iterations=1,
                               warmup_rounds=1)
        two = benchmark.stats.stats.min
        benchmark.extra_info.update({"tracker": TRACKER, "rounds": ROUNDS, "one_worker_s": one,
                                     "two_workers_s": two, "speedup_2_vs_1": one / two})
        print(f"\ndemo with {TRACKER}: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
              f"speed-up {one / two:.2f}x (best of {ROUNDS} rounds each)")

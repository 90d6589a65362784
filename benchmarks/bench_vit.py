"""CPU latency of the ViT trackers, beside their MACs (pytest-benchmark; not part of the default test run).

Run:  pytest benchmarks/bench_vit.py --benchmark-only --benchmark-columns=mean,stddev,rounds
      (add ``-k ostrack_256`` for one tracker; ``--benchmark-json=out.json`` keeps the extra info)

Two timings per tracker, batch 1, random weights (latency does not depend on the values: candidate
elimination keeps a fixed number of tokens):

- ``model``: one network forward with the official profiler's inputs (3 templates for ODTrack/SSTrack,
  1 for OSTrack), as ``tracking/profile_model.py`` times it (no cropping, no Hann window);
- ``track``: one full ``Tracker.track`` call in the steady state (after 2N frames, so N+1 templates for
  ODTrack/SSTrack), i.e. cropping + normalisation + forward + decoding + the template-memory update.

Each result's ``extra_info`` holds thop-convention and exact GMACs (``bench.efficiency.model_macs.count_macs``) for the
same number of templates, and ``ratio_vs_baseline``: the fastest round divided by the fastest OSTrack-256
forward measured in the same run (timed assertions are never made).
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch

import trackers
from bench.efficiency.model_macs import count_macs

NAMES = ["ostrack_256", "ostrack_384", "odtrack_b256", "odtrack_b384", "sstrack_b256", "sstrack_b384"]
BASELINE = "ostrack_256"


def _model(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trackers.create_model(name)


def _inputs(model, t):
    c = model.cfg
    return [torch.randn(1, 3, c.template_size, c.template_size)] * t, torch.randn(1, 3, c.search_size, c.search_size)


@pytest.fixture(scope="module")
def baseline_seconds():
    """Fastest of 3 timed OSTrack-256 forwards in this run (after 1 warm-up); the minimum is the
    statistic least disturbed by other load on a shared machine."""
    m = _model(BASELINE)
    z, x = _inputs(m, 1)
    times = []
    with torch.no_grad():
        m(z, x)
        for _ in range(3):
            t0 = time.perf_counter()
            m(z, x)
            times.append(time.perf_counter() - t0)
    return min(times)


def _info(benchmark, model, t, baseline):
    macs = count_macs(model, num_templates=t)
    benchmark.extra_info.update({"templates": t, "thop_gmacs": round(macs.thop_gmacs, 2),
                                 "exact_gmacs": round(macs.exact_gmacs, 2), "threads": torch.get_num_threads(),
                                 "baseline": f"{BASELINE} forward", "baseline_s": baseline})


def _ratio(benchmark, baseline):
    if benchmark.stats is not None:
        benchmark.extra_info["ratio_vs_baseline"] = round(benchmark.stats.stats.min / baseline, 3)


@pytest.mark.parametrize("name", NAMES)
def test_model_forward(benchmark, name, baseline_seconds):
    model = _model(name)
    t = model.cfg.profile_templates
    z, x = _inputs(model, t)
    _info(benchmark, model, t, baseline_seconds)
    with torch.no_grad():
        benchmark.pedantic(lambda: model(z, x), rounds=3, warmup_rounds=1, iterations=1)
    _ratio(benchmark, baseline_seconds)


@pytest.mark.parametrize("name", NAMES)
def test_tracker_step(benchmark, name, baseline_seconds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = trackers.create_tracker(name)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(4)]
    box = (300.0, 200.0, 60.0, 80.0)
    tr.initialize(frames[0], box)
    n = tr.template_number
    if n > 1:  # reach the steady state (N+1 templates) without running 2N real forwards
        tr.frame_id = 2 * n - 1
        tr.memory.crops = tr.memory.crops * (2 * n)
    state = {"i": 0}

    def step():
        state["i"] += 1
        tr.state = list(box)          # keep the crop geometry fixed between rounds
        return tr.track(frames[state["i"] % 4])

    _info(benchmark, tr.model, n + 1 if n > 1 else 1, baseline_seconds)
    benchmark.pedantic(step, rounds=3, warmup_rounds=1, iterations=1)
    _ratio(benchmark, baseline_seconds)

"""SpikeTrack per-frame tracking latency on CPU, same-run ratios: firing-rate recording on vs off, default vs
fast mode, cached-template path vs full forward, for S256-T1 and B256-T3.

Run: ``pytest benchmarks/bench_spiketrack.py`` (pytest-benchmark) or ``python benchmarks/bench_spiketrack.py``.
One ``track()`` call on a fixed frame (the state is reset before each call, so every call crops the same
region and no template update fires) is timed for each variant in alternating rounds, so load drift on a
shared machine hits all of them alike. The figures are medians over rounds of per-round ratios against the
baseline measured in the same round: the cached path without recording (the official inference mode).

- ``rates/none``: the default recorder (exact mean spike counts accumulated on the device, no host
  synchronisation per layer); target <= 1.05.
- ``histograms/none``: with per-layer level histograms 0..4 (``sfr_histograms=True``).
- ``fast/default``: ``fast=True`` (batch norms folded, channels-last; boxes may differ from the official
  code's), both recording.
- ``full/cached``: what caching the template memories saves.

The official code is not part of the suite; its side-by-side lives in a scratch harness (see the
SpikeTrack README). Random weights (no checkpoint): latency does not depend on them. Float32, torch
intra-op threads as set by ``SPIKETRACK_BENCH_THREADS`` (default 1).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()
ROUNDS = int(os.environ.get("SPIKETRACK_BENCH_ROUNDS", "5"))
VARIANTS = ("cached", "cached+rates", "cached+histograms", "fast+rates", "full")


def _frame() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A real OTB frame and its first box where the shared data is present, else a synthetic frame."""
    seq = SHARED / "data" / "otb" / "sequences" / "Crossing"
    img_path = seq / "img" / "0001.jpg"
    if img_path.is_file():
        import cv2

        img = cv2.cvtColor(cv2.imread(str(img_path)), cv2.COLOR_BGR2RGB)
        gt = (seq / "groundtruth_rect.txt").read_text().splitlines()[0].replace("\t", ",").split(",")
        return img, tuple(float(v) for v in gt[:4])
    rng = np.random.RandomState(0)
    return (rng.rand(240, 320, 3) * 255).astype(np.uint8), (139.0, 112.0, 51.0, 36.0)


def _trackers(name: str) -> dict:
    import trackers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = trackers.create_tracker(name, record_sfr=False)
    from trackers.spiketrack import SpikeTrackTracker

    model = base.model  # the default-mode variants share one set of weights; fast folds its own copy
    return {
        "cached": base,
        "cached+rates": SpikeTrackTracker(model, name=name, record_sfr=True),
        "cached+histograms": SpikeTrackTracker(model, name=name, record_sfr=True, sfr_histograms=True),
        "fast+rates": SpikeTrackTracker(model, name=name, record_sfr=True, fast=True),
        "full": SpikeTrackTracker(model, name=name, cached=False, record_sfr=False),
    }


def _time_frame(t, image, box) -> float:
    t.state, t.frame_id = list(box), 0
    t0 = time.perf_counter()
    t.track(image)
    return time.perf_counter() - t0


def measure(name: str, rounds: int = ROUNDS) -> dict:
    import torch

    torch.set_num_threads(int(os.environ.get("SPIKETRACK_BENCH_THREADS", "1")))
    image, box = _frame()
    ts = _trackers(name)
    times = {v: [] for v in VARIANTS}
    # hooks fire on every call of the shared model, so only the variant being timed may have them attached
    recording = {v: t.recorder.attached for v, t in ts.items()}
    for t in ts.values():
        t.recorder.detach()
    for v, t in ts.items():
        t.initialize(image, box, {"dataset": "otb", "sequence": "Crossing"})
        _time_frame(t, image, box)  # warm-up
        t.recorder.detach()
    for _ in range(rounds):
        for v in VARIANTS:
            t = ts[v]
            if recording[v]:
                t.recorder.attach()
            times[v].append(_time_frame(t, image, box))
            t.recorder.detach()
    med = {v: statistics.median(times[v]) for v in VARIANTS}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))  # noqa: E731
    return {
        "tracker": name, "rounds": rounds, "threads": torch.get_num_threads(),
        "ms": {v: 1000 * m for v, m in med.items()},
        "fps": {v: 1 / m for v, m in med.items()},
        "rates_over_none": ratio("cached+rates", "cached"),
        "histograms_over_none": ratio("cached+histograms", "cached"),
        "fast_over_default": ratio("fast+rates", "cached+rates"),
        "full_over_cached": ratio("full", "cached"),
        "min_ms": {v: 1000 * min(times[v]) for v in VARIANTS},
    }


def summary(r: dict) -> str:
    ms = ", ".join(f"{v} {r['ms'][v]:.0f} ms" for v in VARIANTS)
    return (f"{r['tracker']} per-frame track(), median of {r['rounds']} alternating rounds, {r['threads']} threads: "
            f"{ms}; recording rates/none {r['rates_over_none']:.3f}, histograms/none "
            f"{r['histograms_over_none']:.3f}; fast/default {r['fast_over_default']:.3f}; "
            f"full/cached {r['full_over_cached']:.2f}x")


@pytest.mark.parametrize("name", ["spiketrack_s256_t1", "spiketrack_b256_t3"])
def test_spiketrack_latency(benchmark, name):
    result = measure(name)
    benchmark.extra_info.update(result)
    ts = _trackers(name)
    image, box = _frame()
    ts["cached+rates"].initialize(image, box, {"dataset": "otb"})
    benchmark.pedantic(_time_frame, args=(ts["cached+rates"], image, box), rounds=1, iterations=1)
    print("\n" + summary(result))
    assert result["full_over_cached"] > 1.2, result      # caching must pay off
    # recording must cost little (target 1.05; slack for a shared, loaded runner)
    assert result["rates_over_none"] < 1.15, result
    assert result["fast_over_default"] < 1.0, result     # the fast mode must be faster


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    for n in sys.argv[1:] or ["spiketrack_s256_t1", "spiketrack_b256_t3"]:
        print(summary(measure(n)))

"""SpikeTrack per-frame tracking latency on CPU: cached-template path vs full forward, with and without
the firing-rate hooks, for S256-T1 and B256-T3.

Run: ``pytest benchmarks/bench_spiketrack.py`` (pytest-benchmark) or ``python benchmarks/bench_spiketrack.py``.
One ``track()`` call on a fixed frame (the state is reset before each call, so every call crops the same
region and no template update fires) is timed for four variants in alternating rounds, so load drift on a
shared machine hits all of them alike. The figures are medians over rounds of per-round ratios against the
baseline measured in the same round: the cached path without hooks (the official inference mode).

- ``full/cached``: what caching the template memories saves (expected about (template + search MACs) /
  search MACs: 1.75 for S256-T1, 3.1 for B256-T3 from the measured GMACs).
- ``hooks/no hooks``: the cost of recording per-layer, per-step level histograms (asserted below 1.5;
  measured 1.2-1.35 for S256-T1 on a loaded 2-core machine, one thread).

Random weights (no checkpoint): latency does not depend on them. Float32, torch intra-op threads as set
by ``SPIKETRACK_BENCH_THREADS`` (default: torch's default).
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
VARIANTS = ("cached", "cached+hooks", "full", "full+hooks")


def _frame() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A real OTB frame and its first box where the shared data is present, else a synthetic frame."""
    seq = SHARED / "data" / "otb" / "sequences" / "Dog1"
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

    model = base.model  # all four variants share one set of weights
    return {
        "cached": base,
        "cached+hooks": SpikeTrackTracker(model, name=name, cached=True, record_sfr=True),
        "full": SpikeTrackTracker(model, name=name, cached=False, record_sfr=False),
        "full+hooks": SpikeTrackTracker(model, name=name, cached=False, record_sfr=True),
    }


def _detach_all(ts: dict) -> None:
    for t in ts.values():
        t.recorder.detach()


def _time_frame(t, image, box) -> float:
    t.state, t.frame_id = list(box), 0
    t0 = time.perf_counter()
    t.track(image)
    return time.perf_counter() - t0


def measure(name: str, rounds: int = ROUNDS) -> dict:
    import torch

    threads = os.environ.get("SPIKETRACK_BENCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    image, box = _frame()
    ts = _trackers(name)
    times = {v: [] for v in VARIANTS}
    # hooks fire on every hooked model call, so only the variant being timed may have its hooks attached
    _detach_all(ts)
    for t in ts.values():
        t.initialize(image, box, {"dataset": "otb", "sequence": "Dog1"})
    for t in ts.values():  # warm-up
        _time_frame(t, image, box)
    for _ in range(rounds):
        for v in VARIANTS:
            t = ts[v]
            if v.endswith("hooks"):
                t.recorder.attach()
            times[v].append(_time_frame(t, image, box))
            t.recorder.detach()
    base = times["cached"]
    med = {v: statistics.median(times[v]) for v in VARIANTS}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))  # noqa: E731
    return {
        "tracker": name, "rounds": rounds, "threads": torch.get_num_threads(),
        "ms": {v: 1000 * m for v, m in med.items()},
        "fps": {v: 1 / m for v, m in med.items()},
        "full_over_cached": ratio("full", "cached"),
        "hooks_over_nohooks_cached": ratio("cached+hooks", "cached"),
        "hooks_over_nohooks_full": ratio("full+hooks", "full"),
        "min_ms": {v: 1000 * min(times[v]) for v in VARIANTS},
        "_base_rounds": base,
    }


def summary(r: dict) -> str:
    ms = ", ".join(f"{v} {r['ms'][v]:.0f} ms" for v in VARIANTS)
    return (f"{r['tracker']} per-frame track(), median of {r['rounds']} alternating rounds, {r['threads']} threads: "
            f"{ms}; full/cached {r['full_over_cached']:.2f}x; hooks/no-hooks {r['hooks_over_nohooks_cached']:.3f} "
            f"(cached), {r['hooks_over_nohooks_full']:.3f} (full)")


@pytest.mark.parametrize("name", ["spiketrack_s256_t1", "spiketrack_b256_t3"])
def test_spiketrack_latency(benchmark, name):
    result = measure(name)
    benchmark.extra_info.update({k: v for k, v in result.items() if not k.startswith("_")})
    ts = _trackers(name)
    image, box = _frame()
    ts["cached"].initialize(image, box, {"dataset": "otb"})
    benchmark.pedantic(_time_frame, args=(ts["cached"], image, box), rounds=1, iterations=1)
    print("\n" + summary(result))
    assert result["full_over_cached"] > 1.2, result          # caching must pay off
    assert result["hooks_over_nohooks_cached"] < 1.5, result   # recording must cost little (see report)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    for n in sys.argv[1:] or ["spiketrack_s256_t1", "spiketrack_b256_t3"]:
        print(summary(measure(n)))

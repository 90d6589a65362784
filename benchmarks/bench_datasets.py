"""Streaming speed of the dataset adapters: the real 1,350-frame OTB Dog1 through the OTB adapter with
background decoding (``datasets.base.prefetch``), against decoding the same files in a bare loop.

Run: ``pytest benchmarks/bench_datasets.py`` (pytest-benchmark) or ``python benchmarks/bench_datasets.py``.
The figure that matters is the ratio adapter time / bare-loop time measured in the same run (target:
below 1.10, i.e. the adapter adds under 10 %). Both sides are timed in alternating rounds, so load drift on
a shared machine moves both alike; the figure checked is the median over rounds of the per-round ratio
(adapter time / bare time of the same round). Median fps and the best rounds are reported beside it.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()
OTB_SEQUENCES = SHARED / "data" / "otb" / "sequences"
ROUNDS = 11


def bare_loop(paths: list[Path]) -> int:
    """What any tracker loop must do at least: read each file and decode it to RGB."""
    n = 0
    for p in paths:
        with open(p, "rb") as f:
            img = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        n += img.shape[0] > 0
    return n


def through_adapter() -> int:
    """Open the dataset, load the sequence's annotations, stream every frame with background decoding."""
    import datasets
    from datasets.base import prefetch

    seq = datasets.create_dataset("otb100", root=OTB_SEQUENCES)["Dog1"]
    n = 0
    for _, img in prefetch(seq.frames):
        n += img.shape[0] > 0
    return n


def adapter_no_thread() -> int:
    """The adapter read in the calling thread (no prefetch): what the adapter itself costs."""
    import datasets

    seq = datasets.create_dataset("otb100", root=OTB_SEQUENCES)["Dog1"]
    n = 0
    for i in range(len(seq.frames)):
        n += seq.frames.read(i).shape[0] > 0
    return n


def measure(rounds: int = ROUNDS) -> dict:
    paths = sorted((OTB_SEQUENCES / "Dog1" / "img").glob("*.jpg"))
    bare, adapter, plain = [], [], []
    for _ in range(rounds):  # alternate, so load drift on the machine hits all sides alike
        t = time.perf_counter()
        assert bare_loop(paths) == 1350
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert through_adapter() == 1350
        adapter.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert adapter_no_thread() == 1350
        plain.append(time.perf_counter() - t)
    med_b, med_a = statistics.median(bare), statistics.median(adapter)
    ratio = statistics.median(a / b for a, b in zip(adapter, bare))
    return {"frames": 1350, "bare_fps": 1350 / med_b, "adapter_fps": 1350 / med_a, "ratio": ratio,
            "best_bare_fps": 1350 / min(bare), "best_adapter_fps": 1350 / min(adapter),
            "best_ratio": min(adapter) / min(bare), "rounds": rounds,
            "no_thread_ratio": statistics.median(a / b for a, b in zip(plain, bare))}


def summary(r: dict) -> str:
    return (f"Dog1 1350 frames, median of {r['rounds']} alternating rounds: bare loop {r['bare_fps']:.0f} fps, "
            f"adapter with prefetch {r['adapter_fps']:.0f} fps, median per-round time ratio adapter/bare {r['ratio']:.3f} "
            f"(best rounds: {r['best_bare_fps']:.0f} vs {r['best_adapter_fps']:.0f} fps, ratio {r['best_ratio']:.3f}); "
            f"adapter read in the calling thread, no prefetch: ratio {r['no_thread_ratio']:.3f}")


requires_dog1 = pytest.mark.skipif(not (OTB_SEQUENCES / "Dog1").is_dir(),
                                   reason=f"{OTB_SEQUENCES / 'Dog1'} is absent (set BENCH_SHARED)")


@requires_dog1
def test_dog1_adapter_vs_bare_decode(benchmark):
    result = measure()
    benchmark.extra_info.update(result)
    benchmark.pedantic(through_adapter, rounds=1, iterations=1)
    print("\n" + summary(result))
    assert result["ratio"] < 1.10, result


if __name__ == "__main__":
    if not (OTB_SEQUENCES / "Dog1").is_dir():
        sys.exit(f"{OTB_SEQUENCES / 'Dog1'} is absent")
    sys.path.insert(0, str(REPO))
    print(summary(measure()))

"""The suite's one neuron-output accumulator (bench.core.spikes): exact sums and counts on the device."""
from __future__ import annotations

import pytest
import torch

from bench.core.spikes import EXACT_F32, SpikeAccumulator, nonzero_count, step_sums


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_step_sums_are_exact_for_quarter_spikes(dtype):
    g = torch.Generator().manual_seed(0)
    levels = torch.randint(0, 5, (3, 1, 64, 32, 32), generator=g)
    spikes = (levels.to(dtype) / 4)
    expected = levels.reshape(3, -1).sum(1).double() / 4
    assert torch.equal(step_sums(spikes).double(), expected)
    cl = spikes[:1, 0].contiguous(memory_format=torch.channels_last).unsqueeze(0)   # strided, no copy
    assert torch.equal(step_sums(cl).double(), expected[:1])


def test_accumulator_entries_images_and_one_read():
    acc = SpikeAccumulator(sums=True, nonzero=True)
    a = torch.tensor([[0.0, 0.25, 1.0], [0.5, 0.0, 0.0]])
    for image in (0, 1):
        acc.add("l", image, a)        # call 0 of each image
        acc.add("l", image, a[:1])    # call 1
    r = acc.read()["l"]
    assert r["images"] == 2 and r["calls"] == 4
    assert r["sums"].tolist() == [2.5, 1.0, 2.5] and r["nonzero"].tolist() == [4, 2, 4]
    assert r["observations"].tolist() == [6, 6, 6] and r["histogram"] is None
    pooled = SpikeAccumulator(sums=False, nonzero=True, per_call=False)
    pooled.add(("relu", "search"), 0, a)
    pooled.add(("relu", "search"), 1, a)
    p = pooled.read()[("relu", "search")]
    assert p["nonzero"].tolist() == [6] and p["observations"].tolist() == [12] and p["calls"] == 2
    pooled.discard(("relu", "search"))
    assert pooled.read() == {}


def test_nonzero_count_matches_count_nonzero():
    x = torch.relu(torch.randn(1000, generator=torch.Generator().manual_seed(1)))
    assert int(nonzero_count(x)) == int(torch.count_nonzero(x)) and EXACT_F32 == 2 ** 22


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_step_sums_are_exact_for_counts_up_to_top(dtype):
    # the efficiency counter's outputs: integer counts 0..16 at scale 8 (values on a 1/8 grid up to 2)
    g = torch.Generator().manual_seed(3)
    counts = torch.randint(0, 17, (2, 4096), generator=g)
    spikes = counts.to(dtype) / 8
    expected = counts.sum(1).double() / 8
    assert torch.equal(step_sums(spikes, top=16).double(), expected)


def test_step_nonzero_and_count_histogram():
    from bench.core.spikes import count_histogram, step_nonzero

    x = torch.tensor([[0.0, 0.25, 0.5, 0.5, 4.5], [0.0, 0.0, 1.0, 0.75, 0.25]])
    assert step_nonzero(x).tolist() == [4, 3]
    h = count_histogram(x, 4, 16)   # counts 0,1,2,2,16(clipped from 18) and 0,0,4,3,1
    assert h.shape == (2, 17) and h.dtype == torch.int64
    assert h[0].tolist()[:3] == [1, 1, 2] and int(h[0, 16]) == 1
    assert h[1].tolist()[:5] == [2, 1, 0, 1, 1]


def test_per_call_histogram_and_read_with_reset():
    # the counter's use: a new image per frame, each call its own entry, its own histogram function
    from bench.core.spikes import count_histogram

    acc = SpikeAccumulator(sums=True, nonzero=True, top=16)
    a = torch.tensor([[0.0, 0.5, 1.0]])
    acc.add((0, "n"), 1, a, histogram=lambda x: count_histogram(x, 2, 16))
    acc.add((0, "n"), 1, a, histogram=lambda x: count_histogram(x, 4, 16))
    r = acc.read(reset=True)[(0, "n")]
    assert r["sums"].tolist() == [1.5, 1.5] and r["nonzero"].tolist() == [2, 2]
    assert r["histogram"][0].tolist()[:5] == [1, 1, 1, 0, 0] and r["histogram"][1].tolist()[:5] == [1, 0, 1, 0, 1]
    assert acc.entries == {} and acc.read(reset=True) == {}

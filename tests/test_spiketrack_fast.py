"""Fast mode (:mod:`trackers.spiketrack.fast`): its rewrites compute the default modules' function.

In float64 the rewrites change only the rounding of sums (about 1e-16), far below a spike threshold, so
outputs agree to ~1e-10; in float32/bfloat16 they may flip spikes (fast mode says boxes may differ).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trackers.spiketrack import SpikeTrackTracker
from trackers.spiketrack.config import SpikeTrackConfig
from trackers.spiketrack.fast import (CountNeuron, _conv2d, _gate_forward, _scaled_memory, _scaled_read,
                                      _spike_consumers, bf16_supported, make_fast, prepack_supported)
from trackers.spiketrack.model import build_model
from trackers.spiketrack.mrm import Retriever, TemporalGate
from trackers.spiketrack.neuron import NILIFNeuron


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _randomise(module: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if name.endswith("running_var"):
                t.uniform_(0.5, 1.5, generator=g)
            elif t.is_floating_point():
                t.copy_(torch.randn(t.shape, generator=g, dtype=t.dtype) * (0.2 if t.dim() <= 1 else 1.0))


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("steps", [2, 3])
def test_gate_rewrite_equals_the_gate(channels_last, steps):
    gate = TemporalGate(4).double().eval()
    _randomise(gate, steps)
    g = torch.Generator().manual_seed(10 + steps)
    x = torch.rand(steps, 2, 6, 4, 4, generator=g, dtype=torch.float64) * 4
    if channels_last:   # the layout a merged read has: channels innermost
        x = x.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3)
    with torch.inference_mode():
        ref = gate(x.contiguous())
        out = _gate_forward(gate, x)
    assert out.shape == ref.shape and torch.allclose(out, ref, atol=1e-10)


def test_read_with_the_scale_folded_into_the_memory_equals_the_read():
    r = Retriever(16, 4, 3, num_heads=4).double().eval()
    _randomise(r, 1)
    g = torch.Generator().manual_seed(2)
    template = torch.randn(3, 2, 16, 4, 4, generator=g, dtype=torch.float64)
    q = torch.randint(0, 5, (3, 2, 16, 16), generator=g).double() / 4
    with torch.inference_mode():
        ref = Retriever._read(r, q, Retriever.memory(r, template))
        out = _scaled_read(r, q, _scaled_memory(r, template))
    assert out.shape == ref.shape == (3, 2, 64, 16) and torch.allclose(out, ref, atol=1e-10)


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_count_neuron_emits_four_times_the_official_spikes_bitwise(steps):
    g = torch.Generator().manual_seed(steps)
    x = torch.randn(steps, 2, 8, 5, 5, generator=g) * 3
    n = NILIFNeuron()
    with torch.no_grad():
        n.decay.copy_(torch.randn(3, generator=g))
    c = CountNeuron()
    c.load_state_dict(n.state_dict())
    with torch.inference_mode():
        assert torch.equal(c(x), n(x) * 4)


def test_every_convolution_but_the_stem_consumes_spikes_once():
    model = build_model(SpikeTrackConfig("tiny_t3", (8, 16, 32, 48), 128, 3, 48, 16))
    found = _spike_consumers(model)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.modules.conv._ConvNd)]
    assert len({id(m) for m in found}) == len(found)
    assert {id(m) for m in found} == {id(m) for m in convs} - {id(model.encoder.downsample1_1.encode_conv)}


@pytest.mark.skipif(not prepack_supported(), reason="no oneDNN convolution ops in this torch build")
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_prepacked_convolution_equals_conv2d(dtype):
    conv = torch.nn.Conv2d(16, 24, 3, stride=2, padding=1).to(dtype)
    conv.weight.data = conv.weight.data.contiguous(memory_format=torch.channels_last)
    g = torch.Generator().manual_seed(0)
    for shape in ((1, 16, 12, 12), (3, 16, 8, 8), (1, 16, 12, 12)):   # one packed weight per input shape
        x = torch.randn(shape, generator=g).to(dtype)
        with torch.inference_mode():
            out = _conv2d(conv, x, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)
            ref = conv(x)
        assert out.shape == ref.shape and torch.allclose(out.float(), ref.float(), atol=1e-5, rtol=1e-2)
    # bfloat16 is packed only where oneDNN runs it natively; elsewhere F.conv2d (its reorder would refuse)
    packed = dtype == torch.float32 or bf16_supported()
    assert len(getattr(conv, "_packed_weights", {})) == (2 if packed else 0)


@pytest.mark.parametrize("counts", [False, True])
@pytest.mark.parametrize("templates", [1, 3])
def test_fast_model_in_float64_matches_the_default_model(templates, counts):
    cfg = SpikeTrackConfig(f"tiny_t{templates}", (8, 16, 32, 48), 128, templates, 48, 16)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = build_model(cfg, dtype=torch.float64)
    _randomise(model, 3)
    fast = make_fast(model, bf16=False, counts=counts)
    assert fast.encoder_dtype == torch.float64
    g = torch.Generator().manual_seed(4)
    z = torch.randn(templates, 1, 3, 128, 128, generator=g, dtype=torch.float64)
    x = torch.randn(1, 3, 128, 128, generator=g, dtype=torch.float64)
    with torch.inference_mode():
        ref = model.track_search(x, model.encode_templates(z))
        out = fast.track_search(x, fast.encode_templates(z))
    for key in ("score_map", "size_map", "offset_map", "pred_boxes"):
        assert torch.allclose(out[key], ref[key], atol=1e-8), key


def test_fast_tracker_tracks_with_finite_boxes_and_records_rates():
    cfg = SpikeTrackConfig("tiny_t3", (8, 16, 32, 48), 128, 3, 48, 16)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        t = SpikeTrackTracker(build_model(cfg), fast=True)
    rng = np.random.RandomState(0)
    base = (rng.rand(120, 160, 3) * 255).astype(np.uint8)
    t.initialize(base, (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
    for i in range(1, 3):
        r = t.track(np.roll(base, 2 * i, axis=1))
        assert all(math.isfinite(v) for v in r.box) and 0 <= r.confidence <= 1
    rates = t.sequence_stats()["firing_rates"]["search"]
    assert rates["images"] == 2
    assert all(0 <= v <= 4 for layer in rates["layers"].values() for v in layer["mean_count"])


def test_fast_tracker_in_float64_records_the_default_firing_rates():
    """Count neurons emit k where the recorder expects k/4: the tracker corrects its read-out."""
    cfg = SpikeTrackConfig("tiny_t3", (8, 16, 32, 48), 128, 3, 48, 16)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = build_model(cfg, dtype=torch.float64)
    _randomise(model, 5)
    default = SpikeTrackTracker(model, sfr_histograms=True, record_sfr=True)
    fast = SpikeTrackTracker(model, fast=True, sfr_histograms=True)
    assert fast.model.spike_counts and fast.encoder_dtype == torch.float64
    rng = np.random.RandomState(1)
    base = (rng.rand(120, 160, 3) * 255).astype(np.uint8)
    for t in (default, fast):
        t.initialize(base, (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
        for i in range(1, 3):
            t.track(np.roll(base, 2 * i, axis=1))
    a, b = default.sequence_stats()["firing_rates"], fast.sequence_stats()["firing_rates"]
    for branch in ("template", "search"):
        assert a[branch]["layers"].keys() == b[branch]["layers"].keys()
        for name, layer in a[branch]["layers"].items():
            assert b[branch]["layers"][name]["histogram"] == layer["histogram"], name
            assert np.allclose(b[branch]["layers"][name]["mean_count"], layer["mean_count"], atol=1e-12), name

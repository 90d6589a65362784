"""SpikeTrack family: checkpoint layout, neuron, pipeline primitives, tracker logic, bad checkpoints."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import trackers
from trackers.base import RandomWeightsWarning
from bench.core.errors import CheckpointError, ConfigError, UnknownNameError
from trackers.common import clip_box, crop_box_to_image, hann1d, hann2d, map_box_back, normalize_crop, sample_target
from trackers.spiketrack import CONFIGS, SpikeTrackTracker, build_model, count_parameters, get_config, guess_config
from trackers.spiketrack.config import SpikeTrackConfig
from trackers.spiketrack.config import update_rule
from trackers.spiketrack.neuron import NILIFNeuron
from trackers.spiketrack.sfr import aggregate_sequences, level_histogram

NAMES = [f"spiketrack_{c}" for c in CONFIGS]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Many small convs: on a shared 2-core runner one intra-op thread is several times faster."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- checkpoint contract -------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_state_dict_names_shapes_and_params_equal_official(shared, cfg):
    ref_dir = shared / "reference" / "spiketrack"
    keys = json.loads((ref_dir / "keys" / f"{cfg}.keys.json").read_text())
    figures = json.loads((ref_dir / "measured_figures.json").read_text())["configs"][f"spiketrack_{cfg}"]
    model = build_model(CONFIGS[cfg], meta=True)
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert list(ours) == list(keys["state_dict"])      # names and their order
    assert ours == keys["state_dict"]                  # shapes
    assert count_parameters(model) == keys["params"] == figures["params_total"]
    assert count_parameters(model.encoder) == figures["params_encoder"]
    assert count_parameters(model.decoder) == figures["params_decoder"]
    assert count_parameters(model.encoder.mrm) == figures["params_mrm"]
    # the official template encoder holds a strict subset of the encoder keys
    assert set(keys["inference_model"]["encoder_temp_state_dict"]) <= {k[len("encoder."):] for k in ours if k.startswith("encoder.")}


@pytest.mark.parametrize("cfg", ["s256_t1", "b256_t3", "b384_t3"])
def test_output_shapes_and_macs_per_branch_equal_official(shared, cfg):
    """Meta-device forwards: official output shapes, and conv/matmul MACs of each branch equal the
    official inference modules' (measured_figures.json, torch.utils.flop_counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    figures = json.loads((shared / "reference" / "spiketrack" / "measured_figures.json").read_text())
    fig = figures["configs"][f"spiketrack_{cfg}"]
    c = CONFIGS[cfg]
    model = build_model(c, meta=True)
    crop = lambda: torch.empty(1, 3, c.crop_size, c.crop_size, device="meta")  # noqa: E731
    with torch.no_grad():
        with FlopCounterMode(display=False) as template_flops:
            mem = model.encode_templates([crop() for _ in range(c.num_templates)])
        with FlopCounterMode(display=False) as search_flops:
            xz = model.encode_search(crop(), mem)
        with FlopCounterMode(display=False) as head_flops:
            out = model.decoder(xz)
        full = model([crop() for _ in range(c.num_templates)], crop())
    gmac = lambda f: f.get_total_flops() / 2e9  # noqa: E731
    assert gmac(template_flops) == pytest.approx(fig["GMAC_template_branch_per_update"], abs=1e-4)
    assert gmac(search_flops) == pytest.approx(fig["GMAC_search_encoder_per_frame"], abs=1e-4)
    assert gmac(head_flops) == pytest.approx(fig["GMAC_head_per_frame"], abs=1e-4)
    fs = c.feat_size
    for o in (out, full):
        assert o["score_map"].shape == (1, 1, fs, fs)
        assert o["size_map"].shape == (1, 2, fs, fs)
        assert o["offset_map"].shape == (1, 2, fs, fs)
        assert o["pred_boxes"].shape == (1, 1, 4)
    assert full["xz"].shape == xz.shape == (1, 1, c.hidden_dim, fs, fs)
    dims = [c.embed_dims[i] for i in (0, 1, 2, 2, 3, 3)]
    assert [tuple(m.shape) for m in mem] == [(c.num_templates, 1, 8, d // 8, d // 2) for d in dims]


def test_registry_and_create_model():
    for name in NAMES:
        assert name in trackers.list_trackers() and name in trackers.list_models()
    assert set(trackers.list_trackers(family="spiketrack")) == set(NAMES)
    with pytest.warns(RandomWeightsWarning, match="RANDOM weights"):
        model = trackers.create_model("spiketrack_s256_t1", dtype="float64")
    assert isinstance(model, torch.nn.Module) and next(model.parameters()).dtype == torch.float64
    with pytest.raises(UnknownNameError):
        get_config("spiketrack_x999_t9")
    with pytest.raises(ConfigError):
        trackers.create_model("spiketrack_s256_t1", dtype="int8")


def test_guess_config_from_shapes():
    for cfg in CONFIGS:
        sd = build_model(CONFIGS[cfg], meta=True).state_dict()
        assert guess_config(sd) == f"spiketrack_{cfg}"
    assert guess_config({"foo": torch.zeros(1)}) is None


# -- bad checkpoints -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s256_t1_checkpoint(tmp_path_factory):
    """A training-layout checkpoint (state dict under ``net``), fp16 to keep it small."""
    with torch.random.fork_rng():
        torch.manual_seed(3)
        model = build_model(CONFIGS["s256_t1"])
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path = tmp_path_factory.mktemp("ckpt") / "spiketrack_s256_t1.pth.tar"
    torch.save({"net": sd, "epoch": 320}, path)
    return path, sd


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_official_layout_checkpoint_loads_strict(s256_t1_checkpoint):
    path, sd = s256_t1_checkpoint
    with _no_random_warning():
        model = trackers.create_model("spiketrack_s256_t1", checkpoint=str(path))
    got = model.state_dict()
    assert all(torch.equal(got[k], sd[k].to(got[k].dtype)) for k in sd)
    assert len(model.checkpoint_sha256) == 64


class _no_random_warning:
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings(record=True)
        self._log = self._cm.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        assert not any("RANDOM" in str(w.message) for w in self._log)


def test_wrong_config_checkpoint_names_config_and_keys(s256_t1_checkpoint):
    path, _ = s256_t1_checkpoint
    with pytest.raises(CheckpointError) as err:
        trackers.create_model("spiketrack_s256_t3", checkpoint=str(path))
    msg = _one_line(err)
    assert "spiketrack_s256_t1" in msg and "missing" in msg and "seg_responder" in msg
    with pytest.raises(CheckpointError) as err:
        trackers.create_model("spiketrack_b256_t1", checkpoint=str(path))
    msg = _one_line(err)
    assert "spiketrack_s256_t1" in msg and "mis-shaped" in msg


def test_truncated_checkpoint(s256_t1_checkpoint, tmp_path):
    path, _ = s256_t1_checkpoint
    cut = tmp_path / "cut.pth.tar"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError) as err:
        trackers.create_tracker("spiketrack_s256_t1", checkpoint=str(cut))
    assert "cut.pth.tar" in _one_line(err)


def test_pickled_objects_need_explicit_trust(s256_t1_checkpoint, tmp_path):
    import argparse

    _, sd = s256_t1_checkpoint
    path = tmp_path / "with_args.pth.tar"
    torch.save({"net": sd, "args": argparse.Namespace(lr=4e-4)}, path)
    with pytest.raises(CheckpointError) as err:
        trackers.create_model("spiketrack_s256_t1", checkpoint=str(path))
    assert "trust" in _one_line(err)
    model = trackers.create_model("spiketrack_s256_t1", checkpoint=str(path), trust_checkpoint=True)
    assert torch.equal(model.state_dict()["decoder.conv5_ctr.weight"], sd["decoder.conv5_ctr.weight"].float())


def test_not_a_state_dict(tmp_path):
    bad = tmp_path / "list.pth.tar"
    torch.save({"net": [1, 2, 3], "epoch": 3}, bad)
    with pytest.raises(CheckpointError) as err:
        trackers.create_model("spiketrack_s256_t1", checkpoint=str(bad))
    assert "not a state dict" in _one_line(err)
    other = tmp_path / "other.pth"
    torch.save({"net": {"backbone.weight": torch.zeros(3)}}, other)
    with pytest.raises(CheckpointError) as err:
        trackers.create_model("spiketrack_s256_t1", checkpoint=str(other))
    msg = _one_line(err)
    assert "missing" in msg and "unexpected" in msg and "backbone.weight" in msg


# -- NI-LIF neuron --------------------------------------------------------------------------------
def test_neuron_single_step_quantises_half_to_even():
    n = NILIFNeuron()
    x = torch.tensor([[-1.0, 0.4, 0.5, 1.5, 2.5, 3.6, 9.0]], dtype=torch.float64)
    assert n(x).tolist() == [[0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0]]


def test_neuron_multi_step_leak_and_soft_reset_by_normalised_spike():
    n = NILIFNeuron().double()
    with torch.no_grad():
        n.decay.copy_(torch.tensor([0.0, math.log(3.0), 5.0]))  # alpha = 0.5, 0.75
    x = torch.tensor([[2.6], [1.0], [0.3]], dtype=torch.float64)
    # t0: mem 2.6 -> 3 spikes (0.75); t1: (2.6-0.75)*0.5+1.0 = 1.925 -> 2 (0.5);
    # t2: (1.925-0.5)*0.75+0.3 = 1.36875 -> 1 (0.25)
    assert n(x).flatten().tolist() == [0.75, 0.5, 0.25]
    with pytest.raises(ValueError):
        n(torch.zeros(4, 2))


# -- pipeline primitives (trackers.common) ---------------------------------------------------------
def test_sample_target_geometry_rounding_and_edge_padding():
    img = np.arange(10 * 12 * 3, dtype=np.uint8).reshape(10, 12, 3)
    # box centre (6.5, 5.5), sqrt(2*2)*2 = 4 -> x1 = round(4.5) = 4 (half to even), y1 = round(3.5) = 4
    crop, rf = sample_target(img, (5.5, 4.5, 2, 2), 2.0, None)
    assert rf == 1.0 and crop.shape == (4, 4, 3)
    assert np.array_equal(crop, img[4:8, 4:8])
    # touching the right edge: x1 = 8, x2 = 12 == W -> the official "+1" pads one zero column
    crop, _ = sample_target(img, (9, 4, 2, 2), 2.0, None)
    assert np.array_equal(crop[:, :3], img[3:7, 8:11]) and not crop[:, 3].any()
    # resizing reports output/crop side
    crop, rf = sample_target(img, (5.5, 4.5, 2, 2), 2.0, 8)
    assert crop.shape == (8, 8, 3) and rf == 2.0
    with pytest.raises(ValueError):
        sample_target(img, (1, 1, 0, 0), 4.0, 8)


def test_crop_mask_marks_padding():
    from trackers.common import crop_mask

    # crop [8, 12) x [3, 7) of a 10x12 image: the "+1" quirk pads the last column
    mask = crop_mask((10, 12), (9, 4, 2, 2), 2.0, None)
    assert mask.shape == (4, 4) and mask[:, 3].all() and not mask[:, :3].any()
    # crop leaving the top-left corner: x1 = y1 = -1
    mask = crop_mask((10, 12), (0, 0, 2, 2), 2.0, None)
    assert mask[0].all() and mask[:, 0].all() and not mask[1:, 1:].any()


def test_normalize_crop_imagenet():
    crop = np.full((2, 2, 3), 255, dtype=np.uint8)
    t = normalize_crop(crop, dtype=torch.float64)
    assert t.shape == (1, 3, 2, 2)
    assert t[0, :, 0, 0].tolist() == pytest.approx([(1 - .485) / .229, (1 - .456) / .224, (1 - .406) / .225])


def test_hann_window_formula():
    w = hann1d(16)
    k = np.arange(1, 17)
    assert np.allclose(w.numpy(), 0.5 * (1 - np.cos(2 * np.pi * k / 17)), atol=1e-7)
    assert w.dtype == torch.float32 and hann2d(16).shape == (1, 1, 16, 16)
    assert torch.equal(hann2d(16)[0, 0], torch.outer(w, w))


def test_map_box_back_and_clip():
    # crop of side 256/rf centred on the previous box centre (60, 50); rf = 2 -> crop side 128
    out = map_box_back([64.0, 64.0, 20.0, 10.0], [50, 45, 20, 10], 256, 2.0)
    assert out == [50.0, 45.0, 20.0, 10.0]
    assert crop_box_to_image([0.5, 0.5, 20 / 128, 10 / 128], [50, 45, 20, 10], 256, 2.0) == pytest.approx(out)
    assert clip_box([-5, 95, 30, 30], 100, 200, margin=10) == [0, 90, 25, 10]
    assert clip_box([195, 10, 30, 30], 100, 200, margin=10) == [190, 10, 10, 30]


# -- tracker logic -------------------------------------------------------------------------------
def test_update_rule_per_dataset():
    assert update_rule("lasot") == (40, 0.8)
    assert update_rule("LaSOT_ext") == (40, 0.8)
    assert update_rule("got10k") == (25, 0.7) == update_rule(None) == update_rule("otb")


def _frames(n: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    base = (rng.rand(120, 160, 3) * 255).astype(np.uint8)
    return [np.roll(base, 2 * i, axis=1) for i in range(n)]


def _tiny_tracker(templates: int, **kw) -> SpikeTrackTracker:
    """The tracking logic does not depend on width or crop size: a narrow 128-pixel variant keeps
    these tests fast on a shared CPU (the real configs are covered above and by the reference test)."""
    cfg = SpikeTrackConfig(f"tiny_t{templates}", (8, 16, 32, 48), 128, templates, 48, 16)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return SpikeTrackTracker(build_model(cfg), **kw)


def test_t3_template_fifo_update_and_cached_equals_full():
    cached = _tiny_tracker(3)
    full = _tiny_tracker(3, cached=False, record_sfr=False)
    frames = _frames(5)
    for t in (cached, full):
        t.initialize(frames[0], (60, 40, 30, 24), {"dataset": "lasot", "sequence": "s"})
        assert (t.update_interval, t.update_threshold) == (40, 0.8)
        t.update_interval, t.update_threshold = 2, -1.0  # force updates to exercise the rule
    first = cached.templates[0]
    for i, img in enumerate(frames[1:], start=1):
        a, b = cached.track(img), full.track(img)
        assert a.box == b.box and a.confidence == b.confidence
        assert cached.template_updated == (i % 2 == 0)
    assert len(cached.templates) == 3 and cached.templates[0] is first
    assert cached.update_frames == [2, 4]
    stats = cached.sequence_stats()
    assert stats["template_updates"] == 2
    fr = stats["firing_rates"]
    assert fr["template"]["images"] == 3 and fr["search"]["images"] == 4
    # T = 3: template neurons give 3 entries per call, the MRM query neuron 2T per search image
    assert len(fr["template"]["layers"]["encoder.ConvBlock1_1.0.Conv.spike1"]["mean_count"]) == 3
    assert len(fr["search"]["layers"]["encoder.mrm.0.retriever.q_spike"]["mean_count"]) == 6
    assert len(fr["search"]["layers"]["encoder.mrm.0.retriever.gate_spike"]["mean_count"]) == 1
    assert "firing_rates" not in full.sequence_stats()


def test_t1_never_updates_and_box_stays_in_image(tmp_path):
    t = _tiny_tracker(1)
    frames = _frames(3, seed=1)
    t.initialize(frames[0], (140, 100, 30, 30), {"dataset": "otb", "sequence": "edge"})
    fr = t.sequence_stats()["firing_rates"]
    assert fr["search"]["images"] == 0 and fr["search"]["overall"] is None and fr["template"]["images"] == 1
    t.update_interval, t.update_threshold = 1, -1.0
    for img in frames[1:]:
        r = t.track(img)
        x, y, w, h = r.box
        assert not t.template_updated
        assert 0 <= x <= 160 - 10 and 0 <= y <= 120 - 10 and w >= 10 and h >= 10
        assert 0.0 < r.confidence < 1.0
    paths = t.export_official_sfr(tmp_path)
    search = json.loads(open(paths[1]).read())
    assert paths[1].endswith("search/edge_spike_rates.json") and search["branch_type"] == "search"
    assert "encoder.mrm.5.retriever.q_spike" in search["average_rates"]
    assert paths[0].endswith("template/edge_temp_spike_rates.json")


def test_registered_tracker_tracks_one_frame():
    with pytest.warns(RandomWeightsWarning, match="MEANINGLESS"):
        t = trackers.create_tracker("spiketrack_s256_t1")
    assert t.spiking and t.name == "spiketrack_s256_t1" and t.describe()["inference_path"] == "cached-template"
    frames = _frames(2, seed=2)
    t.initialize(frames[0], (60, 40, 30, 24), {"dataset": "got10k", "sequence": "g"})
    r = t.track(frames[1])
    assert len(r.box) == 4 and all(math.isfinite(v) for v in r.box)


# -- firing-rate arithmetic -----------------------------------------------------------------------
def test_level_histogram_counts_levels_per_step():
    spikes = torch.tensor([[0.0, 0.25, 0.25, 1.0], [0.5, 0.75, 0.0, 0.0]])
    assert level_histogram(spikes).tolist() == [[1, 2, 0, 0, 1], [2, 0, 1, 1, 0]]


@pytest.mark.parametrize("shape", [(1, 3, 4099), (3, 2, 8192), (2, 70001)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_packed_level_histogram_equals_plain_count(shape, dtype):
    g = torch.Generator().manual_seed(sum(shape))
    levels = torch.randint(0, 5, shape, generator=g)
    expected = [[int((row == k).sum()) for k in range(5)] for row in levels.reshape(shape[0], -1)]
    assert level_histogram(levels.to(dtype) / 4).tolist() == expected


def test_aggregate_stats_files(tmp_path):
    from bench.core.errors import ResultsError
    from trackers.spiketrack.sfr import aggregate_stats_files

    layer = {"mean_count": [0.5], "nonzero_fraction": [0.25], "level_fraction": [[0.75, 0.2, 0.05, 0, 0]]}
    doc = {"firing_rates": {"search": {"images": 3, "layers": {"l": layer},
                                       "overall": {"mean_count": 0.5, "nonzero_fraction": 0.25}}}}
    (tmp_path / "a_stats.json").write_text(json.dumps(doc))
    (tmp_path / "b_stats.json").write_text(json.dumps({"template_updates": 0}))
    agg = aggregate_stats_files(tmp_path)
    assert agg["source_sequences"] == ["a"] and agg["search"]["layers"]["l"]["mean_count"] == [0.5]
    (tmp_path / "c_stats.json").write_text("{not json")
    with pytest.raises(ResultsError, match="c_stats.json"):
        aggregate_stats_files(tmp_path)


def test_aggregate_weights_each_sequence_equally():
    def seq(rate, images):
        layer = {"mean_count": [rate], "nonzero_fraction": [rate / 4], "level_fraction": [[1 - rate / 4, 0, 0, 0, rate / 4]]}
        return {"search": {"images": images, "layers": {"l": layer},
                           "overall": {"mean_count": rate, "nonzero_fraction": rate / 4}},
                "template": {"images": 1, "layers": {}, "overall": {"mean_count": 0.0, "nonzero_fraction": 0.0}}}

    agg = aggregate_sequences([seq(1.0, 10), seq(2.0, 1000)])
    assert agg["sequences"] == 2
    assert agg["search"]["layers"]["l"]["mean_count"] == [1.5]
    assert agg["search"]["overall"]["mean_count"] == 1.5


# -- inference fast paths and the device-side recorder -------------------------------------------
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_inference_neuron_equals_autograd_neuron_bitwise(steps):
    """The in-place inference path does the official operations in the official order."""
    g = torch.Generator().manual_seed(steps)
    x = torch.randn(steps, 2, 8, 5, 5, generator=g, dtype=torch.float64) * 3
    n = NILIFNeuron().double()
    with torch.no_grad():
        n.decay.copy_(torch.randn(3, generator=g, dtype=torch.float64))
        fast = n(x)
    slow = n(x.clone().requires_grad_(True))
    assert slow.requires_grad and torch.equal(fast, slow.detach())


def test_recorder_without_histograms_gives_the_same_mean_counts():
    from trackers.spiketrack.sfr import FiringRateRecorder

    a, b = _tiny_tracker(3, record_sfr=False), _tiny_tracker(3, record_sfr=False)
    ra, rb = FiringRateRecorder(a.model, histograms=True).attach(), FiringRateRecorder(b.model, histograms=False).attach()
    frames = _frames(3, seed=3)
    for t in (a, b):
        t.initialize(frames[0], (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
        for img in frames[1:]:
            t.track(img)
    for branch in ("template", "search"):
        assert ra.mean_counts(branch) == rb.mean_counts(branch)
    sa, sb = ra.stats(), rb.stats()
    layer = "encoder.mrm.0.retriever.q_spike"
    assert sa["search"]["layers"][layer]["mean_count"] == sb["search"]["layers"][layer]["mean_count"]
    assert "histogram" in sa["search"]["layers"][layer] and "histogram" not in sb["search"]["layers"][layer]
    assert "nonzero_fraction" not in sb["search"]["overall"]
    assert sa["search"]["overall"]["mean_count"] == pytest.approx(sb["search"]["overall"]["mean_count"], abs=1e-12)
    with pytest.raises(ValueError, match="histograms=True"):
        rb.histograms("search")
    # sequences with and without histograms aggregate on the mean counts
    agg = aggregate_sequences([sa, sb])
    assert agg["search"]["layers"][layer]["mean_count"] == sa["search"]["layers"][layer]["mean_count"]
    assert "level_fraction" not in agg["search"]["layers"][layer]
    assert agg["search"]["overall"]["nonzero_fraction"] is None


def test_tracker_records_mean_counts_only_unless_asked():
    t = _tiny_tracker(1)
    frames = _frames(2, seed=4)
    t.initialize(frames[0], (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
    t.track(frames[1])
    layer = t.sequence_stats()["firing_rates"]["search"]["layers"]["decoder.spike"]
    assert set(layer) == {"images", "mean_count", "observations"}
    h = _tiny_tracker(1, sfr_histograms=True)
    h.initialize(frames[0], (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
    h.track(frames[1])
    assert "level_fraction" in h.sequence_stats()["firing_rates"]["search"]["layers"]["decoder.spike"]


def test_batch_norm_folding_matches_conv_then_norm():
    from trackers.spiketrack.fast import fold_batch_norms, make_fast

    model = build_model(SpikeTrackConfig("tiny_t3", (8, 16, 32, 48), 128, 3, 48, 16), dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_var"):
                buf.uniform_(0.5, 1.5, generator=g)
            elif name.endswith(("running_mean", "bias")):
                buf.normal_(0, 0.2, generator=g)
    folded = make_fast(model, channels_last=False)
    assert folded.folded_batch_norms > 100 and fold_batch_norms(folded) == 0  # nothing left to fold
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in folded.modules())
    x = torch.randn(1, 8, 32, 32, generator=g, dtype=torch.float64)
    a, b = model.encoder.ConvBlock1_2[0], folded.encoder.ConvBlock1_2[0]
    with torch.no_grad():
        ref = a.bn1(a.conv1(x.clone()))
        assert torch.allclose(b.bn1(b.conv1(x)), ref, atol=1e-10)
        ref = model.encoder.mrm[0].retriever.q_conv(x)
        assert torch.allclose(folded.encoder.mrm[0].retriever.q_conv(x), ref, atol=1e-10)


def test_fast_tracker_says_boxes_may_differ():
    t = _tiny_tracker(3, fast=True)
    d = t.describe()
    assert d["fast"] is True and "may differ from the official" in d["numerics"]
    assert "fast" in _tiny_tracker(1).describe() and _tiny_tracker(1).describe()["fast"] is False
    frames = _frames(2, seed=5)
    t.initialize(frames[0], (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
    r = t.track(frames[1])
    assert all(math.isfinite(v) for v in r.box)
    assert t.sequence_stats()["firing_rates"]["search"]["images"] == 1


def test_run_config_records_fast_mode_only_when_set():
    from bench.runner import RunSpec

    assert "fast" not in RunSpec("spiketrack_s256_t1").config()   # default runs keep their old configuration
    assert RunSpec("spiketrack_s256_t1", fast=True).config()["fast"] is True


def test_fast_copy_does_not_record_into_the_original_recorder():
    t = _tiny_tracker(1)                                  # its recorder hooks the shared model
    f = SpikeTrackTracker(t.model, fast=True)
    frames = _frames(2, seed=6)
    f.initialize(frames[0], (60, 40, 30, 24), {"dataset": "otb", "sequence": "s"})
    f.track(frames[1])
    assert t.recorder.images("search") == 0 and f.recorder.images("search") == 1


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(3, 1, 1440, 16, 16), (2, 2, 256, 24, 24), (3, 1, 64, 16, 16)])
def test_gate_weighted_sum_equals_official_expression_bitwise(dtype, shape):
    from trackers.spiketrack.mrm import weighted_sum_over_steps

    g = torch.Generator().manual_seed(shape[2])
    x = torch.randn(shape, generator=g, dtype=dtype)
    w = torch.softmax(torch.randn(shape[1], shape[2], shape[0], generator=g, dtype=dtype), -1)
    official = (x.permute(1, 2, 0, 3, 4) * w[..., None, None]).sum(dim=2)   # fuc.py GateModule
    assert torch.equal(weighted_sum_over_steps(x, w), official)

"""The ViT trackers' test-time loop: template memory/selection, query carrying, box mapping.

Logic tests use a narrow network (embed 48, 4 blocks) built from the real modules so a frame costs
milliseconds; the expected template counts and boxes are worked out by hand from the official rules
(``lib/test/tracker/sstrack.py``; see trackers/vit/memory.py).
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch

import trackers
from trackers.base import RandomWeightsWarning
from trackers.vit import ViTTracker, build_model, get_config, select_memory_indices


def _tiny(base: str, **over):
    cfg = dataclasses.replace(get_config(base), name=f"tiny_{base}", embed_dim=48, depth=4, num_heads=4,
                              head_channels=32, ce_loc=(1, 2), ce_keep_ratio=(0.7, 0.7), **over)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(cfg)


def _frames(n, h=240, w=360, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("frame_id,stored,n,want", [
    (1, 1, 3, [0]), (2, 2, 3, [0, 1]), (3, 3, 3, [0, 1, 2]),
    (4, 4, 3, [0, 1, 2]),            # dur 1: [0] + [0, 1, 2]
    (5, 5, 3, [0, 1, 2]),
    (6, 6, 3, [0, 1, 3, 5]),         # dur 2: [0] + [1, 3, 5]: N+1 templates from frame 2N
    (9, 9, 3, [0, 1, 4, 7]),         # dur 3: [0] + [1, 4, 7]
    (100, 100, 3, [0, 16, 49, 82]),  # dur 33
    (8, 8, 4, [0, 1, 3, 5, 7]),      # GOT configs (N=4): 5 templates
    (7, 7, 4, [0, 1, 2, 3]),
    (50, 1, 1, [0]),                 # OSTrack: the first template only
])
def test_official_memory_selection(frame_id, stored, n, want):
    assert select_memory_indices(frame_id, stored, n) == want


def test_sstrack_memory_grows_every_frame_and_selects_n_plus_one():
    model = _tiny("dropmae_256_150ep")
    seen = []
    real_forward = model.forward

    def spy(template, search, ce_template_mask=None, track_query=None):
        out = real_forward(template, search, ce_template_mask, track_query)
        seen.append((len(template), ce_template_mask.sum().item(), track_query, out["track_query"]))
        return out

    model.forward = spy
    tr = ViTTracker(model, "tiny")
    frames = _frames(10)
    tr.initialize(frames[0], (150, 100, 30, 60))
    for f in frames[1:]:
        res = tr.track(f)
        assert tr.template_updated
        x, y, w, h = res.box
        assert 0 <= x <= 360 - 10 and 0 <= y <= 240 - 10 and w >= 10 and h >= 10
        assert np.isfinite(res.confidence)
    assert [s[0] for s in seen] == [1, 2, 3, 3, 3, 4, 4, 4, 4]
    assert [s[1] for s in seen] == [s[0] for s in seen]          # one centre token per template
    assert len(tr.memory) == 10
    assert seen[0][2] is None                                    # fresh sequence: no carried token
    for prev, cur in zip(seen, seen[1:]):
        assert torch.equal(cur[2], prev[3])                      # the output query goes into the next frame
    assert tr.sequence_stats()["templates_per_frame"] == {"1": 1, "2": 1, "3": 3, "4": 4}
    tr.initialize(frames[0], (150, 100, 30, 60))
    assert tr.track_query is None and len(tr.memory) == 1


def test_ostrack_keeps_one_template():
    model = _tiny("vitb_256_mae_ce_32x4_ep300")
    tr = ViTTracker(model, "tiny_ostrack")
    frames = _frames(4)
    tr.initialize(frames[0], (150, 100, 30, 60))
    for f in frames[1:]:
        tr.track(f)
        assert not tr.template_updated
    assert len(tr.memory) == 1 and tr.track_query is None
    assert tr.sequence_stats()["templates_per_frame"] == {"1": 3}


def test_box_decoding_and_mapping_by_hand():
    """Score peak at (ix=10, iy=6) of 16x16, zero offset, size 0.25: with state (100,100,40,40) and search
    factor 4 the crop side is 160 (resize 1.6), so the box is cx = 10/16*160 + 120 - 80 = 140 ->
    (120, 80, 40, 40)."""
    model = _tiny("dropmae_256_150ep")

    def fake(template, search, ce_template_mask=None, track_query=None):
        score = torch.full((1, 1, 16, 16), 0.1)
        score[0, 0, 6, 10] = 0.9
        return {"score_map": score, "size_map": torch.full((1, 2, 16, 16), 0.25),
                "offset_map": torch.zeros(1, 2, 16, 16), "track_query": torch.zeros(1, 1, 48)}

    model.forward = fake
    tr = ViTTracker(model, "tiny")
    img = _frames(1, 400, 400)[0]
    tr.initialize(img, (100, 100, 40, 40))
    res = tr.track(img)
    assert res.box == pytest.approx((120.0, 80.0, 40.0, 40.0), abs=1e-9)
    assert res.confidence == pytest.approx(0.9 * float(trackers.common.hann2d(16)[0, 0, 6, 10]), rel=1e-6)


def test_box_is_clipped_into_the_image():
    model = _tiny("vitb_256_mae_ce_32x4_ep300")

    def fake(template, search, ce_template_mask=None, track_query=None):
        score = torch.zeros(1, 1, 16, 16)
        score[0, 0, 0, 0] = 1.0                                  # far top-left of the crop
        return {"score_map": score, "size_map": torch.full((1, 2, 16, 16), 0.5),
                "offset_map": torch.zeros(1, 2, 16, 16)}

    model.forward = fake
    tr = ViTTracker(model, "tiny")
    img = _frames(1, 200, 200)[0]
    tr.initialize(img, (10, 10, 20, 20))
    x, y, w, h = tr.track(img).box
    assert x == 0 and y == 0 and w >= 10 and h >= 10             # clip_box(margin=10)


def test_registered_tracker_runs_end_to_end_in_float64():
    """Random weights through the registry: a loud warning, finite weights, float64 all the way."""
    with pytest.warns(RandomWeightsWarning, match="RANDOM weights"):
        tr = trackers.create_tracker("ostrack_256", dtype="float64")
    assert all(v.dtype == torch.float64 and torch.isfinite(v).all()
               for v in tr.model.state_dict().values() if v.is_floating_point())
    frames = _frames(2)
    tr.initialize(frames[0], (150, 100, 30, 60))
    res = tr.track(frames[1])
    assert len(res.box) == 4 and all(np.isfinite(res.box))
    assert tr.describe()["random_weights"] and tr.describe()["config"] == "vitb_256_mae_ce_32x4_ep300"
    assert tr.describe()["dtype"] == "float64"


def test_bad_initial_box_is_a_bench_error():
    from bench.core.errors import BenchError

    tr = ViTTracker(_tiny("vitb_256_mae_ce_32x4_ep300"), "tiny")
    with pytest.raises(BenchError):
        tr.initialize(_frames(1)[0], (10, 10, 0, 5))

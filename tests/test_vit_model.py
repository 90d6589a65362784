"""ViT trackers: checkpoint layout, parameter counts and MACs against the official figures.

Truth: ../shared/reference/sstrack/keys/<cfg>.keys.json and baselines_profile.json (measured by running the
official code with thop 0.0.31 and fvcore), and the figures the papers print (OSTrack-256 21.5 G,
OSTrack-384 48.3 G, ODTrack-B 73.0 G, SSTrack-256/T3 32.53 G). All models here live on the meta device
(shapes only), so these tests take well under a second each.
"""
from __future__ import annotations

import json

import pytest
import torch

import trackers
from bench.core.errors import CheckpointError, ConfigError, UnknownNameError
from bench.efficiency.model_macs import count_macs
from trackers.vit import get_config

SSTRACK_CONFIGS = ["dropmae_256_150ep", "dropmae_256_got_60ep", "dropmae_384_150ep", "dropmae_384_got_60ep"]
ALL_NAMES = ["sstrack_b256", "sstrack_b384", "ostrack_256", "ostrack_384", "odtrack_b256", "odtrack_b384"]


def _keys(shared, cfg):
    return json.loads((shared / "reference" / "sstrack" / "keys" / f"{cfg}.keys.json").read_text())


def _profile(shared):
    return json.loads((shared / "reference" / "sstrack" / "baselines_profile.json").read_text())


def _meta(name, **kw):
    return trackers.create_model(name, device="meta", **kw)


def _shapes(model):
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def test_all_trackers_and_models_registered():
    for name in ALL_NAMES + ["sstrack_b256_got", "sstrack_b384_got"]:
        assert name in trackers.list_trackers()
        assert name in trackers.list_models()
    assert set(ALL_NAMES) <= set(trackers.list_trackers(spiking=False))


@pytest.mark.parametrize("cfg", SSTRACK_CONFIGS)
def test_sstrack_state_dict_equals_official(shared, cfg):
    ref = _keys(shared, cfg)
    model = trackers.create_model("sstrack_b256", config=cfg, device="meta") if "256" in cfg else \
        trackers.create_model("sstrack_b384", config=cfg, device="meta")
    assert list(_shapes(model).items()) == list(ref["state_dict"].items())   # names, shapes and order
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == ref["params"]
    assert sum(p.numel() for p in model.backbone.parameters()) == ref["params_backbone"]
    assert sum(p.numel() for p in model.box_head.parameters()) == ref["params_box_head"]
    assert sum(b.numel() for b in model.buffers()) == ref["buffers_numel"]


def test_sstrack_256_parameter_count_is_official():
    assert sum(p.numel() for p in _meta("sstrack_b256").parameters()) == 92_520_837


def test_ostrack_odtrack_layouts(shared):
    """OSTrack = SSTrack without temporal embeddings and cls_pos_embed; ODTrack = SSTrack without temporal
    embeddings (read from the official vit_ce.py / base_backbone.py); counts from their own scripts."""
    prof = _profile(shared)
    by_prefix = {k.split(" ")[0]: v for k, v in prof.items() if isinstance(v, dict)}
    ss256 = _keys(shared, "dropmae_256_150ep")["state_dict"]
    ss384 = _keys(shared, "dropmae_384_150ep")["state_dict"]
    temporal = {"backbone.temporal_pos_embed_x", "backbone.temporal_pos_embed_z"}
    os_drop = temporal | {"backbone.cls_pos_embed"}
    assert _shapes(_meta("ostrack_256")) == {k: v for k, v in ss256.items() if k not in os_drop}
    assert _shapes(_meta("ostrack_384")) == {k: v for k, v in ss384.items() if k not in os_drop}
    assert _shapes(_meta("odtrack_b384")) == {k: v for k, v in ss384.items() if k not in temporal}
    assert _shapes(_meta("odtrack_b256")) == {k: v for k, v in ss256.items() if k not in temporal}
    count = lambda n: sum(p.numel() for p in _meta(n).parameters())  # noqa: E731
    assert count("ostrack_256") == by_prefix["OSTrack-256"]["params"] == 92_518_533
    assert count("ostrack_384") == by_prefix["OSTrack-384"]["params"]
    assert count("odtrack_b384") == by_prefix["ODTrack-B"]["params"] == 92_826_501


@pytest.mark.parametrize("name,published_gmacs", [
    ("sstrack_b256", 32.53), ("ostrack_256", 21.50), ("ostrack_384", 48.32), ("odtrack_b384", 73.03)])
def test_thop_macs_equal_published(name, published_gmacs):
    assert round(count_macs(_meta(name)).thop_gmacs, 2) == published_gmacs


def test_macs_equal_official_measurements_exactly(shared):
    ss = _keys(shared, "dropmae_256_150ep")["flops"]
    ss384 = _keys(shared, "dropmae_384_150ep")["flops"]
    prof = {k.split(" ")[0]: v for k, v in _profile(shared).items() if isinstance(v, dict)}
    assert count_macs(_meta("sstrack_b256")).thop_macs == ss["thop_0.0.31_macs_T3"]
    assert count_macs(_meta("sstrack_b384")).thop_macs == ss384["thop_0.0.31_macs_T3"]
    assert count_macs(_meta("ostrack_256")).thop_macs == prof["OSTrack-256"]["thop0.0.31_macs"]
    assert count_macs(_meta("ostrack_384")).thop_macs == prof["OSTrack-384"]["thop0.0.31_macs"]
    assert count_macs(_meta("odtrack_b384")).thop_macs == prof["ODTrack-B"]["thop0.0.31_macs"]
    for t, v in ss["thop_0.0.31_macs_by_template_count"].items():
        assert count_macs(_meta("sstrack_b256"), num_templates=int(t[1:])).thop_macs == v


@pytest.mark.parametrize("cfg,name", [("dropmae_256_150ep", "sstrack_b256"), ("dropmae_384_150ep", "sstrack_b384")])
def test_exact_macs_include_attention(shared, cfg, name):
    """Exact count = fvcore's linear + conv + matmul (fvcore also adds LayerNorm/BatchNorm terms)."""
    f = _keys(shared, cfg)["flops"]
    c = count_macs(_meta(name))
    ops = f["fvcore_by_operator_T3"]
    assert c.by_operator["bmm"] == ops["matmul"]            # q@k^T, attn@v and the query neck
    assert c.by_operator["addmm"] == ops["linear"]
    assert c.by_operator["convolution"] == ops["conv"]
    assert c.exact_macs == f["fvcore_total_T3"] - ops["layer_norm"] - ops["batch_norm"]
    steady = f["steady_state_T4"]
    c4 = count_macs(_meta(name), num_templates=4)
    assert c4.thop_macs == steady["thop_0.0.31_macs"]
    assert c4.by_operator["bmm"] == steady["fvcore_by_operator"]["matmul"]


def test_attention_matmuls_hand_count():
    """OSTrack-256: 320 tokens, CE keeps 180/126/89 of 256 search tokens: 2*768*sum(N^2) attention MACs."""
    tokens = [320] * 4 + [244] * 3 + [190] * 3 + [153] * 2
    assert count_macs(_meta("ostrack_256")).by_operator["bmm"] == 2 * 768 * sum(n * n for n in tokens)


def test_meta_forward_shapes():
    m = _meta("sstrack_b384")
    z = [torch.empty(1, 3, 192, 192, device="meta")] * 2
    out = m(z, torch.empty(1, 3, 384, 384, device="meta"), ce_template_mask=None)
    assert tuple(out["score_map"].shape) == (1, 1, 24, 24)
    assert tuple(out["size_map"].shape) == (1, 2, 24, 24) and tuple(out["offset_map"].shape) == (1, 2, 24, 24)
    assert tuple(out["track_query"].shape) == (1, 1, 768)
    assert [tuple(r.shape) for r in out["removed_indexes_s"]] == [(1, 172), (1, 121), (1, 84)]  # 576->404->283->199
    assert "track_query" not in _meta("ostrack_256")(torch.empty(1, 3, 128, 128, device="meta"),
                                                     torch.empty(1, 3, 256, 256, device="meta"))


def test_ctr_point_template_mask():
    m = _meta("sstrack_b256")
    mask = m.template_mask(3)
    assert mask.shape == (1, 192) and mask.nonzero()[:, 1].tolist() == [27, 91, 155]   # (3,3) of 8x8 each
    assert _meta("ostrack_384").template_mask(1).nonzero()[:, 1].tolist() == [5 * 12 + 5]


def test_configs_match_official_yamls():
    c = get_config("dropmae_384_got_60ep")
    assert (c.template_size, c.search_size, c.template_factor, c.search_factor, c.template_number) == \
        (192, 384, 2.0, 5.0, 4)
    c = get_config("vitb_256_mae_ce_32x4_ep300")
    assert (c.template_size, c.search_size, c.search_factor, c.template_number, c.query_token) == \
        (128, 256, 4.0, 1, False)
    with pytest.raises(UnknownNameError, match="dropmae_256_150ep"):
        get_config("dropmae_999")
    with pytest.raises(ConfigError, match="ostrack"):
        trackers.create_model("sstrack_b256", config="vitb_256_mae_ce_32x4_ep300", device="meta")
    with pytest.raises(ConfigError, match="dtype"):
        trackers.create_model("ostrack_256", dtype="float8")


def test_wrong_checkpoint_names_the_keys(tmp_path):
    path = tmp_path / "bad.pth.tar"
    torch.save({"net": {"backbone.cls_token": torch.zeros(1, 1, 768), "foo.weight": torch.zeros(2)}}, path)
    with pytest.raises(CheckpointError) as e:
        trackers.create_model("ostrack_256", checkpoint=str(path))
    msg = str(e.value)
    assert "\n" not in msg and "bad.pth.tar" in msg and "unexpected: foo.weight" in msg and "missing" in msg



def test_count_macs_uses_the_suite_thop_counter_and_restores_mode():
    """count_macs's thop total is bench.efficiency.thop's (one counter for the suite); its per-type split
    adds up to it, and the model's train/eval mode is left as it was."""
    from bench.efficiency.thop import thop_profile
    from bench.efficiency.model_macs import profile_inputs

    m = _meta("ostrack_256").train()
    c = count_macs(m)
    assert m.training and all(mod.training for mod in m.modules())
    assert c.thop_macs == thop_profile(m, profile_inputs(m))[0]
    assert sum(c.by_module_type.values()) == c.thop_macs
    assert set(c.by_module_type) == {"Linear", "Conv2d", "BatchNorm2d"}


def test_box_from_maps_hand_case_and_first_max_wins_ties():
    """F=4, two cells tie for the maximum (row-major 6 and 9): index 6 (iy=1, ix=2) is taken."""
    from trackers.common import box_from_maps
    from trackers.spiketrack.head import CenterHead
    from trackers.vit.head import CenterPredictor

    score = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    score[0, 0, 1, 2] = score[0, 0, 2, 1] = 0.9
    size = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    size[0, :, 1, 2] = torch.tensor([0.25, 0.5], dtype=torch.float64)
    size[0, :, 2, 1] = 1.0
    offset = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    offset[0, :, 1, 2] = torch.tensor([0.5, -0.25], dtype=torch.float64)
    box, best = box_from_maps(score, size, offset, 4)
    assert box.tolist() == [[(2 + 0.5) / 4, (1 - 0.25) / 4, 0.25, 0.5]]
    assert best.tolist() == [[0.9]]
    head = CenterPredictor(inplanes=8, channel=16, feat_sz=4)
    assert torch.equal(head.cal_bbox(score, size, offset), box)
    spiking_box, spiking_best = CenterHead(8, 16, 4).cal_bbox(score, size, offset)
    assert torch.equal(spiking_box, box) and torch.equal(spiking_best, best)

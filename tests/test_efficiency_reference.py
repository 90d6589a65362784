"""The engine on the real models against the official figures in ../shared/reference.

- GMACs per branch of the six SpikeTrack configs = measured_figures.json (official code, flop_counter);
- firing rates on the s256_t1 reference input = the official hooks' values in s256_t1.ref.pt, and the
  SOPs/energy follow from them by hand;
- thop-convention GMACs of OSTrack / ODTrack / SSTrack = baselines_profile.json and sstrack/SPEC.md.
"""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from bench.efficiency.counter import EfficiencyCounter, count_once, totals
from bench.efficiency.energy import PRESETS, energy_pj
from bench.efficiency.thop import thop_profile


@pytest.fixture(autouse=True)
def _spiketrack(request):
    if "vit" not in request.fixturenames:
        pytest.importorskip("trackers.spiketrack", reason="SpikeTrack models are not in this checkout")


def _branch_gmacs(counter, branch, component=None):
    return sum(s.macs for s in counter.layers.values()
               if s.branch == branch and (component is None or s.path.split(".")[0] == component)) / 1e9


@pytest.mark.parametrize("cfg", ["s256_t1", "s256_t3", "b256_t1", "b256_t3", "b384_t1", "b384_t3"])
def test_spiketrack_gmacs_per_branch_equal_official(shared, cfg):
    ref = json.loads((shared / "reference/spiketrack/measured_figures.json").read_text())["configs"][f"spiketrack_{cfg}"]
    from trackers.spiketrack import build_model, get_config

    c = get_config(cfg)
    model = build_model(c, meta=True)
    T, S = c.num_templates, c.crop_size
    z = torch.empty(T, 1, 3, S, S, device="meta")
    x = torch.empty(1, 3, S, S, device="meta")
    counter = EfficiencyCounter(model, mode="full")
    with counter.frame("init"):
        mem = model.encode_templates(z)
    with counter.frame("track"):
        model.track_search(x, mem)
    counter.detach()
    assert _branch_gmacs(counter, "template") == pytest.approx(ref["GMAC_template_branch_per_update"], abs=6e-5)
    assert _branch_gmacs(counter, "search", "encoder") == pytest.approx(ref["GMAC_search_encoder_per_frame"], abs=6e-5)
    assert _branch_gmacs(counter, "search", "decoder") == pytest.approx(ref["GMAC_head_per_frame"], abs=6e-5)
    assert _branch_gmacs(counter, "search") == pytest.approx(ref["GMAC_per_frame_search_plus_head"], abs=6e-5)
    mrm = sum(s.macs for s in counter.layers.values()
              if s.branch == "search" and s.path.startswith("encoder.mrm.")) / 1e9
    assert mrm == pytest.approx(ref["GMAC_search_mrm_part"], abs=6e-5)
    stem = sum(s.macs for s in counter.layers.values()
               if s.branch == "search" and s.path == "encoder.downsample1_1.encode_conv") / 1e9
    assert stem == pytest.approx(ref["GMAC_first_layer_stem_real_valued_input"], abs=6e-5)


@pytest.fixture(scope="module")
def s256_t1_counted(shared):
    """The s256_t1 inference path on the reference weights and inputs, float64, counted."""
    from trackers.spiketrack import build_model, get_config

    ref = torch.load(shared / "reference/spiketrack/s256_t1.ref.pt", weights_only=True)
    model = build_model(get_config("s256_t1"), dtype=torch.float64)
    model.load_state_dict({k: v.double() for k, v in ref["state_dict"].items()}, strict=False)
    z = torch.stack([t.double() for t in ref["inputs"]["templates"]])
    x = ref["inputs"]["search"].double()
    conv_inputs = []   # (input, output shape, module) of every conv call of the search pass

    def grab(m, args, out):
        conv_inputs.append((args[0].detach().clone(), out.shape, m))

    counter = EfficiencyCounter(model, spike_scale=4)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # the suite shares 2 cores; one thread is faster under load
    try:
        with counter.frame("init"):
            mem = model.encode_templates(z)
        handles = [m.register_forward_hook(grab) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Conv1d))]
        with counter.frame("track"):
            model.track_search(x, mem)
    finally:
        torch.set_num_threads(threads)
        counter.detach()
    for h in handles:
        h.remove()
    return ref, counter, conv_inputs


def test_firing_rates_equal_official_hooks(s256_t1_counted):
    ref, counter, _ = s256_t1_counted
    for branch, key, prefix in (("search", "inference_search", ""), ("template", "inference_template", "encoder.")):
        official = ref["sfr"][key]
        assert len(official) > 100
        mine = {st.name: st for st in counter.neurons.values() if st.branch == branch}
        assert len(mine) == len(official)
        for name, per_image in official.items():
            rates = per_image["image_0"]
            got = mine[prefix + name].mean_count()
            # official: float32 mean of the float64 output x 4
            assert got == pytest.approx(rates, rel=2e-6, abs=2e-7), name


def test_sops_and_energy_follow_from_official_rates_by_hand(s256_t1_counted):
    ref, counter, conv_inputs = s256_t1_counted
    rates = ref["sfr"]["inference_search"]
    # one layer by hand: downsample1_2's 3x3/2 conv (16 -> 32 channels, 128^2 -> 64^2) fed by its spike
    macs = 64 * 64 * 32 * 16 * 9
    r = rates["encoder.downsample1_2.encode_spike"]["image_0"][0]
    row = counter.layers[("encoder.downsample1_2.encode_conv", "convolution", "search")]
    assert row.macs == macs
    assert row.sops == pytest.approx(macs * r, rel=2e-6)
    # every conv by an independent route (module hooks on the conv inputs of the search pass)
    hand_sops = 0.0
    hand_real = 0.0
    for inp, out_shape, m in conv_inputs:
        k = m.weight[0].numel()
        conv_macs = int(torch.Size(out_shape).numel()) * k
        counts = inp * 4
        if torch.equal(counts, counts.round()) and bool((inp >= 0).all()):
            hand_sops += conv_macs * float(counts.mean())
        else:
            hand_real += conv_macs
    conv_rows = [s for s in counter.layers.values() if s.branch == "search" and s.op == "convolution"]
    assert sum(s.sops for s in conv_rows) == pytest.approx(hand_sops, rel=1e-9)
    assert hand_real == 128 * 128 * 16 * 3 * 49              # the stem is the only real-valued conv
    # energy of the search branch: E_MAC x stem MACs + E_AC x all SOPs (convolutions and matmuls)
    t = totals(counter, "search")
    rows = [{"macs": s.macs, "spike_macs": s.spike_macs, "sops": s.sops} for s in counter.layers.values()
            if s.branch == "search"]
    c = PRESETS["fp32"]
    assert t["macs"] - t["spike_macs"] == hand_real
    assert energy_pj(rows, c) == pytest.approx(4.6 * hand_real + 0.9 * t["sops"], rel=1e-12)
    matmul_sops = t["sops"] - hand_sops
    assert matmul_sops > 0                                    # the attention reads are spike-fed too


@pytest.fixture
def vit():
    return pytest.importorskip("bench.efficiency.model_macs", reason="ViT trackers are not in this checkout")


@pytest.mark.parametrize("model_name,key,field", [
    ("ostrack_256", "OSTrack-256", "thop0.0.31_macs"),
    ("ostrack_384", "OSTrack-384", "thop0.0.31_macs"),
    ("odtrack_b384", "ODTrack-B", "thop0.0.31_macs"),
])
def test_thop_convention_equals_official_profilers(shared, vit, model_name, key, field):
    import trackers

    ref = json.loads((shared / "reference/sstrack/baselines_profile.json").read_text())
    entry = next(v for k, v in ref.items() if k.startswith(key + " ") or k == key)
    model = trackers.create_model(model_name, device="meta")
    macs, params = thop_profile(model, vit.profile_inputs(model))
    assert macs == int(entry[field])
    assert params == int(entry["thop0.0.31_params"])


@pytest.mark.parametrize("model_name,gmacs", [("sstrack_b256", 32.53), ("sstrack_b384", 73.03)])
def test_thop_convention_sstrack_equals_spec(shared, vit, model_name, gmacs):
    """sstrack/SPEC.md section 3: official thop 0.0.31 MACs with T=3 templates."""
    import trackers

    assert f"{gmacs:.2f} G" in (shared / "reference/sstrack/SPEC.md").read_text()
    model = trackers.create_model(model_name, device="meta")
    macs, _ = thop_profile(model, vit.profile_inputs(model))
    assert round(macs / 1e9, 2) == gmacs


def test_exact_count_of_vit_sees_attention_matmuls(vit):
    """The dispatch count includes the attention matmuls thop misses (sstrack/SPEC.md: fvcore 256/T3
    has 2.59 G of matmul); it equals flop_counter's total / 2 as bench.efficiency.model_macs reports it."""
    import trackers

    model = trackers.create_model("sstrack_b256", device="meta")
    templates, search = vit.profile_inputs(model)
    c = count_once(model, None, templates, search)
    exact = vit.count_macs(model)
    assert totals(c)["macs"] == exact.exact_macs
    assert totals(c)["macs"] > exact.thop_macs


def test_cheap_frames_equal_full_count_on_spiketrack_t3(shared):
    """Per-frame SOPs from neuron hooks only (auto mode) equal a full operator count on every frame, on
    an active T=3 network: per-step slices (``q[t]`` into the per-step convs of a non-contiguous neuron
    output), reused neurons (``q_spike`` twice per MRM) and the template/search branches."""
    from trackers.spiketrack import build_model, get_config

    ref = torch.load(shared / "reference/spiketrack/s256_t1.ref.pt", weights_only=True)
    model = build_model(get_config("s256_t3"), dtype=torch.float64)
    own = model.state_dict()
    model.load_state_dict({k: v.double() for k, v in ref["state_dict"].items()
                           if k in own and own[k].shape == v.shape}, strict=False)  # active weights
    g = torch.Generator().manual_seed(0)
    z = torch.randn(3, 1, 3, 256, 256, generator=g, dtype=torch.float64)
    xs = [torch.randn(1, 3, 256, 256, generator=g, dtype=torch.float64) for _ in range(3)]
    counters = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for mode in ("auto", "full"):
            c = EfficiencyCounter(model, spike_scale=4, mode=mode)
            with c.frame("init"):
                mem = model.encode_templates(z)
            for x in xs:
                with c.frame("track"):
                    model.track_search(x, mem)
            c.detach()
            counters[mode] = c
    finally:
        torch.set_num_threads(threads)
    auto, full = counters["auto"], counters["full"]
    assert auto.full_frames == 2 and full.full_frames == 4 and auto.uncounted_segments == 0
    assert sum(s.sops for s in full.layers.values()) > 1e9          # the network is active
    for key, st in full.layers.items():
        a = auto.layers[key]
        assert a.stale_macs == 0, key
        assert a.macs == st.macs
        assert a.sops == pytest.approx(st.sops, rel=1e-12, abs=1e-6), key
        assert a.entry_sops == pytest.approx(st.entry_sops, rel=1e-12, abs=1e-6), key

"""Honest figures without weights: the warning says what stays valid and what does not, profile.json flags
the run, and workbooks, leaderboards and energy charts mark or leave out the weight-dependent figures."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import datasets
import trackers
from bench.efficiency.profile import format_profile, profile_tracker, write_profile
from trackers.base import RandomWeightsWarning, Tracker, TrackResult, has_random_weights


def test_warning_names_valid_and_invalid_figures():
    with pytest.warns(RandomWeightsWarning) as rec:
        trackers.create_model("spiketrack_s256_t1")
    msg = str(rec[0].message)
    assert "RANDOM weights" in msg and "MEANINGLESS" in msg and "\n" not in msg
    assert "parameters, MACs, footprint and latency stay valid" in msg
    assert "firing rates, SOPs, sparsity and energy do NOT" in msg


def test_has_random_weights_per_family():
    with pytest.warns(RandomWeightsWarning):
        spike = trackers.create_model("spiketrack_s256_t1")
    assert has_random_weights(spike) is True
    spike.checkpoint_sha256 = "0" * 64
    assert has_random_weights(spike) is False
    vit = trackers.create_model("ostrack_256", device="meta")   # the ViT family says random_weights
    assert has_random_weights(vit) is True
    assert has_random_weights(trackers.create_tracker("mil")) is None      # no torch model
    assert has_random_weights(nn.Linear(2, 2)) is None                     # says nothing


class Spike(nn.Module):
    def forward(self, x):
        return torch.round(torch.clamp(x, 0, 4)) / 4


class Tiny(Tracker):
    """A spiking model without a checkpoint (``checkpoint_sha256 = None``, as the model families set it)."""

    name = "tiny_random"
    spiking = True

    def __init__(self):
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(4, 6), Spike(), nn.Linear(6, 2)).eval()
        self.model.checkpoint_sha256 = None

    def initialize(self, image, box, info=None):
        self.box = tuple(float(v) for v in box)

    def track(self, image):
        with torch.no_grad():
            self.model(torch.full((1, 4), 1.3))
        return TrackResult(self.box, 1.0)


def _profile(tmp_path, tracker=None, random=True):
    tracker = tracker or Tiny()
    if not random:
        tracker.model.checkpoint_sha256 = "f" * 64
        tracker.name = "tiny_trained"
    doc = profile_tracker(tracker, datasets.create_dataset("demo"), max_frames=3, latency=False, counters=["exact"])
    doc["tracker"] = tracker.name
    write_profile(doc, tmp_path)
    return doc


def test_profile_json_flags_random_weights(tmp_path):
    doc = _profile(tmp_path)
    stored = json.loads((tmp_path / "tiny_random" / "demo" / "profile.json").read_text())
    assert stored["random_weights"] is True
    assert "RANDOM WEIGHTS" in format_profile(doc)


def _store_with_results(tmp_path):
    """Two profiled trackers with demo results: one random, one 'trained' (a checkpoint was loaded)."""
    from bench.results import ResultsStore

    _profile(tmp_path, random=True)
    _profile(tmp_path, random=False)
    ds = datasets.create_dataset("demo")
    for i, name in enumerate(("tiny_random", "tiny_trained")):
        run = ResultsStore(tmp_path).run(name, "demo")
        run.start({"tracker": name, "dataset": "demo"})
        for seq in ds:
            gt = np.asarray(seq.ground_truth, dtype=float)
            run.write_sequence(seq.name, gt + (i + 1) * 3.0, np.full(len(gt), 0.01))
    return tmp_path


def test_workbook_and_leaderboards_mark_and_leave_out(tmp_path):
    import openpyxl

    from reports.build import write_report
    from reports.collect import collect
    from reports.excel import RANDOM_SOURCE

    data = collect(_store_with_results(tmp_path / "res"), datasets=["demo"], attributes=False)
    rnd, ok = data.profiles["tiny_random"], data.profiles["tiny_trained"]
    assert rnd.random_weights is True and ok.random_weights is False
    assert rnd.value("energy_mj") is None and rnd.value("gsops") is None and rnd.value("energy:lemaire2022") is None
    assert rnd.value("params_m") == ok.value("params_m") and rnd.value("gmacs") == ok.value("gmacs")
    assert rnd.value("activation_sparsity") is None and rnd.value("footprint") == ok.value("footprint")
    out = write_report(data, tmp_path / "report", formats=("png",))
    wb = openpyxl.load_workbook(tmp_path / "report" / "report.xlsx")
    lb = wb["Leaderboard"]
    head = [c.value for c in lb[1]]
    rows = {r[0].value: [c.value for c in r] for r in lb.iter_rows(min_row=3)}
    assert rows["tiny_random"][2] == RANDOM_SOURCE and rows["tiny_trained"][2] == "measured"
    for col in ("SOPs (G/frame)", "Energy (mJ/frame)"):
        j = head.index(col)
        assert rows["tiny_random"][j] is None and rows["tiny_trained"][j] is not None
    assert "model fp32" in [c.value for c in lb[2]][head.index("Energy (mJ/frame)")]
    nb = wb["NeuroBench"]
    nb_head = [c.value for c in nb[1]]
    assert nb_head[:2] == ["Rank", "Tracker"] and nb_head[-8:-1] == [
        "Footprint (bytes)", "Model Exec. Rate (executions/frame)", "Connection Sparsity", "Activation Sparsity",
        "Dense (SynOps/frame)", "Eff_MACs (/frame)", "Eff_ACs (/frame)"]
    nb_rows = {r[1].value: [c.value for c in r] for r in nb.iter_rows(min_row=3)}
    assert nb_rows["tiny_random"][-1].startswith("RANDOM")
    assert nb_rows["tiny_random"][nb_head.index("Activation Sparsity")] is None
    assert nb_rows["tiny_random"][nb_head.index("Footprint (bytes)")] == nb_rows["tiny_trained"][nb_head.index("Footprint (bytes)")]
    em = [[c.value for c in r] for r in wb["Energy models"].iter_rows(min_row=2)]
    assert {r[1] for r in em} >= {"fp32", "fp16", "int8", "lemaire2022", "loihi"}
    assert all(r[2] is None and r[4].startswith("RANDOM") for r in em if r[0] == "tiny_random")
    assert all(r[2] is not None for r in em if r[0] == "tiny_trained")
    about = [[c.value for c in r] for r in wb["About"].iter_rows(min_row=2)]
    assert any(r[0] == "RANDOM weights" and "tiny_random" in r[1] for r in about)
    md = (tmp_path / "report" / "leaderboard.md").read_text()
    assert "tiny_random§" in md and "random weights (no checkpoint)" in md
    # one chart per energy model; the random run is on none of them (one point left: no chart)
    figs = {p.rsplit("/", 1)[-1] for p in out["files"] if p.endswith(".png")}
    assert not any("_vs_energy" in f for f in figs)
    assert "leaderboard_demo_vs_gmacs.png" in figs


def test_energy_chart_per_model(tmp_path):
    from reports.collect import collect
    from reports.plots import efficiency_points, plot_efficiency

    data = collect(_store_with_results(tmp_path / "res"), datasets=["demo"], attributes=False)
    data.profiles["tiny_random"].random_weights = False   # pretend both were trained: two points per chart
    files = {p.name for p in plot_efficiency(data, tmp_path / "figs", formats=("png",))}
    for model in ("fp32", "fp16", "int8", "lemaire2022", "loihi"):
        assert f"leaderboard_demo_vs_energy_{model}.png" in files
        pts = efficiency_points(data, "demo", "auc", f"energy:{model}")
        assert len(pts) == 2 and not any(p["published"] for p in pts)

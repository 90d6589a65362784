"""profile_tracker / `bench profile` on real demo frames: tables, amortisation, latency, stored JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import datasets
from bench.efficiency.latency import ModelTimer, summarise
from bench.efficiency.profile import SCHEMA, profile_tracker, write_profile
from trackers.base import Tracker, TrackResult


class Neuron(nn.Module):
    def forward(self, x):
        return torch.round(torch.clamp(x, 0, 4)) / 4


class TinySNN(nn.Module):
    """Stem conv (real input) -> neuron -> 1x1 conv; ``branch`` says which half runs."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.lif = Neuron()
        self.pw = nn.Conv2d(4, 2, 1, bias=False)
        self.branch = "search"

    def forward(self, x):
        return self.pw(self.lif(self.stem(x) * 4))


class TinyTracker(Tracker):
    """Runs the template half at init and every 3rd frame, the search half every frame."""

    name = "tiny_snn"
    spiking = True
    template_update_interval = 3   # the contract (trackers.base.Tracker): the engine reads nothing else

    def __init__(self):
        torch.manual_seed(0)
        self.model = TinySNN().eval()

    def _crop(self, image):
        x = torch.from_numpy(np.ascontiguousarray(image[:16, :16])).permute(2, 0, 1)[None].float() / 255 - 0.5
        return x

    def initialize(self, image, box, info=None):
        self.model.branch = "template"
        self.model(self._crop(image))
        self.frame = 0
        self.box = tuple(float(v) for v in box)

    def track(self, image):
        self.frame += 1
        self.model.branch = "search"
        self.model(self._crop(image))
        self.template_updated = self.frame % 3 == 0
        if self.template_updated:
            self.model.branch = "template"
            self.model(self._crop(image))
        return TrackResult(self.box, 1.0)


def test_profile_of_a_spiking_tracker_on_demo_frames(tmp_path):
    ds = datasets.create_dataset("demo")
    doc = profile_tracker(TinyTracker(), ds, max_frames=10, warmup=1, histogram=True)
    assert doc["schema"] == SCHEMA and doc["dataset"] == "demo" and doc["spiking"]
    assert doc["frames"] == {"init": 1, "track": 9}
    assert doc["full_mode_frames"] == 2 and doc["uncounted_segments"] == 0
    assert doc["spike_scale"] == 4
    stem = 4 * 8 * 8 * 3 * 9
    pw = 2 * 8 * 8 * 4
    for b in ("search", "template"):
        br = doc["branches"][b]
        assert br["macs"] == stem + pw and br["real_input_macs"] == stem
        assert 0 <= br["mean_count"] <= 4
    assert doc["branches"]["template"]["calls"] == 1 + 3         # init + updates at frames 3, 6, 9
    assert doc["template_calls_per_frame"] == pytest.approx(4 / 9)
    assert doc["update_interval"] == 3
    e = doc["energy"]["variants"]["exact"]
    s = doc["branches"]["search"]
    assert e["per_branch_mJ"]["search"] == pytest.approx((4.6 * stem + 0.9 * s["sops"]) * 1e-9)
    assert e["per_frame_amortised_nominal_mJ"] == pytest.approx(
        e["per_branch_mJ"]["search"] + e["per_branch_mJ"]["template"] / 3)
    # the neuron's mean count is the MAC-weighted count of the 1x1 conv's input (same tensor)
    lif = next(n for n in doc["neurons"] if n["name"] == "lif" and n["branch"] == "search")
    pw_row = next(r for r in doc["layers"] if r["path"] == "pw" and r["branch"] == "search")
    assert pw_row["mean_count"] == pytest.approx(lif["mean_count"][0])
    assert sum(lif["histogram"][0]) == 4 * 8 * 8 * 9
    lat = doc["latency"]
    assert lat["all_frames"]["end_to_end"]["n"] == 9
    assert lat["template_update_frames"]["end_to_end"]["n"] == 3
    assert lat["ordinary_frames"]["model"]["n"] == 6
    assert lat["environment"]["torch_threads"] >= 1
    path = write_profile(doc, tmp_path)
    assert path == tmp_path / "tiny_snn" / "demo" / "profile.json"
    assert json.loads(path.read_text())["branches"]["search"]["macs"] == stem + pw


def test_summary_percentiles():
    s = summarise([0.1, 0.2, 0.3, 0.4])
    assert s["n"] == 4 and s["mean_s"] == pytest.approx(0.25) and s["fps"] == pytest.approx(4.0)
    assert s["p50_s"] == pytest.approx(0.25) and s["max_s"] == 0.4
    assert summarise([]) == {"n": 0}


def test_model_timer_counts_only_outermost_calls():
    m = TinySNN()
    t = ModelTimer(m)
    m(torch.randn(1, 3, 8, 8))
    first = t.take()
    assert first > 0 and t.take() == 0
    t.remove()
    m(torch.randn(1, 3, 8, 8))
    assert t.take() == 0


def test_cli_profile_writes_profile_json(tmp_path, capsys):
    from bench.cli import main

    rc = main(["profile", "--tracker", "mil", "--frames", "4", "--results", str(tmp_path), "--warmup", "1",
               "--no-progress", "--json", str(tmp_path / "out.json")])
    assert rc == 0
    doc = json.loads((tmp_path / "mil" / "demo" / "profile.json").read_text())
    assert doc["note"].startswith("tracker has no torch model")
    assert doc["latency"]["all_frames"]["end_to_end"]["n"] == 3
    assert json.loads((tmp_path / "out.json").read_text())["tracker"] == "mil"


def test_cli_rejects_bad_options(tmp_path):
    from bench.cli import main

    assert main(["profile", "--tracker", "mil", "--frames", "1", "--results", str(tmp_path)]) != 0
    assert main(["profile", "--tracker", "no_such_tracker", "--results", str(tmp_path)]) != 0
    assert main(["profile", "--tracker", "mil", "--e-ac", "-1", "--results", str(tmp_path)]) != 0
    assert not (tmp_path / "mil").exists()

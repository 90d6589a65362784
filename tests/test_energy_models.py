"""Energy models: the memory-aware Lemaire model by hand on a two-layer network and against spikingjelly's
estimator, the device and compute-only models, every figure named, and template amortisation from the
run's logged update events."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import datasets
from bench.efficiency import lemaire
from bench.efficiency.accounting import amortise_over_run
from bench.efficiency.amortise import run_template_rate
from bench.efficiency.energy_models import MODELS, amortise, check_model
from bench.efficiency.profile import profile_tracker
from bench.core.errors import BenchError, ConfigError
from trackers.base import Tracker, TrackResult


class IntSpike(nn.Module):
    """SpikeTrack-like integer neuron: count k = round(clamp(x, 0, 4)), emitted as k / 4."""

    def forward(self, x):
        return torch.round(torch.clamp(x, 0, 4)) / 4


class TwoLayer(nn.Module):
    """x (4 real values) -> fc1 (bias) -> integer spikes [2, 0, 4] -> fc2 (no bias) -> integer spikes [1, 4]."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.n1 = IntSpike()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.n2 = IntSpike()
        with torch.no_grad():
            self.fc1.weight.fill_(0.5)
            self.fc1.bias.copy_(torch.tensor([1.6, -0.2, 3.0]))        # fc1(x) = [2.2, 0.4, 3.6]
            self.fc2.weight.copy_(torch.tensor([[1.8, 7.0, 0.1], [0.5, 7.0, 4.2]]))   # [1.0, 4.45]

    def forward(self, x):
        return self.n2(self.fc2(self.n1(self.fc1(x))))


class ModelTracker(Tracker):
    """Runs ``model`` on a fixed input: in ``initialize`` (template branch) when ``init_runs``, and in every
    ``track`` (search branch); the image is ignored so the counts are known exactly."""

    name = "model_tracker"
    spiking = True

    def __init__(self, model, inputs, init_runs=True, before=None, labelled=False):
        self.model = model.eval()
        self.inputs = inputs
        self.init_runs = init_runs
        self.before = before or (lambda: None)
        self.labelled = labelled   # the model says its branch (model.branch), as SpikeTrack's does
        if labelled:
            self.model.branch = "search"
        self.i = 0

    def _run(self, branch="search"):
        if self.labelled:
            self.model.branch = branch
        self.before()
        x = self.inputs[self.i % len(self.inputs)]
        self.i += 1
        with torch.no_grad():
            return self.model(x)

    def initialize(self, image, box, info=None):
        self.box = tuple(float(v) for v in box)
        if self.init_runs:
            self._run("template")

    def track(self, image):
        self._run()
        return TrackResult(self.box, 1.0)


def _sram(c: float) -> float:
    return c * 2.5 / 8192    # pJ per byte below 8 KB: linear from 0 to 10 pJ per 32-bit word at 8 KB


def test_lemaire_two_layer_network_by_hand():
    doc = profile_tracker(ModelTracker(TwoLayer(), [torch.full((1, 4), 0.3)]), datasets.create_dataset("demo"),
                          max_frames=2, latency=False, counters=["exact"])
    m = doc["energy_models"]["models"]["lemaire2022"]
    # fc1 dense: 12 MACs, 4 + 3 addressing adds, bias adds 3, inputs read once (16 B, 16 B buffer), weights
    # + bias read once per MAC / output (60 B from a 60 B buffer); no output write (neurons follow)
    # n1: 3 neurons, 1 step, 6 integer events (2 + 0 + 4), 3 leak multiplications
    # fc2 spike-fed: 6 events x 2 outputs = 12 synops, 12 weight reads, 12 potential reads and writes
    # n2: 2 neurons, 5 events (1 + 4), 2 leak multiplications
    counts = {"synop": 12, "mac": 12 + 3 + 2, "ac": 3 + 6 + 12 + 5, "acc_addr": 7 + 12, "mac_addr": 0,
              "read_in_bytes": 16 + 24, "write_out_bytes": 24 + 20, "read_params_bytes": 60 + 48,
              "read_potential_bytes": 12 + 48 + 8, "write_potential_bytes": 12 + 48 + 8}
    for branch in ("template", "search"):
        got = m["counts_per_branch"][branch]
        assert {k: got[k] for k in counts} == pytest.approx(counts, abs=1e-9)
    inout = 16 * _sram(16) + 24 * _sram(4000) + 44 * _sram(4000)
    params = 60 * _sram(60) + 48 * _sram(24)
    potential = 2 * (12 * _sram(12) + 48 * _sram(8) + 8 * _sram(8))
    ops = 26 * 0.1 + 17 * (3.1 + 0.1)
    addressing = 19 * 0.1
    total = ops + addressing + inout + params + potential
    bd = m["breakdown_per_branch_pJ"]["search"]
    assert bd["ops_pj"] == pytest.approx(ops, rel=1e-12) and bd["addressing_pj"] == pytest.approx(addressing)
    assert (bd["inout_pj"], bd["params_pj"], bd["potential_pj"]) == pytest.approx((inout, params, potential), rel=1e-12)
    assert m["per_branch_mJ"]["search"] == pytest.approx(total * 1e-9, rel=1e-12)
    # one template encoding per tracked frame here: both parts shown, summed
    assert m["template_amortised_mJ"] == pytest.approx(total * 1e-9) and m["per_frame_mJ"] == pytest.approx(2 * total * 1e-9)
    # the own implementation and spikingjelly's costing of the same counts agree
    if lemaire.spikingjelly_version():
        assert m["cross_check"]["search"]["relative_difference"] < 1e-12


def test_compute_and_device_models_by_hand_and_named():
    doc = profile_tracker(ModelTracker(TwoLayer(), [torch.full((1, 4), 0.3)], init_runs=False),
                          datasets.create_dataset("demo"), max_frames=2, latency=False, counters=["exact"])
    block = doc["energy_models"]
    assert set(MODELS) <= set(block["models"]) and block["headline"] == "fp32"
    for name, m in block["models"].items():
        assert m["model"] == name and m["source"] and m["kind"] in ("compute-only", "memory-aware", "device")
    assert "lemaire" in block["models"]["lemaire2022"]["model"]
    # fp32: 12 real-input MACs x 4.6 + SOPs (6 MACs x mean count 2) x 0.9
    assert block["models"]["fp32"]["per_frame_mJ"] == pytest.approx((12 * 4.6 + 12 * 0.9) * 1e-9)
    # Loihi (Davies et al. 2018): off-chip encoding MACs, 23.6 pJ/SOP, 81 pJ/neuron update, 1.7 pJ/spike
    loihi = block["models"]["loihi"]
    assert "Davies" in loihi["source"] and "23.6" in loihi["source"]
    assert loihi["per_frame_mJ"] == pytest.approx((12 * 4.6 + 12 * 23.6 + 5 * 81 + 11 * 1.7) * 1e-9)
    # no template branch ran: the frame is the search branch alone
    assert block["models"]["fp32"]["template_amortised_mJ"] == 0.0
    assert doc["random_weights"] is None   # a bare module that says nothing about its weights


@pytest.mark.parametrize("multi_step", [False, True])
def test_lemaire_equals_spikingjelly_estimator_on_binary_network(multi_step):
    sj = pytest.importorskip("spikingjelly.activation_based.op_counter.analytical_energy")
    from spikingjelly.activation_based import functional, layer, neuron

    mode = "m" if multi_step else "s"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = layer.Conv2d(3, 8, 3, padding=1, step_mode=mode)
            self.n1 = neuron.IFNode(v_threshold=0.5, step_mode=mode)
            self.c2 = layer.Conv2d(8, 6, 3, stride=2, padding=1, groups=2, step_mode=mode)
            self.n2 = neuron.LIFNode(tau=2.0, v_threshold=0.3, step_mode=mode)
            self.fc = layer.Linear(6 * 4 * 4, 5, bias=False, step_mode=mode)
            self.n3 = neuron.IFNode(v_threshold=0.2, step_mode=mode)

        def forward(self, x):
            y = self.n2(self.c2(self.n1(self.c1(x))))
            return self.n3(self.fc(y.flatten(-3)))

    torch.manual_seed(0)
    net = Net().eval()
    x = torch.randn(*((2, 1) if multi_step else (1,)), 3, 8, 8)
    functional.reset_net(net)
    ref = sj.estimate_lemaire_energy(net, (x,))
    tracker = ModelTracker(net, [x], init_runs=False, before=lambda: functional.reset_net(net))
    doc = profile_tracker(tracker, datasets.create_dataset("demo"), max_frames=2, latency=False,
                          counters=["exact"])
    m = doc["energy_models"]["models"]["lemaire2022"]
    got = m["per_branch_mJ"]["search"] * 1e9
    assert abs(got - ref.total_pj) / ref.total_pj < 1e-9
    assert m["counts_per_branch"]["search"] == pytest.approx({k: float(v) for k, v in ref.counts.items()}, rel=1e-12)
    assert m["implementation"].startswith("spikingjelly")


@pytest.mark.filterwarnings("ignore:Lemaire formulas do not support")
def test_integer_spikes_are_events_not_dense_values():
    """spikingjelly's estimator costs a layer fed by normalised integer spikes as a dense MAC layer; here a
    spike of k is k events, so the spike-fed layer is costed as accumulations."""
    sj = pytest.importorskip("spikingjelly.activation_based.op_counter.analytical_energy")
    net = TwoLayer()
    ref = sj.estimate_lemaire_energy(net, (torch.full((1, 4), 0.3),), config=sj.LemaireEnergyConfig(strict=False))
    assert ref.counts["synop"] == 0 and ref.counts["mac"] == 12 + 6   # fc2 counted as 6 dense MACs
    doc = profile_tracker(ModelTracker(net, [torch.full((1, 4), 0.3)], init_runs=False),
                          datasets.create_dataset("demo"), max_frames=2, latency=False, counters=["exact"])
    assert doc["energy_models"]["models"]["lemaire2022"]["counts_per_branch"]["search"]["synop"] == 12


def test_sram_cost_is_piecewise_linear_and_clamped():
    c = lemaire.LemaireCosts()
    assert c.sram_pj_per_byte(0) == 0 and c.sram_pj_per_byte(8192) == 2.5
    assert c.sram_pj_per_byte((8192 + 32768) / 2) == pytest.approx(3.75)
    assert c.sram_pj_per_byte(1024 * 1024) == 25.0 and c.sram_pj_per_byte(10 * 1024 * 1024) == 25.0


def test_amortisation_from_the_runs_logged_updates(tmp_path):
    from bench.results import ResultsStore

    run = ResultsStore(tmp_path).run("model_tracker", "demo")
    run.write_sequence("a", np.ones((10, 4)), stats={"template_update_frames": [3, 6]})
    run.write_sequence("b", np.ones((5, 4)))
    rate = run_template_rate(run.path)
    assert rate["value"] == pytest.approx((1 + 2 + 1) / (9 + 4)) and rate["logged_updates"] == 2
    assert run_template_rate(run.path, updates_encode=False)["value"] == pytest.approx(2 / 13)
    assert run_template_rate(tmp_path / "none") is None

    # a model with a template branch of its own: an update re-encodes the template
    doc = profile_tracker(ModelTracker(TwoLayer(), [torch.full((1, 4), 0.3)], labelled=True),
                          datasets.create_dataset("demo"), max_frames=4, latency=False, counters=["exact"])
    assert doc["energy_models"]["template_updates_encode"] is True
    doc["tracker"] = "model_tracker"
    fp32 = dict(doc["energy_models"]["models"]["fp32"])
    amortise_over_run(doc, tmp_path)
    block = doc["energy_models"]
    assert block["template_rate"]["value"] == pytest.approx(4 / 13) and "bench run log" in block["template_rate"]["source"]
    assert block["template_rate_profiled"]["value"] == pytest.approx(1 / 3)
    m = block["models"]["fp32"]
    assert m["template_amortised_mJ"] == pytest.approx(fp32["template_per_update_mJ"] * 4 / 13)
    assert m["per_frame_mJ"] == pytest.approx(fp32["search_mJ"] + fp32["template_per_update_mJ"] * 4 / 13)
    assert doc["neurobench"]["dense"] == pytest.approx(18 + 18 * 4 / 13)


def test_amortise_and_model_choice():
    assert amortise({"search": 2.0, "template": 4.0}, 0.25) == {
        "search_mJ": 2.0, "template_per_update_mJ": 4.0, "template_amortised_mJ": 1.0, "per_frame_mJ": 3.0}
    assert check_model("lemaire2022") == "lemaire2022"
    with pytest.raises(ConfigError) as e:
        check_model("lemaire")
    assert issubclass(ConfigError, BenchError) and "\n" not in str(e.value) and "--energy-model" in str(e.value)


def test_no_variant_is_quoted_that_applies_D_twice():
    from bench.efficiency.energy import VARIANTS

    flagged = [n for n, v in VARIANTS.items() if v.applies_D_twice]
    assert flagged == ["macs*sfr*T*D"] and "applies D twice" in VARIANTS["macs*sfr*T*D"].describe()


def test_cli_unknown_energy_model_is_a_one_line_error_before_tracking(tmp_path, capsys):
    from bench.cli import main

    rc = main(["profile", "--tracker", "mil", "--energy-model", "horowitz", "--results", str(tmp_path / "r"),
               "--no-latency", "--frames", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and err[0].startswith("bench: error: ")
    assert "--energy-model 'horowitz'" in err[0] and "lemaire2022" in err[0]
    assert not (tmp_path / "r").exists()

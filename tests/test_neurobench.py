"""NeuroBench's metric set: against neurobench 2.3.0 on a binary-spike model where the definitions agree,
the documented difference for integer spikes, and ``bench profile`` on an official-layout checkpoint."""
from __future__ import annotations

import json
import math
import warnings

import pytest
import torch
from torch import nn

import datasets
from bench.efficiency.neurobench import LEADERBOARD_COLUMNS, connection_sparsity, footprint
from bench.efficiency.profile import profile_tracker
from trackers.base import Tracker, TrackResult


class BinarySpike(nn.Module):
    """A spiking nonlinearity the efficiency engine recognises by behaviour: real in, {0, 1} out."""

    def forward(self, x):
        return (x > 0).to(x.dtype)


class IntegerSpike(nn.Module):
    """SpikeTrack's quantiser: count k = round(clamp(x, 0, 4)), emitted as k / 4."""

    def forward(self, x):
        return torch.round(torch.clamp(2 * x + 1, 0, 4)) / 4


class Net(nn.Module):
    """Linear (real input) -> spikes -> 1x1 convolution -> spikes -> Linear: the layers where NeuroBench's
    counts and this suite's are the same quantity (no padding, no zero weights, no zero real input)."""

    def __init__(self, spike: type[nn.Module]):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.s1 = spike()
        self.conv = nn.Conv2d(8, 6, 1)
        self.s2 = spike()
        self.fc2 = nn.Linear(24, 5)
        self.register_buffer("scale", torch.ones(5))

    def forward(self, x):
        y = self.s1(self.fc1(x)).reshape(x.shape[0], 8, 2, 2)
        y = self.s2(self.conv(y)).flatten(1)
        return self.fc2(y) * self.scale


class SearchOnly(Tracker):
    """Runs the model once per tracked frame on the next of ``inputs``; initialisation runs nothing."""

    name = "search_only"
    spiking = True

    def __init__(self, model, inputs):
        self.model, self.inputs, self.i = model.eval(), inputs, 0

    def initialize(self, image, box, info=None):
        self.box = tuple(float(v) for v in box)

    def track(self, image):
        with torch.no_grad():
            self.model(self.inputs[self.i])
        self.i += 1
        return TrackResult(self.box, 1.0)


def _neurobench(model, inputs, spike_cls):
    nb = pytest.importorskip("neurobench")
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import ConnectionSparsity, Footprint
    from neurobench.metrics.workload import ActivationSparsity, SynapticOperations
    from neurobench.models import TorchModel

    data = torch.utils.data.TensorDataset(torch.cat(inputs), torch.zeros(len(inputs)))
    wrapped = TorchModel(model)
    wrapped.add_activation_module(spike_cls)
    bench = Benchmark(wrapped, torch.utils.data.DataLoader(data, batch_size=1), [], [],
                      [[Footprint, ConnectionSparsity], [ActivationSparsity, SynapticOperations]])
    return nb.__version__, bench.run(quiet=True)


def _ours(model, inputs):
    doc = profile_tracker(SearchOnly(model, inputs), datasets.create_dataset("demo"), max_frames=len(inputs) + 1,
                          latency=False, counters=["exact"])
    return doc["neurobench"]


def _inputs(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(1, 16, generator=g) for _ in range(n)]


def test_metric_set_equals_neurobench_on_a_binary_spike_model():
    torch.manual_seed(0)
    model, inputs = Net(BinarySpike), _inputs()
    version, ref = _neurobench(model, inputs, BinarySpike)
    assert version == "2.3.0"
    ours = _ours(model, inputs)
    assert set(LEADERBOARD_COLUMNS) <= set(ours)
    assert ours["footprint"] == ref["Footprint"]
    assert ours["connection_sparsity"] == pytest.approx(ref["ConnectionSparsity"], abs=5e-5)
    assert ours["activation_sparsity"] == pytest.approx(ref["ActivationSparsity"], rel=1e-12)
    syn = ref["SynapticOperations"]
    assert ours["dense"] == pytest.approx(syn["Dense"], rel=1e-12)
    assert ours["effective_macs"] == pytest.approx(syn["Effective_MACs"], rel=1e-12)
    assert ours["effective_acs"] == pytest.approx(syn["Effective_ACs"], rel=1e-12)
    assert syn["Effective_ACs"] > 0 and 0 < ours["activation_sparsity"] < 1


def test_connection_sparsity_and_footprint_match_neurobench_with_zero_weights():
    pytest.importorskip("neurobench")
    from neurobench.metrics.static import ConnectionSparsity, Footprint
    from neurobench.models import TorchModel

    torch.manual_seed(1)
    model = Net(BinarySpike)
    with torch.no_grad():
        model.fc1.weight[:, :5] = 0
        model.conv.weight[0] = 0
    ref = ConnectionSparsity()(TorchModel(model))
    cs = connection_sparsity(model)
    assert cs["zero_weights"] == 32 * 5 + 8 and cs["connection_sparsity"] == pytest.approx(ref, abs=5e-5)
    assert footprint(model) == Footprint()(TorchModel(model)) == 4 * (sum(p.numel() for p in model.parameters()) + 5)


def test_integer_spikes_neurobench_counts_macs_this_suite_counts_k_events():
    """NeuroBench treats a tensor as spikes only when every value is -1, 0 or 1: SpikeTrack's normalised
    counts (0.25 ... 1) make its spike-fed layers MAC layers there. Here they are accumulations, a spike of
    k counting k."""
    torch.manual_seed(0)
    model, inputs = Net(IntegerSpike), _inputs()
    _, ref = _neurobench(model, inputs, IntegerSpike)
    ours = _ours(model, inputs)
    syn = ref["SynapticOperations"]
    assert syn["Effective_ACs"] == 0 and syn["Effective_MACs"] > ours["effective_macs"]
    # by hand: integer counts of each spike layer's output x the fan-out of the layer it feeds
    acs = 0.0
    with torch.no_grad():
        for x in inputs:
            k1 = (model.s1(model.fc1(x)) * 4).sum()
            k2 = (model.s2(model.conv(model.s1(model.fc1(x)).reshape(1, 8, 2, 2))) * 4).sum()
            acs += float(k1) * 6 + float(k2) * 5
    assert ours["effective_acs"] == pytest.approx(acs / len(inputs), rel=1e-12)
    # binarised, as NeuroBench would count a spike of k once: fewer operations than integer events
    binary = sum(float((model.s1(model.fc1(x)) > 0).sum()) * 6 for x in inputs) / len(inputs)
    assert binary < ours["effective_acs"]


# ------------------------------------------------------------------------------------------------------
# bench profile on an official-layout checkpoint
# ------------------------------------------------------------------------------------------------------

def active_state_dict(name: str = "spiketrack_s256_t1", seed: int = 0, model: nn.Module | None = None
                      ) -> dict[str, torch.Tensor]:
    """Seeded weights under which SpikeTrack's neurons fire (mean integer count about 1): conv weights at
    4 / sqrt(fan-in), BatchNorm statistics and position embeddings off their constant initial values
    (gain and spreads as /work/shared/reference/recipe_weights.py documents for its 'spiketrack' preset)."""
    import trackers

    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = trackers.create_model(name)
    sd = model.state_dict()
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, v in sd.items():
        leaf = key.rsplit(".", 1)[-1]
        if not v.is_floating_point():
            out[key] = torch.zeros_like(v)
            continue
        n = torch.randn(v.shape, generator=g, dtype=torch.float64)
        if leaf == "running_var":
            t = 0.5 + torch.rand(v.shape, generator=g, dtype=torch.float64)
        elif leaf == "running_mean":
            t = 0.1 * n
        elif leaf == "decay":
            t = math.log(1 / 3) + 0.5 * n
        elif "pos_embed" in key:
            t = 0.2 * n
        elif v.dim() == 1:
            t = (1 + 0.1 * n) if leaf == "weight" else 0.05 * n
        else:
            t = 4.0 / math.sqrt(math.prod(v.shape[1:])) * n
        if key == "decoder.conv5_size.bias":
            t = t + math.log(1 / 3)   # box size near a quarter of the search crop
        out[key] = t.to(v.dtype)
    return out


@pytest.mark.slow
def test_cli_profile_with_official_layout_checkpoint(tmp_path, capsys):
    import trackers
    from bench.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = trackers.create_model("spiketrack_s256_t1")
    ckpt = tmp_path / "SpikeTrack_ep0300.pth.tar"
    torch.save({"net": active_state_dict(model=model)}, ckpt)   # the official layout: state dict under "net"
    res = tmp_path / "res"
    rc = main(["profile", "--tracker", "spiketrack_s256_t1", "--checkpoint", str(ckpt), "--frames", "3",
               "--no-latency", "--no-progress", "--counter", "exact", "--results", str(res),
               "--energy-model", "lemaire2022"])
    assert rc == 0
    printed = capsys.readouterr().out
    doc = json.loads((res / "spiketrack_s256_t1" / "demo" / "profile.json").read_text())
    assert doc["random_weights"] is False and doc["settings"]["energy_model"] == "lemaire2022"
    block = doc["energy_models"]
    assert block["headline"] == "lemaire2022"
    for name in ("fp32", "fp16", "int8", "lemaire2022", "loihi"):
        m = block["models"][name]
        assert m["model"] == name and m["per_frame_mJ"] > 0 and name in printed
        # amortised: search branch + template branch x (template encodings / tracked frames), both shown
        assert m["per_frame_mJ"] == pytest.approx(m["search_mJ"] + m["template_per_update_mJ"] * 0.5)
        assert m["template_amortised_mJ"] == pytest.approx(m["template_per_update_mJ"] * 0.5)
    assert block["template_rate"] == {"value": 0.5, "template_encodings": 1, "tracked_frames": 2,
                                      "source": block["template_rate"]["source"]}
    lem = block["models"]["lemaire2022"]
    assert all(v["relative_difference"] <= 1e-9 for v in (lem["cross_check"] or {}).values())
    assert lem["not_costed"] == {"operators": [], "neurons": []}
    # the spikes are integer counts: the spike-fed layers are costed as events, not as dense MACs
    assert lem["counts_per_branch"]["search"]["synop"] > 1e9
    assert lem["per_frame_mJ"] > block["models"]["fp32"]["per_frame_mJ"]   # memory traffic dominates
    nb = doc["neurobench"]
    # the bytes of the model's parameters and buffers (float32, as the tracker runs it)
    assert nb["footprint"] == sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    assert nb["footprint"] > 4 * doc["params"]   # buffers too (BatchNorm statistics)
    assert 0 < nb["activation_sparsity"] < 1 and nb["connection_sparsity"] == 0
    assert nb["effective_acs"] > 1e9 and nb["dense"] == pytest.approx(
        doc["branches"]["search"]["macs"] + 0.5 * doc["branches"]["template"]["macs"])
    assert "mean integer spike count" in doc["rate_convention"]["mean_count"]
    assert "binary-equivalent" in doc["rate_convention"]["nonzero_fraction"]
    assert "NeuroBench per frame" in printed

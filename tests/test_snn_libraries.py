"""spikingjelly and snnTorch networks through the efficiency engine: neurons recognised by class, firing
rates per layer and time step, and SOPs of the layers they feed, against values computed by hand.

Every network is ``real input -> Linear W1 -> neuron layer 1 -> Linear W2 -> neuron layer 2 -> Linear W3``
over T = 3 time steps, batch 1, float64, with fixed weights chosen so that the spikes can be worked out on
paper (the derivations are in the comments). Both libraries are optional (extra ``snn``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from bench.efficiency.counter import count_once

REPO = Path(__file__).resolve().parents[1]
T = 3

# Layer 1 gets the same current at every step: W1 @ x = [I0, I1, I2]; x's last entry (0.37, weight 0)
# keeps x real-valued, so the first Linear is the encoding layer (MACs, no SOPs).
X = torch.tensor([1.0, 1.0, 1.0, 0.37], dtype=torch.float64).repeat(T, 1, 1)   # [T, B=1, 4]
W2 = [[1.0, 0.5, 0.0],
      [0.0, 2.2, 0.0]]
W3 = [[1.0, 1.0]]
# Layer-1 spikes, in both libraries (derivations below): t0 [0,1,0], t1 [1,1,0], t2 [0,1,0]
SPIKES1 = [1, 2, 1]                                 # spikes per step of the 3 neurons
RATES1 = [1 / 3, 2 / 3, 1 / 3]                      # firing rate per step
SOPS2 = [2 * s for s in SPIKES1]                    # each spike reaches the 2 outputs of W2: [2, 4, 2]


def linear(weights, multi_step_layer=nn.Linear, dtype=torch.float64) -> nn.Module:
    w = torch.tensor(weights, dtype=dtype)
    m = multi_step_layer(w.shape[1], w.shape[0], bias=False).to(dtype)
    with torch.no_grad():
        m.weight.copy_(w)
    return m


def row(counter, path):
    rows = [s for s in counter.layers.values() if s.path == path]
    assert len(rows) == 1, [(s.path, s.op) for s in counter.layers.values()]
    return rows[0]


def neuron_stats(counter, name):
    return counter.neurons[(name, "search")]


def check(counter, rates2, sops3, steps_per_call):
    """The tables of the engine against the hand values; ``steps_per_call`` = T (multi-step) or 1."""
    fc1, fc2, fc3 = row(counter, "fc1"), row(counter, "fc2"), row(counter, "fc3")
    assert fc1.macs == T * 4 * 3 and fc1.sops == 0 and not fc1.spiking          # real input: MACs
    assert fc2.macs == T * 3 * 2 and fc3.macs == T * 2 * 1
    assert fc2.entry_sops == pytest.approx(SOPS2) and fc2.sops == pytest.approx(sum(SOPS2))
    assert fc3.entry_sops == pytest.approx(sops3) and fc3.sops == pytest.approx(sum(sops3))
    assert fc2.entry_count == pytest.approx([s / 3 for s in SPIKES1])          # mean count of its input
    assert neuron_stats(counter, "sn1").mean_count() == pytest.approx(RATES1)
    assert neuron_stats(counter, "sn2").mean_count() == pytest.approx(rates2)
    assert neuron_stats(counter, "sn1").nonzero_fraction() == pytest.approx(RATES1)   # binary spikes
    assert fc2.calls * steps_per_call == T


# ------------------------------------------------------------------------------------------------
# spikingjelly
# ------------------------------------------------------------------------------------------------

# sn1 = IFNode (v_threshold 1, hard reset to 0): v += I, spike where v - 1 >= 0.
#   I0 = 0.6: v 0.6, 1.2 (spike, reset), 0.6        -> 0 1 0
#   I1 = 1.2: spikes at every step                  -> 1 1 1
#   I2 = 0.3: v 0.3, 0.6, 0.9                       -> 0 0 0
# sn2 = LIFNode(tau=2, decay_input, hard reset 0): H = v + (I - v) / 2, with I = W2 @ spikes1
#   a: I = 0.5, 1.5, 0.5 -> H 0.25, 0.875, 0.6875   -> 0 0 0
#   b: I = 2.2 every step -> H 1.1 (spike, reset) x3 -> 1 1 1
SJ_RATES2 = [0.5, 0.5, 0.5]
SJ_SOPS3 = [1.0, 1.0, 1.0]          # one spike per step reaches W3's one output


def sj_modules(step_mode: str):
    sj = pytest.importorskip("spikingjelly.activation_based.neuron",
                             reason="spikingjelly is an optional extra: pip install --no-deps spikingjelly==2.0.0 "
                                    "&& pip install '.[snn]'")
    from spikingjelly.activation_based import layer

    lin = (lambda w: linear(w, lambda i, o, bias: layer.Linear(i, o, bias=bias, step_mode="m"))) \
        if step_mode == "m" else linear
    w1 = [[0.6, 0, 0, 0], [0, 1.2, 0, 0], [0, 0, 0.3, 0]]
    return (lin(w1), sj.IFNode(v_threshold=1.0, v_reset=0.0, step_mode=step_mode).double(), lin(W2),
            sj.LIFNode(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0, step_mode=step_mode).double(),
            lin(W3))


class SJMultiStep(nn.Module):
    """step_mode='m': one call per layer on [T, B, ...]."""

    def __init__(self):
        super().__init__()
        self.fc1, self.sn1, self.fc2, self.sn2, self.fc3 = sj_modules("m")

    def forward(self, x):
        return self.fc3(self.sn2(self.fc2(self.sn1(self.fc1(x)))))


class SJSingleStep(nn.Module):
    """step_mode='s': a Python loop over the time steps."""

    def __init__(self):
        super().__init__()
        self.fc1, self.sn1, self.fc2, self.sn2, self.fc3 = sj_modules("s")

    def forward(self, x):
        return torch.stack([self.fc3(self.sn2(self.fc2(self.sn1(self.fc1(xt))))) for xt in x])


@pytest.mark.parametrize("net,steps_per_call", [(SJMultiStep, T), (SJSingleStep, 1)], ids=["multi-step", "single-step"])
def test_spikingjelly_rates_and_sops_equal_hand_values(net, steps_per_call):
    model = net()
    counter = count_once(model, None, X.clone(), histogram=True)
    assert {n: k.library for n, k in counter.kinds.items()} == {"sn1": "spikingjelly", "sn2": "spikingjelly"}
    check(counter, SJ_RATES2, SJ_SOPS3, steps_per_call)
    # the surrogate-gradient module inside each node is part of the neuron, not a second one
    assert not any("surrogate" in name for name, _ in counter.neurons)


# ------------------------------------------------------------------------------------------------
# snnTorch
# ------------------------------------------------------------------------------------------------

# sn1 = Leaky(beta 0.5, threshold 1, reset by subtraction, delayed): m_t = 0.5 m_{t-1} + I - s_{t-1},
# spike where m_t > 1.
#   I0 = 0.8: m 0.8, 1.2 (spike), 0.6 + 0.8 - 1 = 0.4          -> 0 1 0
#   I1 = 1.5: m 1.5 (s), 0.75 + 1.5 - 1 = 1.25 (s), 1.125 (s)  -> 1 1 1
#   I2 = 0.3: m 0.3, 0.45, 0.525                              -> 0 0 0
# sn2 = Synaptic(alpha 0.5, beta 0.5): syn_t = 0.5 syn_{t-1} + I, m_t = 0.5 m_{t-1} + syn_t - s_{t-1};
# it returns (spk, syn, mem).
#   a: I = 0.5, 1.5, 0.5 -> syn 0.5, 1.75, 1.375; m 0.5, 2.0 (s), 1.0 + 1.375 - 1 = 1.375 (s) -> 0 1 1
#   b: I = 2.2 x3        -> m 2.2 (s), 3.4 (s), 4.55 (s)                                       -> 1 1 1
SNN_RATES2 = [0.5, 1.0, 1.0]
SNN_SOPS3 = [1.0, 2.0, 2.0]


class SnnTorchNet(nn.Module):
    """float32: snnTorch's spike function emits float32 spikes whatever the input's dtype."""

    def __init__(self):
        super().__init__()
        snn = pytest.importorskip("snntorch", reason="snnTorch is an optional extra: pip install '.[snn]'")
        f32 = torch.float32
        self.fc1 = linear([[0.8, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 0.3, 0]], dtype=f32)
        self.sn1 = snn.Leaky(beta=0.5, threshold=1.0)
        self.fc2 = linear(W2, dtype=f32)
        self.sn2 = snn.Synaptic(alpha=0.5, beta=0.5, threshold=1.0)
        self.fc3 = linear(W3, dtype=f32)

    def forward(self, x):
        mem1 = self.sn1.init_leaky()
        syn2, mem2 = self.sn2.init_synaptic()
        out = []
        for xt in x:
            spk1, mem1 = self.sn1(self.fc1(xt), mem1)
            spk2, syn2, mem2 = self.sn2(self.fc2(spk1), syn2, mem2)
            out.append(self.fc3(spk2))
        return torch.stack(out)


def test_snntorch_rates_and_sops_equal_hand_values():
    model = SnnTorchNet()
    counter = count_once(model, None, X.float(), histogram=True)
    assert {n: k.library for n, k in counter.kinds.items()} == {"sn1": "snntorch", "sn2": "snntorch"}
    check(counter, SNN_RATES2, SNN_SOPS3, steps_per_call=1)


def test_recognised_by_class_not_by_name():
    """A neuron class of either library under any name is found; a module merely *named* like a neuron
    (but doing no spiking) is not."""
    from bench.efficiency.neurons import classify

    sj = pytest.importorskip("spikingjelly.activation_based.neuron", reason="spikingjelly is an optional extra")
    snn = pytest.importorskip("snntorch", reason="snnTorch is an optional extra")

    class Mystery(sj.ParametricLIFNode):   # nothing in the name says neuron
        pass

    class LIFNeuronLookalike(nn.Module):   # the old name guess would have taken this one
        def forward(self, x):
            return x * 0.3

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = Mystery(step_mode="m"), snn.Alpha(alpha=0.6, beta=0.5), LIFNeuronLookalike()

    kinds = classify(Net())
    assert set(kinds) == {"a", "b"}
    assert kinds["a"].multi_step(Net().a) and not kinds["b"].multi_step(None)
    counter = count_once(nn.Sequential(nn.Linear(4, 4).double(), LIFNeuronLookalike()), None,
                         torch.randn(2, 4, dtype=torch.float64))
    assert counter.neurons == {} and counter.kinds == {}

    class Gate(nn.Module):                 # no neuron in its name, but it turns currents into spikes
        def forward(self, x):
            return (x > 0).to(x.dtype)

    net = nn.Sequential(linear([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), Gate(),
                        linear([[1, 1, 1, 1], [1, 0, 1, 0]]))
    counter = count_once(net, None, torch.tensor([[0.7, -1.3, 2.1, 0.2]], dtype=torch.float64))
    assert counter.kinds["1"].library == "observed" and set(counter.kinds) == {"1"}
    assert row(counter, "2").spiking and not row(counter, "0").spiking


def test_bench_profile_of_the_spikingjelly_file_tracker(tmp_path, capsys):
    """`bench profile --tracker examples/spikingjelly_tracker.py:create_tracker`: LIF nodes found by class,
    one firing rate per time step (T = 4), SOPs for the spike-fed convolutions, MACs for the stem."""
    pytest.importorskip("spikingjelly.activation_based.neuron", reason="spikingjelly is an optional extra")
    from bench.cli import main

    spec = f"{REPO / 'examples' / 'spikingjelly_tracker.py'}:create_tracker"
    assert main(["profile", "--tracker", spec, "--frames", "4", "--no-latency", "--results", str(tmp_path),
                 "--counter", "exact,thop", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tracker"] == "spikingjelly_tracker.py:create_tracker"
    assert (tmp_path / "spikingjelly_tracker.py:create_tracker" / "demo" / "profile.json").is_file()
    lifs = [n for n in doc["neurons"] if n["branch"] == "search"]
    assert [n["name"] for n in lifs] == ["encoder.lif1", "encoder.lif2", "encoder.lif3"]
    assert all(n["recognised_by"] == "class (spikingjelly)" and len(n["mean_count"]) == 4 for n in lifs)
    layers = {r["path"]: r for r in doc["layers"] if r["branch"] == "search"}
    assert not layers["encoder.stem"]["spike_fed"]
    conv2 = layers["encoder.conv2"]
    assert conv2["spike_fed"] and 0 < conv2["sops"] < conv2["macs"]
    # conv2's mean input count is lif1's rate, step by step
    assert layers["encoder.conv2"]["entries"]["mean_count"] == pytest.approx(lifs[0]["mean_count"])
    # thop 0.0.31 matches module types exactly: spikingjelly's layer.Conv2d (a subclass) is invisible to it
    assert doc["thop"]["track"]["macs"] < 0.1 * doc["exact"]["track"]["macs"]
    assert "spikingjelly_tracker" not in sys.modules   # loaded under its path-derived name only

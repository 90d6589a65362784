"""MACs and SOPs of the efficiency engine against hand-computed values on small test networks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bench.efficiency.counter import EfficiencyCounter, count_once, totals
from bench.efficiency.macs import spike_scale_of


def _row(counter, path, op=None, branch="search"):
    rows = [s for s in counter.layers.values() if s.path == path and (op is None or s.op == op)
            and s.branch == branch]
    assert len(rows) == 1, (path, op, [(s.path, s.op, s.branch) for s in counter.layers.values()])
    return rows[0]


class Neuron(nn.Module):
    """Multi-step integer neuron like SpikeTrack's: round(clamp(x,0,D))/D over a leading T axis."""

    def __init__(self, levels: int = 4):
        super().__init__()
        self.levels = levels

    def forward(self, x):
        return torch.round(torch.clamp(x, 0, self.levels)) / self.levels


class BinaryNode(nn.Module):
    """Heaviside (binary) spiking node."""

    def forward(self, x):
        return (x > 0.5).to(x.dtype)


def _spikes(shape, levels, seed=0, density=0.4):
    """Random integer counts 0..levels (about ``density`` non-zero), normalised by ``levels``."""
    g = np.random.default_rng(seed)
    counts = g.integers(1, levels + 1, size=shape) * (g.random(shape) < density)
    return torch.tensor(counts / levels, dtype=torch.float64), counts


# ---------------------------------------------------------------------------------------------
# MACs of every operator kind
# ---------------------------------------------------------------------------------------------

class Zoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1d = nn.Conv1d(4, 6, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.deconv = nn.ConvTranspose2d(4, 2, 2, stride=2)
        self.fc = nn.Linear(5, 7)

    def forward(self, a, b, c, d, q, k, v, m1, m2):
        self.c1d(a)
        self.depthwise(self.grouped(b))
        self.deconv(c)
        self.fc(d)
        torch.matmul(m1, m2)
        torch.einsum("bij,bjk->bik", m1, m2)
        F.scaled_dot_product_attention(q, k, v)


def test_macs_of_every_operator_kind_equal_hand_counts():
    torch.manual_seed(0)
    zoo = Zoo()   # float32: CPU attention takes the fused flash kernel (float64 falls back to bmm)
    args = (torch.randn(1, 4, 10), torch.randn(1, 8, 5, 5), torch.randn(1, 4, 3, 3), torch.randn(2, 3, 5),
            torch.randn(1, 2, 6, 8), torch.randn(1, 2, 10, 8), torch.randn(1, 2, 10, 8),
            torch.randn(2, 3, 4), torch.randn(2, 4, 5))
    c = count_once(zoo, None, *args)
    assert _row(c, "c1d").macs == 6 * 10 * 4 * 3                      # C_out x L_out x C_in x k
    assert _row(c, "grouped").macs == 8 * 25 * (8 // 2) * 9            # groups=2
    assert _row(c, "depthwise").macs == 8 * 25 * 1 * 9                 # depthwise
    assert _row(c, "deconv").macs == (4 * 3 * 3) * 2 * 2 * 2           # every input meets C_out x k x k
    assert _row(c, "fc").macs == 2 * 3 * 5 * 7                         # linear on [2,3,5]
    root_ops = {s.op: s.macs for s in c.layers.values() if s.path == ""}
    assert root_ops["bmm"] == 2 * (2 * 3 * 4 * 5)                      # matmul + einsum, both batched
    # CPU scaled_dot_product_attention: QK^T (L x S x E) and AV (L x S x Ev) per batch x head
    assert root_ops["_scaled_dot_product_flash_attention_for_cpu.qk"] == 1 * 2 * 6 * 10 * 8
    assert root_ops["_scaled_dot_product_flash_attention_for_cpu.av"] == 1 * 2 * 6 * 10 * 8
    # nothing is spike-fed here
    assert totals(c)["sops"] == 0


def test_attention_counted_whichever_kernel_runs():
    q, k, v = torch.randn(1, 2, 6, 8), torch.randn(1, 2, 10, 8), torch.randn(1, 2, 10, 8)

    class Attn(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

    want = 2 * 6 * 10 * (8 + 8)
    assert totals(count_once(Attn(), None, q, k, v))["macs"] == want           # fused CPU kernel
    assert totals(count_once(Attn(), None, q.double(), k.double(), v.double()))["macs"] == want  # math path
    v4 = v[..., :4].contiguous()                                                 # E != Ev: math path
    assert totals(count_once(Attn(), None, q, k, v4))["macs"] == 2 * 6 * 10 * (8 + 4)


class _MatMulFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.t(), x.t() @ g


class CustomFn(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 3))

    def forward(self, x):
        return _MatMulFn.apply(x, self.w)


def test_custom_autograd_function_is_counted():
    m = CustomFn()
    x = torch.randn(4, 6, requires_grad=True)
    c = count_once(m, None, x)
    assert totals(c)["macs"] == 4 * 6 * 3


# ---------------------------------------------------------------------------------------------
# SOPs: binary and integer spikes, T = 1 and T = 3
# ---------------------------------------------------------------------------------------------

class SpikeFC(nn.Module):
    def __init__(self, cin=12, cout=5):
        super().__init__()
        self.fc = nn.Linear(cin, cout, bias=False)

    def forward(self, s):
        return self.fc(s)


@pytest.mark.parametrize("levels", [1, 4])
def test_linear_sops_equal_synaptic_events(levels):
    """For a linear layer every input spike of count c triggers c x C_out accumulations."""
    s, counts = _spikes((3, 12), levels, seed=levels)
    m = SpikeFC().double()
    c = count_once(m, None, s, spike_scale=levels)
    row = _row(c, "fc")
    events = counts.sum() * 5
    assert row.macs == 3 * 12 * 5
    assert row.sops == pytest.approx(events, rel=1e-12)
    assert row.mean_count == pytest.approx(counts.mean(), rel=1e-12)


def test_spike_scale_is_inferred_from_the_values():
    s, counts = _spikes((4, 12), 4, seed=3)
    assert spike_scale_of(s) == 4
    assert spike_scale_of(torch.tensor([0.0, 1.0, 1.0])) == 1
    assert spike_scale_of(torch.tensor([0.0, 0.3])) is None
    assert spike_scale_of(torch.tensor([-1.0, 1.0])) is None
    c = count_once(SpikeFC().double(), None, s)   # no spike_scale given
    assert c.spike_scale == 4
    assert _row(c, "fc").sops == pytest.approx(counts.sum() * 5)


class EncodeSNN(nn.Module):
    """Real-valued encoding conv -> multi-step neuron -> 1x1 conv on flatten(0,1) -> neuron -> matmuls."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.lif1 = Neuron(4)
        self.pw = nn.Conv2d(8, 6, 1, bias=False)
        self.lif2 = Neuron(4)

    def forward(self, x):  # x [T, B, 3, H, W] real
        T, B = x.shape[:2]
        y = self.stem(x.flatten(0, 1)).reshape(T, B, 8, *x.shape[3:])
        s = self.lif1(y * 3)
        z = self.pw(s.flatten(0, 1))
        s2 = self.lif2(z.reshape(T, B, 6, -1) * 3)
        kv = s2.transpose(-2, -1) @ s2          # spike x spike
        return s2 @ kv                           # spike x real


@pytest.mark.parametrize("T", [1, 3])
def test_multistep_sops_per_time_step(T):
    torch.manual_seed(1)
    net = EncodeSNN().double()
    x = torch.randn(T, 1, 3, 5, 5, dtype=torch.float64)
    seen = {}
    net.lif1.register_forward_hook(lambda m, i, o: seen.__setitem__("s1", o.detach().clone()))
    net.lif2.register_forward_hook(lambda m, i, o: seen.__setitem__("s2", o.detach().clone()))
    c = count_once(net, None, x, spike_scale=4)
    counts1 = (seen["s1"] * 4).round().reshape(T, -1).sum(1).numpy()   # integer counts per step
    stem, pw = _row(c, "stem"), _row(c, "pw")
    assert stem.macs == T * 8 * 25 * 3 * 9 and stem.sops == 0 and not stem.spiking   # encoding layer: MAC
    assert pw.macs == T * 6 * 25 * 8
    # 1x1 conv: every spike of count c meets 6 output channels
    assert pw.sops == pytest.approx(counts1.sum() * 6, rel=1e-12)
    per_step = 6 * 25 * 8
    assert pw.entry_macs == [per_step] * T
    assert pw.entry_sops == pytest.approx(list(counts1 * 6), rel=1e-12)
    assert pw.entry_count == pytest.approx(list(counts1 / (8 * 25)), rel=1e-12)
    # matmuls in the root forward: kv = s2^T s2 (first operand's counts), s2 @ kv (spike x real)
    s2 = seen["s2"] * 4
    bmm = _row(c, "", "bmm") if T > 1 else None
    mm_rows = [s for s in c.layers.values() if s.path == "" and s.op in ("bmm", "mm")]
    macs_kv = T * 25 * 6 * 25
    macs_out = T * 6 * 25 * 25
    assert sum(r.macs for r in mm_rows) == macs_kv + macs_out
    mean2 = float(s2.mean())
    assert sum(r.sops for r in mm_rows) == pytest.approx((macs_kv + macs_out) * mean2, rel=1e-9)
    del bmm


class LoopSNN(nn.Module):
    """Single-step layers called in a Python loop over T time steps (binary spikes)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 8, bias=False)
        self.node = BinaryNode()
        self.fc2 = nn.Linear(8, 4, bias=False)

    def forward(self, xs):
        out = []
        for x in xs:  # x [B, 10] real, one step
            out.append(self.fc2(self.node(self.fc1(x))))
        return torch.stack(out)


def test_python_loop_over_time_steps_gives_one_entry_per_step():
    torch.manual_seed(2)
    net = LoopSNN().double()
    xs = torch.randn(3, 1, 10, dtype=torch.float64) * 2
    spikes = []
    net.node.register_forward_hook(lambda m, i, o: spikes.append(o.detach().clone()))
    c = count_once(net, None, xs, spike_scale=1, histogram=True)
    fc1, fc2 = _row(c, "fc1"), _row(c, "fc2")
    assert fc1.calls == 3 and fc1.macs == 3 * 10 * 8 and fc1.sops == 0
    per_step = [float(s.sum()) * 4 for s in spikes]     # binary: each spike meets 4 outputs
    assert fc2.entry_sops == pytest.approx(per_step)
    assert fc2.sops == pytest.approx(sum(per_step))
    stats = c.neurons[("node", "search")]
    assert stats.mean_count() == pytest.approx([float(s.mean()) for s in spikes])
    assert stats.nonzero_fraction() == pytest.approx([float((s != 0).double().mean()) for s in spikes])


@pytest.mark.parametrize("rule,expect", [("first", "a"), ("product", "ab"), ("max", "max")])
def test_pair_rule_for_spike_times_spike(rule, expect):
    a, ca = _spikes((1, 4, 6), 4, seed=5, density=0.5)
    b, cb = _spikes((1, 6, 3), 4, seed=6, density=0.2)

    class MM(nn.Module):
        def forward(self, a, b):
            return a @ b

    c = count_once(MM(), None, a, b, spike_scale=4, pair_rule=rule)
    macs = 4 * 6 * 3
    row = next(iter(c.layers.values()))
    ma, mb = ca.mean(), cb.mean()
    want = {"a": ma, "ab": ma * mb, "max": max(ma, mb)}[expect] * macs
    assert row.macs == macs and row.sops == pytest.approx(want, rel=1e-12)


def test_histogram_and_rates_of_neurons():
    class N(nn.Module):
        def __init__(self):
            super().__init__()
            self.lif = Neuron(4)

        def forward(self, x):
            return self.lif(x)

    x = torch.tensor([[0.0, 1.0, 2.0, 2.4, 3.6, 9.0, -1.0, 0.4]], dtype=torch.float64)  # T=1
    c = count_once(N(), None, x, spike_scale=4, histogram=True)
    st = c.neurons[("lif", "search")]
    # counts: 0,1,2,2,4,4,0,0
    assert st.mean_count() == pytest.approx([13 / 8])
    assert st.nonzero_fraction() == pytest.approx([5 / 8])
    assert st.hist[0][:5] == [3, 1, 2, 0, 2]


# ---------------------------------------------------------------------------------------------
# cheap per-frame mode reproduces the full count
# ---------------------------------------------------------------------------------------------

def test_cheap_frames_equal_full_frames():
    torch.manual_seed(3)
    net = EncodeSNN().double()
    frames = [torch.randn(3, 1, 3, 5, 5, dtype=torch.float64) * (1 + i) for i in range(4)]
    auto = EfficiencyCounter(net, spike_scale=4)
    full = EfficiencyCounter(net, spike_scale=4, mode="full")
    for x in frames:
        with auto.frame("track"):
            net(x)
    auto.detach()
    for x in frames:
        with full.frame("track"):
            net(x)
    full.detach()
    assert auto.full_frames == 1 and full.full_frames == 4
    assert auto.uncounted_segments == 0
    for key, st in full.layers.items():
        a = auto.layers[key]
        assert a.macs == st.macs
        assert a.sops == pytest.approx(st.sops, rel=1e-12)
        assert a.entry_sops == pytest.approx(st.entry_sops, rel=1e-12)
        assert a.stale_macs == 0


def test_new_signature_is_counted_in_full_mode_on_its_next_frame():
    net = EncodeSNN().double()
    c = EfficiencyCounter(net, spike_scale=4)
    for shape in [(5, 5), (5, 5), (7, 7), (7, 7), (5, 5)]:
        with c.frame("track"):
            net(torch.randn(1, 1, 3, *shape, dtype=torch.float64))
    c.detach()
    # frame 1 full; frame 3 has an unseen signature (uncounted); frame 4 is counted in full mode
    assert c.full_frames == 2 and c.uncounted_segments == 1
    assert _row(c, "stem").macs == 8 * 27 * (3 * 25 + 49)   # frames 1, 2, 4 (7x7), 5 counted


def test_meta_device_counts_macs_without_storage():
    with torch.device("meta"):
        net = EncodeSNN()
    c = count_once(net, None, torch.empty(3, 1, 3, 5, 5, device="meta"))
    assert _row(c, "pw").macs == 3 * 6 * 25 * 8


def test_rare_signature_is_waited_for_in_full_mode():
    """A signature seen once (e.g. a template-update frame of a model without branch labels) makes the
    following frames run in full mode until it shows up again, then counting returns to cheap mode."""
    net = EncodeSNN().double()
    c = EfficiencyCounter(net, spike_scale=4)
    shapes = [(5, 5), (5, 5), (7, 7), (5, 5), (5, 5), (7, 7), (5, 5), (5, 5), (7, 7)]
    for shape in shapes:
        with c.frame("track"):
            net(torch.randn(1, 1, 3, *shape, dtype=torch.float64))
    c.detach()
    # frame 1 full; frame 3 (7x7) missed; frames 4, 5, 6 full (6 counts 7x7); 7-9 cheap
    assert c.uncounted_segments == 1 and c.full_frames == 4
    assert _row(c, "stem").macs == 8 * 27 * (6 * 25 + 2 * 49)


def test_inference_mode_counts_what_no_grad_counts():
    """Under torch.inference_mode() conv2d/linear/matmul reach the dispatch mode undecomposed; the engine
    decomposes them and counts the same MACs, SOPs and operators as under no_grad."""
    torch.manual_seed(3)
    net = EncodeSNN().double()
    x = torch.randn(3, 1, 3, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        ref = count_once(net, None, x, spike_scale=4)
    with torch.inference_mode():
        got = count_once(net, None, x, spike_scale=4)
    assert totals(got) == totals(ref) and totals(ref)["sops"] > 0
    assert sorted((s.path, s.op) for s in got.layers.values()) == sorted((s.path, s.op) for s in ref.layers.values())


def test_count_macs_exact_equals_flop_counter():
    """The one exact count (the engine's) against torch.utils.flop_counter's total / 2 on a ViT tracker's
    declared inputs: two independent counters of the same forward."""
    from torch.utils.flop_counter import FlopCounterMode

    import trackers
    from bench.efficiency.model_macs import count_macs, declared_inputs

    model = trackers.create_model("sstrack_b256", device="meta")
    inputs = declared_inputs(model)
    flops = FlopCounterMode(display=False)
    with torch.no_grad(), flops:
        model(*inputs.args, **inputs.kwargs)
    c = count_macs(model)
    assert c.exact_macs == flops.get_total_flops() // 2
    assert c.by_operator["bmm"] == flops.get_flop_counts()["Global"][torch.ops.aten.bmm] // 2
    assert c.num_templates == 3 and inputs.note.startswith("official")


def test_a_model_without_declared_inputs_is_a_one_line_error():
    from bench.core.errors import ConfigError
    from bench.efficiency.model_macs import count_macs

    with pytest.raises(ConfigError, match="declares no profile inputs"):
        count_macs(EncodeSNN())

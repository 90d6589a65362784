"""fvcore's count beside the exact and thop counts: OSTrack-256 as `bench profile` reports it equals the
figure OSTrack's own profiler printed (baselines_profile.json); attention kernels and custom autograd
Functions; the --counter option."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bench.runner as runner
from bench.cli import main

fvcore = pytest.importorskip("fvcore.nn", reason="fvcore is an optional extra: pip install '.[fvcore]'")

from bench.efficiency import fvcore_count as fvc  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_cache():
    runner._CACHE.clear()
    yield
    runner._CACHE.clear()


def test_ostrack_256_fvcore_total_equals_the_official_profiler(shared, tmp_path, capsys):
    ref = json.loads((shared / "reference/sstrack/baselines_profile.json").read_text())
    official = next(v for k, v in ref.items() if k.startswith("OSTrack-256"))
    assert main(["profile", "--tracker", "ostrack_256", "--frames", "2", "--no-latency", "--counter", "fvcore",
                 "--results", str(tmp_path), "--json", "-"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["counters"] == ["exact", "fvcore"]   # thop's figure is checked in test_efficiency_reference
    # the official tracking/profile_model.py inputs (z 128, x 256, batch 1) and the tracker's own frame agree
    assert doc["fvcore"]["paper_inputs"]["total"] == official["fvcore_total"] == 22_662_558_208
    assert doc["fvcore"]["track"]["total"] == official["fvcore_total"]
    by_op = doc["fvcore"]["track"]["by_operator"]
    # fvcore = exact MACs + its per-element norm terms (layer_norm 5/element, eval batch_norm 2/element)
    assert doc["exact"]["track"]["macs"] == doc["fvcore"]["track"]["total"] - by_op["layer_norm"] - by_op["batch_norm"]
    assert set(by_op) == {"linear", "matmul", "conv", "layer_norm", "batch_norm"}
    # the printed table names each convention (tables go to stderr with --json -)
    fv_line = next(line for line in captured.err.splitlines() if line.strip().startswith("fvcore"))
    assert "22.6626" in fv_line and "exact MACs" in captured.err


def test_attention_kernel_counts_as_its_two_matmuls():
    class Attn(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(1, 2, 6, 8), torch.randn(1, 2, 10, 8), torch.randn(1, 2, 10, 4)
    count = fvc.fvcore_count(Attn(), (q, k, v))
    assert count.total == 2 * 6 * 10 * 8 + 2 * 6 * 10 * 4       # QK^T + AV, per batch x head


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


class SpikeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(6, 5), nn.Linear(5, 3, bias=False)

    def forward(self, x, scale=1.0):
        return self.fc2(_Spike.apply(self.fc1(x) * scale))


def test_custom_functions_count_zero_and_are_listed_keyword_inputs_and_dict_outputs():
    count = fvc.fvcore_count(SpikeNet(), (torch.randn(4, 6),), {"scale": 2.0})
    assert count.total == 4 * 6 * 5 + 4 * 5 * 3                 # the two linears; the spike function counts 0
    assert count.components == {"fc1": 120, "fc2": 60}
    assert "prim::PythonOp._Spike" in count.unsupported

    class DictOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = SpikeNet()

        def forward(self, x, extra=None):
            return {"y": self.net(x), "none": None, "list": [x.sum()]}

    with fvc.CallCapture(DictOut()) as cap:
        cap.model(torch.randn(2, 6), extra=None)
    assert [c[0] for c in cap.calls] == [""]      # the outermost call only
    assert cap.count().total == 2 * 6 * 5 + 2 * 5 * 3


def test_counter_option(tmp_path, capsys, monkeypatch):
    assert main(["profile", "-t", "mil", "--frames", "2", "--counter", "flops", "--results", str(tmp_path)]) == 2
    assert "--counter 'flops': unknown convention; choose from exact, thop, fvcore" in capsys.readouterr().err
    monkeypatch.setattr(fvc, "available", lambda: False)
    assert main(["profile", "-t", "mil", "--frames", "2", "--counter", "fvcore", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "bench: error: --counter fvcore: fvcore is not installed; pip install 'spiketrack-bench[fvcore]'"

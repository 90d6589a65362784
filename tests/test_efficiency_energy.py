"""Energy conventions, presets and literature variants against hand arithmetic; thop rules by hand."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bench.efficiency.energy import PRESETS, VARIANTS, Variant, constants, energy_report, layer_energy_pj
from bench.core.errors import BenchError, ConfigError
from bench.efficiency.thop import ThopCounter, thop_profile

# a spiking layer: 1e6 MACs over T=3 steps (333,333.3 per step), mean integer count 0.8 of D=4
SPIKING = {"macs": 3e6, "spike_macs": 3e6, "sops": 3e6 * 0.8, "steps": 3, "weight_numel": 100, "io_numel": 900}
STEM = {"macs": 2e6, "spike_macs": 0.0, "sops": 0.0, "steps": 1, "weight_numel": 10, "io_numel": 90}


def test_presets_are_horowitz_45nm():
    assert (PRESETS["fp32"].e_mac, PRESETS["fp32"].e_ac) == (4.6, 0.9)
    assert (PRESETS["fp16"].e_mac, PRESETS["fp16"].e_ac) == (1.5, 0.4)
    assert (PRESETS["int8"].e_mac, PRESETS["int8"].e_ac) == (0.23, 0.03)


def test_exact_convention_mac_for_real_input_ac_for_spikes():
    c = PRESETS["fp32"]
    assert layer_energy_pj(STEM, c) == pytest.approx(2e6 * 4.6)
    assert layer_energy_pj(SPIKING, c) == pytest.approx(3e6 * 0.8 * 0.9)
    assert layer_energy_pj(SPIKING, PRESETS["int8"]) == pytest.approx(3e6 * 0.8 * 0.03)


@pytest.mark.parametrize("name,factor", [
    ("exact", 0.8),                       # MACs(all steps) x count
    ("macs*sfr", 0.8),                    # the same from the mean count
    ("macs*rate*T", 0.8 / 4),             # binary-spike formula on normalised rates: undercounts by D
    ("macs*rate*T*D", 0.8),               # normalised rate x T x D: the exact value again
    ("macs*sfr*T*D", 0.8 * 4),            # count-unit SFR in the x D formula: double counts D
    ("macs*sfr*T", 0.8 * 3),              # total MACs x T: double counts T
])
def test_literature_variants(name, factor):
    c = PRESETS["fp32"]
    assert layer_energy_pj(SPIKING, c, VARIANTS[name], spike_scale=4) == pytest.approx(3e6 * factor * 0.9)
    assert layer_energy_pj(STEM, c, VARIANTS[name], spike_scale=4) == pytest.approx(2e6 * 4.6)


def test_every_variant_names_its_formula():
    names = {v.describe() for v in VARIANTS.values()}
    assert len(names) == len(VARIANTS)
    assert "T" in Variant(exact=False, extra_T=True).describe()


def test_memory_term_and_custom_constants():
    c = constants("fp16", e_mac=2.0, e_ac=0.5)
    assert c.name == "custom(fp16)" and c.source == "user-defined"
    assert layer_energy_pj(STEM, c) == pytest.approx(2e6 * 2.0)
    mem = layer_energy_pj(STEM, c, memory=True) - layer_energy_pj(STEM, c)
    assert mem == pytest.approx(c.e_mem_per_byte * 2 * (10 + 90))
    with pytest.raises(ConfigError):
        constants("fp64")
    with pytest.raises(BenchError):
        constants("fp32", e_ac=-1)


def test_template_branch_amortised():
    c = PRESETS["fp32"]
    rep = energy_report({"search": [STEM, SPIKING], "template": [SPIKING]}, c, spike_scale=4,
                        template_per_frame=2 / 50, update_interval=25, variants=("exact",))
    e = rep["variants"]["exact"]
    search = (2e6 * 4.6 + 3e6 * 0.8 * 0.9) * 1e-9
    tmpl = 3e6 * 0.8 * 0.9 * 1e-9
    assert e["per_frame_excluding_template_mJ"] == pytest.approx(search)
    assert e["template_per_update_mJ"] == pytest.approx(tmpl)
    assert e["per_frame_amortised_measured_mJ"] == pytest.approx(search + tmpl * 2 / 50)
    assert e["per_frame_amortised_nominal_mJ"] == pytest.approx(search + tmpl / 25)
    assert rep["constants"]["e_mac"] == 4.6 and "SOP" in e["convention"]


# ---------------------------------------------------------------------------------------------
# thop 0.0.31 convention
# ---------------------------------------------------------------------------------------------

class MyConv(nn.Conv2d):
    """A subclass: thop 0.0.31 matches exact types, so it is not counted."""


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)           # bias: +1 per output
        self.bn = nn.BatchNorm2d(4)
        self.act = nn.ReLU()
        self.sub = MyConv(4, 4, 1)
        self.ln = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 6)
        self.pool = nn.AdaptiveAvgPool2d(2)

    def forward(self, x):
        y = self.act(self.bn(self.conv(x)))
        y = self.sub(y)
        p = self.pool(y)                                     # [1,4,2,2] from 6x6: kernel 3x3
        t = self.ln(p.flatten(2).transpose(1, 2))
        return self.fc(t) @ torch.ones(6, 2)                 # functional matmul: unseen by thop


def test_thop_rules_by_hand():
    m = Block()
    macs, params = thop_profile(m, (torch.randn(1, 3, 6, 6),))
    conv = 4 * 36 * (3 * 9 + 1)
    bn = 2 * 4 * 36
    pool = (9 + 1) * 4 * 4
    fc = 4 * (4 * 6)
    assert macs == conv + bn + pool + fc
    assert params == (4 * 27 + 4) + 8 + (4 * 6 + 6)       # conv, bn, fc (not MyConv, not LayerNorm)
    assert m.training                                       # restored after the eval-mode count


def test_thop_counts_every_call():
    m = nn.Linear(3, 2)
    with ThopCounter(m) as c:
        pass
    wrapper = nn.Sequential(m)
    with ThopCounter(wrapper) as c:
        wrapper(torch.randn(5, 3))
        wrapper(torch.randn(1, 3))
    assert c.macs() == 3 * 2 * 6

"""The efficiency-metric extension point (bench.efficiency.metrics): registry contract, the built-in metrics
on tiny spiking and ANN profiles, the energy-delay product by hand, and a metric in a NEW file reaching
profile.json, ``bench profile``'s console and the report workbook without any other file touched."""
from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

import datasets
from bench.core.registry import ENTRY_POINT_GROUPS, load_file_module
from bench.efficiency.metrics import (EFFICIENCY_METRICS, NotApplicable, ProfileView, compute_metrics,
                                      import_metric_modules, register_efficiency_metric)
from bench.efficiency.profile import format_profile, profile_tracker, write_profile
from test_efficiency_profile import TinyTracker   # spiking; the template branch at init and every 3rd frame
from trackers.base import Tracker, TrackResult


BUILT_IN = ("params", "gmacs_per_frame", "gsops_per_frame", "energy_delay_product")
STEM, PW = 4 * 8 * 8 * 3 * 9, 2 * 8 * 8 * 4   # MACs of TinySNN's convolutions per call (tests/test_efficiency_profile)


class TinyANN(Tracker):
    """Conv + ReLU + 1x1 conv, one branch: an ANN tracker with a torch model."""

    name = "tiny_ann"
    spiking = False

    def __init__(self, random_weights: bool | None = None):
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1)).eval()
        self.random_weights = random_weights

    def initialize(self, image, box, info=None):
        self.box = tuple(float(v) for v in box)

    def track(self, image):
        x = torch.from_numpy(np.ascontiguousarray(image[:16, :16])).permute(2, 0, 1)[None].float() / 255
        self.model(x)
        return TrackResult(self.box, 1.0)


@pytest.fixture(scope="module")
def demo():
    return datasets.create_dataset("demo")


@pytest.fixture(scope="module")
def snn_doc(demo):
    return profile_tracker(TinyTracker(), demo, max_frames=10, warmup=1)


@pytest.fixture(scope="module")
def ann_doc(demo):
    return profile_tracker(TinyANN(), demo, max_frames=4, warmup=0)


def _workbook_cell(path, tracker: str, label_start: str):
    """The Efficiency metrics sheet's cell of ``tracker`` under the column whose header starts with
    ``label_start``, and that cell's comment text."""
    from openpyxl import load_workbook

    ws = load_workbook(path)["Efficiency metrics"]
    head = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(head, 1) if h and str(h).startswith(label_start))
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == tracker)
    cell = ws.cell(row, col)
    return head[col - 1], cell.value, cell.comment.text if cell.comment else None


def test_registry_contract():
    assert ENTRY_POINT_GROUPS["efficiency_metric"] == "bench.efficiency_metrics"
    assert EFFICIENCY_METRICS.group == "bench.efficiency_metrics"
    names = EFFICIENCY_METRICS.names()
    assert set(BUILT_IN) <= set(names)
    for e in EFFICIENCY_METRICS.entries():
        assert isinstance(e.meta["unit"], str) and e.meta["label"].strip(), e.name
        assert isinstance(e.meta["weight_dependent"], bool) and isinstance(e.meta["higher_is_better"], bool)
        assert e.description, f"{e.name}: no description"
    with pytest.raises(ValueError):
        register_efficiency_metric("no_label", unit="x", label=" ", weight_dependent=False, higher_is_better=False)


@pytest.mark.parametrize("which", ["snn", "ann"])
def test_every_metric_runs_on_a_spiking_and_an_ann_profile(which, snn_doc, ann_doc):
    doc = snn_doc if which == "snn" else ann_doc
    block = doc["metrics"]
    assert set(block) == set(EFFICIENCY_METRICS.names())
    for name, m in block.items():
        assert {"value", "unit", "label", "weight_dependent", "higher_is_better"} <= set(m), name
        assert m["value"] is not None or m["reason"], name
    json.dumps(block)   # JSON-able as stored
    assert block["params"]["value"] == doc["params"]
    assert block["energy_delay_product"]["value"] > 0
    if which == "snn":
        # the search branch every frame + the template branch 4 times in 9 tracked frames
        assert block["gmacs_per_frame"]["value"] == pytest.approx((STEM + PW) * (1 + 4 / 9) / 1e9)
        sops = doc["branches"]["search"]["sops"] + doc["branches"]["template"]["sops"] * 4 / 9
        assert block["gsops_per_frame"]["value"] == pytest.approx(sops / 1e9) and sops > 0
    else:
        assert block["gmacs_per_frame"]["value"] == pytest.approx((STEM + PW) / 1e9)
        assert block["gsops_per_frame"]["value"] == 0.0


def test_a_tracker_without_a_torch_model_gets_null_values_with_reasons(demo):
    class Classical(Tracker):
        name = "classical"

        def initialize(self, image, box, info=None):
            self.box = tuple(float(v) for v in box)

        def track(self, image):
            return TrackResult(self.box, 1.0)

    doc = profile_tracker(Classical(), demo, max_frames=3, warmup=0)
    for name in BUILT_IN:
        m = doc["metrics"][name]
        assert m["value"] is None and "no " in m["reason"] and "\n" not in m["reason"], name


def test_energy_delay_product_by_hand(snn_doc):
    # 2.5 mJ per tracked frame under the quoted model x 4 ms per tracked frame in the model = 10 mJ*ms
    doc = {"energy_models": {"headline": "fp32", "template_rate": {"value": 0.5},
                             "models": {"fp32": {"per_frame_mJ": 2.5}}},
           "latency": {"all_frames": {"model": {"n": 5, "mean_s": 0.004}, "end_to_end": {"n": 5, "mean_s": 0.006}}}}
    m = compute_metrics(doc)["energy_delay_product"]
    assert m["value"] == pytest.approx(10.0) and m["unit"] == "mJ*ms"
    assert m["details"] == {"energy_mJ": 2.5, "delay_ms": pytest.approx(4.0), "energy_model": "fp32"}
    # on a real profile: the headline energy x the model clock's mean
    e = snn_doc["energy_models"]["models"]["fp32"]["per_frame_mJ"]
    ms = snn_doc["latency"]["all_frames"]["model"]["mean_s"] * 1e3
    assert snn_doc["metrics"]["energy_delay_product"]["value"] == pytest.approx(e * ms)
    del doc["latency"]
    m = compute_metrics(doc)["energy_delay_product"]
    assert m["value"] is None and "latency" in m["reason"]


def test_a_failing_or_odd_metric_is_a_null_value_not_a_failed_profile(snn_doc):
    odd = {"raises": lambda p: 1 / 0, "none": lambda p: None, "text": lambda p: "fast",
           "nan": lambda p: float("nan"), "not_applicable": lambda p: (_ for _ in ()).throw(NotApplicable("no X")),
           "tensor": lambda p: torch.tensor(3.5)}
    try:
        for name, f in odd.items():
            register_efficiency_metric(f"t_{name}", unit="", label=name, weight_dependent=False,
                                       higher_is_better=True, description="test")(f)
        block = compute_metrics(snn_doc)
        assert block["t_raises"]["value"] is None and block["t_raises"]["reason"].startswith("ZeroDivisionError")
        assert "returned None" in block["t_none"]["reason"]
        assert "not a number" in block["t_text"]["reason"] and block["t_nan"]["value"] is None
        assert block["t_not_applicable"]["reason"] == "no X"
        assert block["t_tensor"]["value"] == 3.5 and "reason" not in block["t_tensor"]
        assert block["gmacs_per_frame"]["value"] == snn_doc["metrics"]["gmacs_per_frame"]["value"]
    finally:
        for name in odd:
            EFFICIENCY_METRICS.remove(f"t_{name}")


def test_profile_view_is_read_only(snn_doc):
    view = ProfileView.from_profile(snn_doc)
    with pytest.raises(AttributeError):
        view.params = 1
    with pytest.raises(TypeError):
        view.branches["search"] = None
    with pytest.raises(TypeError):
        view.doc["params"] = 1
    assert view.template_rate == pytest.approx(4 / 9) and view.tracked_frames == 9
    assert {n.branch for n in view.neurons} == {"search", "template"} and view.model is None


NEW_METRIC = '''
"""A metric in a file of its own: the number of convolution modules of the model (needs the model)."""
from torch import nn

from bench.efficiency.metrics.base import ProfileView, register_efficiency_metric


@register_efficiency_metric("{name}", unit="modules", label="Conv modules", weight_dependent=False,
                            higher_is_better=False, needs_model=True,
                            description="nn.Conv2d modules of the tracker's model")
def conv_modules(profile: ProfileView) -> int:
    return sum(isinstance(m, nn.Conv2d) for m in profile.model.modules())


@register_efficiency_metric("{name}_x", unit="GMAC/frame", label="Weighted MACs", weight_dependent=True,
                            higher_is_better=False)
def weighted(profile: ProfileView) -> float:
    """MACs per frame x 2 (weight-dependent, for the random-weights rule)."""
    return 2 * profile.per_frame("macs") / 1e9
'''


def test_a_metric_in_a_new_file_reaches_profile_json_console_and_workbook(tmp_path, demo):
    from bench.efficiency.accounting import apply_run_rate
    from reports.excel import write_workbook
    from reports.model import ReportData
    from reports.profiles import read_profile

    name = "conv_modules_test"
    f = tmp_path / "conv_modules_metric.py"
    f.write_text(NEW_METRIC.replace("{name}", name))
    load_file_module(f)   # what a plugin's import does; nothing else is edited
    try:
        docs = {}
        for tracker in (TinyTracker(), TinyANN(random_weights=True)):
            doc = profile_tracker(tracker, demo, max_frames=7, warmup=0)
            assert doc["metrics"][name]["value"] == 2 and doc["metrics"][name]["unit"] == "modules"
            docs[tracker.name] = doc
        # re-amortised over a run after the profiler let the model go: per-frame metrics follow the new
        # template rate, the metric that needs the model keeps its value
        doc = apply_run_rate(docs["tiny_snn"], {"value": 0.0, "source": "test"})
        path = write_profile(doc, tmp_path / "res")
        stored = json.loads(path.read_text())["metrics"]
        assert stored[name]["value"] == 2
        assert stored["gmacs_per_frame"]["value"] == pytest.approx((STEM + PW) / 1e9)
        assert stored[f"{name}_x"]["value"] == pytest.approx(2 * (STEM + PW) / 1e9)
        text = format_profile(doc)
        assert f"Conv modules [{name}]" in text and "2 modules" in text
        ann_path = write_profile(docs["tiny_ann"], tmp_path / "res")
        assert "RANDOM weights: not valid" in format_profile(docs["tiny_ann"])

        profiles = {p.tracker: p for p in (read_profile(path), read_profile(ann_path))}
        assert profiles["tiny_snn"].metric(name) == 2
        wb = write_workbook(ReportData(profiles=profiles), tmp_path / "report.xlsx")
        assert _workbook_cell(wb, "tiny_snn", "Conv modules") == ("Conv modules (modules)", 2, None)
        head, value, _ = _workbook_cell(wb, "tiny_snn", "Weighted MACs")
        assert head == "Weighted MACs (GMAC/frame)" and value == pytest.approx(2 * (STEM + PW) / 1e9)
        # random weights: the weight-dependent metric is left out (and says so), the others stay
        assert _workbook_cell(wb, "tiny_ann", "Conv modules")[1] == 2
        assert _workbook_cell(wb, "tiny_ann", "Parameters")[1] == docs["tiny_ann"]["params"]
        _, value, comment = _workbook_cell(wb, "tiny_ann", "Weighted MACs")
        assert value is None and "RANDOM" in comment
        _, value, comment = _workbook_cell(wb, "tiny_ann", "Energy-delay product")
        assert value is None and "RANDOM" in comment
    finally:
        EFFICIENCY_METRICS.remove(name)
        EFFICIENCY_METRICS.remove(f"{name}_x")


def test_a_new_module_in_the_package_is_discovered(tmp_path, monkeypatch):
    import bench.efficiency.metrics as pkg

    name = "discovered_test_metric"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(f'''
        from bench.efficiency.metrics.base import register_efficiency_metric


        @register_efficiency_metric("{name}", unit="", label="Discovered", weight_dependent=False,
                                    higher_is_better=True, description="found by the package's import")
        def discovered(profile):
            return 1.0
    '''))
    monkeypatch.setattr(pkg, "__path__", [*pkg.__path__, str(tmp_path)])
    try:
        import_metric_modules()
        assert name in EFFICIENCY_METRICS.names()
        assert compute_metrics({})[name]["value"] == 1.0
    finally:
        EFFICIENCY_METRICS.remove(name)
        sys.modules.pop(f"{pkg.__name__}.{name}", None)

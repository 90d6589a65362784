"""Reports: the workbook, tables and figures show exactly the stored figures, in the promised layout.

The writers are tested on a hand-made :class:`ReportData` (so every expected cell is known); ``collect``
is tested on a results store written here with boxes whose scores are computed by hand.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError, DataError
from reports.model import BenchmarkResult, Curve, EfficiencyProfile, PublishedValue, ReportData

THR = np.linspace(0, 1, 21)
PX = np.arange(51, dtype=float)


def _result(tracker: str, bench: str, auc: float, prec: float, protocol: str, attrs: dict | None = None):
    return BenchmarkResult(
        tracker=tracker, benchmark=bench, protocol=protocol,
        metrics={"auc": auc, "precision": prec, "norm_precision": prec - 0.05},
        curves={"success": Curve(THR, np.clip(1.2 * auc * (1 - THR ** 3), 0, 1)),
                "precision": Curve(PX, prec * (1 - np.exp(-PX / 6))),
                "norm_precision": Curve(PX / 100, (prec - 0.05) * (1 - np.exp(-PX / 6)))},
        per_sequence=[{"sequence": "seq-a", "auc": auc + 0.01, "precision": prec},
                      {"sequence": "seq-b", "auc": auc - 0.01, "precision": prec - 0.1}],
        attributes=attrs or {"IV": {"sequences": 1, "auc": auc + 0.02, "precision": prec},
                             "SV": {"sequences": 2, "auc": auc - 0.03, "precision": prec},
                             "OCC": {"sequences": 1, "auc": auc, "precision": prec}},
        n_sequences=2, source="memory")


def make_data() -> ReportData:
    d = ReportData(source="memory")
    d.results = [_result("snn_a", "lasot", 0.612345, 0.65, "lasot-toolkit"),
                 _result("ann_b", "lasot", 0.689, 0.74, "lasot-toolkit"),
                 _result("snn_a", "otb100", 0.66, 0.87, "otb-toolkit")]
    d.profiles = {
        "snn_a": EfficiencyProfile(
            tracker="snn_a", params=19.4e6, gmacs=4.17, gsops=1.52, energy_mj=2.75, fps=24.5, device="cpu",
            spiking=True,
            firing_rates={"template": {"stem": [0.4, 0.5], "block1": [1.2, 0.9]},
                          "search": {"stem": [0.3, 0.35], "block1": [1.1, 1.0], "head": [0.2, 0.25]}},
            energy_breakdown=[{"component": "stem (MAC)", "gmacs": 0.04, "mac_mj": 0.18, "total_mj": 0.18},
                              {"component": "encoder (AC)", "gsops": 1.52, "ac_mj": 2.57, "total_mj": 2.57}],
            energy_model={"E_MAC_pJ": 4.6, "E_AC_pJ": 0.9}, source="memory/profile.json"),
        "ann_b": EfficiencyProfile(tracker="ann_b", params=92.5e6, gmacs=21.5, energy_mj=98.9, fps=105.0,
                                   device="cuda:0", spiking=False, source="memory/profile.json"),
    }
    d.spiking = {"snn_a": True, "ann_b": False}
    d.published = [PublishedValue("OSTrack-256", "LaSOT", "auc", 0.691, "OSTrack README"),
                   PublishedValue("OSTrack-256", "", "energy_mj", 98.0, "made-up test source"),
                   PublishedValue("OSTrack-256", "", "params", 92.1e6, "made-up test source")]
    return d


# --- workbook ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    import openpyxl

    from reports.excel import write_workbook

    path = write_workbook(make_data(), tmp_path_factory.mktemp("xl") / "report.xlsx")
    return openpyxl.load_workbook(path)


def _headers(ws, row=1):
    return [c.value for c in ws[row]]


def test_workbook_sheets(workbook):
    assert workbook.sheetnames == ["Leaderboard", "LaSOT sequences", "OTB100 sequences", "LaSOT attributes",
                                   "OTB100 attributes", "Firing rates", "Energy", "Published", "About"]


def test_leaderboard_headers_protocols_and_values(workbook):
    ws = workbook["Leaderboard"]
    assert _headers(ws) == [
        "Tracker", "Type", "Source", "LaSOT AUC (%)", "LaSOT P (%)", "LaSOT P_norm (%)", "OTB100 AUC (%)",
        "OTB100 P (%)", "OTB100 P_norm (%)", "Params (M)", "GMACs (G/frame)", "SOPs (G/frame)",
        "Energy (mJ/frame)", "FPS (frames/s)", "Device"]
    protos = _headers(ws, 2)
    assert protos[3:6] == ["lasot-toolkit"] * 3 and protos[6:9] == ["otb-toolkit"] * 3
    assert ws.freeze_panes == "B3"
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=3)}
    # ranked by LaSOT AUC: ann_b first; published rows after measured ones
    assert [r[0].value for r in ws.iter_rows(min_row=3)] == ["ann_b", "snn_a", "OSTrack-256"]
    a = rows["snn_a"]
    assert a[1:3] == ["SNN", "measured"]
    assert a[3] == 0.612345 and a[4] == 0.65 and a[5] == pytest.approx(0.60, abs=0)  # stored as fractions
    assert a[6:8] == [0.66, 0.87]
    assert a[9] == pytest.approx(19.4) and a[10:15] == [4.17, 1.52, 2.75, 24.5, "cpu"]
    b = rows["ann_b"]
    assert b[1] == "ANN" and b[6] is None and b[11] is None and b[14] == "cuda:0"
    p = rows["OSTrack-256"]
    assert p[2] == "published" and p[3] == 0.691 and p[4] is None and p[12] == 98.0
    assert p[9] == pytest.approx(92.1)
    assert ws.cell(row=3, column=4).number_format == "0.0%"
    assert isinstance(ws.cell(row=3, column=4).value, float)


def test_sequence_and_attribute_sheets(workbook):
    ws = workbook["LaSOT sequences"]
    assert _headers(ws) == ["Sequence", "snn_a AUC (%)", "ann_b AUC (%)", "snn_a P (%)", "ann_b P (%)"]
    assert [c.value for c in ws[3]] == ["seq-a", 0.612345 + 0.01, 0.689 + 0.01, 0.65, 0.74]
    assert ws.freeze_panes == "B3"
    wa = workbook["OTB100 attributes"]
    assert _headers(wa)[:4] == ["Attribute", "Name", "Sequences", "snn_a AUC (%)"]
    assert [c.value for c in wa[3]][:4] == ["IV", None, 1, 0.66 + 0.02]
    assert [c.value for c in wa[4]][:4] == ["SV", None, 2, 0.66 - 0.03]


def test_firing_rate_sheet_has_colour_scale(workbook):
    ws = workbook["Firing rates"]
    assert _headers(ws) == ["Tracker", "Branch", "Layer", "t=1 (spikes/neuron)", "t=2 (spikes/neuron)"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0] == ["snn_a", "template", "stem", 0.4, 0.5]
    assert rows[3] == ["snn_a", "search", "block1", 1.1, 1.0]
    assert len(rows) == 5
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert rules and rules[0].type == "colorScale"
    assert str(list(ws.conditional_formatting)[0].sqref) == "D2:E6"


def test_energy_and_published_sheets(workbook):
    ws = workbook["Energy"]
    assert _headers(ws) == ["Tracker", "Branch", "Component", "Per", "MACs (G)", "SOPs (G)", "MAC energy (mJ)",
                            "AC energy (mJ)", "Energy (mJ)", "Energy per frame (mJ/frame)", "Share of frame (%)"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0][2:5] == ["stem (MAC)", "frame", 0.04] and rows[0][8] == 0.18
    assert rows[1][8] == 2.57 and rows[1][10] == pytest.approx(2.57 / 2.75)
    assert rows[2][2] == "total per frame" and rows[2][9] == 2.75 and rows[2][4] == 4.17
    wp = workbook["Published"]
    assert _headers(wp) == ["Tracker", "Benchmark", "Metric", "Value", "Source", "Note"]
    assert [c.value for c in wp[2]][:5] == ["OSTrack-256", "LaSOT", "AUC (%)", 0.691, "OSTrack README"]


# --- tables --------------------------------------------------------------------------------------------

def test_markdown_and_latex_tables():
    from reports.tables import leaderboard_latex, leaderboard_markdown

    data = make_data()
    md = leaderboard_markdown(data)
    lines = md.splitlines()
    assert lines[0].startswith("| Tracker | Type | LaSOT AUC (%) |")
    row = next(line for line in lines if line.startswith("| ann_b "))
    assert "| **68.9** |" in row                    # best measured LaSOT AUC, in percent
    pub = next(line for line in lines if line.startswith("| OSTrack-256"))
    assert "OSTrack-256†" in pub and "| 69.1 |" in pub and "**" not in pub  # published: never bold
    assert "| 61.2 |" in next(line for line in lines if line.startswith("| snn_a "))
    tex = leaderboard_latex(data)
    assert r"\toprule" in tex and r"\bottomrule" in tex
    assert r"snn\_a" in tex and r"OSTrack-256$^\dagger$" in tex and r"\textbf{68.9}" in tex
    ncols = tex.split(r"\begin{tabular}{")[1].split("}")[0]
    assert all(line.count("&") == len(ncols) - 1 for line in tex.splitlines()
               if line.endswith(r"\\") and "multicolumn" not in line)
    assert r"\multicolumn{3}{c}{LaSOT} & \multicolumn{3}{c}{OTB100}" in tex


# --- figures -------------------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (signature, then the IHDR chunk)."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def test_plots_are_valid_images_of_the_expected_size(tmp_path):
    from reports import plots

    files = plots.plot_all(make_data(), tmp_path, formats=("png", "pdf"))
    names = sorted(p.name for p in files)
    expected = {"LaSOT_success", "LaSOT_precision", "LaSOT_norm_precision", "OTB100_success",
                "OTB100_precision", "OTB100_norm_precision", "LaSOT_attributes", "OTB100_attributes",
                "leaderboard_LaSOT_vs_energy_mj", "leaderboard_LaSOT_vs_gmacs", "leaderboard_LaSOT_vs_fps",
                "firing_rates_snn_a"}  # OTB100 has one tracker with a profile: no efficiency leaderboard
    assert names == sorted(f"{n}.{e}" for n in expected for e in ("png", "pdf"))
    w, h = plots.CURVE_SIZE
    assert png_size(tmp_path / "LaSOT_success.png") == (round(w * plots.DPI), round(h * plots.DPI))
    w, h = plots.SCATTER_SIZE
    assert png_size(tmp_path / "leaderboard_LaSOT_vs_energy_mj.png") == (round(w * plots.DPI), round(h * plots.DPI))
    assert (tmp_path / "LaSOT_success.pdf").read_bytes()[:5] == b"%PDF-"
    from matplotlib.image import imread

    img = imread(tmp_path / "LaSOT_success.png")  # decodes: a valid image, not just a valid header
    assert img.shape[:2] == (720, 960)
    assert img[..., :3].std() > 0.05  # not a blank canvas


def test_efficiency_points_keep_published_apart():
    from reports.plots import efficiency_points

    pts = efficiency_points(make_data(), "lasot", "auc", "energy_mj")
    assert [(p["tracker"], p["published"], p["spiking"]) for p in pts] == [
        ("snn_a", False, True), ("ann_b", False, False), ("OSTrack-256", True, False)]
    assert pts[2]["x"] == 98.0 and pts[2]["y"] == 0.691 and pts[2]["params_m"] == pytest.approx(92.1)


# --- published data ------------------------------------------------------------------------------------

def test_published_file_parsing_and_errors(tmp_path):
    from reports.published import DEFAULT_FILE, load_published

    f = tmp_path / "pub.csv"
    f.write_text("tracker,benchmark,metric,value,unit,source,note\n"
                 "X,LaSOT,auc,69.1,%,paper,\n"
                 "X,VOT2020,eao,0.581,,paper,\n"
                 "X,,params,92.1,M,paper,\n")
    vals = load_published(f)
    assert [(v.metric, v.value) for v in vals] == [("auc", pytest.approx(0.691)), ("eao", 0.581),
                                                   ("params", pytest.approx(92.1e6))]
    f.write_text("tracker,benchmark,metric,value,unit,source\nX,LaSOT,auc,69.1,,paper\n")
    with pytest.raises(DataError, match=r"pub.csv:2: auc = 69.1 is not a fraction"):
        load_published(f)
    f.write_text("tracker,benchmark,metric,value,unit,source\nX,LaSOT,auc,0.6,,\n")
    with pytest.raises(DataError, match=r"pub.csv:2: empty 'source'"):
        load_published(f)
    f.write_text("tracker,benchmark,metric,value,source\nX,LaSOT,speed,1,paper\n")
    with pytest.raises(DataError, match=r"pub.csv:2: unknown metric 'speed'"):
        load_published(f)
    f.write_text("tracker,benchmark,value,source\n")
    with pytest.raises(DataError, match=r"pub.csv:1: header lacks column\(s\) metric"):
        load_published(f)
    shipped = load_published(DEFAULT_FILE)
    assert len(shipped) >= 20 and all(v.source for v in shipped)
    by = {(v.tracker, v.benchmark, v.metric): v.value for v in shipped}
    # spot checks against the cited READMEs (OSTrack README table; pytracking MODEL_ZOO.md)
    assert by[("OSTrack-256", "LaSOT", "auc")] == pytest.approx(0.691)
    assert by[("ATOM", "LaSOT", "auc")] == pytest.approx(0.515)


# --- collect from a results store ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with two runs on the embedded demo dataset: perfect boxes and boxes far off target."""
    import datasets
    from bench.results import ResultsStore

    root = tmp_path_factory.mktemp("results")
    ds = datasets.create_dataset("demo")
    st = ResultsStore(root)
    perfect, lost = st.run("perfect", "demo"), st.run("lost", "demo")
    perfect.start({"tracker": "perfect", "dataset": "demo", "device": "cpu"})
    for name in ds.names():
        gt = ds.load(name).ground_truth
        times = np.full(len(gt), 0.01)
        times[0] = 0.5  # initialisation: not counted in FPS
        perfect.write_sequence(name, gt, times=times)
        far = gt.copy()
        far[:, 0] += 1000.0
        lost.write_sequence(name, far)
    (lost.path / "profile.json").write_text(json.dumps({
        "tracker": "lost", "params": 12.5e6, "macs": 4.0e9, "sops": 1.0e9, "energy_mj": 1.25, "spiking": True,
        "fps": 30.0, "device": "cpu",
        "firing_rates": {"search": {"l1": [0.5, 0.7]}, "template": {"l1": [0.25, 0.3]}}}))
    return root, ds


def test_collect_scores_match_hand_computed_values(store):
    from reports.collect import collect

    root, ds = store
    data = collect(root, datasets=["demo"], attributes=True, protocols={"demo": "otb-toolkit"})
    perfect, lost = data.result("perfect", "demo"), data.result("lost", "demo")
    assert perfect.protocol == lost.protocol == "otb-toolkit"
    # integer GT boxes against themselves: IoU 1 passes every threshold but 1.0 (success uses ">")
    assert perfect.metrics["auc"] == pytest.approx(20 / 21, abs=1e-12)
    assert perfect.metrics["precision"] == 1.0
    # far off: only frame 1 counts (the OTB toolkit replaces it by the ground truth)
    lengths = [len(ds.load(n).ground_truth) for n in ds.names()]
    assert lost.metrics["auc"] == pytest.approx(np.mean([20 / 21 / n for n in lengths]), abs=1e-7)
    assert lost.metrics["precision"] == pytest.approx(np.mean([1 / n for n in lengths]), abs=1e-7)
    assert [r["sequence"] for r in perfect.per_sequence] == ds.names()
    assert perfect.n_sequences == len(ds.names())
    # FPS from <seq>_time.txt (init frames excluded) with the run's device; the profile of "lost"
    assert data.profiles["perfect"].fps == pytest.approx(100.0) and data.profiles["perfect"].device == "cpu"
    prof = data.profiles["lost"]
    assert (prof.params, prof.gmacs, prof.gsops, prof.energy_mj) == (12.5e6, 4.0, 1.0, 1.25)
    assert prof.firing_rates["search"]["l1"] == [0.5, 0.7] and data.is_spiking("lost")
    assert not data.is_spiking("perfect")


def test_collect_reads_foreign_layout_with_mixed_case_names(tmp_path, store):
    """<dir>/<Tracker>/<seq>.txt with names in another case and '-' for '_' (as other toolkits write)."""
    from reports.collect import collect

    _, ds = store
    for name in ds.names():
        gt = ds.load(name).ground_truth
        p = tmp_path / "MyTracker" / f"{name.upper().replace('_', '-')}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text("".join(f"{x:g}\t{y:g}\t{w:g}\t{h:g}\n" for x, y, w, h in gt))
    data = collect(tmp_path, datasets=["demo"], attributes=False, protocols={"*": "otb-toolkit"})
    r = data.result("MyTracker", "demo")
    assert r.n_sequences == len(ds.names()) and r.metrics["auc"] == pytest.approx(20 / 21, abs=1e-12)
    one = collect(tmp_path / "MyTracker", datasets=["demo"], attributes=False, protocols={"*": "otb-toolkit"})
    assert one.result("MyTracker", "demo").metrics == r.metrics  # the tracker's own folder works too


def test_collect_errors_are_one_line(tmp_path):
    from reports.collect import collect, read_profile

    with pytest.raises(BenchError, match="results folder not found"):
        collect(tmp_path / "nope")
    (tmp_path / "T").mkdir()
    (tmp_path / "T" / "a.txt").write_text("1,2,3,4\n")
    with pytest.raises(BenchError, match="name their dataset with --dataset"):
        collect(tmp_path)
    bad = tmp_path / "profile.json"
    bad.write_text('{"params": "many"}')
    with pytest.raises(DataError, match=r"profile.json: params is not a number"):
        read_profile(bad)


def test_cli_report_end_to_end(store, tmp_path, capsys):
    import openpyxl

    from bench.cli import main

    root, ds = store
    out = tmp_path / "rep"
    rc = main(["report", "--results", str(root), "--out", str(out), "--dataset", "demo", "--formats", "png",
               "--protocol", "demo=otb-toolkit", "--json", str(tmp_path / "r.json")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "demo (otb-toolkit)" in printed and "perfect" in printed
    js = json.loads((tmp_path / "r.json").read_text())
    assert js["benchmarks"]["demo"]["trackers"]["perfect"]["metrics"]["auc"] == pytest.approx(20 / 21)
    wb = openpyxl.load_workbook(out / "report.xlsx")
    lb = wb["Leaderboard"]
    row = {r[0].value: [c.value for c in r] for r in lb.iter_rows(min_row=3)}
    assert row["perfect"][3] == js["benchmarks"]["demo"]["trackers"]["perfect"]["metrics"]["auc"]
    assert (out / "figures" / "demo_success.png").is_file() and (out / "leaderboard.md").is_file()
    assert (out / "figures" / "firing_rates_lost.png").is_file()
    rc = main(["report", "--results", str(root), "--out", str(out), "--annotations", "demo"])
    assert rc != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("bench: error:") and "\n" not in err and "DATASET=VALUE" in err


def test_bench_profile_schema_is_read_per_tracked_frame(tmp_path):
    """``bench profile``'s profile.json: template branch amortised over the update interval, energy from
    the 'exact' variant, FPS and device from the latency block, firing rates from the neurons."""
    from reports.collect import read_profile

    doc = {
        "schema": "bench.efficiency.profile/1", "tracker": "st", "spiking": True, "params": 1000,
        "update_interval": 10,
        "branches": {"template": {"macs": 2.0e9, "sops": 1.0e9}, "search": {"macs": 1.0e9, "sops": 0.5e9}},
        "layers": [
            {"path": "enc.stem.conv", "branch": "search", "macs": 0.2e9, "spike_macs": 0.0, "sops": 0.0},
            {"path": "enc.block.0.fc", "branch": "search", "macs": 0.8e9, "spike_macs": 0.8e9, "sops": 0.5e9},
            {"path": "enc.stem.conv", "branch": "template", "macs": 0.4e9, "spike_macs": 0.0, "sops": 0.0},
            {"path": "enc.block.0.fc", "branch": "template", "macs": 1.6e9, "spike_macs": 1.6e9, "sops": 1.0e9}],
        "neurons": [{"name": "enc.block.0.lif", "branch": "template", "mean_count": [0.5, 0.25]},
                    {"name": "enc.block.0.lif", "branch": "search", "mean_count": [0.75]}],
        "energy": {"constants": {"e_mac": 4.6, "e_ac": 0.9, "source": "Horowitz"},
                   "variants": {"exact": {"convention": "E_MAC*MACs[real] + E_AC*SOPs",
                                          "per_frame_amortised_nominal_mJ": 1.5,
                                          "per_frame_excluding_template_mJ": 1.0}}},
        "latency": {"environment": {"device": "cpu", "cpu": "Xeon", "torch_threads": 2},
                    "all_frames": {"end_to_end": {"fps": 12.5}}},
    }
    p = tmp_path / "profile.json"
    p.write_text(json.dumps(doc))
    prof = read_profile(p)
    assert prof.gmacs == pytest.approx(1.0 + 2.0 / 10) and prof.gsops == pytest.approx(0.5 + 1.0 / 10)
    assert prof.energy_mj == 1.5 and prof.fps == 12.5 and prof.device == "cpu (Xeon, 2 threads)"
    assert prof.firing_rates == {"template": {"enc.block.0.lif": [0.5, 0.25]}, "search": {"enc.block.0.lif": [0.75]}}
    rows = {(r["branch"], r["component"]): r for r in prof.energy_breakdown}
    # 0.2 G real-input MACs x 4.6 pJ = 0.92 mJ; 0.5 G SOPs x 0.9 pJ = 0.45 mJ
    assert rows[("search", "enc.stem")]["total_mj"] == pytest.approx(0.92)
    assert rows[("search", "enc.block")]["ac_mj"] == pytest.approx(0.45)
    assert rows[("template", "enc.stem")]["weight"] == pytest.approx(0.1)
    assert prof.spiking is True and prof.params == 1000


def test_published_type_column_marks_spiking_trackers(tmp_path):
    from reports.published import load_published

    f = tmp_path / "pub.csv"
    f.write_text("tracker,benchmark,metric,value,unit,source,type\nS,LaSOT,auc,60,%,paper,SNN\n"
                 "A,LaSOT,auc,70,%,paper,ann\nU,LaSOT,auc,65,%,paper,\n")
    data = ReportData(published=load_published(f))
    assert [data.is_spiking(t) for t in "SAU"] == [True, False, False]
    f.write_text("tracker,benchmark,metric,value,unit,source,type\nS,LaSOT,auc,60,%,paper,CNN\n")
    with pytest.raises(DataError, match=r"pub.csv:2: type must be SNN or ANN"):
        load_published(f)


# --- runs made with --max-frames, <seq>_stats.json firing rates, bench profile's headline energy -------

def test_max_frames_run_is_scored_on_its_first_frames(tmp_path, store):
    """``bench run --max-frames N`` stores N boxes per sequence and config.max_frames in run.json: the
    report scores the first N ground-truth frames (before, the longer ground truth made it unscorable)."""
    from bench.results import ResultsStore
    from reports.collect import collect

    _, ds = store
    n = 7
    st = ResultsStore(tmp_path)
    run = st.run("short", "demo")
    run.start({"tracker": "short", "dataset": "demo", "device": "cpu", "max_frames": n})
    for name in ds.names():
        far = ds.load(name).ground_truth[:n].copy()
        assert len(ds.load(name).ground_truth) > n
        far[:, 0] += 1000.0
        run.write_sequence(name, far, times=np.full(n, 0.02))
    bad = st.run("bad", "demo")
    bad.start({"tracker": "bad", "dataset": "demo", "max_frames": "seven"})
    bad.write_sequence(ds.names()[0], ds.load(ds.names()[0]).ground_truth[:n])
    data = collect(tmp_path, datasets=["demo"], attributes=False, protocols={"*": "otb-toolkit"})
    r = data.result("short", "demo")
    # far off: only frame 1 counts (replaced by the ground truth), now out of n frames per sequence
    assert r.metrics["auc"] == pytest.approx(20 / 21 / n, abs=1e-12)
    assert r.metrics["precision"] == pytest.approx(1 / n, abs=1e-12)
    assert r.n_sequences == len(ds.names()) and data.profiles["short"].fps == pytest.approx(50.0)
    assert any(f"--max-frames {n} run" in note for note in data.notes)
    assert data.result("bad", "demo") is None
    assert any(note.startswith("bad on demo: not scored:") and "config.max_frames" in note and "run.json" in note
               for note in data.notes)


def test_cli_max_frames_run_reports_what_bench_run_printed(tmp_path, capsys):
    """A real ``bench run --max-frames`` folder: the report's AUC is the run's own summary AUC."""
    import bench.runner as runner
    from bench.cli import main
    from reports.collect import collect

    runner._CACHE.clear()
    try:
        assert main(["run", "-t", "csrt", "--results", str(tmp_path / "res"), "--max-frames", "12",
                     "--no-progress", "--json", str(tmp_path / "run.json")]) == 0
    finally:
        runner._CACHE.clear()
    capsys.readouterr()
    summary = json.loads((tmp_path / "run.json").read_text())["results"]["csrt"]["demo"]
    data = collect(tmp_path / "res", datasets=["demo"], attributes=False)
    r = data.result("csrt", "demo")
    assert r.protocol == summary["protocol"] and r.n_sequences == summary["sequences"] == 3
    for k in ("auc", "precision", "norm_precision"):
        assert r.metrics[k] == pytest.approx(summary["metrics"][k], abs=1e-12)


def _layer(rates):
    return {"images": 5, "mean_count": rates, "nonzero_fraction": [r / 4 for r in rates],
            "level_fraction": [[1 - r / 4, 0, 0, 0, r / 4] for r in rates]}


def test_stats_json_firing_rates_reach_the_report_without_profile(tmp_path, store):
    """No profile.json: the per-sequence rates ``bench run`` stored (``<seq>_stats.json``, SpikeTrack's
    recorder layout) are averaged over sequences, each weighing the same, into the sheet and heat map."""
    import openpyxl

    from bench.results import ResultsStore
    from reports.build import write_report
    from reports.collect import collect

    _, ds = store
    run = ResultsStore(tmp_path / "res").run("snn", "demo")
    run.start({"tracker": "snn", "dataset": "demo", "device": "cpu"})
    per_seq = [([0.5, 1.0], [2.0]), ([1.5, 2.0], [3.0]), None]   # the third sequence has no rates
    for name, rates in zip(ds.names(), per_seq):
        gt = ds.load(name).ground_truth
        stats = {"template_updates": 0}
        if rates is not None:
            stats["firing_rates"] = {
                "template": {"images": 1, "layers": {"enc.l1": _layer(rates[1])},
                             "overall": {"mean_count": rates[1][0], "nonzero_fraction": rates[1][0] / 4}},
                "search": {"images": 5, "layers": {"enc.l1": _layer(rates[0])},
                           "overall": {"mean_count": 1.0, "nonzero_fraction": 0.25}}}
        run.write_sequence(name, gt, times=np.full(len(gt), 0.01), stats=stats)
    data = collect(tmp_path / "res", datasets=["demo"], attributes=False)
    prof = data.profiles["snn"]
    assert prof.firing_rates == {"template": {"enc.l1": [2.5]}, "search": {"enc.l1": [1.0, 1.5]}}
    assert prof.fps == pytest.approx(100.0) and "_stats.json" in prof.source
    out = write_report(data, tmp_path / "rep", formats=["png"])
    assert (tmp_path / "rep" / "figures" / "firing_rates_snn.png").is_file() and out["files"]
    ws = openpyxl.load_workbook(tmp_path / "rep" / "report.xlsx")["Firing rates"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == \
        [["snn", "template", "enc.l1", 2.5, None], ["snn", "search", "enc.l1", 1.0, 1.5]]
    # a profile.json's own rates win over the fallback
    (run.path / "profile.json").write_text(json.dumps({"tracker": "snn", "firing_rates": {"search": {"x": [0.1]}}}))
    assert collect(tmp_path / "res", datasets=["demo"], attributes=False).profiles["snn"].firing_rates == \
        {"search": {"x": [0.1]}}
    (run.path / f"{ds.names()[0]}_stats.json").write_text("{broken")
    (run.path / "profile.json").unlink()
    data = collect(tmp_path / "res", datasets=["demo"], attributes=False)
    assert any("firing rates not read" in n and "_stats.json" in n for n in data.notes)


def test_energy_is_the_figure_bench_profile_prints(tmp_path):
    """A real ``bench profile`` document: the report quotes HEADLINE_ENERGY_KEY (the measured amortisation
    that format_profile prints), and GMACs/GSOPs weigh the template branch the same way (4 calls in 9
    tracked frames here, not the nominal 1 in 3)."""
    import torch
    from torch import nn

    import datasets
    from bench.efficiency.profile import format_profile, profile_tracker, write_profile
    from bench.efficiency.headline import MEASURED as HEADLINE_ENERGY_KEY
    from reports.collect import read_profile
    from trackers.base import Tracker, TrackResult

    class Neuron(nn.Module):   # integer spike counts 0..4, emitted as count / 4 (NI-LIF's convention)
        def forward(self, x):
            return torch.round(torch.clamp(x, 0, 4)) / 4

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.lif = Neuron()
            self.pw = nn.Conv2d(4, 2, 1, bias=False)
            self.branch = "search"

        def forward(self, x):
            return self.pw(self.lif(self.stem(x) * 4))

    class Two(Tracker):
        name, spiking, template_update_interval = "two", True, 3

        def __init__(self):
            torch.manual_seed(0)
            self.model = Net().eval()
            self.cfg = type("Cfg", (), {"num_templates": 2})()

        def _run(self, image, branch):
            self.model.branch = branch
            x = torch.from_numpy(np.ascontiguousarray(image[:16, :16])).permute(2, 0, 1)[None].float()
            self.model(x / 255 - 0.5)

        def initialize(self, image, box, info=None):
            self._run(image, "template")
            self.frame, self.box = 0, tuple(float(v) for v in box)

        def track(self, image):
            self.frame += 1
            self._run(image, "search")
            self.template_updated = self.frame % 3 == 0
            if self.template_updated:
                self._run(image, "template")
            return TrackResult(self.box, 1.0)

    doc = profile_tracker(Two(), datasets.create_dataset("demo"), max_frames=10, latency=False)
    assert HEADLINE_ENERGY_KEY in format_profile(doc)
    e = doc["energy"]["variants"]["exact"]
    assert e[HEADLINE_ENERGY_KEY] != pytest.approx(e["per_frame_amortised_nominal_mJ"])
    path = write_profile(doc, tmp_path)
    prof = read_profile(path)
    assert prof.energy_mj == e[HEADLINE_ENERGY_KEY]
    # the choice is written once, by the efficiency side; a file from before the block reads the same
    stored = json.loads(path.read_text())
    assert stored["headline"]["energy_mJ"] == prof.energy_mj and stored["headline"]["figure"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps({k: v for k, v in stored.items() if k != "headline"}))
    before = read_profile(old)
    assert (before.energy_mj, before.gmacs, before.energy_model) == (prof.energy_mj, prof.gmacs, prof.energy_model)
    b = doc["branches"]
    assert prof.gmacs == pytest.approx((b["search"]["macs"] + b["template"]["macs"] * 4 / 9) / 1e9)
    assert prof.gsops == pytest.approx((b["search"]["sops"] + b["template"]["sops"] * 4 / 9) / 1e9)
    rows = {r["branch"]: r for r in prof.energy_breakdown}
    assert rows["template"]["weight"] == pytest.approx(4 / 9)
    assert sum(r["total_mj"] * r["weight"] for r in prof.energy_breakdown) == pytest.approx(prof.energy_mj)


def test_report_leaderboard_equals_bench_evaluate(store, tmp_path):
    """One scoring path: ``bench evaluate --json`` and the report's leaderboard give the same numbers for
    the same files (per tracker, every metric, per sequence and per attribute)."""
    from bench.cli import main
    from reports.collect import collect

    root, _ = store
    out = tmp_path / "ev.json"
    assert main(["evaluate", "--results", str(root), "-d", "demo", "-p", "otb-toolkit", "--attributes",
                 "--per-sequence", "--json", str(out)]) == 0
    ev = json.loads(out.read_text())
    data = collect(root, datasets=["demo"], attributes=True, protocols={"*": "otb-toolkit"})
    for tracker in ("perfect", "lost"):
        fig, res = ev["trackers"][tracker]["demo"], data.result(tracker, "demo")
        assert fig["main_metric"] == "auc" and res.protocol == ev["protocol"] == "otb-toolkit"
        assert {k: v for k, v in fig["metrics"].items() if v is not None} == res.metrics
        assert [r["auc"] for r in fig["per_sequence"]] == [r["auc"] for r in res.per_sequence]
        assert {a: v["metrics"]["auc"] for a, v in fig["attributes"].items()} == \
            {a: v["auc"] for a, v in res.attributes.items()}

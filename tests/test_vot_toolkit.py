"""VOT toolkit integration: offline workspace, TraX tracker entry, the real vot-toolkit run end to end."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main as bench_main
from bench.core.errors import ConfigError, DataError
from bench.core.regions import parse_region
from bench.vot import results as vres
from bench.vot import toolkit, workspace as W

HAVE_VOT = toolkit.toolkit_version() is not None


def _toy_sequence(tmp_path: Path, n: int = 12) -> Path:
    import cv2

    folder = tmp_path / "src" / "toy"
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        img = np.zeros((48, 64, 3), np.uint8)
        img[10 + i % 3:30, 20:40] = 255
        cv2.imwrite(str(folder / f"{i:08d}.jpg"), img)
    (folder / "groundtruth.txt").write_text("".join(f"20,{10 + i % 3},40,{10 + i % 3},40,30,20,30\n" for i in range(1, n + 1)))
    return folder


def test_default_anchors():
    gt = [parse_region("0,0,5,5")] * 10
    gt[5] = parse_region("0")  # unknown frame: the anchor moves to the next known frame
    a = W.default_anchors(gt, stride=5)
    assert a == [1, 0, 0, 0, 0, 0, -1, 0, 0, 0]
    with pytest.raises(DataError):
        W.default_anchors([parse_region("0")] * 3)


def test_stack_text(tmp_path):
    txt = W.stack_text("vot2020", ["baseline"])
    assert "multistart_eao_score" in txt and "unsupervised" not in txt and "dataset" not in txt
    assert "low: 115" in txt and "high: 755" in txt
    import yaml

    doc = yaml.safe_load(W.stack_text("vot2018"))
    assert doc["experiments"]["baseline"]["repetitions"] == 15
    assert doc["experiments"]["baseline"]["analyses"][1] == {"type": "supervised_eao_score", "low": 100, "high": 356}
    with pytest.raises(ConfigError, match="unknown experiment"):
        W.stack_text("vot2020", ["nope"])
    custom = tmp_path / "my.yaml"
    custom.write_text("title: x\ndataset: http://example/description.json\nexperiments: {}\n")
    assert "dataset" not in W.stack_text(str(custom))
    with pytest.raises(ConfigError, match="unknown stack"):
        W.stack_text("vot1999")


def test_workspace_layout(tmp_path):
    src = _toy_sequence(tmp_path)
    seq = W.sequence_from_vot_folder(src, anchor_stride=4)
    assert (seq.width, seq.height) == (64, 48) and len(seq.frames) == 12
    ws = W.build_workspace(tmp_path / "ws", "vot2020", [seq], "mil", checkpoint=None, device="cpu",
                           dtype="float32", timeout=77)
    s = ws / "sequences" / "toy"
    assert (ws / "sequences" / "list.txt").read_text().split() == ["toy"]
    meta = (s / "sequence").read_text()
    assert "channels.color=color/%08d.jpg" in meta and "width=64" in meta and "length=12" in meta
    assert (s / "color" / "00000012.jpg").resolve() == (src / "00000012.jpg").resolve()
    assert (s / "anchor.value").read_text().split() == ["1", "0", "0", "0", "1", "0", "0", "0", "-1", "0", "0", "0"]
    ini = (ws / "trackers.ini").read_text()
    assert "[bench_mil]" in ini and "protocol = traxpython" in ini and "command = bench.vot.trax_server" in ini
    assert "timeout = 77" in ini and "env_BENCH_VOT_TRACKER = mil" in ini
    assert "stack: stack.yaml" in (ws / "config.yaml").read_text()
    # a second setup replaces the tracker's section instead of duplicating it
    W.build_workspace(ws, "vot2020", [seq], "mil", timeout=5)
    assert (ws / "trackers.ini").read_text().count("[bench_mil]") == 1


def test_vot_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no VOT sequence"):
        W.vot_sequence_folders(tmp_path)
    src = _toy_sequence(tmp_path)
    (src / "00000005.jpg").unlink()
    with pytest.raises(DataError, match="00000005.jpg: frame not found"):
        W.sequence_from_vot_folder(src)


def test_parse_analysis_labels():
    doc = {"trackers": {"a": {}, "b": {}}, "results": {
        "baseline": {"parameters": {"analyses": [
            {"type": "vot.analysis.multistart.EAOScore"}, {"type": "vot.analysis.multistart.EAOCurve"},
            {"type": "vot.analysis.multistart.AverageAccuracyRobustness"}]},
            "results": [[[0.3], [0.4]], [[[0, 1.0]], [[0, 0.5]]], [[0.6, 0.9, [0.9, 0.6], 10, 5], [0.7, 0.8, [0.8, 0.7], 9, 5]]]},
        "unsupervised": {"parameters": {"analyses": [{"type": "vot.analysis.accuracy.AverageAccuracy"}]},
                         "results": [[[0.55], [0.65]]]}}}
    out = toolkit.parse_analysis(doc)
    assert out["b"]["baseline"] == {"eao": 0.4, "eao_curve": [0.0, 0.5], "accuracy": 0.7, "robustness": 0.8,
                                    "accuracy_weight_frames": 9, "robustness_weight_frames": 5}
    assert out["a"]["unsupervised"] == {"accuracy": 0.55}


def test_missing_toolkit_is_a_clear_error(tmp_path, monkeypatch, capsys):
    src = _toy_sequence(tmp_path)
    ws = tmp_path / "ws"
    assert bench_main(["vot", "setup", "--tracker", "mil", "--workspace", str(ws), "--vot-folder", str(src)]) == 0
    monkeypatch.setattr(toolkit, "toolkit_version", lambda: None)
    assert bench_main(["vot", "run", "--workspace", str(ws)]) != 0
    assert "pip install vot-toolkit==0.9.0 attributee==0.1.9" in capsys.readouterr().err


def test_unknown_tracker_fails_before_writing(tmp_path, capsys):
    src = _toy_sequence(tmp_path)
    assert bench_main(["vot", "setup", "--tracker", "nope", "--workspace", str(tmp_path / "ws"),
                       "--vot-folder", str(src)]) != 0
    assert not (tmp_path / "ws").exists()
    assert "unknown tracker" in capsys.readouterr().err


_PATCH_PROBE = (
    "import sys, vot; vot.__version__ = sys.argv[1]; "
    "from vot.experiment.multistart import MultiStartExperiment as M; orig = M.execute; "
    "from bench.vot import patches; done = patches.apply(); "
    "print(len([p for p in done if '0.9.0' in p or 'missing' in p or 'rejected' in p]), M.execute is not orig)"
)


@pytest.mark.skipif(not HAVE_VOT, reason="vot-toolkit not installed (pip install vot-toolkit==0.9.0 attributee==0.1.9)")
@pytest.mark.parametrize("version,expected", [("0.9.0", "4 True"), ("0.9.1", "0 False")])
def test_patches_are_version_checked(version, expected):
    """The fixes apply to 0.9.0 only (checked in a child process: patches never touch the test process)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PATCH_PROBE, version], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split("\n")[-2].strip() == expected


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_VOT, reason="vot-toolkit not installed (pip install vot-toolkit==0.9.0 attributee==0.1.9)")
def test_real_toolkit_end_to_end(shared, tmp_path, capsys):
    """A 24-frame cut of the real VOT 'bag' sequence, OpenCV MIL over TraX, the real vot-toolkit running the
    multistart (3 anchors) and unsupervised experiments; the suite's own VOT2020 scores of the same result
    files equal the toolkit's analysis."""
    ws = tmp_path / "ws"
    res = tmp_path / "results"
    assert bench_main(["vot", "setup", "--tracker", "mil", "--stack", "vot2020", "--workspace", str(ws),
                       "--vot-folder", str(shared / "data" / "vot" / "bag"), "--max-frames", "24",
                       "--anchor-stride", "10", "--experiments", "baseline,unsupervised", "--timeout", "120"]) == 0
    assert bench_main(["vot", "run", "--workspace", str(ws), "--toolkit-timeout", "300"]) == 0
    out_json = tmp_path / "analysis.json"
    assert bench_main(["vot", "analyse", "--workspace", str(ws), "--results", str(res), "--json", str(out_json)]) == 0
    anchors = (ws / "sequences" / "bag" / "anchor.value").read_text().split()
    assert anchors.count("1") == 2 and anchors.count("-1") == 1
    runs = sorted(p.name for p in (ws / "results" / "bench_mil" / "baseline" / "bag").glob("*.txt"))
    assert runs == ["bag_00000000.txt", "bag_00000010.txt", "bag_00000020.txt"]
    # the backward run from anchor 20 covers frames 20..0
    assert len((ws / "results" / "bench_mil" / "baseline" / "bag" / "bag_00000020.txt").read_text().split()) == 21

    doc = json.loads(out_json.read_text())
    tk, suite = doc["toolkit"], doc["suite"]
    assert set(tk) == {"baseline", "unsupervised"}
    for k in ("eao", "accuracy", "robustness"):
        assert suite["baseline"][k] == pytest.approx(tk["baseline"][k], abs=1e-9), k
    assert np.allclose(suite["baseline"]["eao_curve"], tk["baseline"]["eao_curve"], atol=1e-9, rtol=0)
    assert max(tk["baseline"]["eao_curve"]) > 0.1  # a real curve, not all zeros
    assert 0 < tk["baseline"]["accuracy"] <= 1 and tk["baseline"]["accuracy_weight_frames"] > 0
    assert suite["unsupervised"]["accuracy"] == pytest.approx(tk["unsupervised"]["accuracy"], abs=1e-9)
    imported = json.loads((res / "mil" / "vot2020" / vres.ANALYSIS_FILE).read_text())
    assert imported["toolkit"] == "vot-toolkit 0.9.0"
    assert max(imported["experiments"]["baseline"]["abs_difference"].values()) <= 1e-9


def test_setup_converts_a_suite_dataset(tmp_path):
    """Another benchmark's sequences (the embedded OTB demo) become VOT sequences with rectangles + anchors."""
    from datasets import create_dataset

    ws = tmp_path / "ws"
    assert bench_main(["vot", "setup", "--tracker", "mil", "--workspace", str(ws), "--dataset", "demo",
                       "--max-frames", "12", "--anchor-stride", "6"]) == 0
    ds = create_dataset("demo")
    names = (ws / "sequences" / "list.txt").read_text().split()
    assert names == ds.names()
    seq = ds.load(names[0])
    gt = (ws / "sequences" / names[0] / "groundtruth.txt").read_text().splitlines()
    assert len(gt) == 12
    assert np.allclose([float(v) for v in gt[3].split(",")], seq.ground_truth[3])
    assert (ws / "sequences" / names[0] / "anchor.value").read_text().split() == ["1"] + ["0"] * 5 + ["-1"] + ["0"] * 5
    setup = json.loads((ws / "bench_vot.json").read_text())
    assert setup["label"] == "demo" and setup["tracker_id"] == "bench_mil"


@pytest.mark.skipif(not HAVE_VOT, reason="vot-toolkit not installed (pip install vot-toolkit==0.9.0 attributee==0.1.9)")
def test_binary_trajectory_reader(tmp_path):
    """The toolkit's default binary result format reads back to the same regions (written by the toolkit)."""
    from vot.region import Special
    from vot.region.io import write_trajectory
    from vot.region.shapes import Mask, Polygon, Rectangle

    m = np.zeros((5, 6), np.uint8)
    m[1:4, 2:5] = 1
    regions = [Special(1), Rectangle(1.5, 2.25, 30, 40), Polygon([(0, 0), (10, 0), (10, 5)]), Mask(m, (7, 9)), Special(2)]
    path = tmp_path / "s_001.bin"
    write_trajectory(str(path), regions)
    got = vres.read_trajectory(tmp_path / "s_001.txt")
    assert [r.kind for r in got] == ["special", "rectangle", "polygon", "mask", "special"]
    assert got[0].is_code(1) and got[4].is_code(2)
    assert got[1].values.tolist() == [1.5, 2.25, 30, 40]
    assert got[2].points.tolist() == [[0, 0], [10, 0], [10, 5]]
    assert got[3].offset == (9, 10) and got[3].mask.sum() == 9
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        vres.read_trajectory(tmp_path / "s_001.txt")


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_VOT or os.environ.get("VOT_FULL_BAG") != "1",
                    reason="opt-in (about 2 minutes): VOT_FULL_BAG=1 with vot-toolkit installed")
def test_full_bag_sequence_whole_path(shared, tmp_path):
    """All 196 frames of the real VOT 'bag' sequence: setup, vot evaluate (4 anchors + unsupervised),
    vot analysis, import; the suite's figures equal the toolkit's. (Measured with MIL: EAO 0.0323,
    A 0.3189, R 1.0, unsupervised A 0.1927.)"""
    ws, res, out = tmp_path / "ws", tmp_path / "results", tmp_path / "a.json"
    assert bench_main(["vot", "setup", "--tracker", "mil", "--workspace", str(ws), "--vot-folder",
                       str(shared / "data" / "vot" / "bag"), "--experiments", "baseline,unsupervised"]) == 0
    assert bench_main(["vot", "run", "--workspace", str(ws)]) == 0
    assert bench_main(["vot", "analyse", "--workspace", str(ws), "--results", str(res), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["toolkit"]["baseline"]["eao"] > 0
    for exp in ("baseline", "unsupervised"):
        for k, v in doc["toolkit"][exp].items():
            if isinstance(v, float):
                assert doc["suite"][exp][k] == pytest.approx(v, abs=1e-9), (exp, k)

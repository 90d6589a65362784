"""``bench evaluate`` end to end on the embedded demo: layouts, name matching, bad input, JSON, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import datasets
from bench.cli import main as cli
from bench.core.errors import BenchError, DataError, ResultsError
from bench.evaluation import evaluate_results, find_results, read_box_files
from bench.core.io import format_boxes, load_boxes
from bench.metrics import SequenceInput, evaluate

DEMO = datasets.create_dataset("demo")


def _gt(name: str) -> np.ndarray:
    return DEMO.load(name).ground_truth


def _write_tracker(folder: Path, shift: float = 3.0, names=("Crossing", "Couple", "Football1"), case=str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        boxes = _gt(n).copy()
        boxes[1:, 0] += shift
        (folder / f"{case(n)}.txt").write_text(format_boxes(boxes))


def _shifted_inputs(shift: float) -> list[SequenceInput]:
    """The demo's ground truth with every box after the first moved ``shift`` pixels right (what
    :func:`_write_tracker` writes)."""
    inputs = []
    for n in DEMO.names():
        b = _gt(n).copy()
        b[1:, 0] += shift
        inputs.append(SequenceInput(n, _gt(n), b))
    return inputs


def _expected(shift: float, protocol: str = "otb-toolkit") -> dict:
    return evaluate(_shifted_inputs(shift), protocol, "otb").metrics


def test_suite_store_layout_several_trackers(tmp_path):
    _write_tracker(tmp_path / "A" / "demo", shift=2.0)
    _write_tracker(tmp_path / "B" / "demo", shift=9.0)
    rep = evaluate_results(tmp_path, "demo", protocol="otb-toolkit")
    got = {ev.tracker: ev.result.metrics for ev in rep.scores}
    assert set(got) == {"A", "B"}
    assert got["A"] == _expected(2.0)
    assert got["B"] == _expected(9.0)
    assert got["A"]["auc"] > got["B"]["auc"]


def test_toolkit_folder_names_matched_case_insensitively(tmp_path):
    # a toolkit folder of <seq>.txt files with lower-case names and '-' for '_'
    _write_tracker(tmp_path / "MyTracker", shift=4.0, case=lambda n: n.lower())
    rep = evaluate_results(tmp_path / "MyTracker", "demo", protocol="pysot")
    (ev,) = rep.scores
    assert ev.tracker == "MyTracker"
    assert ev.result.metrics == _expected(4.0, "pysot")
    # folder named after the dataset: the tracker is its parent
    _write_tracker(tmp_path / "T2" / "demo", shift=4.0)
    (ev,) = evaluate_results(tmp_path / "T2" / "demo", "demo").scores
    assert ev.tracker == "T2"


def test_dash_underscore_normalised(tmp_path):
    folder = tmp_path / "trk"
    folder.mkdir()
    for n, f in (("Crossing", "crossing"), ("Couple", "COUPLE"), ("Football1", "football1")):
        (folder / f"{f}.txt").write_text(format_boxes(_gt(n)))
    tr = find_results(folder, "demo")[0]
    assert tr.paths_for("Football1")[0].name == "football1.txt"
    assert tr.paths_for("couple")[0].name == "COUPLE.txt"
    from bench.evaluation import TrackerResults
    t = TrackerResults("x", folder, {"human4_2": [folder / "human4-2.txt"]})
    assert t.paths_for("Human4-2") and t.paths_for("HUMAN4_2")


def test_default_protocol_comes_from_the_dataset(tmp_path):
    _write_tracker(tmp_path / "A" / "demo", shift=1.0)
    rep = evaluate_results(tmp_path, "demo")
    assert rep.protocol == DEMO.default_protocol


@pytest.mark.parametrize("content,line,what", [
    ("1,2,3,4\n5,6,7\n", 2, "expected 4 values"),
    ("1,2,3,4\n5,6,abc,8\n", 2, "not a number"),
    ("1\t2\t3\t4\n5 6 7 8 9\n", 2, "expected 4 values"),
])
def test_bad_rows_name_file_and_line(tmp_path, content, line, what):
    _write_tracker(tmp_path / "A" / "demo")
    bad = tmp_path / "A" / "demo" / "Couple.txt"
    bad.write_text(content)
    with pytest.raises(DataError) as ei:
        evaluate_results(tmp_path, "demo")
    msg = str(ei.value)
    assert f"{bad}:{line}:" in msg and what in msg and "\n" not in msg


def test_missing_sequence_names_the_file(tmp_path):
    _write_tracker(tmp_path / "A" / "demo", names=("Crossing", "Football1"))
    with pytest.raises(ResultsError) as ei:
        evaluate_results(tmp_path, "demo")
    assert "Couple.txt" in str(ei.value) and "\n" not in str(ei.value)


def test_no_results_at_all(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultsError, match="no result files"):
        evaluate_results(tmp_path / "empty", "demo")


def test_read_box_files_matches_load_boxes_on_every_format(tmp_path):
    texts = {
        "ints.txt": "1,2,3,4\n5,6,7,8\n",
        "floats.txt": "1.5,2.25,3.125,4.0625\n0.1,0.2,0.30000000000000004,1e-3\n",
        "tabs.txt": "1\t2\t3\t4\r\n5\t6\t7\t8\r\n",
        "spaces.txt": "1 2 3 4\n 5  6 7 8 \n\n\n",
        "nan.txt": "NaN,NaN,NaN,NaN\n1,2,3,4",
        "neg.txt": "-1,-2,3,4\n",
        "mixed.txt": "1, 2, 3, 4\n5,6,7,8\n",
    }
    paths = []
    for name, t in texts.items():
        (tmp_path / name).write_text(t)
        paths.append(tmp_path / name)
    for got, p in zip(read_box_files(paths), paths):
        want = load_boxes(p)
        assert got.shape == want.shape and np.array_equal(got, want, equal_nan=True), p.name
    # one fast batch over integer files equals the per-file parse too
    ints = [tmp_path / "ints.txt", tmp_path / "neg.txt"]
    assert all(np.array_equal(a, load_boxes(p)) for a, p in zip(read_box_files(ints), ints))


def test_got10k_layout_and_repetitions(tmp_path):
    folder = tmp_path / "trk"
    for n in DEMO.names():
        (folder / n).mkdir(parents=True)
        for r, shift in ((1, 0.0), (2, 5.0)):
            b = _gt(n).copy()
            b[:, 0] += shift
            (folder / n / f"{n}_{r:03d}.txt").write_text(format_boxes(b))
    (tr,) = find_results(folder, "demo")
    assert [p.name for p in tr.paths_for("Couple")] == ["Couple_001.txt", "Couple_002.txt"]
    rep = evaluate_results(folder, "demo", protocol="got10k-val")
    (ev,) = rep.scores
    assert ev.result.per_sequence[0]["repetitions"] == 2
    # repetition 1 is perfect, repetition 2 is not: pooled AO is strictly between
    assert 0.5 < ev.result.metrics["ao"] < 1.0


def test_cli_prints_table_and_writes_json(tmp_path, capsys):
    _write_tracker(tmp_path / "A" / "demo", shift=2.0)
    _write_tracker(tmp_path / "B" / "demo", shift=6.0)
    out = tmp_path / "figs.json"
    rc = cli(["evaluate", "--results", str(tmp_path), "--dataset", "demo", "--protocol", "pytracking",
              "--json", str(out), "--bootstrap", "50", "--compare", "A", "B", "--attributes"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "protocol pytracking" in text and "A - B" in text
    d = json.loads(out.read_text())
    assert d["protocol"] == "pytracking" and d["dataset"] == "demo"
    fig = d["trackers"]["A"]["demo"]
    assert fig["protocol"] == "pytracking"
    assert abs(fig["metrics"]["auc"] - _expected(2.0, "pytracking")["auc"]) < 1e-12
    assert set(fig["bootstrap"]["auc"]) >= {"estimate", "low", "high"}
    assert "attributes" in fig and d["comparison"]["a"] == "A" and d["comparison"]["difference"] > 0


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path, capsys):
    _write_tracker(tmp_path / "A" / "demo")
    (tmp_path / "A" / "demo" / "Crossing.txt").write_text("1,2,3,4\n1,2,x,4\n")
    rc = cli(["evaluate", "--results", str(tmp_path), "--dataset", "demo"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and len(err.splitlines()) == 1 and "Crossing.txt:2" in err
    rc = cli(["evaluate", "--results", str(tmp_path), "--dataset", "demo", "--protocol", "nope"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "unknown protocol" in err and "lasot-toolkit" in err
    rc = cli(["evaluate", "--results", str(tmp_path), "--dataset", "nodataset"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "unknown dataset" in err


def test_submission_zips(tmp_path):
    from bench.submission import got10k_zip, read_zip_boxes, trackingnet_zip

    folder = tmp_path / "trk" / "got10k"
    _write_tracker(folder, shift=1.5)
    for n in DEMO.names():
        (folder / f"{n}_time.txt").write_text("".join("0.02\n" for _ in range(len(_gt(n)))))
    (tr,) = find_results(tmp_path / "trk", "got10k")
    z = got10k_zip(tr, tmp_path / "got.zip")
    boxes = read_zip_boxes(z)
    assert set(boxes) == {f"{n}/{n}_001.txt" for n in DEMO.names()} | {f"{n}/{n}_time.txt" for n in DEMO.names()}
    want = _gt("Couple").copy()
    want[1:, 0] += 1.5
    assert np.array_equal(boxes["Couple/Couple_001.txt"], want)
    z = trackingnet_zip(tr, tmp_path / "tn.zip")
    assert set(read_zip_boxes(z)) == {f"{n}.txt" for n in DEMO.names()}
    (folder / "Couple_time.txt").unlink()
    with pytest.raises(BenchError, match="Couple_time.txt"):
        got10k_zip(tr, tmp_path / "got2.zip")


def test_sequence_names_ending_in_three_digits_are_not_repetitions(tmp_path):
    from bench.evaluation import index_folder, TrackerResults

    for stem in ("car_001", "walk", "walk_002", "bike_001", "bike_002"):
        (tmp_path / f"{stem}.txt").write_text("1,2,3,4\n")
    files, plain = index_folder(tmp_path)
    tr = TrackerResults("t", tmp_path, files, plain)
    assert [p.name for p in tr.paths_for("car_001")] == ["car_001.txt"]
    assert [p.name for p in tr.paths_for("walk")] == ["walk.txt", "walk_002.txt"]
    assert [p.name for p in tr.paths_for("bike")] == ["bike_001.txt", "bike_002.txt"]


def test_withheld_ground_truth_points_to_submit(tmp_path):
    from bench.core.errors import ConfigError
    from datasets.base import Dataset, EmptyFrames, Sequence

    class TestSplit(Dataset):
        name, dataset_mode, default_protocol = "got10k", "got10k", "got10k-val"

        def names(self):
            return ["GOT-10k_Test_000001"]

        def load(self, name):
            gt = np.full((5, 4), np.nan)
            gt[0] = [1, 2, 3, 4]
            return Sequence(name=name, frames=EmptyFrames(5, name), ground_truth=gt)

    (tmp_path / "trk").mkdir()
    (tmp_path / "trk" / "GOT-10k_Test_000001.txt").write_text("1,2,3,4\n" * 5)
    with pytest.raises(ConfigError, match="bench submit"):
        evaluate_results(tmp_path / "trk", "got10k", dataset_obj=TestSplit())


def test_cli_several_protocols_in_one_call(tmp_path, capsys):
    _write_tracker(tmp_path / "A" / "demo", shift=2.0)
    out = tmp_path / "many.json"
    assert cli(["evaluate", "-r", str(tmp_path), "-d", "demo", "-p", "pysot,otb-toolkit", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "protocol pysot" in text and "protocol otb-toolkit" in text
    d = json.loads(out.read_text())
    assert d["protocols"] == ["pysot", "otb-toolkit"]
    figs = d["trackers"]["A"]["demo"]
    assert figs["pysot"]["metrics"]["auc"] == _expected(2.0, "pysot")["auc"]
    assert figs["otb-toolkit"]["metrics"]["auc"] == _expected(2.0, "otb-toolkit")["auc"]
    assert cli(["evaluate", "-r", str(tmp_path), "-d", "demo", "-p", "pysot,nope"]) != 0
    assert "unknown protocol 'nope'" in capsys.readouterr().err


OPE = ["pytracking", "pytracking-visionml", "pysot", "got10k", "got10k-val", "lasot-toolkit", "otb-toolkit",
       "trackingnet-devkit"]


def test_several_protocols_in_one_pass_equal_each_alone(tmp_path):
    """`--protocol all` reads each file once and lets the protocols share arrays; every figure, per sequence
    included, must be what the protocol gives on its own (here checked against plain `evaluate`)."""
    from bench.evaluation import evaluate_many

    _write_tracker(tmp_path / "A" / "demo", shift=2.0)
    _write_tracker(tmp_path / "B" / "demo", shift=7.5)   # non-integer boxes: TrackingNet rounds them
    reports = evaluate_many(tmp_path, "demo", OPE)
    assert [r.protocol for r in reports] == OPE
    for rep in reports:
        assert [ev.tracker for ev in rep.scores] == ["A", "B"] and not rep.failures
        for ev, shift in zip(rep.scores, (2.0, 7.5)):
            alone = evaluate(_shifted_inputs(shift), rep.protocol, "otb")
            assert ev.result.metrics == alone.metrics, rep.protocol
            assert ev.result.per_sequence == alone.per_sequence, rep.protocol


def test_several_protocols_one_bad_tracker_fails_alone(tmp_path, capsys):
    _write_tracker(tmp_path / "A" / "demo", shift=2.0)
    _write_tracker(tmp_path / "B" / "demo", shift=3.0)
    (tmp_path / "B" / "demo" / "Couple.txt").write_text("1,2,3,4\n5,6,7\n")
    out = tmp_path / "f.json"
    rc = cli(["evaluate", "-r", str(tmp_path), "-d", "demo", "-p", "pysot,lasot-toolkit", "--json", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.count("tracker B not scored") == 2 and "Couple.txt:2" in err
    d = json.loads(out.read_text())
    assert set(d["trackers"]) == {"A"} and set(d["failures"]) == {"pysot", "lasot-toolkit"}
    assert d["trackers"]["A"]["demo"]["pysot"]["metrics"]["auc"] == _expected(2.0, "pysot")["auc"]


@pytest.mark.parametrize("text, expect", [
    (b"-0,1,2,3\n4,5,6,7\n", "minus zero"),            # float("-0") is -0.0: the integer reader must not see it
    (b"1,2,3,4\n" * 3 + b"1.5,2,3,4\n", "float"),       # a decimal after integer lines: exact float parse
    (b'"1",2,3,4\n5,6,7,8\n', "error"),                 # quoted field: not a number to the line parser
    (b"\xef\xbb\xbf1,2,3,4\n5,6,7,8\n", "error"),       # BOM: as the line parser sees it
    (b"1,2,3,4\n\n5,6,7,8\n", "error"),                 # blank line inside
    (b"1,2,3,4\n5,6,7\n", "error"),                     # short row
])
def test_integer_csv_reader_agrees_with_the_line_parser(tmp_path, text, expect):
    """The batch reader takes a fast exact path for integer CSV; it must accept exactly what the line
    parser accepts, with the same float values (sign of zero included) and the same file:line errors."""
    f = tmp_path / "seq.txt"
    f.write_bytes(text)
    if expect == "error":
        with pytest.raises(DataError, match="seq.txt:"):
            load_boxes(f)
        with pytest.raises(DataError, match="seq.txt:"):
            read_box_files([f])
        return
    want = np.array([[float(v) for v in line.split(",")] for line in text.decode().split()])
    for got in (load_boxes(f), read_box_files([f])[0]):
        assert got.tobytes() == want.tobytes()

"""AVisT (datasets/avist.py) on a miniature of its released layout, and its record against the published facts.

Independent truth: AVisT has 120 test sequences and 5 attribute categories, weather conditions, obstruction
effects, imaging effects, target effects and camouflage (Noman et al., BMVC 2022); its evaluation is
pytracking's analysis with dataset string ``avist`` and the target-visible flags of the sequence
(visionml/pytracking ``evaluation/avistdataset.py``, ``analysis/extract_results.py``).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bench.runner as runner
import datasets
from bench.cli import main
from bench.core.errors import ConfigError, DataError, UnknownNameError
from bench.metrics import dataset_mode_for, default_protocol
from bench.metrics.attributes import TABLES, family_of, sequence_attributes
from datasets.avist import AVIST_ATTRIBUTES, AVIST_TEST
from datasets.base import EmptyFrames
from test_datasets import frame_number, image_bytes

SIZE = (48, 64)   # frame height, width: room for the boxes below
#: name -> (frames, separator of its annotation file, full_occlusion, out_of_view)
MINI = {
    "air_show": (5, ",", "0,0,1,0,0", "0,0,0,1,0"),
    "bear_in_snow": (4, "\t", "0,0,0,0", "0,0,0,0"),
    "Phasmid_insect_camouflage": (3, " ", "0,1,0", "0,1,0"),
}


def gt_rows(n: int) -> np.ndarray:
    return np.array([[10 + i, 8 + i, 20, 16] for i in range(n)], dtype=np.float64)


def build(root: Path, names=tuple(MINI)) -> Path:
    """A miniature AVisT root: ``anno/``, ``full_occlusion/``, ``out_of_view/``, ``sequences/<seq>/img_%05d.jpg``."""
    for sub in ("anno", "full_occlusion", "out_of_view"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in names:
        n, sep, occ, oov = MINI[name]
        (root / "anno" / f"{name}.txt").write_text("".join(sep.join(f"{v:g}" for v in row) + "\n"
                                                           for row in gt_rows(n)))
        (root / "full_occlusion" / f"{name}_full_occlusion.txt").write_text(occ)
        (root / "out_of_view" / f"{name}_out_of_view.txt").write_text(oov + "\n")
        frames = root / "sequences" / name
        frames.mkdir(parents=True, exist_ok=True)
        for k in range(1, n + 1):
            (frames / f"img_{k:05d}.jpg").write_bytes(image_bytes(k, ".jpg", SIZE))
    (root / "anno" / "not_an_avist_sequence.txt").write_text("1,2,3,4\n")   # not in the official list
    return root


def miniature(tmp: Path, request) -> tuple[dict, str]:
    """The builder for the contract test of tests/test_benchmark_records.py (its ``MINIATURES`` signature)."""
    return {"root": build(tmp)}, "air_show"


@pytest.fixture
def root(tmp_path) -> Path:
    return build(tmp_path / "AVisT")


@pytest.fixture(autouse=True)
def _fresh_cache():
    runner._CACHE.clear()
    yield
    runner._CACHE.clear()


# ------------------------------------------------------------------------------------------------------
# the record
# ------------------------------------------------------------------------------------------------------


def test_record_has_the_published_sequences_and_attribute_categories():
    b = datasets.find_benchmark("AVisT")
    assert b is datasets.benchmark_info("avist") is datasets.find_benchmark("a-vis-t")
    assert (b.name, b.display_name, b.toolkit_mode) == ("avist", "AVisT", "avist")
    assert len(AVIST_TEST) == len(set(AVIST_TEST)) == 120
    assert list(AVIST_TEST) == sorted(AVIST_TEST)   # pytracking lists them in sorted order
    assert b.attributes == (("WC", "Weather Conditions"), ("OE", "Obstruction Effects"),
                            ("IE", "Imaging Effects"), ("TE", "Target Effects"), ("CM", "Camouflage"))
    for name, codes in AVIST_ATTRIBUTES.items():   # every sequence has at least one category, each once
        assert codes and len(set(codes)) == len(codes) and set(codes) <= set(b.attribute_codes), name
    # spot checks against avist_attributes.json ('airplane_in_rain' is listed there as ["WC", "WC"])
    assert AVIST_ATTRIBUTES["air_show"] == ("OE", "TE") and AVIST_ATTRIBUTES["airplane_in_rain"] == ("WC",)
    assert AVIST_ATTRIBUTES["Phasmid_insect_camouflage"] == ("CM",)


def test_the_metrics_read_the_record():
    assert default_protocol("AVisT") == "pytracking-visionml" and dataset_mode_for("avist") == "avist"
    assert family_of("AVisT") == "avist" and TABLES["avist"] == datasets.benchmark_info("avist").attributes
    assert "avist" in datasets.list_datasets()


# ------------------------------------------------------------------------------------------------------
# the adapter on the miniature
# ------------------------------------------------------------------------------------------------------


def test_names_follow_the_official_list(root):
    ds = datasets.create_dataset("avist", root=root)
    assert ds.names() == ["Phasmid_insect_camouflage", "air_show", "bear_in_snow"] and len(ds) == 3
    assert ds["AIR-SHOW"].name == "air_show"
    assert ds.benchmark is datasets.benchmark_info("avist") and ds.default_protocol == "pytracking-visionml"
    with pytest.raises(UnknownNameError):
        ds["not_an_avist_sequence"]


def test_ground_truth_with_any_separator(root):
    ds = datasets.create_dataset("avist", root=root)
    for name, (n, *_rest) in MINI.items():
        s = ds[name]
        assert s.dataset == "avist" and s.ground_truth.dtype == np.float64
        np.testing.assert_array_equal(s.ground_truth, gt_rows(n))
        assert s.gt_path == str(root / "anno" / f"{name}.txt") and s.gt_location(1).endswith(f"{name}.txt:2")


def test_visibility_flags(root):
    s = datasets.create_dataset("avist", root=root)["air_show"]
    assert set(s.flags) == {"full_occlusion", "out_of_view", "target_visible"}
    assert s.flags["full_occlusion"].tolist() == [0, 0, 1, 0, 0]
    assert s.flags["out_of_view"].tolist() == [0, 0, 0, 1, 0]
    assert s.flags["target_visible"].tolist() == [1, 1, 0, 0, 1] and s.extra["problems"] == []


def test_frames_are_one_based_five_digit_images(root):
    s = datasets.create_dataset("avist", root=root)["bear_in_snow"]
    assert len(s) == 4 and s.frame_location(0) == str(root / "sequences" / "bear_in_snow" / "img_00001.jpg")
    for i in range(len(s)):
        img = s.frames.read(i)
        assert img.shape == (*SIZE, 3) and frame_number(img, range(1, 5)) == i + 1


def test_attributes_use_the_codes_of_the_record(root):
    codes = set(datasets.benchmark_info("avist").attribute_codes)
    ds = datasets.create_dataset("avist", root=root)
    for name in ds.names():
        s = ds[name]
        assert s.attributes == {"avist": list(AVIST_ATTRIBUTES[name])} and set(s.attributes["avist"]) <= codes
        assert sequence_attributes(s.attributes, "avist") == set(AVIST_ATTRIBUTES[name])


def test_annotations_only_reads_the_same_files_without_frames(root):
    s = datasets.create_dataset("avist", annotations=root)["air_show"]
    assert isinstance(s.frames, EmptyFrames) and len(s) == 5 and s.flags["out_of_view"].tolist() == [0, 0, 0, 1, 0]


# ------------------------------------------------------------------------------------------------------
# one-line errors naming the file
# ------------------------------------------------------------------------------------------------------


def _one_line(exc: pytest.ExceptionInfo, needle: str) -> None:
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg, msg


def test_missing_annotation_file(root):
    ds = datasets.create_dataset("avist", root=root)
    with pytest.raises(DataError) as e:
        ds.load("zebra_in_water")   # an official name whose file is not there
    _one_line(e, f"{root / 'anno' / 'zebra_in_water.txt'}: file not found")


def test_short_annotation_row(root):
    (root / "anno" / "air_show.txt").write_text("10,8,20,16\n11,9,20\n")
    with pytest.raises(DataError) as e:
        datasets.create_dataset("avist", root=root)["air_show"]
    _one_line(e, f"{root / 'anno' / 'air_show.txt'}:2: expected 4 values, found 3")


def test_empty_annotation_file(root):
    (root / "anno" / "air_show.txt").write_text("")
    with pytest.raises(DataError) as e:
        datasets.create_dataset("avist", root=root)["air_show"]
    _one_line(e, f"{root / 'anno' / 'air_show.txt'}: no boxes")


def test_missing_flag_file(root):
    (root / "out_of_view" / "air_show_out_of_view.txt").unlink()
    with pytest.raises(DataError) as e:
        datasets.create_dataset("avist", root=root)["air_show"]
    _one_line(e, f"{root / 'out_of_view' / 'air_show_out_of_view.txt'}: file not found")


def test_flag_file_of_another_length_is_listed_by_the_check(root, capsys):
    (root / "full_occlusion" / "air_show_full_occlusion.txt").write_text("0,0,1")
    s = datasets.create_dataset("avist", root=root)["air_show"]
    assert s.flags["full_occlusion"].tolist() == [0, 0, 1, 0, 0]   # fitted to the 5 boxes
    from datasets.check import check_dataset

    report = check_dataset(datasets.create_dataset("avist", root=root))
    assert report.problems == [f"{root / 'full_occlusion' / 'air_show_full_occlusion.txt'}: 3 flags for 5 frames"]


def test_missing_root_and_bad_split(tmp_path):
    with pytest.raises(DataError) as e:
        datasets.create_dataset("avist", root=tmp_path).names()
    _one_line(e, f"{tmp_path / 'anno'}: AVisT annotation folder not found")
    (tmp_path / "anno").mkdir()
    with pytest.raises(DataError) as e:
        datasets.create_dataset("avist", root=tmp_path).names()
    _one_line(e, "none of the 120 AVisT sequences found")
    with pytest.raises(ConfigError, match="unknown split 'val'; valid splits: test"):
        datasets.create_dataset("avist", root=tmp_path, split="val")


# ------------------------------------------------------------------------------------------------------
# end to end: bench run, bench evaluate
# ------------------------------------------------------------------------------------------------------


def test_bench_run_and_evaluate_end_to_end(root, tmp_path, capsys):
    res = tmp_path / "results"
    assert main(["run", "-t", "kcf", "--dataset", "avist", "--root", str(root), "--results", str(res),
                 "--no-progress", "--json", str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr().out
    assert "3 sequence(s) computed" in out and "pytracking-visionml" in out
    summary = json.loads((tmp_path / "run.json").read_text())["results"]["kcf"]["avist"]
    assert summary["protocol"] == "pytracking-visionml" and summary["sequences"] == 3
    assert {p.name for p in (res / "kcf" / "avist").glob("*.txt")} >= {f"{n}.txt" for n in MINI}

    assert main(["evaluate", "--results", str(res / "kcf" / "avist"), "--dataset", "avist", "--root", str(root),
                 "--attributes", "--json", str(tmp_path / "eval.json")]) == 0
    out = capsys.readouterr().out
    assert "protocol pytracking-visionml" in out and "mode avist" in out
    figures = json.loads((tmp_path / "eval.json").read_text())
    assert figures["protocol"] == "pytracking-visionml"
    assert figures["trackers"]["kcf"]["avist"]["metrics"]["auc"] == pytest.approx(summary["metrics"]["auc"])


def _pytracking_auc(per_threshold: list[float]) -> float:
    """AUC as plot_results.get_auc_curve makes it from one sequence: float32 rates x 100, float32 mean."""
    curve = np.asarray(per_threshold, dtype=np.float32) * np.float32(100.0)
    return float(curve.mean(dtype=np.float32)) / 100.0


def test_evaluation_excludes_invisible_frames_as_pytracking_does_for_avist(tmp_path, capsys):
    """pytracking builds AVisT sequences with ``target_visible`` and scores them in its generic branch
    (extract_results.calc_seq_err_robust, dataset 'avist'): frames not visible are invalid (IoU -1, centre
    error inf, normalised error -1) and still counted in the denominator (exclude_invalid_frames=False).

    air_show: the prediction equals the ground truth on every frame; frames 3 and 4 are not visible."""
    root = build(tmp_path / "AVisT", names=("air_show",))
    res = tmp_path / "results" / "exact"
    res.mkdir(parents=True)
    (res / "air_show.txt").write_text("".join(",".join(f"{v:g}" for v in r) + "\n" for r in gt_rows(5)))
    assert main(["evaluate", "--results", str(res), "--dataset", "avist", "--root", str(root),
                 "--json", str(tmp_path / "eval.json")]) == 0
    capsys.readouterr()
    m = json.loads((tmp_path / "eval.json").read_text())["trackers"]["exact"]["avist"]["metrics"]
    # 3 of 5 frames succeed at IoU thresholds 0 .. 0.95, none at 1.0 (iou > t); AUC = mean of the 21 points
    # (the unmodified calc_seq_err_robust + get_auc_curve under torch 2.13 give 0.5714286422729492)
    assert m["auc"] == pytest.approx(_pytracking_auc([3 / 5] * 20 + [0.0]), abs=1e-12)
    assert m["op50"] == pytest.approx(0.6) and m["precision"] == pytest.approx(0.6)
    assert m["norm_precision"] == pytest.approx(1.0)   # invalid frames succeed in normalised precision

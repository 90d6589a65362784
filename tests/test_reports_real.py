"""Reports over the real raw results in ../shared/data (skipped where that folder is absent)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def otb(shared):
    from reports.collect import collect

    return collect(shared / "data" / "raw_results" / "OTB100",
                   annotations={"otb100": shared / "data" / "otb"}, attributes=False,
                   protocols={"otb100": "pysot"})


def test_pysot_score_matches_the_published_number(otb):
    """pysot's MODEL_ZOO gives SiamRPN++ (r50_l234_dwxcorr_otb) OTB2015 AUC 0.696 for this very release."""
    from reports.published import DEFAULT_FILE, load_published

    published = {(p.tracker, p.benchmark, p.metric): p.value for p in load_published(DEFAULT_FILE)}
    measured = otb.result("SiamRPN++", "otb100").metrics["auc"]
    assert abs(measured - published[("SiamRPN++", "OTB100", "auc")]) <= 0.0005 + 1e-9


def test_bad_tracker_is_noted_not_fatal(otb):
    """MDNet's Board file is one row short: pysot fails on it, so the report says so and goes on."""
    assert len(otb.results) == 8 and otb.result("MDNet", "otb100") is None
    assert any(n.startswith("MDNet on otb100: not scored:") and "Board" in n for n in otb.notes)
    assert all(r.n_sequences == 100 for r in otb.results)


def test_workbook_cells_equal_the_scores(otb, tmp_path):
    import openpyxl

    from reports.excel import write_workbook

    wb = openpyxl.load_workbook(write_workbook(otb, tmp_path / "r.xlsx"))
    ws = wb["Leaderboard"]
    head = [c.value for c in ws[1]]
    col = head.index("OTB100 AUC (%)")
    assert ws.cell(row=2, column=col + 1).value == "pysot"
    for row in ws.iter_rows(min_row=3, values_only=True):
        assert row[col] == otb.result(row[0], "otb100").metrics["auc"]
    seqs = wb["OTB100 sequences"]
    names = [r[0] for r in seqs.iter_rows(min_row=3, values_only=True)]
    assert len(names) == 100 and "Human4_2" in names


@pytest.fixture(scope="module")
def vot2019(shared, tmp_path_factory):
    """VOT2019's ground truth (pysot's VOT2019.json) laid out as a VOT toolkit sequences folder
    (``list.txt``, ``<seq>/groundtruth.txt`` polygons), read by the ``vot2018`` adapter (same format)."""
    import json

    doc = json.loads((shared / "data" / "vot" / "VOT2019.json").read_text())
    root = tmp_path_factory.mktemp("vot2019")
    (root / "list.txt").write_text("".join(f"{name}\n" for name in doc))
    for name, v in doc.items():
        (root / name).mkdir()
        (root / name / "groundtruth.txt").write_text(
            "".join(",".join(repr(float(x)) for x in g) + "\n" for g in v["gt_rect"]))
    return root


def test_vot_reset_based_results_are_reported(shared, vot2019, tmp_path):
    """VOT workspaces (``<Tracker>/baseline/<seq>/<seq>_001.txt``: 1 init, 2 failure, 0 skipped) are read
    as reset-based trajectories by bench.evaluation. Ocean_VOT2019_0.323 is the run whose published
    VOT2019 EAO is 0.323 (its folder name; pysot's EAO reproduces it, SOURCES.md counts 80 failures);
    the other Ocean run has a different fish1 length, so it is noted, not fatal."""
    import openpyxl

    from reports.collect import collect
    from reports.excel import write_workbook

    data = collect(shared / "data" / "raw_results" / "VOT2019", datasets=["vot2018"],
                   annotations={"vot2018": vot2019}, protocols={"vot2018": "vot2019-pysot"}, attributes=False)
    r = data.result("Ocean_VOT2019_0.323", "vot2018")
    assert r.protocol == "vot2019-pysot" and r.n_sequences == 60
    assert round(r.metrics["eao"], 3) == 0.323 and r.metrics["lost_number"] == 80
    assert r.metrics["accuracy"] == pytest.approx(0.5978, abs=5e-4)
    assert data.result("Ocean", "vot2018") is None
    assert any(n.startswith("Ocean on vot2018: not scored:") and "fish1" in n for n in data.notes)
    ws = openpyxl.load_workbook(write_workbook(data, tmp_path / "r.xlsx"))["Leaderboard"]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "Ocean_VOT2019_0.323")
    assert row[head.index("VOT2018 EAO")] == r.metrics["eao"]
    # the tracker's own workspace folder works too
    one = collect(shared / "data" / "raw_results" / "VOT2019" / "Ocean_VOT2019_0.323", datasets=["vot2018"],
                  annotations={"vot2018": vot2019}, protocols={"*": "vot2019-pysot"}, attributes=False)
    assert one.result("Ocean_VOT2019_0.323", "vot2018").metrics == r.metrics

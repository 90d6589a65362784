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

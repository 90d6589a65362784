"""Real raw results of published trackers (../shared/data) score as their publications report.

LaSOT: ATOM and DiMP50 with the official toolkit annotations. The published figures (ATOM 51.5 AUC /
57.6 norm. precision, DiMP-50 56.9 / 65.0; pytracking MODEL_ZOO and the papers) are means over 5 runs; the
files here are single runs, so they agree to about 0.2 points, not to 3 digits (docs/protocols.md).

OTB100 (with the OTB2015 frame ranges): trackers scored under the toolkit their authors used reproduce
their published 3-digit figures: SiamBAN 0.696 / 0.910 and SiamRPN++ 0.696 AUC (pysot MODEL_ZOO), DaSiamRPN
0.658 / 0.880 (paper), MDNet 0.678 / 0.909 (pytracking-style evaluation: its Board and Twinnings files are
one row short, which the MATLAB, pysot and got10k toolkits reject).
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.core.errors import DataError


@pytest.fixture(scope="module")
def lasot(shared):
    from bench.evaluation import evaluate_results
    import datasets

    ds = datasets.create_dataset("lasot", annotations=shared / "data" / "lasot")
    seqs = [ds.load(n) for n in ds.names()]
    out = {}
    for p in ("lasot-toolkit", "pytracking"):
        rep = evaluate_results(shared / "data" / "raw_results" / "LaSOT", "lasot", protocol=p, dataset_obj=ds,
                               sequences=seqs)
        out[p] = {ev.tracker: ev for ev in rep.scores}
    return out


@pytest.fixture(scope="module")
def otb(shared):
    from bench.evaluation import build_inputs, find_results
    import datasets

    ds = datasets.create_dataset("otb100", annotations=shared / "data" / "otb")
    seqs = [ds.load(n) for n in ds.names()]
    return {tr.name: build_inputs(seqs, tr) for tr in find_results(shared / "data" / "raw_results" / "OTB100",
                                                                  "otb100")}


def test_lasot_official_toolkit(lasot):
    res = lasot["lasot-toolkit"]
    assert set(res) == {"ATOM", "DiMP50"}
    for tracker, auc, nprec in (("ATOM", 0.515, 0.576), ("DiMP50", 0.569, 0.650)):
        r = res[tracker].result
        assert r.n_sequences == 280
        assert abs(r.metrics["auc"] - auc) < 0.002, (tracker, r.metrics)
        assert abs(r.metrics["norm_precision"] - nprec) < 0.002, (tracker, r.metrics)
        assert r.settings["n_sequences_kept"]["success"] == 280
    # a real ranking check: DiMP50 is better on every score
    assert all(res["DiMP50"].result.metrics[k] > res["ATOM"].result.metrics[k] for k in res["ATOM"].result.metrics)


def test_lasot_pytracking_agrees_with_matlab_where_the_rules_coincide(lasot):
    # On LaSOT both count absent frames as failures over the full length; GT never has x<=0, so the two
    # independent codes must agree (up to float32 accumulation in pytracking).
    for tracker in ("ATOM", "DiMP50"):
        a = lasot["lasot-toolkit"][tracker].result.metrics
        b = lasot["pytracking"][tracker].result.metrics
        assert abs(a["auc"] - b["auc"]) < 1e-6
        assert abs(a["norm_precision"] - b["norm_precision"]) < 1e-6


def test_lasot_attributes_cover_the_14_lasot_attributes(lasot, shared):
    from bench.metrics.attributes import attribute_results

    ev = lasot["lasot-toolkit"]["ATOM"]
    from bench.evaluation import build_inputs, find_results
    import datasets

    ds = datasets.create_dataset("lasot", annotations=shared / "data" / "lasot")
    tr = find_results(shared / "data" / "raw_results" / "LaSOT", "lasot", ["ATOM"])[0]
    inputs = build_inputs([ds.load(n) for n in ds.names()], tr)
    att = attribute_results(inputs, "lasot-toolkit", "lasot", "lasot")
    assert len(att) == 14
    # the number of sequences per attribute equals the count of 1s in the toolkit's att files
    names = (shared / "data" / "lasot" / "testing_set.txt").read_text().split()
    flags = np.array([np.loadtxt(shared / "data" / "lasot" / "annos" / "att" / f"{n}.txt", delimiter=",")
                      for n in names])
    assert [a["n_sequences"] for a in att.values()] == [int(c) for c in (flags > 0).sum(0)]
    assert all(0 < a["metrics"]["auc"] < 1 for a in att.values())
    # full occlusion and out-of-view are the hardest LaSOT attributes for ATOM (as in the LaSOT paper)
    assert att["FOC"]["metrics"]["auc"] < ev.result.metrics["auc"]
    assert att["OV"]["metrics"]["auc"] < ev.result.metrics["auc"]


@pytest.mark.parametrize("tracker,protocol,auc,prec", [
    ("SiamBAN", "pysot", 0.696, 0.910),
    ("SiamRPN++", "pysot", 0.696, None),
    ("DaSiamRPN", "pysot", 0.658, 0.880),
    ("MDNet", "pytracking", 0.678, 0.909),
])
def test_otb100_published(otb, tracker, protocol, auc, prec):
    from bench.metrics import evaluate

    r = evaluate(otb[tracker], protocol, "otb")
    assert r.n_sequences == 100
    assert round(r.metrics["auc"], 3) == auc
    if prec is not None:
        assert round(r.metrics["precision"], 3) == prec


def test_otb100_short_files_rejected_where_the_toolkit_rejects_them(otb):
    from bench.metrics import evaluate

    for protocol in ("otb-toolkit", "pysot", "got10k"):
        with pytest.raises(DataError, match="Board"):
            evaluate(otb["MDNet"], protocol, "otb")


def test_otb100_all_nine_trackers_score(otb):
    from bench.metrics import evaluate

    assert len(otb) == 9
    for name, inputs in otb.items():
        r = evaluate(inputs, "pytracking", "otb")
        assert 0.55 < r.metrics["auc"] < 0.72, name


@pytest.mark.parametrize("dataset,folder,family,n_attr", [
    ("tnl2k", "tnl2k", "tnl2k", 17),
    ("uav123", "uav123", "uav", 12),
])
def test_attribute_subsets_match_the_toolkit_attribute_files(shared, dataset, folder, family, n_attr):
    """Perfect predictions (the GT itself) through the adapters: every attribute subset has as many
    sequences as the toolkit's attribute files flag."""
    import datasets
    from bench.metrics import SequenceInput
    from bench.metrics.attributes import TABLES, attribute_results

    ds = datasets.create_dataset(dataset, annotations=shared / "data" / folder)
    seqs = [ds.load(n) for n in ds.names()]
    inputs = [SequenceInput(s.name, s.ground_truth, np.nan_to_num(s.ground_truth), flags=s.flags,
                            attributes=s.attributes) for s in seqs]
    att = attribute_results(inputs, "lasot-toolkit", ds.dataset_mode, dataset)
    assert len(TABLES[family]) == n_attr
    att_dir = shared / "data" / folder / ("annos/att" if dataset == "tnl2k" else "anno/att")
    counts = np.zeros(n_attr, int)
    for s in seqs:
        f = att_dir / (f"{s.name}_attribute.txt" if dataset == "tnl2k" else f"{s.name}.txt")
        counts += np.loadtxt(f, delimiter="," if dataset != "tnl2k" else None).reshape(-1).astype(int) > 0
    want = {a: int(c) for (a, _), c in zip(TABLES[family], counts) if c > 0}
    assert {a: v["n_sequences"] for a, v in att.items()} == want


def test_got10k_submission_from_real_results(shared, tmp_path):
    from bench.evaluation import find_results, read_box_files
    from bench.submission import got10k_zip, read_zip_boxes

    (tr,) = find_results(shared / "data" / "raw_results" / "GOT10k_test", "got10k")
    z = got10k_zip(tr, tmp_path / "sub.zip")
    members = read_zip_boxes(z)
    assert len(members) == 360  # 180 sequences x (boxes + times)
    name = "GOT-10k_Test_000001"
    want = read_box_files([tr.paths_for(name)[0]])[0]
    assert np.array_equal(members[f"{name}/{name}_001.txt"], want)
    assert len(members[f"{name}/{name}_time.txt"]) == len(want)


def test_evaluate_reads_vot_reset_based_results(shared, tmp_path):
    """A VOT baseline result file (codes 1/2/0 and polygons) on the real 'bag' sequence: one failure."""
    import shutil

    from bench.evaluation import evaluate_results

    root = tmp_path / "vot"
    (root / "bag").mkdir(parents=True)
    shutil.copy(shared / "data" / "vot" / "bag" / "groundtruth.txt", root / "bag" / "groundtruth.txt")
    (root / "list.txt").write_text("bag\n")
    lines = (root / "bag" / "groundtruth.txt").read_text().splitlines()
    lines[0] = "1"
    lines[50:55] = ["2", "0", "0", "0", "0"]   # failure at frame 51, skipped frames, re-init 5 frames later
    lines[55] = "1"
    out = tmp_path / "res" / "trk" / "baseline" / "bag"
    out.mkdir(parents=True)
    (out / "bag_001.txt").write_text("\n".join(lines) + "\n")
    vottk = evaluate_results(tmp_path / "res", "vot2018", protocol="vot2018", root=root).scores[0]
    pysot = evaluate_results(tmp_path / "res", "vot2018", protocol="vot2018-pysot", root=root).scores[0]
    assert vottk.result.metrics["failures"] == 1.0
    assert pysot.result.metrics["lost_number"] == 1.0
    assert 0.99 < vottk.result.metrics["accuracy"] <= 1.0

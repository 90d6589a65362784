"""Protocol registry, hand-computed OPE values, float32 replication, attributes and the bootstrap."""
from __future__ import annotations

import numpy as np
import pytest

from bench.core.errors import DataError, UnknownNameError
from bench.metrics import PROTOCOLS, SequenceInput, evaluate, list_protocols
from bench.metrics import _float32 as f32
from bench.metrics.attributes import TABLES, attribute_results, sequence_attributes
from bench.metrics.bootstrap import bootstrap_ci, bootstrap_result, paired_comparison

OPE = ["pytracking", "pytracking-visionml", "pysot", "got10k", "got10k-val", "lasot-toolkit", "otb-toolkit",
       "trackingnet-devkit"]


def test_registry_lists_every_ope_protocol_with_metadata():
    names = list_protocols()
    for p in OPE:
        assert p in names
        e = PROTOCOLS.get(p)
        assert e.meta["kind"] == "ope" and e.meta["source"] and e.description
    with pytest.raises(UnknownNameError, match="lasot-toolkit"):
        evaluate([SequenceInput("s", np.ones((3, 4)), np.ones((3, 4)))], "lasot_tool")


def _seq(gt, pred, **kw):
    return SequenceInput("s", np.asarray(gt, float), np.asarray(pred, float), **kw)


def test_hand_computed_integer_case():
    # 4 frames, integer boxes: frame 0 exact; frame 1 shifted 5 px (IoU 5*10/(2*50-... ) ); frame 2 disjoint;
    # frame 3 exact.  Pixel-inclusive and continuous IoU agree on integers.
    gt = [[10, 10, 10, 10]] * 4
    pred = [[10, 10, 10, 10], [15, 10, 10, 10], [40, 40, 10, 10], [10, 10, 10, 10]]
    iou = np.array([1.0, 50 / 150, 0.0, 1.0])
    thr = np.arange(21) * 0.05
    succ = np.array([(iou > t).mean() for t in thr])
    for p in ("pysot", "got10k", "lasot-toolkit", "otb-toolkit"):
        r = evaluate([_seq(gt, pred)], p, "otb")
        assert r.metrics["auc"] == pytest.approx(succ.mean(), abs=1e-12), p
        assert r.metrics["precision"] == pytest.approx(0.75, abs=1e-12), p  # 0, 5, 42.4, 0 px
    r = evaluate([_seq(gt, pred)], "pytracking", "otb")
    assert r.metrics["auc"] == pytest.approx(succ.mean(), abs=1e-6)


def test_first_frame_conventions():
    gt = [[10, 10, 10, 10]] * 2
    pred = [[100, 100, 10, 10], [10, 10, 10, 10]]
    # pysot keeps the tracker's frame 0 (a miss: 0 of 21 thresholds); frame 1 (IoU 1, clamped) passes 20 of 21
    assert evaluate([_seq(gt, pred)], "pysot").metrics["auc"] == pytest.approx(10 / 21, abs=1e-12)
    # the others replace frame 0 by the ground truth
    assert evaluate([_seq(gt, pred)], "got10k").metrics["auc"] == pytest.approx(20 / 21)


def test_errors_where_the_official_code_raises_are_one_line():
    gt = np.tile([10.0, 10, 10, 10], (5, 1))
    nan_pred = gt.copy()
    nan_pred[2] = np.nan
    with pytest.raises(DataError, match=r"frame 3.*Invalid results"):
        evaluate([_seq(gt, nan_pred)], "pytracking")
    # the MATLAB toolkit carries the previous box forward instead
    assert evaluate([_seq(gt, nan_pred)], "lasot-toolkit").metrics["auc"] == pytest.approx(20 / 21)
    with pytest.raises(DataError, match="length mismatch"):
        evaluate([_seq(gt, gt[:4])], "pysot")
    with pytest.raises(DataError, match="out of bound"):
        evaluate([_seq(gt, gt[:4])], "lasot-toolkit")
    with pytest.raises(DataError, match=r"\(N, 4\)"):
        evaluate([SequenceInput("s", gt, np.ones((5, 3)))], "pysot")


def test_lasot_absent_flags_and_visibility():
    gt = np.tile([10.0, 10, 10, 10], (4, 1))
    flags = {"full_occlusion": np.array([0, 1, 0, 0]), "out_of_view": np.array([0, 0, 0, 0])}
    r = evaluate([_seq(gt, gt, flags=flags)], "lasot-toolkit", "lasot")
    assert r.metrics["op50"] == pytest.approx(0.75)  # absent frame = failure, denominator 4
    r2 = evaluate([_seq(gt, gt, flags={"absent": np.array([0, 1, 0, 0])})], "lasot-toolkit", "lasot")
    assert r2.metrics == r.metrics


def test_float32_reductions_match_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for s in (1, 2, 7, 16, 63, 64, 65, 280, 700, 1500):
        for cols in (21, 51, 101):
            y = (rng.integers(0, 5000, size=(s, cols)).astype(np.float32) / np.float32(4999))
            assert np.array_equal(f32.mean_rows(y), torch.tensor(y).mean(0).numpy()), (s, cols)
        x = (rng.integers(0, 5000, size=(s, 21)).astype(np.float32) / np.float32(4999))
        c = torch.tensor(x).mean(0) * 100.0
        assert f32.mean_vector(c.numpy()) == np.float32(c.mean(-1).item()), s


def test_sequence_attributes_formats():
    assert sequence_attributes({"lasot": ["IV", "FOC"]}, "lasot") == {"IV", "FOC"}
    flags = [0] * 17
    flags[14] = 1
    assert sequence_attributes({"tnl2k_flags": flags}, "tnl2k") == {"AS"}
    with pytest.raises(DataError, match="17 flags"):
        sequence_attributes({"tnl2k_flags": [1, 0]}, "tnl2k")
    assert [len(TABLES[k]) for k in ("lasot", "tnl2k", "otb", "uav")] == [14, 17, 11, 12]


def test_attribute_results_score_subsets():
    gt = np.tile([10.0, 10, 10, 10], (5, 1))
    good = SequenceInput("a", gt, gt, attributes={"otb": ["IV"]})
    bad_pred = gt.copy()
    bad_pred[1:, 0] += 50
    bad = SequenceInput("b", gt, bad_pred, attributes={"otb": ["IV", "OCC"]})
    att = attribute_results([good, bad], "otb-toolkit", "otb", "otb100")
    assert set(att) == {"IV", "OCC"}
    assert att["IV"]["n_sequences"] == 2 and att["OCC"]["n_sequences"] == 1
    assert att["OCC"]["metrics"]["auc"] == pytest.approx(evaluate([bad], "otb-toolkit").metrics["auc"])


def test_bootstrap_interval_and_paired_comparison():
    rng = np.random.default_rng(0)
    v = rng.uniform(0, 1, 200)
    ci = bootstrap_ci(v, n=2000, seed=1)
    se = v.std(ddof=1) / np.sqrt(len(v))
    assert ci["low"] < v.mean() < ci["high"]
    assert ci["high"] - ci["low"] == pytest.approx(2 * 1.96 * se, rel=0.15)  # normal approximation
    assert bootstrap_ci(v, n=500, seed=7) == bootstrap_ci(v, n=500, seed=7)  # deterministic

    gts = [np.tile([10.0, 10, 20, 20], (30, 1)) for _ in range(40)]
    def run(shift_sd, seed):
        r = np.random.default_rng(seed)
        seqs = []
        for i, g in enumerate(gts):
            p = g.copy()
            p[:, 0] += r.normal(0, shift_sd, len(g))
            seqs.append(SequenceInput(f"s{i}", g, p))
        return evaluate(seqs, "pysot")
    a, b, a2 = run(2.0, 1), run(8.0, 2), run(2.0, 1)
    cmp = paired_comparison(a, b, "auc", n=1000)
    assert cmp["difference"] > 0 and cmp["significant"] and cmp["p_value"] < 0.01
    same = paired_comparison(a, a2, "auc", n=200)
    assert same["difference"] == 0 and not same["significant"] and same["p_value"] == 1.0
    boot = bootstrap_result(a, n=200)
    assert set(boot) >= {"auc", "precision"}
    with pytest.raises(DataError, match="same sequences"):
        paired_comparison(a, evaluate([SequenceInput("x", gts[0], gts[0])], "pysot"))


def test_result_to_dict_is_json_and_names_the_protocol():
    import json

    gt = np.tile([10.0, 10, 10, 10], (3, 1))
    d = evaluate([_seq(gt, gt)], "trackingnet-devkit").to_dict()
    json.dumps(d)
    assert d["protocol"] == "trackingnet-devkit" and d["metrics"]["auc"] == pytest.approx(1.0)


def test_vectorised_curve_counts_equal_plain_threshold_loops():
    from bench.metrics import engine as ope

    rng = np.random.default_rng(1)
    n = 20000
    seg = np.sort(rng.integers(0, 7, n))
    grids = (ope.PT_OVERLAP_THR, ope.PYSOT_OVERLAP_THR, ope.G10K_OVERLAP_THR, ope.G10K_VAL_THR, ope.CENTER_THR,
             ope.NORM_THR, ope.MATLAB_OVERLAP_THR, ope.TNET_SUCCESS_THR, ope.TNET_PRECISION_THR, ope.TNET_NORM_THR)
    assert all(id(thr) in ope._GRIDS for thr in grids if thr is not ope.CENTER_THR)   # the arithmetic path
    for thr in grids:
        v = rng.uniform(-0.2 * thr[-1], 1.2 * thr[-1], n)
        v[:2000] = thr[rng.integers(0, len(thr), 2000)]          # exact ties with every threshold
        v[2000:2006] = [np.nan, np.inf, -np.inf, -1.0, np.nextafter(thr[5], 1), np.nextafter(thr[5], -1)]
        t = len(thr)   # the floats just either side of every threshold
        v[2006:2006 + 2 * t] = np.concatenate([np.nextafter(thr, np.inf), np.nextafter(thr, -np.inf)])
        for op, cmp in ((">", np.greater), (">=", np.greater_equal), ("<=", np.less_equal)):
            got = ope._count_curves(v, seg, 7, thr, op)
            want = np.array([[np.sum(cmp(v[seg == s], t)) for t in thr] for s in range(7)])
            assert np.array_equal(got, want), (op, thr[:3])

"""Every OPE case of ../shared/reference/metrics/cases_public.json, for every toolkit flavour it holds.

The expected values were printed by the official toolkits themselves (see the fixture's README). The
tolerances are the README's: pytracking flavours abs 2e-5 on percent values (we replicate torch's float32
order, so in practice they agree exactly), everything else abs 1e-9. Where the official code raises, the
protocol must raise a one-line DataError.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.metrics import SequenceInput, evaluate
from conftest import SHARED

CASES_FILE = SHARED / "reference" / "metrics" / "cases_public.json"

#: fixture flavour -> protocol name in this suite
FLAVOURS = {
    "pytracking_lib": "pytracking",
    "pytracking_visionml": "pytracking-visionml",
    "pysot": "pysot",
    "got10k_ope": "got10k",
    "got10k_val": "got10k-val",
    "trackingnet_devkit": "trackingnet-devkit",
    "lasot_matlab": "lasot-toolkit",
}


def _load_cases() -> list:
    if not CASES_FILE.is_file():
        return []
    return [c for c in json.loads(CASES_FILE.read_text())["cases"] if c["kind"] == "ope"]


def _params() -> list:
    out = []
    for c in _load_cases():
        for flavour in c["expected"]:
            out.append(pytest.param(c, flavour, id=f"{c['id']}-{flavour}"))
    return out or [pytest.param(None, None, marks=pytest.mark.skip(reason=f"{CASES_FILE} absent"))]


def _arr(rows) -> np.ndarray:
    def num(v):
        if v is None:
            return math.nan
        if isinstance(v, str):
            return float(v)
        return float(v)
    return np.array([[num(v) for v in r] for r in rows], dtype=np.float64).reshape(-1, 4)


def to_inputs(case: dict) -> list[SequenceInput]:
    seqs = []
    for s in case["inputs"]["sequences"]:
        flags = {k: np.asarray(s[k], dtype=np.float64) for k in
                 ("full_occlusion", "out_of_view", "absent", "cover", "absence") if k in s}
        seqs.append(SequenceInput(
            name=s["name"], gt=_arr(s["gt"]), pred=_arr(s["pred"]), flags=flags,
            image_size=tuple(s["image_size"]) if s.get("image_size") else None,
            extra_preds=[_arr(r) for r in s.get("extra_repetitions", [])]))
    return seqs


def _close(got: float, want: float, tol: float, what: str) -> None:
    assert abs(got - want) <= tol, f"{what}: got {got!r}, official {want!r}"


@pytest.mark.parametrize("case,flavour", _params())
def test_official_case(case, flavour):
    protocol = FLAVOURS[flavour]
    exp = case["expected"][flavour]
    seqs = to_inputs(case)
    if "error" in exp:
        with pytest.raises(BenchError) as ei:
            evaluate(seqs, protocol, case["dataset_mode"])
        msg = str(ei.value)
        assert "\n" not in msg and protocol in msg and seqs[0].name in msg
        return
    r = evaluate(seqs, protocol, case["dataset_mode"])
    m = r.metrics
    if flavour.startswith("pytracking"):
        tol = 2e-5  # percent
        for key in ("auc", "op50", "op75", "precision", "norm_precision"):
            _close(m[key] * 100, exp[key], tol, key)
        for name, key in (("success", "success_curve"), ("precision", "precision_curve"),
                          ("norm_precision", "norm_precision_curve")):
            np.testing.assert_allclose(r.curves[name][1] * 100, exp[key], atol=tol, rtol=0)
        for got, want in zip(r.per_sequence, exp["per_sequence"]):
            assert got["name"] == want["name"]
            if want["avg_overlap"] is None:
                assert math.isnan(got["avg_overlap"])
            else:
                _close(got["avg_overlap"], want["avg_overlap"], 1e-9, "avg_overlap")
            _close(got["precision"], want["precision_curve"][20], 1e-7, "seq precision")
        # float32 replication: the aggregate is bit-identical to torch's
        assert np.float32(m["auc"] * 100) == np.float32(exp["auc"])
    elif flavour == "pysot":
        _close(m["auc"], exp["success_auc"], 1e-9, "success_auc")
        _close(m["precision"], exp["precision"], 1e-9, "precision")
        _close(m["norm_precision"], exp["norm_precision"], 1e-9, "norm_precision")
        np.testing.assert_allclose(r.curves["success"][1], exp["success_curve"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(r.curves["precision"][1], exp["precision_curve"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(r.curves["norm_precision"][1], exp["norm_precision_curve"], atol=1e-9, rtol=0)
    elif flavour == "got10k_ope":
        _close(m["auc"], exp["success_score"], 1e-9, "success_score")
        _close(m["precision"], exp["precision_score"], 1e-9, "precision_score")
        _close(m["op50"], exp["success_rate"], 1e-9, "success_rate")
        np.testing.assert_allclose(r.curves["success"][1], exp["success_curve"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(r.curves["precision"][1], exp["precision_curve"], atol=1e-9, rtol=0)
        assert r.settings["variant"] == exp["variant"]
    elif flavour == "got10k_val":
        for key in ("ao", "sr50", "sr75"):
            _close(m[key], exp[key], 1e-9, key)
        np.testing.assert_allclose(r.curves["success"][1], exp["succ_curve"], atol=1e-9, rtol=0)
        for got, want in zip(r.per_sequence, exp["per_sequence"]):
            _close(got["ao"], want["ao"], 1e-9, "seq ao")
            _close(got["sr50"], want["sr50"], 1e-9, "seq sr50")
            assert got["length"] == want["length"]
    elif flavour == "trackingnet_devkit":
        _close(m["auc"] * 100, exp["success_auc"], 1e-9, "success_auc")
        _close(m["precision"] * 100, exp["precision_auc"], 1e-9, "precision_auc")
        _close(m["norm_precision"] * 100, exp["norm_precision_auc"], 1e-9, "norm_precision_auc")
        _close(m["coverage"] * 100, exp["coverage"], 1e-9, "coverage")
    elif flavour == "lasot_matlab":
        _close(m["auc"], exp["auc"], 1e-9, "auc")
        _close(m["op50"], exp["success_rate_050"], 1e-9, "success_rate_050")
        _close(m["precision"], exp["precision_20"], 1e-9, "precision_20")
        _close(m["norm_precision"], exp["norm_precision_020"], 1e-9, "norm_precision_020")
        np.testing.assert_allclose(r.curves["success"][1], exp["success_curve"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(r.curves["precision"][1], exp["precision_curve"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(r.curves["norm_precision"][1], exp["norm_precision_curve"], atol=1e-9, rtol=0)
        kept = r.settings["n_sequences_kept"]
        assert kept["success"] == exp["n_sequences_kept_success"]
        assert kept["precision"] == exp["n_sequences_kept_precision"]
        assert kept["norm_precision"] == exp["n_sequences_kept_norm_precision"]
    else:  # a flavour this suite does not know: fail loudly rather than skip
        pytest.fail(f"no protocol for flavour {flavour}")

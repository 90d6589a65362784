"""``pytracking-exclude-invalid`` (bench/metrics/pytracking_exclude_invalid.py): pytracking's analysis with
``exclude_invalid_frames=True``, a variant that overrides one rule of ``pytracking``, the denominator.

Independent truth: (a) a case computed by hand; (b) the unmodified official code, SpikeTrack @1537db5
``lib/test/analysis/extract_results.py`` (``extract_results(..., exclude_invalid_frames=False/True)``) and
``plot_results.py`` (``get_auc_curve``, ``get_prec_curve``), run with torch 2.13.0+cpu on the sequences
below, written as ``<results>/<dataset>/<seq>.txt`` (``repr`` of each float), ``env_settings`` stubbed to a
temporary plot folder, ``seq.target_visible`` = the ``visible`` lists. The literals are its printed
``float(auc)``, ``float(auc_curve[0, thr == 0.50])``, ``... 0.75``, ``float(prec_score)`` and
``float(norm_prec_score)``, percent (float32 values), in this order. Command: ``python run_official.py``
(a scratch runner outside the repository, importing the fork's ``lib.test.analysis`` modules).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import datasets
from bench.cli import main as cli
from bench.core.errors import DataError
from bench.core.io import format_boxes
from bench.metrics import PROTOCOLS, SequenceInput, evaluate
from bench.metrics.engine import shared_frames

NAME = "pytracking-exclude-invalid"
KEYS = ("auc", "op50", "op75", "precision", "norm_precision")

#: name -> (ground truth, predictions, target_visible)
SEQS = {
    # frame 2 invisible, frame 3 w = 0 (invalid annotation), frame 4 missed
    "hand": ([[10, 10, 20, 20], [12, 10, 20, 20], [14, 10, 20, 20], [16, 10, 0, 20], [18, 10, 20, 20]],
             [[0, 0, 5, 5], [12, 10, 20, 20], [14, 10, 20, 20], [16, 10, 20, 20], [80, 80, 20, 20]],
             [1, 1, 0, 1, 1]),
    # frame 3 w = 0, frames 4-5 invisible: 5 valid of 8; frame 6 zero-size (carried forward from frame 5)
    "walk": ([[20, 20, 30, 40], [22, 21, 30, 40], [24, 22, 30, 40], [26, 23, 0, 40], [28, 24, 30, 40],
              [30, 25, 30, 40], [32, 26, 30, 40], [34, 27, 30, 40]],
             [[0, 0, 1, 1], [23, 21, 30, 40], [32, 22, 30, 40], [26, 23, 30, 40], [28, 24, 30, 40],
              [90, 90, 10, 10], [33, 27, 0, 38], [70, 60, 30, 40]],
             [1, 1, 1, 1, 0, 0, 1, 1]),
    # x = 0 at frames 0 and 2: valid for the fork (only w, h > 0 count), 5 valid of 5
    "ball": ([[0, 5, 10, 10], [1, 5, 10, 10], [0, 6, 10, 10], [3, 5, 10, 10], [4, 6, 10, 10]],
             [[9, 9, 9, 9], [2, 5, 10, 10], [0, 6, 12, 10], [10, 5, 10, 10], [4.5, 6, 10, 10]],
             [1, 1, 1, 1, 1]),
}
# "walk" with two predicted rows: the toolkit zero-pads the other six (the prepared, not the fast, path)
SEQS["short"] = (SEQS["walk"][0], SEQS["walk"][1][:2], SEQS["walk"][2])

#: (sequences, dataset) -> (exclude_invalid_frames=False, =True), printed by the official code (see above)
OFFICIAL = {
    ("hand", "otb"): ((38.095237731933594, 40.0, 40.0, 40.0, 80.0),
                      (63.4920768737793, 66.66667175292969, 66.66667175292969, 66.66667175292969,
                       133.33334350585938)),
    ("walk+ball", "otb"): ((51.845237731933594, 58.749996185302734, 52.499996185302734, 68.75, 71.25),
                           (60.9523811340332, 70.00000762939453, 60.000003814697266, 80.0, 90.0)),
    ("walk+ball", "uav"): ((51.845237731933594, 58.749996185302734, 52.499996185302734, 87.5, 71.25),
                           (60.9523811340332, 70.00000762939453, 60.000003814697266, 110.0, 90.0)),
    ("walk+ball", "lasot"): ((51.845237731933594, 58.749996185302734, 52.499996185302734, 68.75,
                              58.749996185302734),
                             (60.9523811340332, 70.00000762939453, 60.000003814697266, 80.0, 70.00000762939453)),
    ("short+ball", "otb"): ((48.27381134033203, 52.499996185302734, 52.499996185302734, 62.5, 71.25),
                            (55.238094329833984, 60.000003814697266, 60.000003814697266, 70.0, 90.0)),
}


def _inputs(names: str) -> list[SequenceInput]:
    return [SequenceInput(n, np.array(SEQS[n][0], float), np.array(SEQS[n][1], float),
                          flags={"target_visible": np.array(SEQS[n][2])}) for n in names.split("+")]


def test_registered_as_a_pytracking_variant():
    meta = PROTOCOLS.get(NAME).meta
    assert meta["kind"] == "ope" and meta["needs"] == ("boxes",) and meta["main_metric"] == "auc"
    assert meta["metrics"] == PROTOCOLS.get("pytracking").meta["metrics"]
    assert "exclude_invalid_frames=True" in meta["source"]


def test_hand_computed_denominators():
    # valid frames of "hand": 0 and 1 (IoU 1, centre error 0) and 4 (missed); 2 is invisible, 3 has w = 0.
    # success (iou > t): frames 0, 1 for t = 0 .. 0.95, none at t = 1.0; precision: frames 0, 1 (invalid
    # frames: Inf); normalised precision: frames 0, 1 and the invalid 2, 3 (toolkit sets them to -1.0)
    base, excl = evaluate(_inputs("hand"), "pytracking", "otb"), evaluate(_inputs("hand"), NAME, "otb")
    assert base.metrics["auc"] == pytest.approx(2 / 5 * 20 / 21)
    assert excl.metrics["auc"] == pytest.approx(2 / 3 * 20 / 21)
    for m, b, e in (("op50", 2 / 5, 2 / 3), ("precision", 2 / 5, 2 / 3), ("norm_precision", 4 / 5, 4 / 3)):
        assert base.metrics[m] == pytest.approx(b) and excl.metrics[m] == pytest.approx(e), m
    assert excl.metrics["norm_precision"] > 1.0   # as the toolkit: invalid frames in the numerator only
    (row,) = excl.per_sequence
    assert (row["length"], row["valid_frames"]) == (5, 3)
    assert row["avg_overlap"] == base.per_sequence[0]["avg_overlap"] == pytest.approx((1 + 1 + 0) / 3)
    assert excl.settings["denominator"].startswith("valid frames")


@pytest.mark.parametrize("names, mode", sorted(OFFICIAL))
def test_official_values_bit_for_bit(names, mode):
    # exclude_invalid_frames=False is `pytracking`; True is this variant: the one rule that differs
    for proto, official in zip(("pytracking", NAME), OFFICIAL[(names, mode)]):
        res = evaluate(_inputs(names), proto, mode)
        assert res.protocol == proto
        assert tuple(res.metrics[k] for k in KEYS) == tuple(v / 100.0 for v in official), (proto, mode)


@pytest.mark.parametrize("mode", ["otb", "uav", "lasot"])
def test_only_the_denominator_differs(mode):
    base, excl = evaluate(_inputs("walk+ball"), "pytracking", mode), evaluate(_inputs("walk+ball"), NAME, mode)
    assert [r["valid_frames"] for r in excl.per_sequence] == [5, 5]
    for b, e in zip(base.per_sequence, excl.per_sequence):
        assert b["length"] == e["length"] and b["avg_overlap"] == e["avg_overlap"]
        for k in KEYS:   # same count of successful frames, another divisor
            assert e[k] * e["valid_frames"] == pytest.approx(b[k] * b["length"], rel=1e-6), (k, e["name"])
    assert {k: v for k, v in excl.settings.items() if k != "denominator"} == \
           {k: v for k, v in base.settings.items() if k != "denominator"}


def test_same_bits_when_protocols_share_frames():
    # `bench evaluate --protocol a,b` scores one list inside shared_frames (one Frames for every protocol)
    names = ("pytracking-visionml", NAME, "pytracking", NAME)
    alone = {p: evaluate(_inputs("walk+ball"), p, "lasot").metrics for p in names}
    seqs = _inputs("walk+ball")
    with shared_frames():
        shared = [evaluate(seqs, p, "lasot").metrics for p in names]
    assert shared == [alone[p] for p in names]


def test_a_sequence_without_valid_frames_is_refused_as_the_toolkit_does():
    seqs = _inputs("hand")
    seqs[0].flags["target_visible"] = np.zeros(5, int)
    evaluate(seqs, "pytracking", "otb")   # all frames in the denominator: scored
    with pytest.raises(DataError, match=f"^{NAME}: sequence hand: .*'Seq length zero'") as info:
        evaluate(seqs, NAME, "otb")
    assert "\n" not in str(info.value)


def test_cli_evaluate_names_the_protocol(tmp_path, capsys):
    demo = datasets.create_dataset("demo")
    folder = tmp_path / "A" / "demo"
    folder.mkdir(parents=True)
    inputs = []
    for n in demo.names():
        gt = demo.load(n).ground_truth
        pred = gt.copy()
        pred[1:, 0] += 3.0
        (folder / f"{n}.txt").write_text(format_boxes(pred))
        inputs.append(SequenceInput(n, gt, pred))
    out = tmp_path / "eval.json"
    assert cli(["evaluate", "--results", str(tmp_path), "--dataset", "demo", "--protocol", NAME,
                "--json", str(out)]) == 0
    assert f"protocol {NAME}" in capsys.readouterr().out
    d = json.loads(out.read_text())
    fig = d["trackers"]["A"]["demo"]
    assert d["protocol"] == fig["protocol"] == NAME
    assert fig["metrics"]["auc"] == evaluate(inputs, NAME, "otb").metrics["auc"]

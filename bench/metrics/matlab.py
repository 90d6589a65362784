"""The MATLAB toolkits: ``lasot-toolkit`` (LaSOT and TNL2K) and ``otb-toolkit`` (the same rules without
absent flags: OTB, UAV123, NfS and the demo).

Rules (HengLan/LaSOT_Evaluation_Toolkit @95bf38a ``utils/eval_tracker.m``, ``calc_seq_err_robust.m``,
``calc_rect_int.m``, ``plot_draw_save.m``; OTB's calcSeqErrRobust/calcRectInt are the originals):

* first frame: replaced by the ground truth; NaN / w <= 0 / h <= 0 result rows carry the previous box
  forward; longer results cut, shorter ones an error (``results(n,:)`` out of bound);
* IoU: pixel-inclusive ``+1/-1`` form; success ``iou > t``, t = 0:0.05:1 (Octave: base + i * increment);
  precision ``centre error <= 20`` px, normalised precision ``<= 0.20`` (grids 0..50 and 0..0.5);
* valid frames: GT x, y, w, h all > 0 (invalid: fail success, succeed both precisions);
* absent frames (``lasot-toolkit``): removed, the denominator stays all frames (+ eps), i.e. failures;
* averaging: mean of the per-sequence curves, all-zero curves dropped (``plot_draw_save.m``).
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.engine import (CENTER_THR, MATLAB_EPS, MATLAB_OVERLAP_THR, NORM_THR, carry_forward, check_boxes,
                                  frames_of, hist_curves, make_result, seq_error, with_ranks)


# --- LaSOT / TNL2K / OTB MATLAB toolkits -----------------------------------------------------------------

def _prepare(s: SequenceInput, proto: str) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as ``calc_seq_err_robust.m`` prepares it: results cut to the annotation (shorter: the
    toolkit's out-of-bound error), NaN / w<=0 / h<=0 rows carried forward where the GT is known, frame 0 = GT."""
    gt = check_boxes(s.gt, proto, s.name, "ground-truth")
    res = check_boxes(s.pred, proto, s.name, "predicted")
    n = len(gt)
    if len(res) < n:
        raise seq_error(proto, s.name, f"{len(res)} result rows for {n} annotated frames; the official "
                        f"toolkit fails (results({len(res) + 1},:) out of bound)")
    res = res[:n]
    gt_ok = ~np.isnan(gt).any(1)
    bad = np.isnan(res).any(1) | (res[:, 2] <= 0) | (res[:, 3] <= 0)
    res = carry_forward(res, bad & gt_ok).copy()
    res[0] = gt[0]
    return gt, res


def _matlab(sequences: list[SequenceInput], dataset_mode: str, proto: str, use_absent: bool) -> EvalResult:
    # on clean inputs 'Pc0' is the same preparation on all frames at once (only zero sizes to carry forward)
    F = frames_of(sequences, lambda s: _prepare(s, proto))
    n_seq = len(F.lengths)
    F.prepare([("iou_pixel", "Pc0", MATLAB_OVERLAP_THR, ">"), ("err", "Pc0", CENTER_THR, "<="),
               ("nerr", "Pc0", NORM_THR, "<=")])
    k_cov = F.ranks("iou_pixel", "Pc0", MATLAB_OVERLAP_THR, ">")
    k_err = F.ranks("err", "Pc0", CENTER_THR, "<=")
    k_nerr = F.ranks("nerr", "Pc0", NORM_THR, "<=")
    seg, idx = F.seg, F.get("gt_positive")   # (g[0] > 0) & (g[1] > 0) & (g[2] > 0) & (g[3] > 0)
    if use_absent:
        absent = F.get("absent")
        seq_absent = np.bincount(seg[absent], minlength=n_seq).tolist()   # absent frames per sequence
    else:
        absent = None
        seq_absent = [0] * n_seq
    invalid = [(~idx, -1.0)]   # invalid frames: failure in success, success in both precisions
    # absent frames removed (the denominator stays all frames): ranked, after the invalid rule, where no
    # threshold counts them; same counts as dropping them, and the segment array stays the shared one
    drop = absent is not None and absent.any()
    gone = (lambda op: [(absent, -np.inf if op == ">" else np.inf)]) if drop else (lambda op: [])
    counts = (hist_curves(with_ranks(k_cov, MATLAB_OVERLAP_THR, ">", invalid + gone(">")), seg, n_seq,
                          len(MATLAB_OVERLAP_THR), ">"),
              hist_curves(with_ranks(k_err, CENTER_THR, "<=", invalid + gone("<=")), seg, n_seq,
                          len(CENTER_THR), "<="),
              hist_curves(with_ranks(k_nerr, NORM_THR, "<=", invalid + gone("<=")), seg, n_seq,
                          len(NORM_THR), "<="))
    return _matlab_scores(sequences, dataset_mode, proto, use_absent, F.lengths.tolist(), seq_absent, counts)


def _matlab_scores(sequences: list[SequenceInput], dataset_mode: str, proto: str, use_absent: bool,
                   full_lens: list[int], seq_absent: list[int], counts: tuple) -> EvalResult:
    denom = np.asarray(full_lens, dtype=np.float64)[:, None] + MATLAB_EPS
    succ, prec, nprec = (c / denom for c in counts)

    def kept_mean(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kept = curves.sum(1) > MATLAB_EPS     # plot_draw_save.m drops all-zero curves
        with np.errstate(all="ignore"):
            return (curves[kept].mean(0) if kept.any() else np.full(curves.shape[1], np.nan)), kept

    succ_curve, k_s = kept_mean(succ)
    prec_curve, k_p = kept_mean(prec)
    nprec_curve, k_n = kept_mean(nprec)
    metrics = {"auc": np.mean(succ_curve), "precision": prec_curve[20], "norm_precision": nprec_curve[20],
               "op50": succ_curve[10], "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": full_lens[i], "absent_frames": seq_absent[i],
                "auc": float(seq_auc[i]), "precision": float(prec[i, 20]), "norm_precision": float(nprec[i, 20]),
                "kept": bool(k_s[i])} for i, s in enumerate(sequences)]
    notes = []
    dropped = [s.name for s, k in zip(sequences, k_s) if not k]
    if dropped:
        notes.append(f"{len(dropped)} sequence(s) with an all-zero success curve left out of the average, as "
                     f"the toolkit does: {', '.join(dropped[:5])}{' ...' if len(dropped) > 5 else ''}")
    res = make_result(proto, dataset_mode, metrics, sequences, per_seq,
                      {"success": (MATLAB_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve),
                       "norm_precision": (NORM_THR, nprec_curve)},
                      {"auc": seq_auc, "precision": prec[:, 20], "norm_precision": nprec[:, 20],
                       "op50": succ[:, 10], "op75": succ[:, 15]},
                      {"first_frame": "replaced by ground truth",
                       "invalid_results": "NaN / w<=0 / h<=0 rows carry the previous box forward",
                       "iou": "pixel-inclusive (+1/-1)", "success": "iou > t, t = 0:0.05:1",
                       "precision": "centre error <= 20 px", "norm_precision": "<= 0.20 (norm_dst = true run)",
                       "valid_frames": "gt x>0 & y>0 & w>0 & h>0 (else failure in success, success in precision)",
                       "absent_frames": ("removed, denominator = all frames (absent = failure)" if use_absent
                                         else "none"),
                       "sequence_average": "mean of per-sequence curves, all-zero curves dropped"},
                      seq_weights={"auc": k_s, "op50": k_s, "op75": k_s, "precision": k_p, "norm_precision": k_n},
                      notes=notes)
    res.settings["n_sequences_kept"] = {"success": int(k_s.sum()), "precision": int(k_p.sum()),
                                        "norm_precision": int(k_n.sum())}
    return res


@register_protocol("lasot-toolkit", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "precision", "norm_precision", "op50"],
                   source="HengLan/LaSOT_Evaluation_Toolkit @95bf38a utils/*.m (TNL2K toolkit: same code)",
                   description="official LaSOT / TNL2K MATLAB toolkit: frame 0 = GT, invalid results carried "
                               "forward, absent frames failures, all-zero sequences dropped")
def lasot_toolkit(sequences: list[SequenceInput], dataset_mode: str = "lasot") -> EvalResult:
    return _matlab(sequences, dataset_mode, "lasot-toolkit", use_absent=True)


@register_protocol("otb-toolkit", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "precision", "norm_precision", "op50"],
                   source="OTB MATLAB toolkit calcSeqErrRobust/calcRectInt (the code LaSOT's utils/*.m copy)",
                   description="OTB MATLAB toolkit rules (the lasot-toolkit code without absent flags); "
                               "no normalized precision in the original, reported as LaSOT computes it")
def otb_toolkit(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return _matlab(sequences, dataset_mode, "otb-toolkit", use_absent=False)



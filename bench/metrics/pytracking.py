"""pytracking's analysis (``pytracking``: the OSTrack/STARK/SpikeTrack fork; ``pytracking-visionml``: upstream).

Rules (lib/test/analysis/extract_results.py, plot_results.py; SpikeTrack @1537db5, visionml @7eb9e74):

* first frame: replaced by the ground truth; zero-size rows carried forward from the previous row;
  NaN or negative-size predictions rejected ('Error: Invalid results'); longer results cut, shorter ones
  zero-padded (dataset ``lasot``: rejected);
* IoU: pixel-inclusive ``+1/-1`` form, no clamp; success ``iou > t``, t = torch.arange(0, 1.05, 0.05);
  precision ``centre error <= 20`` px, normalised precision ``<= 0.20`` (grids 0..50 and 0..0.5);
* valid frames: GT ``w > 0 and h > 0`` (visionml: also ``x > 0 and y > 0``), and visible where the
  sequence carries visibility: ``lasot*`` (full_occlusion / out_of_view / absent), or any sequence whose
  loader gives a ``target_visible`` flag (extract_results passes ``seq.target_visible`` wherever a
  dataset sets it);
  invalid frames fail success, fail precision (``uav``: succeed), succeed normalised precision;
  on ``lasot`` invisible frames fail both precisions;
* averaging: mean of the per-sequence curves, float32 as torch accumulates them (:mod:`._float32`).
"""
from __future__ import annotations

import numpy as np

from bench.metrics import _float32 as f32
from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.engine import (CENTER_THR, LASOT_MODES, NORM_THR, PT_OVERLAP_THR, carry_forward, check_boxes,
                                  frames_of, hist_curves, make_result, seq_error, with_ranks)


# --- pytracking (PT-lib and PT-vml) ---------------------------------------------------------------------

def _uses_visibility(seqs: list[SequenceInput], dataset_mode: str) -> bool:
    """extract_results passes ``target_visible`` to calc_seq_err_robust wherever the dataset's sequences
    carry it (lasotdataset.py and lasotextensionsubsetdataset.py from their occlusion files; any other
    loader that sets it): invisible frames are invalid (and, for dataset 'lasot' only, fail both precisions)."""
    return dataset_mode in LASOT_MODES or any(s.flag("target_visible") is not None for s in seqs)

def _prepare(s: SequenceInput, proto: str, dataset_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as ``extract_results`` prepares it: invalid results rejected, zero-size rows carried
    forward (not where the GT is NaN), results cut or zero-padded to the annotation, frame 0 = GT."""
    gt = check_boxes(s.gt, proto, s.name, "ground-truth")
    pred = check_boxes(s.pred, proto, s.name, "predicted")
    if len(pred) < 2 or len(gt) < 2:
        raise seq_error(proto, s.name, f"{min(len(pred), len(gt))} frame(s); the official toolkit "
                        "cannot read single-row files (np.loadtxt gives a 1-D array) and crashes")
    bad = np.isnan(pred).any(1) | (pred[:, 2:] < 0).any(1)
    if bad.any():
        i = int(np.argmax(bad))
        raise seq_error(proto, s.name, f"frame {i + 1}: prediction {pred[i].tolist()} is NaN or has a "
                        "negative size; the official toolkit rejects such results ('Error: Invalid results')")
    gt_nan = np.isnan(gt).any(1)
    if gt_nan.any() and dataset_mode != "uav":
        i = int(np.argmax(gt_nan))
        raise seq_error(proto, s.name, f"frame {i + 1}: NaN in the annotation; the official toolkit "
                        "only accepts that for dataset 'uav' ('NaNs in annotation')")
    zero = (pred[:, 2] == 0) | (pred[:, 3] == 0)
    if zero[len(gt):].any():
        raise seq_error(proto, s.name, f"zero-size prediction after the last annotated frame {len(gt)}; "
                        "the official toolkit crashes (index out of range)")
    pad_gt_nan = np.zeros(len(pred), bool)
    pad_gt_nan[:min(len(pred), len(gt))] = gt_nan[:len(pred)]
    pred = carry_forward(pred, zero & ~pad_gt_nan)
    if len(pred) > len(gt):
        pred = pred[:len(gt)].copy()
    elif len(pred) < len(gt):
        if dataset_mode == "lasot":
            raise seq_error(proto, s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                            "the official toolkit rejects shorter results for LaSOT")
        pred = np.concatenate([pred, np.zeros((len(gt) - len(pred), 4))])
    else:
        pred = pred.copy()
    pred[0] = gt[0]
    return gt, pred


def analysis(seqs: list[SequenceInput], dataset_mode: str, variant: str, *, exclude_invalid_frames: bool = False,
             proto: str | None = None) -> EvalResult:
    """pytracking's analysis of ``seqs``: ``variant`` "lib" (the fork) or "vml" (upstream); a variant protocol
    passes its own ``proto`` name and the ``extract_results`` option it sets."""
    proto = proto or ("pytracking" if variant == "lib" else "pytracking-visionml")
    # clean inputs: 'Pc0' is _prepare on all frames at once (zero-size rows carried, frame 0 = GT)
    F = frames_of(seqs, lambda s: _prepare(s, proto, dataset_mode))
    g = F.G
    valid = ((g[2] > 0) & (g[3] > 0)) if variant == "lib" else F.get("gt_positive").copy()  # (g > 0).sum(0) == 4
    visibility = _uses_visibility(seqs, dataset_mode)
    if visibility:
        vis = F.get("visible")
        valid &= vis
    else:
        vis = np.ones(g.shape[1], bool)
    # pytracking's pc = p + 0.5 * (w - 1.0) is bit-identical to centers' p + (w - 1) / 2 (both exact halvings)
    F.prepare([("iou_pixel", "Pc0", None, None), ("iou_pixel", "Pc0", PT_OVERLAP_THR, ">"),
               ("err", "Pc0", CENTER_THR, "<="), ("nerr", "Pc0", NORM_THR, "<=")])
    overlap = F.of("iou_pixel", "Pc0")   # the values too: NaN check and per-sequence average (read only)
    ranks = (F.ranks("iou_pixel", "Pc0", PT_OVERLAP_THR, ">"), F.ranks("err", "Pc0", CENTER_THR, "<="),
             F.ranks("nerr", "Pc0", NORM_THR, "<="))
    # the two variants differ only in which frames are valid: where that is the same set (no annotation
    # at x <= 0 or y <= 0), the other variant's counts are these counts
    known = F._memo.setdefault(f"pytracking_counts:{dataset_mode}", [])
    counts = next((c for v, c in known if np.array_equal(v, valid)), None)
    res, made = _pytracking_curves(seqs, dataset_mode, variant, proto, F.lengths.tolist(), F.seg, valid, vis,
                                   overlap, ranks, counts, exclude_invalid_frames)
    if counts is None:
        known.append((valid, made))
    return res


def _pytracking_curves(seqs: list[SequenceInput], dataset_mode: str, variant: str, proto: str, lengths: list[int],
                       seg: np.ndarray, valid: np.ndarray, vis: np.ndarray, overlap: np.ndarray, ranks: tuple,
                       counts: tuple | None, exclude_invalid_frames: bool = False) -> tuple[EvalResult, tuple]:
    """Masks and curves of :func:`analysis`, and the per-sequence counts behind them; ``ranks`` = the
    unmasked values' ranks, ``counts`` = counts already made for the same valid frames (or None)."""
    n = len(seqs)
    center_invalid = -1.0 if dataset_mode == "uav" else np.inf
    nan_overlap = np.isnan(overlap) & valid   # the toolkit sets invalid frames to -1.0 before it checks
    if nan_overlap.any():
        i = int(np.argmax(nan_overlap))
        raise seq_error(proto, seqs[seg[i]].name, "NaN overlap (the official toolkit raises "
                        "'Nans in calculated overlap')")

    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    if counts is not None:
        succ_n, prec_n, nprec_n, ov_sum, ov_cnt = counts
    else:   # invalid frames: failure in success and (not uav) precision, success in norm. precision
        invisible = [(~vis, np.inf)] if dataset_mode == "lasot" else []
        k_ov = with_ranks(ranks[0], PT_OVERLAP_THR, ">", [(~valid, -1.0)])
        k_c = with_ranks(ranks[1], CENTER_THR, "<=", [(~valid, center_invalid)] + invisible)
        k_n = with_ranks(ranks[2], NORM_THR, "<=", [(~valid, -1.0)] + invisible)
        succ_n = hist_curves(k_ov, seg, n, len(PT_OVERLAP_THR), ">")
        prec_n = hist_curves(k_c, seg, n, len(CENTER_THR), "<=")
        nprec_n = hist_curves(k_n, seg, n, len(NORM_THR), "<=")
        # invalid frames add 0.0 instead of being indexed out: no subset copies
        with np.errstate(all="ignore"):
            ov_sum = np.add.reduceat(np.where(valid, overlap, 0.0), starts)
        ov_cnt = np.add.reduceat(valid, starts, dtype=np.int64)
    # the per-sequence denominator: all frames, or (exclude_invalid_frames, extract_results l.153-156) the
    # valid ones, where a sequence without one raises 'Seq length zero' (l.158-159)
    if exclude_invalid_frames and (ov_cnt <= 0).any():
        raise seq_error(proto, seqs[int(np.argmax(ov_cnt <= 0))].name, "no valid frame (every annotation has w or "
                        "h <= 0 or the target is invisible); the official toolkit raises 'Seq length zero'")
    lens32 = np.asarray(ov_cnt if exclude_invalid_frames else lengths, dtype=np.float32)[:, None]
    succ = succ_n.astype(np.float32) / lens32
    prec = prec_n.astype(np.float32) / lens32
    nprec = nprec_n.astype(np.float32) / lens32

    with np.errstate(all="ignore"):
        avg_overlap = ov_sum / ov_cnt

    # Aggregate exactly as plot_results.get_auc_curve / get_prec_curve do (float32 torch reductions).
    succ_curve = (f32.mean_rows(succ) * np.float32(100.0)).astype(np.float32)
    prec_curve = (f32.mean_rows(prec) * np.float32(100.0)).astype(np.float32)
    nprec_curve = (f32.mean_rows(nprec) * np.float32(100.0)).astype(np.float32)
    auc = f32.mean_vector(succ_curve)
    metrics = {
        "auc": float(auc) / 100.0,
        "op50": float(succ_curve[10]) / 100.0,
        "op75": float(succ_curve[15]) / 100.0,
        "precision": float(prec_curve[20]) / 100.0,
        "norm_precision": float(nprec_curve[20]) / 100.0,
    }
    seq_auc = succ.astype(np.float64).mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "avg_overlap": float(avg_overlap[i]),
                "auc": float(seq_auc[i]), "op50": float(succ[i, 10]), "op75": float(succ[i, 15]),
                "precision": float(prec[i, 20]), "norm_precision": float(nprec[i, 20]),
                **({"valid_frames": int(ov_cnt[i])} if exclude_invalid_frames else {})}
               for i, s in enumerate(seqs)]
    return make_result(proto, dataset_mode, metrics, seqs, per_seq,
                       {"success": (PT_OVERLAP_THR, succ_curve.astype(np.float64) / 100.0),
                        "precision": (CENTER_THR, prec_curve.astype(np.float64) / 100.0),
                        "norm_precision": (NORM_THR, nprec_curve.astype(np.float64) / 100.0)},
                       {"auc": seq_auc, "op50": succ[:, 10], "op75": succ[:, 15],
                        "precision": prec[:, 20], "norm_precision": nprec[:, 20]},
                       {"first_frame": "replaced by ground truth", "iou": "pixel-inclusive (+1/-1)",
                        "success": "iou > t, t = torch.arange(0, 1.05, 0.05)",
                        "precision": "centre error <= 20 px", "norm_precision": "<= 0.20",
                        "valid_frames": ("gt w>0 & h>0" if variant == "lib" else "gt x>0 & y>0 & w>0 & h>0")
                        + (" & visible" if _uses_visibility(seqs, dataset_mode) else ""),
                        "invalid_frames": "failure in success; precision: " + (
                        "success" if dataset_mode == "uav" else "failure") + "; norm. precision: success"
                        + (" (invisible frames: failure in all, LaSOT branch)" if dataset_mode == "lasot" else ""),
                        "denominator": ("valid frames of the sequence (exclude_invalid_frames=True)"
                                        if exclude_invalid_frames else "all annotated frames"),
                        "accumulation": "float32 (as torch)",
                        "sequence_average": "mean of per-sequence curves"}), (succ_n, prec_n, nprec_n, ov_sum, ov_cnt)


@register_protocol("pytracking", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "op50", "op75", "precision", "norm_precision"],
                   source="OSTrack/STARK-family lib/test/analysis (SpikeTrack @1537db5)",
                   description="pytracking analysis as shipped with OSTrack/STARK/SpikeTrack (lib/test/analysis): "
                               "frame 0 = GT, +1/-1 IoU, float32 curves")
def pytracking(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return analysis(sequences, dataset_mode, "lib")


@register_protocol("pytracking-visionml", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "op50", "op75", "precision", "norm_precision"],
                   source="visionml/pytracking @7eb9e74 pytracking/analysis",
                   description="upstream visionml pytracking analysis: as 'pytracking' but GT frames with "
                               "x<=0 or y<=0 are invalid (since 2022-08)")
def pytracking_visionml(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return analysis(sequences, dataset_mode, "vml")



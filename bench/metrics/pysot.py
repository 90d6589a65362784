"""pysot-toolkit ``OPEBenchmark`` (SSTrack @a0fbfa1 ``pysot_toolkit/``), protocol ``pysot``.

Rules (pysot/utils/statistics.py ``success_overlap`` / ``success_error``, evaluation/ope_benchmark.py):

* first frame: the tracker's own box (not replaced); predicted and GT lengths must match (IndexError);
* IoU: continuous ``overlap_ratio``, clipped to [0, 1]; success ``iou > t``, t = np.arange(0, 1.05, 0.05);
* precision: centre ``x + (w - 1) / 2``, error ``<= 20`` px, valid where the GT centre is > 0 in x and y;
  normalised precision: centres / (GT wh + 1e-16), ``<= 0.20``, valid where those are > 0;
* invalid frames: -1 (fail success, succeed precision); on ``lasot*`` invisible frames are removed but
  still counted in the denominator (failures);
* averaging: mean of the per-sequence curves (float64).
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.engine import (CENTER_THR, LASOT_MODES, NORM_THR, PYSOT_OVERLAP_THR, centers, check_boxes,
                                  frames_of, hist_curves, iou_continuous, make_result, ranks_of, seq_error,
                                  with_ranks)


# --- pysot-toolkit OPEBenchmark ---------------------------------------------------------------------------

def _prepare(s: SequenceInput) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as ``OPEBenchmark.eval_success`` reads it: boxes as written, equal lengths required."""
    gt = check_boxes(s.gt, "pysot", s.name, "ground-truth")
    pred = check_boxes(s.pred, "pysot", s.name, "predicted")
    if len(pred) != len(gt):
        raise seq_error("pysot", s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                        "the official toolkit fails on a length mismatch (IndexError)")
    return gt, pred


@register_protocol("pysot", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "precision", "norm_precision"],
                   source="pysot-toolkit OPEBenchmark (SSTrack @a0fbfa1 pysot_toolkit/)",
                   description="pysot-toolkit OPE: tracker's own frame 0, continuous IoU, precision valid where "
                               "the GT centre is > 0, LaSOT absent frames count as failures")
def pysot(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    # pysot's overlap, centre distance and normalised distance are the engine's 'iou_cont', 'err' and 'nerr'
    # of the boxes as written (see _kind_values), its -1 for invalid frames a rank no threshold counts
    F = frames_of(sequences, _prepare)
    n = len(sequences)
    specs = [(PYSOT_OVERLAP_THR, ">"), (CENTER_THR, "<="), (NORM_THR, "<=")]
    lengths, seg = F.lengths.tolist(), F.seg
    kinds = ("iou_cont", "err", "nerr")
    masks = ("gt_centre_positive", "pysot_norm_valid", "pysot_norm_differs")
    F.prepare([(kind, "P", thr, op) for kind, (thr, op) in zip(kinds, specs)]
              + [(m, "P", None, None) for m in masks])
    valid = (F.get("gt_wh_positive"), F.of("gt_centre_positive", "P"), F.of("pysot_norm_valid", "P"))
    ranks = [with_ranks(F.ranks(kind, "P", thr, op), thr, op, [(~ok, -1.0)])
             for kind, ok, (thr, op) in zip(kinds, valid, specs)]
    odd = np.flatnonzero(F.of("pysot_norm_differs", "P"))
    if len(odd):   # sizes below 1: pysot's own expression on those frames
        ranks[2][odd] = ranks_of(_pysot_frames(F.G[:, odd], F.P[:, odd])[2], NORM_THR, "<=")
    if dataset_mode in LASOT_MODES:
        vis = F.get("visible")
        if not vis.all():   # invisible frames removed, still in the denominator: ranked where no threshold counts
            ranks = [with_ranks(k, thr, op, [(~vis, -np.inf if op == ">" else np.inf)])
                     for k, (thr, op) in zip(ranks, specs)]
    denom = np.asarray(lengths, dtype=np.float64)[:, None]
    succ, prec, nprec = (hist_curves(k, seg, n, len(thr), op) / denom for k, (thr, op) in zip(ranks, specs))
    succ_curve, prec_curve, nprec_curve = succ.mean(0), prec.mean(0), nprec.mean(0)
    metrics = {"auc": np.mean(succ), "precision": prec_curve[20], "norm_precision": nprec_curve[20],
               "op50": succ_curve[10], "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(prec[i, 20]),
                "norm_precision": float(nprec[i, 20])} for i, s in enumerate(sequences)]
    return make_result("pysot", dataset_mode, metrics, sequences, per_seq,
                       {"success": (PYSOT_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve),
                        "norm_precision": (NORM_THR, nprec_curve)},
                       {"auc": seq_auc, "precision": prec[:, 20], "norm_precision": nprec[:, 20],
                        "op50": succ[:, 10], "op75": succ[:, 15]},
                       {"first_frame": "tracker's own box (not replaced)", "iou": "continuous, clipped to [0, 1]",
                        "success": "iou > t, t = np.arange(0, 1.05, 0.05)", "precision": "centre error <= 20 px",
                        "norm_precision": "<= 0.20 (centres / (gt wh + 1e-16))",
                        "valid_frames": "success: gt w>0 & h>0 (else failure); precision: gt centre > 0 (else success)",
                        "absent_frames": ("removed, counted as failures (LaSOT)" if dataset_mode in LASOT_MODES
                                          else "not used"),
                        "denominator": "all annotated frames", "sequence_average": "mean of per-sequence curves",
                        "op50_op75": "success curve at 0.5 / 0.75 (not printed by pysot)"})


def _pysot_frames(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pysot's per-frame overlap, centre distance and normalised distance of (4, N) boxes."""
    with np.errstate(all="ignore"):
        mask = (g[2] > 0) & (g[3] > 0)
        iou = np.where(mask, iou_continuous(g, p), -1.0)
        gc, pc = centers(g), centers(p)
        d = (gc - pc) ** 2
        dist = np.where((gc[0] > 0) & (gc[1] > 0), np.sqrt(d[0] + d[1]), -1.0)
        gwh = g[2:4] + 1e-16
        gcn, pcn = gc / gwh, pc / gwh
        d = (gcn - pcn) ** 2
        ndist = np.where((gcn[0] > 0) & (gcn[1] > 0), np.sqrt(d[0] + d[1]), -1.0)
    return iou, dist, ndist



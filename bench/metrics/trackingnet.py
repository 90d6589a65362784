"""The TrackingNet devkit (SilvioGiancola/TrackingNet-devkit @79783f2 ``metrics.py``), ``trackingnet-devkit``.

Rules:

* every coordinate rounded (``np.round``, half to even); first frame replaced by the rounded ground truth;
  results longer than the ground truth cut, shorter ones NaN rows (pandas index alignment), a sequence
  without a file scored as zeros;
* IoU: pixel-inclusive ``+1/-1`` on the rounded boxes; success ``iou >= t``, t = np.linspace(0, 1, 21);
  precision ``distance <= t``, t = np.linspace(0, 50, 21); normalised ``<= t``, np.linspace(0, 0.5, 21);
* no validity rule; coverage = fraction of frames whose rounded ``x + y + w + h > 0``;
* averaging: per-sequence curves summed then divided; each score the trapezoid AUC of its mean curve.
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.engine import (TNET_NORM_THR, TNET_PRECISION_THR, TNET_SUCCESS_THR, check_boxes, chunked_ranks,
                                  frames_of, hist_curves, make_result)


# --- TrackingNet devkit ----------------------------------------------------------------------------------

def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    fn = getattr(np, "trapezoid", None) or getattr(np, "trapz")
    return float(fn(y, x=x))


def _trapezoid_rows(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:func:`_trapezoid` of every row of ``y`` in one call (the same per-row reduction, bit for bit)."""
    fn = getattr(np, "trapezoid", None) or getattr(np, "trapz")
    y = np.asarray(y, dtype=np.float64)
    return fn(y, x=x, axis=-1) if len(y) else np.zeros(0)


def _prepare(s: SequenceInput) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as the devkit reads it: every coordinate rounded, results aligned to the annotation
    (longer cut, missing rows NaN, no file: zeros), frame 0 = the rounded ground truth."""
    proto = "trackingnet-devkit"
    gt = np.round(check_boxes(s.gt, proto, s.name, "ground-truth"))
    n = len(gt)
    if s.pred is None:       # no file in the submission: zeros, coverage 0
        pred = np.zeros((n, 4))
    else:
        raw = check_boxes(s.pred, proto, s.name, "predicted")[:n]
        pred = np.full((n, 4), np.nan)   # pandas index alignment: missing rows are NaN
        pred[:len(raw)] = raw
    pred = np.round(pred)
    if n:
        pred[0] = gt[0]
    return gt, pred


@register_protocol("trackingnet-devkit", kind="ope", needs=("boxes",),
                   main_metric="auc",
                   metrics=["auc", "precision", "norm_precision", "coverage"],
                   source="SilvioGiancola/TrackingNet-devkit @79783f2 metrics.py",
                   description="TrackingNet devkit: coordinates rounded, frame 0 = GT, iou >= t, scores are "
                               "trapezoid AUCs of the success / precision / normalized precision curves")
def trackingnet_devkit(sequences: list[SequenceInput], dataset_mode: str = "trackingnet") -> EvalResult:
    proto = "trackingnet-devkit"
    F = frames_of(sequences, _prepare)   # clean inputs: 'P0' is _prepare without the rounding
    submitted = [s.pred is not None for s in sequences]
    n_seq = len(sequences)
    lengths, seg = F.lengths.tolist(), F.seg
    n_frames = len(seg)   # coverage: np.mean(bool) = exact count / n
    specs = [(TNET_SUCCESS_THR, ">="), (TNET_PRECISION_THR, "<="), (TNET_NORM_THR, "<=")]
    if F.get("integral"):
        # integer boxes (most result files): np.round changes nothing, and on small integers the devkit's
        # iou and distance are the shared 'iou_pixel' and 'err' values (+1/-1 and half-pixel sums are exact)
        kinds = ("iou_pixel", "err", "tnet_ndist")
        F.prepare([(kind, "P0", thr, op) for kind, (thr, op) in zip(kinds, specs)] + [("tnet_sane", "P0", None, None)])
        ranks = [F.ranks(kind, "P0", thr, op) for kind, (thr, op) in zip(kinds, specs)]
        n_sane = [int(np.count_nonzero(F.of("tnet_sane", "P0")))]
    else:   # the devkit's own expressions on the rounded boxes (frame 0 = rounded ground truth), by blocks
        n_sane = []

        def block(a: int, b: int) -> tuple:
            p = F.boxes_at("P0", np.arange(a, b))   # a copy: rounded in place below
            iou, dist, ndist, sanity = _tnet_frames(np.round(F.G[:, a:b]).T, np.round(p, out=p).T)
            n_sane.append(int(np.count_nonzero(sanity)))
            return iou, dist, ndist

        ranks = chunked_ranks(n_frames, block, specs)
    coverage = float(np.float64(sum(n_sane)) / n_frames) if n_frames else float("nan")
    denom = np.asarray(lengths, dtype=np.float64)[:, None]
    with np.errstate(all="ignore"):
        succ, prec, nprec = (hist_curves(k, seg, n_seq, len(thr), op) / denom
                             for k, (thr, op) in zip(ranks, specs))
    succ_curve = np.zeros(21)
    prec_curve = np.zeros(21)
    nprec_curve = np.zeros(21)
    for i in range(n_seq):   # the devkit accumulates sequence by sequence, then divides
        succ_curve += succ[i]
        prec_curve += prec[i]
        nprec_curve += nprec[i]
    succ_curve, prec_curve, nprec_curve = succ_curve / n_seq, prec_curve / n_seq, nprec_curve / n_seq
    metrics = {"auc": _trapezoid(succ_curve, TNET_SUCCESS_THR),
               "precision": _trapezoid(prec_curve, TNET_SUCCESS_THR),
               "norm_precision": _trapezoid(nprec_curve, TNET_SUCCESS_THR),
               "coverage": coverage}
    return _tnet_result(sequences, dataset_mode, proto, metrics, lengths, submitted, succ, prec, nprec,
                        succ_curve, prec_curve, nprec_curve)


def _tnet_frames(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The devkit's per-frame iou, distance, normalised distance and sanity of rounded (N, 4) boxes."""
    # The devkit's expressions, evaluated in the same order, in place where a temporary is not read again:
    # ax2 = gx + gw - 1; acx = gx + (gw + 1) / 2; iw = round(min(ax2, sx2) - max(gx, px) + 1), 0 if < 0;
    # iou = inter / (gh * gw + ph * pw - inter); ndist = sqrt(dx / gw * dx / gw + dy / gh * dy / gh).
    g0, g1, g2, g3 = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
    p0, p1, p2, p3 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    with np.errstate(all="ignore"):
        def corner(x: np.ndarray, w: np.ndarray) -> np.ndarray:   # x + w - 1.0
            c = x + w
            c -= 1.0
            return c

        def centre(x: np.ndarray, w: np.ndarray) -> np.ndarray:   # x + (w + 1.0) / 2.0
            c = w + 1.0
            c /= 2.0
            return np.add(x, c, out=c)

        def side(g_lo: np.ndarray, p_lo: np.ndarray, g_hi: np.ndarray, p_hi: np.ndarray) -> np.ndarray:
            # pandas max/min(axis=1) skip NaN: fmax / fmin
            v = np.fmin(g_hi, p_hi, out=g_hi)
            v -= np.fmax(g_lo, p_lo)
            v += 1
            np.round(v, out=v)
            np.copyto(v, 0.0, where=v < 0)
            return v

        iw = side(g0, p0, corner(g0, g2), corner(p0, p2))
        ih = side(g1, p1, corner(g1, g3), corner(p1, p3))
        inter = np.multiply(iw, ih, out=iw)
        union = g3 * g2
        union += p3 * p2
        union -= inter
        iou = np.divide(inter, union, out=union)
        dx = centre(g0, g2)
        dx -= centre(p0, p2)
        dy = centre(g1, g3)
        dy -= centre(p1, p3)
        dist = dx * dx
        dist += dy * dy
        np.sqrt(dist, out=dist)
        nx = dx / g2
        nx *= dx
        nx /= g2
        ny = dy / g3
        ny *= dy
        ny /= g3
        nx += ny
        ndist = np.sqrt(nx, out=nx)
        total = p3 + p2
        total += p0
        total += p1
        sanity = total > 0
    return iou, dist, ndist, sanity


def _tnet_result(sequences: list[SequenceInput], dataset_mode: str, proto: str, metrics: dict, lengths: list[int],
                 submitted: list[bool], succ: np.ndarray, prec: np.ndarray, nprec: np.ndarray,
                 succ_curve: np.ndarray, prec_curve: np.ndarray, nprec_curve: np.ndarray) -> EvalResult:
    seq_auc, seq_p, seq_np = (_trapezoid_rows(c, TNET_SUCCESS_THR) for c in (succ, prec, nprec))
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(seq_p[i]),
                "norm_precision": float(seq_np[i]), "submitted": submitted[i]} for i, s in enumerate(sequences)]
    notes = [] if all(submitted) else [f"{submitted.count(False)} sequence(s) without results scored as zeros"]
    return make_result(proto, dataset_mode, metrics, sequences, per_seq,
                       {"success": (TNET_SUCCESS_THR, succ_curve), "precision": (TNET_PRECISION_THR, prec_curve),
                        "norm_precision": (TNET_NORM_THR, nprec_curve)},
                       {"auc": seq_auc, "precision": seq_p, "norm_precision": seq_np},
                       {"rounding": "np.round (half to even) on every coordinate", "first_frame": "replaced by GT",
                        "iou": "pixel-inclusive (+1/-1) on rounded boxes", "success": "iou >= t, 21 steps",
                        "precision": "trapezoid AUC over 0..50 px in 2.5 px steps",
                        "norm_precision": "trapezoid AUC over 0..0.5 in 0.025 steps",
                        "coverage": "fraction of frames whose x+y+w+h > 0",
                        "sequence_average": "mean of per-sequence curves"}, notes=notes)

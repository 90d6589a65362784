"""The got10k toolkit (PyPI got10k 0.1.3): ``got10k`` (its OTB/UAV123/NfS experiments) and ``got10k-val``.

``got10k`` (``ExperimentOTB._calc_metrics`` / ``_calc_curves``; ``ExperimentUAV123`` for dataset ``uav``):

* first frame: replaced by the ground truth; lengths must match (assert); no validity rule (``uav``: frames
  with NaN ground truth dropped from numerator and denominator);
* IoU: continuous ``rect_iou``, ``inter / (union + eps)`` clipped to [0, 1]; success ``iou > t``,
  t = np.linspace(0, 1, 21); precision ``centre error <= 20`` px (grid 0..50);
* averaging: mean of the per-sequence curves.

``got10k-val`` (``ExperimentGOT10k(subset='val').report``): frame 0 excluded, boxes clipped to the image
(``rect_iou(bound=...)``, the annotation too), only ``cover > 0`` frames, the frames of every sequence and
repetition (``_001.._003``) pooled; AO = mean IoU, SR = fraction ``iou > 0.5`` / ``> 0.75``.
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.engine import (CENTER_THR, G10K_OVERLAP_THR, G10K_VAL_THR, Frames, check_boxes, fit_flag,
                                  frames_of, hist_curves, make_result, seq_error)


# --- got10k toolkit, OTB/UAV123/NfS experiments ----------------------------------------------------------

def _prepare(s: SequenceInput, dataset_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as ``ExperimentOTB.report`` reads it: equal lengths asserted, frame 0 = GT; ``uav``
    (``ExperimentUAV123``) drops the frames whose ground truth is NaN."""
    gt = check_boxes(s.gt, "got10k", s.name, "ground-truth")
    pred = check_boxes(s.pred, "got10k", s.name, "predicted")
    if len(pred) < 2:
        raise seq_error("got10k", s.name, f"{len(pred)} predicted row(s); the official toolkit cannot read "
                        "single-row files (np.loadtxt gives a 1-D array) and crashes")
    if len(pred) != len(gt):
        raise seq_error("got10k", s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                        "the official toolkit asserts equal lengths")
    pred = pred.copy()
    pred[0] = gt[0]
    if dataset_mode == "uav":
        keep = ~np.isnan(gt).any(1)
        gt, pred = gt[keep], pred[keep]
    return gt, pred


@register_protocol("got10k", kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "precision", "op50"],
                   source="PyPI got10k 0.1.3 ExperimentOTB / ExperimentUAV123 / ExperimentNfS",
                   description="got10k toolkit OTB-style report: frame 0 = GT, continuous IoU (+eps), no "
                               "validity rules; dataset 'uav' drops NaN-GT frames")
def got10k(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    proto = "got10k"
    # clean inputs have no NaN ground truth: the 'uav' branch keeps every frame too, and 'P0' is _prepare
    F = frames_of(sequences, lambda s: _prepare(s, dataset_mode))
    n = len(sequences)
    lengths, seg = F.lengths.tolist(), F.seg
    # the IoU values too, in the same pass: got10k-val pools them (computed once, not again there)
    F.prepare([("iou_eps", "P0", None, None), ("iou_eps", "P0", G10K_OVERLAP_THR, ">"),
               ("err", "P0", CENTER_THR, "<=")])
    with np.errstate(all="ignore"):
        denom = np.asarray(lengths, dtype=np.float64)[:, None]
        succ = hist_curves(F.ranks("iou_eps", "P0", G10K_OVERLAP_THR, ">"), seg, n, len(G10K_OVERLAP_THR),
                           ">") / denom
        # the same centre errors as pytracking / MATLAB on the same boxes: shared ranks
        prec = hist_curves(F.ranks("err", "P0", CENTER_THR, "<="), seg, n, len(CENTER_THR), "<=") / denom
    succ_curve, prec_curve = succ.mean(0), prec.mean(0)
    metrics = {"auc": np.mean(succ_curve), "precision": prec_curve[20], "op50": succ_curve[10],
               "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(prec[i, 20]),
                "op50": float(succ[i, 10])} for i, s in enumerate(sequences)]
    # ExperimentNfS scores exactly like ExperimentOTB; only the UAV123 experiment differs.
    variant = "ExperimentUAV123" if dataset_mode == "uav" else "ExperimentOTB"
    return make_result(proto, dataset_mode, metrics, sequences, per_seq,
                       {"success": (G10K_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve)},
                       {"auc": seq_auc, "precision": prec[:, 20], "op50": succ[:, 10], "op75": succ[:, 15]},
                       {"variant": variant, "first_frame": "replaced by ground truth",
                        "iou": "continuous, inter / (union + eps), clipped to [0, 1]",
                        "success": "iou > t, t = np.linspace(0, 1, 21)", "precision": "centre error <= 20 px",
                        "valid_frames": ("frames with NaN GT removed from numerator and denominator"
                                         if dataset_mode == "uav" else "all frames count (no validity rule)"),
                        "sequence_average": "mean of per-sequence curves"})


# --- got10k toolkit, GOT-10k val -------------------------------------------------------------------------

def _clip_to_image(b: np.ndarray, w: float, h: float) -> None:
    """got10k ``rect_iou(bound=...)`` clipping, in place and in the same order (x first, then w from x)."""
    b[:, 0] = np.clip(b[:, 0], 0, w)
    b[:, 1] = np.clip(b[:, 1], 0, h)
    b[:, 2] = np.clip(b[:, 2], 0, w - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, h - b[:, 1])


def _prepare_val(s: SequenceInput) -> tuple[np.ndarray, np.ndarray]:
    """One sequence as ``ExperimentGOT10k.report`` scores it: every repetition's frames after the first,
    boxes and annotation clipped to the image, only ``cover > 0`` frames; the repetitions back to back
    (the annotation repeated), so the pooled IoUs are the engine's 'iou_eps' of these boxes."""
    proto = "got10k-val"
    gt = check_boxes(s.gt, proto, s.name, "ground-truth").copy()
    runs = [check_boxes(s.pred, proto, s.name, "predicted")] + [
        check_boxes(r, proto, s.name, f"repetition {k + 2}") for k, r in enumerate(s.extra_preds)]
    for k, r in enumerate(runs):
        if r.shape != gt.shape:
            raise seq_error(proto, s.name, f"repetition {k + 1} has {len(r)} boxes for {len(gt)} annotated "
                            "frames; the official toolkit asserts equal shapes")
    cover = s.flag("cover")
    keep = (fit_flag(cover, len(gt))[1:] > 0) if cover is not None else np.ones(len(gt) - 1, bool)
    anno = gt[1:]
    boxes = []
    with np.errstate(all="ignore"):
        for r in runs:
            b = r[1:].copy()
            if s.image_size is not None:
                w, h = float(s.image_size[0]), float(s.image_size[1])
                _clip_to_image(b, w, h)
                _clip_to_image(anno, w, h)  # the toolkit clips the annotation in place too (idempotent)
            boxes.append(b[keep])
    return np.concatenate([anno[keep]] * len(runs)), np.concatenate(boxes)


@register_protocol("got10k-val", kind="ope", needs=("boxes",), main_metric="ao",
                   metrics=["ao", "sr50", "sr75"],
                   source="PyPI got10k 0.1.3 ExperimentGOT10k(subset='val').report",
                   description="GOT-10k toolkit (val): frame 0 excluded, boxes clipped to the image, cover>0 "
                               "frames only, frames of all sequences and repetitions pooled; AO/SR0.5/SR0.75")
def got10k_val(sequences: list[SequenceInput], dataset_mode: str = "got10k") -> EvalResult:
    proto = "got10k-val"
    thr = G10K_VAL_THR
    notes = []
    for s in sequences:   # in the order the toolkit's report meets them
        if s.flag("cover") is None and "no cover labels" not in " ".join(notes):
            notes.append("no cover labels: all frames after the first are scored")
        if s.image_size is None and "no image size" not in " ".join(notes):
            notes.append("no image size: boxes are not clipped to the image")
    if all(not s.extra_preds and s.flag("cover") is None and s.image_size is None for s in sequences):
        # one run per sequence, no cover labels, no image size: on clean inputs every frame after the first,
        # unclipped, i.e. 'P0' less each sequence's first frame (the IoUs got10k computed, shared)
        F = frames_of(sequences, _prepare_val)
    else:
        F = Frames.prepared_by(list(sequences), _prepare_val)
    k = F.ranks("iou_eps", "P0", thr, ">")
    above = hist_curves(k, F.seg, len(sequences), len(thr), ">")   # per sequence: exact counts of iou > thr[j]
    if F.prepared:
        pooled, n_scored = F.of("iou_eps", "P0"), F.lengths
    else:   # less each sequence's first frame
        pooled, n_scored = F.of("iou_eps", "P0")[~F.get("first_frame")], F.lengths - 1
        above -= k[F.starts][:, None] > np.arange(len(thr))[None, :]
    bounds = np.concatenate(([0], np.cumsum(n_scored))).tolist()
    reps = [1 + len(s.extra_preds) for s in sequences]
    per_seq, seq_ao, seq_n, sr75_seq = [], [], [], []
    for i, (s, a, b) in enumerate(zip(sequences, bounds[:-1], bounds[1:])):
        n = b - a   # np.mean(x > t) of a sequence's frames: exact count / n, as np.mean gives
        ao = float(np.mean(pooled[a:b])) if n else float("nan")
        sr = float(above[i, 50] / n) if n else float("nan")
        per_seq.append({"name": s.name, "ao": ao, "sr50": sr, "length": len(s.gt) - 1, "repetitions": reps[i]})
        seq_ao.append(ao)
        seq_n.append(n)
        sr75_seq.append(float(above[i, 75] / n) if n else float("nan"))
    if len(pooled):   # np.mean(ious[:, None] > thr, axis=0): exact integer counts over the same divisor
        curve = above.sum(0).astype(np.float64) / len(pooled)
    else:
        curve = np.mean(pooled[:, None] > thr[None, :], axis=0)
    metrics = {"ao": np.mean(pooled), "sr50": curve[50], "sr75": curve[75]}
    sr50_seq = [d["sr50"] for d in per_seq]
    return make_result(proto, dataset_mode, metrics, sequences, per_seq, {"success": (G10K_VAL_THR, curve)},
                       {"ao": seq_ao, "sr50": sr50_seq, "sr75": sr75_seq},
                       {"first_frame": "excluded", "iou": "continuous, inter / (union + eps), boxes clipped to image",
                        "visible_frames": "cover > 0", "sr75": "success curve at index 75 (iou > 0.75)",
                        "sequence_average": "frames of all sequences and repetitions pooled"},
                       seq_weights={"ao": seq_n, "sr50": seq_n, "sr75": seq_n}, notes=notes)



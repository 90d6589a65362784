"""The ``example_op50`` protocol: mean over sequences of the fraction of frames (after the first) whose
box overlaps the ground truth with IoU above 0.5. Frames whose ground truth is unknown (NaN) are skipped."""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.metrics import EvalResult, SequenceInput


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def op50(sequences: list[SequenceInput], dataset_mode: str = "otb", **options: Any) -> EvalResult:
    """Success rate at IoU > 0.5, frame 0 excluded, sequences weighted equally."""
    names, values = [], []
    for seq in sequences:
        gt = np.asarray(seq.gt, dtype=np.float64)[1:]
        pred = np.asarray(seq.pred, dtype=np.float64)[1:len(seq.gt)]
        n = min(len(gt), len(pred))
        gt, pred = gt[:n], pred[:n]
        valid = np.isfinite(gt).all(1)
        values.append(float((_iou(pred[valid], gt[valid]) > 0.5).mean()) if valid.any() else 0.0)
        names.append(seq.name)
    v = np.asarray(values)
    return EvalResult("example_op50", dataset_mode, {"op50": float(v.mean()) if len(v) else float("nan")},
                      sequence_names=names, seq_values={"op50": v}, seq_weights={"op50": np.ones_like(v)},
                      per_sequence=[{"sequence": n, "op50": x} for n, x in zip(names, values)])


op50.bench_meta = {"kind": "ope", "metrics": ["op50"], "needs": ("boxes",), "main_metric": "op50",
                   "description": "example plugin: success rate at IoU > 0.5, frame 0 excluded"}

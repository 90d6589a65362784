"""Metric inputs from result files: ground truth paired with a tracker's boxes or VOT trajectories.

Files are read in one batch (one parse of all files) and checked row by row only when the fast parse finds
something wrong, so a bad row is still reported as ``file:line``.

First lines: SiamRPN's OTB files start with ``x1,y1,x2,y2``; every protocol except ``pysot`` replaces
frame 0 by the ground truth, so this matters for ``pysot`` only, and it is scored as written (pysot reads
it as written too).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from bench.core.errors import ResultsError
from bench.core.io import load_many_boxes
from bench.evaluation.discovery import TrackerResults
from bench.metrics import SequenceInput


def read_box_files(paths: list[Path]) -> list[np.ndarray]:
    """Load many ``x,y,w,h`` files at once (one vectorised parse); values and errors as ``load_boxes``."""
    return load_many_boxes(paths)


# --- ground truth + results -> SequenceInputs --------------------------------------------------------------

def load_ground_truth(dataset: Any, names: list[str] | None = None) -> list[Any]:
    """The dataset adapter's sequences (annotations only; frames are never decoded here)."""
    names = list(dataset.names()) if names is None else names
    load_many = getattr(dataset, "load_many", None)   # adapters that parse all annotation files in one batch
    if load_many is not None:
        return list(load_many(names))
    return [dataset.load(n) for n in names]


def build_inputs(sequences: list[Any], tracker: TrackerResults, repetitions: bool = False,
                 max_frames: int | None = None) -> list[SequenceInput]:
    """Pair each ground-truth sequence with the tracker's boxes; a missing file is an error naming it.

    ``max_frames``: the results come from ``bench run --max-frames N`` and cover the first N frames only.
    """
    main, extra_idx = [], []
    for s in sequences:
        paths = tracker.paths_for(s.name)
        if not paths:
            raise ResultsError(f"{tracker.folder / (s.name + '.txt')}: missing results of tracker {tracker.name} "
                               f"for sequence {s.name}")
        main.append(paths[0])
        extra_idx.append(paths[1:] if repetitions else [])
    flat_extra = [p for ps in extra_idx for p in ps]
    boxes = read_box_files(main + flat_extra)
    preds, extras = boxes[:len(main)], iter(boxes[len(main):])
    return [sequence_input(s, pred, [next(extras) for _ in ex], max_frames=max_frames)
            for s, pred, ex in zip(sequences, preds, extra_idx)]


def sequence_input(seq: Any, pred: np.ndarray, extra_preds: list[np.ndarray] | None = None,
                   max_frames: int | None = None) -> SequenceInput:
    """What the metrics need of one dataset sequence and a tracker's boxes for it.

    ``max_frames`` scores only the first frames (a run made with ``bench run --max-frames``). VOT
    sequences hand over their raw regions (polygons, masks), so overlaps use them rather than boxes.
    """
    gt, flags = seq.ground_truth, dict(seq.flags)
    if max_frames is not None:
        gt = gt[:max_frames]
        flags = {k: (v[:max_frames] if getattr(v, "ndim", 0) == 1 and len(v) == len(seq.ground_truth) else v)
                 for k, v in flags.items()}
    extra = {}
    regions = (getattr(seq, "extra", None) or {}).get("regions")
    if regions is not None:
        extra["regions"] = regions[:max_frames] if max_frames is not None else regions
    return SequenceInput(name=seq.name, gt=gt, pred=pred, flags=flags, image_size=_image_size(seq),
                         extra_preds=list(extra_preds or []), attributes=dict(getattr(seq, "attributes", {}) or {}),
                         extra=extra)


def build_vot_inputs(sequences: list[Any], tracker: TrackerResults) -> list[SequenceInput]:
    """VOT result files (``<seq>/<seq>_001.txt``: region per line, ``1`` init, ``2`` failure, ``0`` skipped)
    as trajectories: the first run is both ``pred`` (what the reset-based protocols read, with the
    repetitions ``_002``... as ``extra_preds``) and ``extra["trajectory"]`` (what vot2020's unsupervised
    experiment reads), so one input serves every VOT protocol. The VOT2020 multistart experiment (anchor
    runs) is scored from a vot-toolkit workspace by ``bench vot analyse``."""
    from bench.metrics.vot2018 import read_reset_trajectory

    inputs = []
    for s in sequences:
        paths = tracker.paths_for(s.name)
        if not paths:
            raise ResultsError(f"{tracker.folder / s.name / (s.name + '_001.txt')}: missing results of tracker "
                               f"{tracker.name} for sequence {s.name}")
        trajs = [read_reset_trajectory(p) for p in paths]
        extra: dict[str, Any] = {"trajectory": trajs[0]}
        regions = (getattr(s, "extra", None) or {}).get("regions")
        if regions is not None:
            extra["regions"] = regions
        inputs.append(SequenceInput(name=s.name, gt=s.ground_truth, pred=trajs[0], flags=dict(s.flags),
                                    image_size=_image_size(s), extra_preds=trajs[1:],
                                    attributes=dict(getattr(s, "attributes", {}) or {}), extra=extra))
    return inputs


def _image_size(seq: Any) -> tuple[int, int] | None:
    attrs = getattr(seq, "attributes", {}) or {}
    for key in ("resolution", "image_size"):
        v = attrs.get(key) if isinstance(attrs, dict) else None
        if v is not None:
            try:
                w, h = (int(x) for x in (v if not isinstance(v, str) else re.findall(r"\d+", v))[:2])
                return (w, h)
            except (TypeError, ValueError):
                pass
    if isinstance(attrs, dict) and "width" in attrs and "height" in attrs:
        return (int(attrs["width"]), int(attrs["height"]))
    return None

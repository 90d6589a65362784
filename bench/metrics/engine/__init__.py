"""The one engine every OPE protocol runs on; the protocols' modules state only their toolkit's rules.

* :mod:`.curves`: the threshold grids, each value's rank among them, per-sequence curves from the ranks,
  and :func:`shared_frames` (the cache the protocols of ``bench evaluate --protocol all`` share);
* :mod:`.boxes`: per-frame expressions (IoU forms, centres, carry-forward, visibility flags) and the result;
* :mod:`.frames`: :class:`Frames`, all sequences concatenated once, the fast path for clean inputs.

A protocol is one code path: it hands :func:`frames_of` its sequences and its per-sequence preparation
(``prepare(seq) -> (gt, pred)``: its toolkit's checks, errors, padding, repairs, first frame), then takes
the per-frame arrays it needs by name, e.g. ``F.ranks("iou_pixel", "Pc0", thr, ">")``: the ranks of the
pixel-inclusive IoU of the predictions with zero-size rows carried forward and frame 0 = ground truth.
Clean inputs (the usual case) never run ``prepare``: the engine applies the same preparation to all frames
at once and shares the arrays between protocols; other inputs are scored on the prepared boxes, where every
form is those boxes. Both give the same bits (tests/test_metrics_fast_path.py).
"""
from __future__ import annotations

from bench.metrics.engine.boxes import (LASOT_MODES, absent_flags, carry_forward, centers, check_boxes, fit_flag,
                                        iou_continuous, iou_pixel, joined_cols, make_result, segments_of,
                                        seq_error, stack_cols, visible_flags, visible_or_all)
from bench.metrics.engine.curves import (_GRIDS, CENTER_THR, CHUNK, G10K_OVERLAP_THR, G10K_VAL_THR, MATLAB_EPS,
                                         MATLAB_OVERLAP_THR, NORM_THR, PT_OVERLAP_THR, PYSOT_OVERLAP_THR,
                                         TNET_NORM_THR, TNET_PRECISION_THR, TNET_SUCCESS_THR, chunked_ranks,
                                         count_curves, hist_curves, ranks_of, shared_cache, shared_frames,
                                         with_ranks)
from bench.metrics.engine.frames import Frames, frames_of

_Frames = Frames               # the names tests/test_metrics*.py use
_count_curves = count_curves

__all__ = ["LASOT_MODES", "absent_flags", "carry_forward", "centers", "check_boxes", "fit_flag", "iou_continuous",
           "iou_pixel", "joined_cols", "make_result", "segments_of", "seq_error", "stack_cols", "visible_flags",
           "visible_or_all", "_GRIDS", "CENTER_THR", "CHUNK", "G10K_OVERLAP_THR", "G10K_VAL_THR", "MATLAB_EPS",
           "MATLAB_OVERLAP_THR", "NORM_THR", "PT_OVERLAP_THR", "PYSOT_OVERLAP_THR", "TNET_NORM_THR",
           "TNET_PRECISION_THR", "TNET_SUCCESS_THR", "chunked_ranks", "count_curves", "hist_curves", "ranks_of",
           "shared_cache", "shared_frames", "with_ranks", "Frames", "frames_of", "_Frames", "_count_curves"]

"""``pytracking-exclude-invalid``: the ``pytracking`` protocol with ``exclude_invalid_frames=True``.

A variant experiment, in the got10k toolkit's sense: every rule of :mod:`bench.metrics.pytracking` (the
OSTrack/STARK/SpikeTrack fork, SpikeTrack @1537db5) except the one this option changes:

* per-sequence denominator: the number of valid frames (GT ``w > 0 and h > 0``, and visible where the
  sequence carries visibility) instead of all annotated frames (``lib/test/analysis/extract_results.py``
  l.153-156: ``seq_length = valid_frame.long().sum()``); a sequence without a valid frame is an error
  ('Seq length zero', l.158-159);
* the numerators are unchanged: invalid frames still enter them as the toolkit marks them (overlap -1.0:
  failure; centre error Inf: failure, ``uav`` -1.0: success; normalised error -1.0: success; ``lasot``
  invisible: Inf, failure). So where invalid frames succeed, a precision can exceed 1.0, as the toolkit's
  does (it divides counts over all frames by the valid count). AUC, OP50 and OP75 stay in [0, 1].

The fork and upstream pytracking (visionml @7eb9e74, since commit 8c9061d) have the same option with the
same two lines; both reach it through ``plot_results``/``print_results(..., exclude_invalid_frames=True)``
(passed on by ``**kwargs``). This variant follows the fork, whose validity rule ``pytracking`` states.
"""
from __future__ import annotations

from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.metrics.pytracking import analysis

NAME = "pytracking-exclude-invalid"


@register_protocol(NAME, kind="ope", needs=("boxes",), main_metric="auc",
                   metrics=["auc", "op50", "op75", "precision", "norm_precision"],
                   source="OSTrack/STARK-family lib/test/analysis (SpikeTrack @1537db5), "
                          "extract_results(..., exclude_invalid_frames=True)",
                   description="'pytracking' with exclude_invalid_frames=True: each sequence's curves are "
                               "divided by its valid frames, not all frames")
def pytracking_exclude_invalid(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return analysis(sequences, dataset_mode, "lib", exclude_invalid_frames=True, proto=NAME)

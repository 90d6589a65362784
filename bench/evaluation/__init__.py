"""Score results folders against a dataset's ground truth, under any protocol.

- :mod:`bench.evaluation.discovery`: the one walk over a results folder (:func:`discover`,
  :func:`find_results`) into typed :class:`TrackerResults`;
- :mod:`bench.evaluation.inputs`: ground truth paired with the boxes or VOT trajectories read;
- :mod:`bench.evaluation.scoring`: the one scoring path, :func:`evaluate` (an :class:`EvaluationRequest`
  in, :class:`EvaluationReport` s out), used by ``bench evaluate`` and ``bench report`` alike.
"""
from bench.evaluation.discovery import (TrackerResults, discover, find_results, glob_escape, index_folder,
                                        known_dataset, results_in, same_dataset, tracker_meta)
from bench.evaluation.inputs import (build_inputs, build_vot_inputs, load_ground_truth, read_box_files,
                                     sequence_input)
from bench.evaluation.scoring import (EvaluationReport, EvaluationRequest, TrackerScore, attribute_scores,
                                      evaluate, evaluate_many, evaluate_results, main_metric, protocol_needs)

__all__ = ["EvaluationReport", "EvaluationRequest", "TrackerResults", "TrackerScore", "attribute_scores",
           "build_inputs", "build_vot_inputs", "discover", "evaluate", "evaluate_many", "evaluate_results",
           "find_results", "glob_escape", "index_folder", "known_dataset", "load_ground_truth", "main_metric",
           "protocol_needs", "read_box_files", "results_in", "same_dataset", "sequence_input", "tracker_meta"]

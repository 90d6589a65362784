"""The one scoring path: :func:`evaluate` turns an :class:`EvaluationRequest` into :class:`EvaluationReport` s.

``bench evaluate`` formats its tables and ``--json`` from the reports; ``bench report`` builds its
``ReportData`` from them (:mod:`reports.collect`), so both show the same numbers for the same files.

A request either names a results folder (found with :func:`bench.evaluation.discovery.find_results`) or
hands over folders already found (``found``, what a report does after one :func:`discover` of a whole
store). ``lenient`` is the report's reading: sequences without results are noted and left out, a tracker
whose files fail is noted (never fatal), and attribute subsets come from the sequences' own tags where
:mod:`bench.metrics.attributes` has no table for the benchmark.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.core.errors import BenchError, ConfigError, DataError
from bench.core.io import load_boxes
from bench.evaluation.discovery import TrackerResults, find_results
from bench.evaluation.inputs import build_inputs, build_vot_inputs, load_ground_truth
from bench.metrics import PROTOCOLS, EvalResult, SequenceInput, check_inputs, dataset_mode_for, default_protocol
from bench.metrics import evaluate as metric_evaluate
from bench.results import tracking_time

#: the main metric of a protocol that does not declare ``main_metric`` (first present wins)
_MAIN_KEYS = ("auc", "ao", "eao", "accuracy")


@dataclass
class EvaluationRequest:
    """What to score: results, the dataset's ground truth, protocols and options.

    ``protocols``: names (None = the benchmark's own). ``trackers``: only these. ``sequences``: ground truth
    already loaded; ``dataset_obj``: an adapter already opened. ``found``: tracker folders already
    discovered (then ``results`` only labels the report). ``timing``: also the speed from ``<seq>_time.txt``.
    """

    results: str | os.PathLike
    dataset: str
    protocols: tuple[str | None, ...] = (None,)
    trackers: tuple[str, ...] | None = None
    annotations: str | os.PathLike | None = None
    root: str | os.PathLike | None = None
    split: str | None = None
    attributes: bool = False
    bootstrap: int = 0
    seed: int = 0
    sequences: list[Any] | None = None
    dataset_obj: Any = None
    found: list[TrackerResults] | None = None
    lenient: bool = False
    timing: bool = False


@dataclass
class TrackerScore:
    """One tracker's scores on one dataset under one protocol.

    ``attributes``: ``{abbrev: {"name", "n_sequences", "metrics"}}``; ``files``: the result files read
    (provenance); ``frames``/``fps``/``device``: tracked frames and speed from the run's ``<seq>_time.txt``
    (init frames excluded), when asked.
    """

    tracker: str
    dataset: str
    folder: Path
    result: EvalResult
    attributes: dict[str, Any] = field(default_factory=dict)
    bootstrap: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    frames: int | None = None
    fps: float | None = None
    device: str | None = None

    @property
    def protocol(self) -> str:
        return self.result.protocol

    @property
    def metrics(self) -> dict[str, float]:
        return self.result.metrics

    @property
    def main_metric(self) -> str:
        return main_metric(self.result.protocol, list(self.result.metrics))

    @property
    def n_sequences(self) -> int:
        return len(self.result.per_sequence) or self.result.n_sequences

    def to_dict(self, per_sequence: bool = False) -> dict[str, Any]:
        """``bench evaluate --json``'s figures of this tracker (the keys it always wrote, plus ``main_metric``)."""
        fig = self.result.to_dict(per_sequence=per_sequence)
        fig["results_folder"] = str(self.folder)
        fig["main_metric"] = self.main_metric
        if self.attributes:
            fig["attributes"] = self.attributes
        if self.bootstrap:
            fig["bootstrap"] = self.bootstrap
        return fig


@dataclass
class EvaluationReport:
    """Every tracker's :class:`TrackerScore` for one dataset under one protocol; ``failures``: tracker ->
    why it was not scored; ``notes``: what a reader must know (left-out sequences, cut runs)."""

    dataset: str
    dataset_mode: str
    protocol: str
    settings: dict[str, Any]
    scores: list[TrackerScore] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    inputs: dict[str, list[SequenceInput]] = field(default_factory=dict, repr=False)

    def to_dict(self, per_sequence: bool = False, comparison: dict | None = None) -> dict[str, Any]:
        """``bench evaluate --json`` for one protocol: per-tracker, per-dataset figures, protocol and settings."""
        out = {"command": "evaluate", "protocol": self.protocol, "dataset": self.dataset,
               "dataset_mode": self.dataset_mode, "units": "fractions in [0, 1]", "settings": self.settings,
               "trackers": {s.tracker: {self.dataset: s.to_dict(per_sequence)} for s in self.scores}}
        if comparison is not None:
            out["comparison"] = comparison
        return out


# --- protocol facts -------------------------------------------------------------------------------------

def protocol_needs(protocol: str) -> set[str]:
    """What ``protocol`` reads of a tracker's results: ``boxes`` or ``vot_trajectories`` (and
    ``repetitions``), its ``needs`` metadata (:data:`bench.metrics.base.INPUTS`)."""
    return set(PROTOCOLS.get(protocol).meta["needs"])   # register_protocol fills it in where undeclared


def main_metric(protocol: str, present: Iterable[str] = ()) -> str:
    """The protocol's ranking metric (its ``main_metric`` metadata; else the first of AUC, AO, EAO, A present)."""
    declared = PROTOCOLS.get(protocol).meta.get("main_metric")
    if declared:
        return str(declared)
    present = list(present)
    return next((k for k in _MAIN_KEYS if k in present), present[0] if present else "")


def _check_fit(protocol: str, tr: TrackerResults) -> None:
    """Refuse results the protocol cannot score: a ``--max-frames`` run holds no whole trajectories."""
    if tr.max_frames is None:
        return
    available = {"boxes", "repetitions"}
    try:
        check_inputs(protocol, available)
    except DataError as e:
        raise DataError(f"{tr.folder / 'run.json'}: a --max-frames {tr.max_frames} run cannot be scored: "
                        f"{e}") from None


# --- the scoring path -----------------------------------------------------------------------------------

def evaluate(request: EvaluationRequest) -> list[EvaluationReport]:
    """Score every tracker of the request under each protocol: one report per protocol, in order.

    The ground truth is read once and each tracker's files once; the OPE protocols of one tracker share
    one concatenation of its boxes and the per-frame arrays they have in common
    (:func:`bench.metrics.engine.shared_frames`). Each report equals what one protocol alone gives.
    """
    from bench.metrics import bootstrap as boot
    from bench.metrics.engine import shared_frames

    r = request
    ds = r.dataset_obj if r.dataset_obj is not None else _open(r)
    default = getattr(ds, "default_protocol", None) or default_protocol(r.dataset)
    # unknown names fail before any file is read
    names = list(dict.fromkeys(PROTOCOLS.get(p or default).name for p in r.protocols))
    mode = getattr(ds, "dataset_mode", None) or dataset_mode_for(r.dataset)
    found = r.found if r.found is not None else find_results(r.results, r.dataset, r.trackers)
    label = getattr(ds, "name", r.dataset)
    notes: list[str] = []
    all_names = list(ds.names()) if r.sequences is None else [s.name for s in r.sequences]
    if r.lenient:   # only the sequences some tracker has results for
        wanted = [n for n in all_names if any(t.paths_for(n) for t in found)]
    else:
        wanted = all_names
    seqs = r.sequences if r.sequences is not None else (load_ground_truth(ds, wanted) if wanted else [])
    if not r.lenient and seqs and all(len(s.ground_truth) > 1 and np.isnan(s.ground_truth[1:]).all()
                                      for s in seqs):
        raise ConfigError(f"{ds.name}: the ground truth of this split is withheld (only first boxes); it is "
                          "scored by the benchmark's server: pack the results with `bench submit`")
    needs = {p: protocol_needs(p) for p in names}
    scores: dict[str, list[TrackerScore]] = {p: [] for p in names}
    inputs_by: dict[str, dict[str, list[SequenceInput]]] = {p: {} for p in names}
    failures: dict[str, dict[str, BenchError]] = {p: {} for p in names}
    for tr in found:   # tracker by tracker: one tracker's shared arrays are alive at a time
        try:
            mine, tr_notes = _sequences_of(tr, seqs, label, r.lenient, all_names)
        except BenchError as e:   # run.json unreadable: this tracker only
            if len(found) == 1 and not r.lenient:
                raise
            for p in names:
                failures[p][tr.name] = e
            continue
        if mine is None:
            notes.extend(tr_notes)
            continue
        box_inputs: list[SequenceInput] | BenchError | None = None
        scored: list[tuple[str, TrackerScore]] = []
        # several protocols share one tracker's per-frame arrays; one protocol keeps only what it needs
        with shared_frames() if len(names) > 1 else contextlib.nullcontext():
            for p in names:
                try:  # one tracker's bad files must not hide the others' scores
                    if "vot_trajectories" in needs[p]:
                        _check_fit(p, tr)
                        inputs = build_vot_inputs(mine, tr)
                    else:
                        if box_inputs is None:
                            try:
                                # repetitions (<seq>_002.txt ...) ride along: got10k-val pools them, the others read the first run
                                box_inputs = build_inputs(mine, tr, repetitions=True,
                                                          max_frames=tr.max_frames)
                            except BenchError as e:
                                box_inputs = e   # the same error for every box protocol, read once
                        if isinstance(box_inputs, BenchError):
                            raise box_inputs
                        inputs = box_inputs
                    res = metric_evaluate(inputs, p, mode)
                except BenchError as e:
                    if len(found) == 1 and not r.lenient:
                        raise
                    failures[p][tr.name] = e
                    continue
                inputs_by[p][tr.name] = inputs
                files = [f for s in mine for f in tr.paths_for(s.name)]
                scored.append((p, TrackerScore(tr.name, label, tr.folder, res, notes=list(tr_notes), files=files)))
        for p, sc in scored:   # outside the shared block: each attribute subset's arrays are freed once scored
            scores[p].append(sc)
            if r.attributes:
                sc.attributes = attribute_scores(inputs_by[p][tr.name], p, mode, label, lenient=r.lenient)
            if r.bootstrap:
                sc.bootstrap = boot.bootstrap_result(sc.result, n=r.bootstrap, seed=r.seed)
            if r.timing:
                sc.frames, sc.fps, sc.device = _speed(tr, [s.name for s in mine])
    reports = []
    for p in names:
        if not scores[p] and failures[p] and not r.lenient:
            raise next(iter(failures[p].values()))
        reports.append(EvaluationReport(
            dataset=label, dataset_mode=mode, protocol=p,
            settings={"results": str(r.results), "annotations": str(r.annotations) if r.annotations else None,
                      "root": str(r.root) if r.root else None, "split": r.split, "bootstrap": r.bootstrap,
                      "seed": r.seed, "n_sequences": len(seqs)},
            scores=scores[p], failures={name: str(e) for name, e in failures[p].items()}, notes=list(notes),
            inputs=inputs_by[p]))
    return reports


def _open(r: EvaluationRequest) -> Any:
    import datasets

    return datasets.create_dataset(r.dataset, root=r.root, split=r.split, annotations=r.annotations)


def _sequences_of(tr: TrackerResults, seqs: list[Any], label: str, lenient: bool,
                  all_names: list[str]) -> tuple[list[Any] | None, list[str]]:
    """The ground-truth sequences a tracker is scored on, with the notes that say what was left out."""
    if not lenient:
        return seqs, []
    who = f"{tr.name} on {tr.dataset or label}"
    mine = [s for s in seqs if tr.paths_for(s.name)]
    if not mine:
        return None, [f"{who}: no result file matches a sequence of the dataset ({tr.folder}); skipped"]
    notes = []
    if len(mine) < len(all_names):
        missing = next(n for n in all_names if not tr.paths_for(n))
        notes.append(f"{who}: {len(all_names) - len(mine)} of {len(all_names)} sequences have no results "
                     f"(e.g. {missing}); scored on the {len(mine)} present")
    if tr.max_frames is not None:
        notes.append(f"{who}: a --max-frames {tr.max_frames} run, scored on the first {tr.max_frames} frames of "
                     f"each sequence")
    return mine, notes


# --- attribute subsets ----------------------------------------------------------------------------------

def attribute_scores(inputs: list[SequenceInput], protocol: str, mode: str, benchmark: str,
                     lenient: bool = False) -> dict[str, Any]:
    """``{abbrev: {"name", "n_sequences", "metrics"}}``: the protocol on each attribute's subset.

    :mod:`bench.metrics.attributes` where it has the benchmark's table (a DataError where it has not,
    unless ``lenient``: then the subsets come from the sequences' own tags, :func:`attribute_tags`)."""
    from bench.metrics.attributes import attribute_results, family_of

    if not lenient or family_of(benchmark) is not None:
        try:
            return attribute_results(inputs, protocol, mode, benchmark=benchmark)
        except DataError:
            if not lenient:
                raise
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(inputs):
        for tag in attribute_tags(s.attributes):
            groups.setdefault(tag, []).append(i)
    out: dict[str, Any] = {}
    for attr in attribute_order(groups, benchmark):
        idx = groups[attr]
        sub = metric_evaluate([inputs[i] for i in idx], protocol=protocol, dataset_mode=mode)
        out[attr] = {"n_sequences": len(idx), "metrics": dict(sub.metrics)}
    return out


def attribute_order(names: Iterable[str], benchmark: str | None = None) -> list[str]:
    """Attribute names in the order the benchmark's record lists them (its toolkit's column order), the
    names it does not list after them, alphabetically."""
    import datasets

    names = list(names)
    record = datasets.find_benchmark(benchmark) if benchmark else None
    order = [c for c in (record.attribute_codes if record else ()) if c in names]
    return order + sorted(n for n in names if n not in order)


def attribute_tags(attrs: dict[str, Any]) -> list[str]:
    """Attribute tags of one sequence for benchmarks :mod:`bench.metrics.attributes` has no table for:
    lists of names (``{"otb": ["IV", "SV"]}``) or 0/1 flags (``{"IV": 1}``)."""
    tags: list[str] = []
    for k, v in (attrs or {}).items():
        if isinstance(v, (list, tuple, set)):
            tags.extend(str(x) for x in v)
        elif isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
            if v:
                tags.append(str(k))
    return tags


# --- speed ----------------------------------------------------------------------------------------------

def _time_file(tr: TrackerResults, seq: str) -> Path | None:
    """``<seq>_time.txt`` beside the sequence's box file (``<seq>.txt`` or GOT-10k ``<seq>/<seq>_001.txt``)."""
    paths = tr.paths_for(seq)
    if not paths:
        return None
    first = paths[0]
    stems = [first.stem] + ([first.stem[:-4]] if re.search(r"_\d{3}$", first.stem) else [])
    return next((p for p in (first.with_name(f"{s}_time.txt") for s in stems) if p.is_file()), None)


def _speed(tr: TrackerResults, sequences: list[str]) -> tuple[int, float | None, str | None]:
    """Tracked frames and FPS from the run's ``<seq>_time.txt`` files (init frames excluded), with the
    run's device."""
    frames, seconds = 0, 0.0
    for name in sequences:
        p = _time_file(tr, name)
        if p is None:
            continue
        f, s = tracking_time(load_boxes(p, columns=1)[:, 0])
        frames, seconds = frames + f, seconds + s
    if frames == 0 or seconds <= 0:
        return frames, None, None
    return frames, frames / seconds, tr.config.get("device")


# --- the calls the commands used before the request existed ----------------------------------------------

def evaluate_many(results: str | os.PathLike, dataset: str, protocols: Iterable[str | None],
                  **options: Any) -> list[EvaluationReport]:
    """:func:`evaluate` of ``EvaluationRequest(results, dataset, protocols, **options)``."""
    if options.get("trackers") is not None:
        options["trackers"] = tuple(options["trackers"])
    return evaluate(EvaluationRequest(results, dataset, tuple(protocols), **options))


def evaluate_results(results: str | os.PathLike, dataset: str, protocol: str | None = None,
                     **options: Any) -> EvaluationReport:
    """One protocol's :class:`EvaluationReport` (default: the benchmark's own)."""
    return evaluate_many(results, dataset, [protocol], **options)[0]


__all__ = ["EvaluationReport", "EvaluationRequest", "TrackerScore", "attribute_scores", "evaluate",
           "evaluate_many", "evaluate_results", "main_metric", "protocol_needs"]

"""Score raw-results folders against a dataset's ground truth, under any protocol.

Results are found in any of the layouts trackers ship them in:

* this suite's store ``<results>/<tracker>/<dataset>/<seq>.txt`` (``--results`` = the store root);
* one toolkit folder of ``<seq>.txt`` files (``--results`` = that folder; the tracker is the folder name);
* a folder of such tracker folders (``raw_results/OTB100/{ATOM,SiamFC,...}``): several trackers at once;
* GOT-10k layout ``<seq>/<seq>_001.txt`` (``_002``, ``_003`` = repetitions, used by ``got10k-val``).

Sequence names match case-insensitively with ``-``/``_`` treated as equal (``Human4-2.txt`` is
``Human4_2``). Files are read in one batch (one parse of all files) and checked row by row only when the
fast parse finds something wrong, so a bad row is still reported as ``file:line``.

First lines: SiamRPN's OTB files start with ``x1,y1,x2,y2``; every protocol except ``pysot`` replaces
frame 0 by the ground truth, so this matters for ``pysot`` only, and it is scored as written (pysot reads
it as written too).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.errors import BenchError, ConfigError, ResultsError
from bench.io import load_many_boxes
from bench.metrics import PROTOCOLS, EvalResult, SequenceInput, dataset_mode_for, default_protocol, evaluate
from bench.registry import normalise_name
from bench.results import RunFolder

_REP = re.compile(r"^(?P<seq>.+)_(?P<rep>\d{3})$")
_SKIP_SUFFIXES = ("_time", "_stats", "_confidence", "_scores")


# --- reading many box files fast ------------------------------------------------------------------------

def read_box_files(paths: list[Path]) -> list[np.ndarray]:
    """Load many ``x,y,w,h`` files at once (one vectorised parse); values and errors as ``load_boxes``."""
    return load_many_boxes(paths)


# --- finding results -------------------------------------------------------------------------------------

@dataclass
class TrackerResults:
    """One tracker's results for one dataset.

    ``files``: normalised sequence name -> files, repetition 1 first (``<seq>.txt``, or ``<seq>_001.txt``,
    ``<seq>_002.txt``, ... flat or in ``<seq>/``). ``plain``: every ``<stem>.txt`` by its full normalised
    stem, so a sequence whose own name ends in ``_001`` still finds its file.
    """

    name: str
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    plain: dict[str, Path] = field(default_factory=dict)

    def paths_for(self, seq: str) -> list[Path]:
        key = normalise_name(seq)
        if key in self.files:
            return self.files[key]
        return [self.plain[key]] if key in self.plain else []


def _rep_number(p: Path) -> int:
    m = _REP.match(p.stem)
    return 0 if m is None else int(m["rep"])


def _index_folder(folder: Path) -> tuple[dict[str, list[Path]], dict[str, Path]]:
    """Result files in ``folder``: ``<seq>.txt``, ``<seq>_00r.txt`` or ``<seq>/<seq>_00r.txt`` (GOT-10k)."""
    files: dict[str, list[Path]] = {}
    plain: dict[str, Path] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return files, plain
    for e in entries:
        name = e.name
        if e.is_file() and name.endswith(".txt"):
            stem = name[:-4]
            if stem.endswith(_SKIP_SUFFIXES):
                continue
            plain[normalise_name(stem)] = Path(e.path)
            m = _REP.match(stem)
            key = normalise_name(m.group("seq")) if m and m.group("rep") != "000" else normalise_name(stem)
            files.setdefault(key, []).append(Path(e.path))
        elif e.is_dir():
            reps = sorted(Path(e.path).glob(f"{glob_escape(name)}_[0-9][0-9][0-9].txt"))
            if reps:
                files.setdefault(normalise_name(name), []).extend(reps)
    for k in files:
        files[k].sort(key=_rep_number)
        _refuse_two_files_for_one_run(files[k])
    return files, plain


def _refuse_two_files_for_one_run(paths: list[Path]) -> None:
    """``Couple.txt`` beside ``COUPLE.txt`` (or ``Human4-2.txt`` beside ``Human4_2.txt``) name one sequence:
    which one a directory listing gives first is an accident, and got10k-val would average them as two
    runs. Refuse, naming both."""
    for a, b in zip(paths, paths[1:]):
        if _rep_number(a) == _rep_number(b):
            raise ResultsError(f"{a} and {b.name}: two result files for one sequence (names match without regard "
                               f"to case and -/_); keep one")


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def find_results(results: str | os.PathLike, dataset: str,
                 trackers: Iterable[str] | None = None) -> list[TrackerResults]:
    """Every tracker with results for ``dataset`` under ``results`` (see the module docstring)."""
    root = Path(results).expanduser()
    if not root.is_dir():
        raise ResultsError(f"{root}: results folder not found")
    want = {normalise_name(t) for t in trackers} if trackers else None
    dkey = normalise_name(dataset)
    found: list[TrackerResults] = []
    own, own_plain = _index_folder(root)
    if own:
        name = root.parent.name if normalise_name(root.name) == dkey else root.name
        found.append(TrackerResults(name, root, own, own_plain))
    else:
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            ds_dir = next((d for d in sub.iterdir() if d.is_dir() and normalise_name(d.name) == dkey), None)
            folder = ds_dir if ds_dir is not None else sub
            if ds_dir is None and (sub / "baseline").is_dir():   # VOT workspace: <tracker>/baseline/<seq>/
                folder = sub / "baseline"
            files, plain = _index_folder(folder)
            if files:
                found.append(TrackerResults(sub.name, folder, files, plain))
    if want is not None:
        found = [t for t in found if normalise_name(t.name) in want]
        missing = want - {normalise_name(t.name) for t in found}
        if missing:
            raise ResultsError(f"{root}: no results of tracker(s) {', '.join(sorted(missing))} for {dataset}")
    if not found:
        raise ResultsError(f"{root}: no result files (<seq>.txt) for dataset {dataset} here, in <tracker>/ or in "
                           f"<tracker>/{dataset}/")
    return found


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


def build_vot_inputs(sequences: list[Any], tracker: TrackerResults, protocol: str) -> list[SequenceInput]:
    """VOT result files (``<seq>/<seq>_001.txt``: region per line, ``1`` init, ``2`` failure, ``0`` skipped)
    as trajectories; repetitions ``_002``... for the reset-based protocols. The VOT2020 multistart
    experiment (anchor runs) is scored from a vot-toolkit workspace by ``bench vot analyse``; here vot2020
    scores one run from frame 0 (its unsupervised experiment)."""
    from bench.metrics.vot2018 import read_reset_trajectory

    inputs = []
    for s in sequences:
        paths = tracker.paths_for(s.name)
        if not paths:
            raise ResultsError(f"{tracker.folder / s.name / (s.name + '_001.txt')}: missing results of tracker "
                               f"{tracker.name} for sequence {s.name}")
        trajs = [read_reset_trajectory(p) for p in paths]
        extra: dict[str, Any] = {}
        regions = (getattr(s, "extra", None) or {}).get("regions")
        if regions is not None:
            extra["regions"] = regions
        if protocol == "vot2020":
            extra["trajectory"] = trajs[0]
            pred, more = None, []
        else:
            pred, more = trajs[0], trajs[1:]
        inputs.append(SequenceInput(name=s.name, gt=s.ground_truth, pred=pred, flags=dict(s.flags),
                                    image_size=_image_size(s), extra_preds=more,
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


# --- the whole evaluation --------------------------------------------------------------------------------

@dataclass
class TrackerEvaluation:
    tracker: str
    folder: Path
    result: EvalResult
    attributes: dict[str, Any] = field(default_factory=dict)
    bootstrap: dict[str, Any] = field(default_factory=dict)


def evaluate_results(results: str | os.PathLike, dataset: str, protocol: str | None = None,
                     annotations: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
                     split: str | None = None, trackers: Iterable[str] | None = None,
                     attributes: bool = False, bootstrap: int = 0, seed: int = 0,
                     sequences: list[Any] | None = None, dataset_obj: Any = None) -> dict[str, Any]:
    """Score every tracker found under ``results`` on ``dataset`` under one protocol (default: the
    benchmark's own).

    Returns a report dict: dataset, protocol, settings, ``evaluations`` (one :class:`TrackerEvaluation`
    per tracker), ``failures`` and the ``inputs`` built; ``bench.commands.evaluate.to_json`` turns it into JSON.
    """
    return evaluate_many(results, dataset, [protocol], annotations=annotations, root=root, split=split,
                         trackers=trackers, attributes=attributes, bootstrap=bootstrap, seed=seed,
                         sequences=sequences, dataset_obj=dataset_obj)[0]


def evaluate_many(results: str | os.PathLike, dataset: str, protocols: Iterable[str | None],
                  annotations: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
                  split: str | None = None, trackers: Iterable[str] | None = None,
                  attributes: bool = False, bootstrap: int = 0, seed: int = 0,
                  sequences: list[Any] | None = None, dataset_obj: Any = None) -> list[dict[str, Any]]:
    """:func:`evaluate_results` for several protocols at once (``bench evaluate --protocol all``): one
    report per protocol, in order.

    The ground truth is read once and each tracker's files once; the OPE protocols of one tracker share
    one concatenation of its boxes and the per-frame arrays they have in common
    (:func:`bench.metrics.ope.shared_frames`). Each report equals what :func:`evaluate_results` gives alone.
    """
    from bench.metrics import attributes as attr_mod
    from bench.metrics import bootstrap as boot
    from bench.metrics.ope import shared_frames

    ds = dataset_obj
    if ds is None:
        import datasets

        ds = datasets.create_dataset(dataset, root=root, split=split, annotations=annotations)
    default = getattr(ds, "default_protocol", None) or default_protocol(dataset)
    # unknown names fail before any file is read
    names = list(dict.fromkeys(PROTOCOLS.get(p or default).name for p in protocols))
    mode = getattr(ds, "dataset_mode", None) or dataset_mode_for(dataset)
    found = find_results(results, dataset, trackers)
    seqs = sequences if sequences is not None else load_ground_truth(ds)
    if seqs and all(len(s.ground_truth) > 1 and np.isnan(s.ground_truth[1:]).all() for s in seqs):
        raise ConfigError(f"{ds.name}: the ground truth of this split is withheld (only first boxes); it is "
                          "scored by the benchmark's server: pack the results with `bench submit`")
    vot = {p: PROTOCOLS.get(p).meta.get("kind") == "vot" for p in names}
    repetitions = "got10k-val" in names   # the other OPE protocols ignore the extra runs
    evals: dict[str, list[TrackerEvaluation]] = {p: [] for p in names}
    inputs_by: dict[str, dict[str, list[SequenceInput]]] = {p: {} for p in names}
    failures: dict[str, dict[str, BenchError]] = {p: {} for p in names}
    for tr in found:   # tracker by tracker: one tracker's shared arrays are alive at a time
        max_frames = RunFolder(tr.folder).max_frames
        ope_inputs: list[SequenceInput] | BenchError | None = None
        scored: list[tuple[str, TrackerEvaluation]] = []
        with shared_frames():
            for p in names:
                try:  # one tracker's bad files must not hide the others' scores
                    if vot[p]:
                        inputs = build_vot_inputs(seqs, tr, p)
                    else:
                        if ope_inputs is None:
                            try:
                                ope_inputs = build_inputs(seqs, tr, repetitions=repetitions, max_frames=max_frames)
                            except BenchError as e:
                                ope_inputs = e   # the same error for every OPE protocol, read once
                        if isinstance(ope_inputs, BenchError):
                            raise ope_inputs
                        inputs = ope_inputs
                    res = evaluate(inputs, p, mode)
                except BenchError as e:
                    if len(found) == 1:
                        raise
                    failures[p][tr.name] = e
                    continue
                inputs_by[p][tr.name] = inputs
                scored.append((p, TrackerEvaluation(tr.name, tr.folder, res)))
        for p, ev in scored:   # outside the shared block: each attribute subset's arrays are freed once scored
            evals[p].append(ev)
            if attributes:
                ev.attributes = attr_mod.attribute_results(inputs_by[p][tr.name], p, mode, benchmark=ds.name)
            if bootstrap:
                ev.bootstrap = boot.bootstrap_result(ev.result, n=bootstrap, seed=seed)
    reports = []
    for p in names:
        if not evals[p]:
            raise next(iter(failures[p].values()))
        reports.append({
            "command": "evaluate",
            "dataset": ds.name,
            "dataset_mode": mode,
            "protocol": p,
            "settings": {"results": str(results), "annotations": str(annotations) if annotations else None,
                         "root": str(root) if root else None, "split": split, "bootstrap": bootstrap,
                         "seed": seed, "n_sequences": len(seqs)},
            "evaluations": evals[p],
            "failures": {name: str(e) for name, e in failures[p].items()},
            "inputs": inputs_by[p],
        })
    return reports

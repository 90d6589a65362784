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

import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.errors import DataError, ResultsError
from bench.io import load_boxes
from bench.metrics import PROTOCOLS, EvalResult, SequenceInput, dataset_mode_for, default_protocol, evaluate
from bench.registry import normalise_name

_REP = re.compile(r"^(?P<seq>.+)_(?P<rep>\d{3})$")
_SKIP_SUFFIXES = ("_time", "_stats", "_confidence", "_scores")
_FAST_BYTES = b"0123456789,-\n"
_WS = bytes.maketrans(b",\t;\r", b"    ")


# --- reading many box files fast ------------------------------------------------------------------------

def read_box_files(paths: list[Path]) -> list[np.ndarray]:
    """Load many ``x,y,w,h`` files at once; same values (bit for bit) and same errors as ``load_boxes``.

    All files are parsed in one call (pandas' C reader for plain integer CSV, ``np.fromstring`` -- a
    correctly rounded strtod -- otherwise); any file whose row count does not come out right is re-read
    with :func:`bench.io.load_boxes`, which names the bad file and line.
    """
    texts, rows = [], []
    for p in paths:
        try:
            data = Path(p).read_bytes().rstrip()
        except FileNotFoundError:
            raise DataError(f"{p}: file not found") from None
        except IsADirectoryError:
            raise DataError(f"{p}: is a folder, expected a text file") from None
        texts.append(data)
        rows.append(data.count(b"\n") + 1 if data else 0)
    if not paths:
        return []
    blob = b"\n".join(t for t in texts if t)
    flat = _parse_blob(blob, sum(rows))
    if flat is None:
        return [load_boxes(p) for p in paths]  # slow path: exact error messages
    out, start = [], 0
    for n in rows:
        out.append(flat[start:start + n])
        start += n
    return out


def _parse_blob(blob: bytes, n_rows: int) -> np.ndarray | None:
    """All rows of all files as (n_rows, 4), or None when anything looks wrong (then: slow exact path)."""
    if not blob:
        return np.zeros((0, 4))
    if not blob.translate(None, _FAST_BYTES) and b"\n\n" not in blob:
        import pandas as pd

        try:
            df = pd.read_csv(io.BytesIO(blob), sep=",", header=None, skip_blank_lines=False)
            arr = df.to_numpy(dtype=np.float64)
        except Exception:
            return None
        if arr.shape != (n_rows, 4) or np.isnan(arr).any():
            return None
        return arr
    text = blob.translate(_WS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            flat = np.fromstring(text, sep=" ")  # text mode: a correctly rounded strtod
        except ValueError:
            return None
    if flat.size != 4 * n_rows:
        return None
    # every line must hold exactly 4 values: count token starts per line
    buf = np.frombuffer(text, dtype=np.uint8)
    newline = buf == 10
    sep = newline | (buf == 32)
    starts = ~sep
    starts[1:] &= sep[:-1]
    bounds = np.concatenate(([0], np.flatnonzero(newline), [len(buf)]))
    per_line = np.diff(np.searchsorted(np.flatnonzero(starts), bounds))
    if per_line.shape[0] != n_rows or (per_line != 4).any():
        return None
    return flat.reshape(n_rows, 4)


# --- finding results -------------------------------------------------------------------------------------

@dataclass
class TrackerResults:
    """One tracker's results for one dataset: normalised sequence name -> files (first = repetition 1)."""

    name: str
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)

    def paths_for(self, seq: str) -> list[Path]:
        return self.files.get(normalise_name(seq), [])


def _index_folder(folder: Path) -> dict[str, list[Path]]:
    """Result files in ``folder``: ``<seq>.txt`` or ``<seq>/<seq>_00r.txt`` (GOT-10k layout)."""
    files: dict[str, list[Path]] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return files
    for e in entries:
        name = e.name
        if e.is_file() and name.endswith(".txt"):
            stem = name[:-4]
            if stem.endswith(_SKIP_SUFFIXES):
                continue
            m = _REP.match(stem)
            if m and m.group("rep") != "000":
                files.setdefault(normalise_name(m.group("seq")), []).append(Path(e.path))
            else:
                files.setdefault(normalise_name(stem), []).insert(0, Path(e.path))
        elif e.is_dir():
            reps = sorted(Path(e.path).glob(f"{glob_escape(name)}_[0-9][0-9][0-9].txt"))
            if reps:
                files.setdefault(normalise_name(name), []).extend(reps)
    for k in files:
        files[k] = sorted(files[k], key=lambda p: (0 if _REP.match(p.stem) is None else int(_REP.match(p.stem)["rep"])))
    return files


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
    own = _index_folder(root)
    if own:
        name = root.parent.name if normalise_name(root.name) == dkey else root.name
        found.append(TrackerResults(name, root, own))
    else:
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            ds_dir = next((d for d in sub.iterdir() if d.is_dir() and normalise_name(d.name) == dkey), None)
            folder = ds_dir if ds_dir is not None else sub
            files = _index_folder(folder)
            if files:
                found.append(TrackerResults(sub.name, folder, files))
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
    return [dataset.load(n) for n in names]


def build_inputs(sequences: list[Any], tracker: TrackerResults, repetitions: bool = False) -> list[SequenceInput]:
    """Pair each ground-truth sequence with the tracker's boxes; a missing file is an error naming it."""
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
    inputs = []
    for s, pred, ex in zip(sequences, preds, extra_idx):
        size = _image_size(s)
        inputs.append(SequenceInput(name=s.name, gt=s.ground_truth, pred=pred, flags=dict(s.flags),
                                    image_size=size, extra_preds=[next(extras) for _ in ex],
                                    attributes=dict(getattr(s, "attributes", {}) or {})))
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
    """Score every tracker found under ``results`` on ``dataset``; returns a JSON-able report."""
    from bench.metrics import attributes as attr_mod
    from bench.metrics import bootstrap as boot

    ds = dataset_obj
    if ds is None:
        import datasets

        ds = datasets.create_dataset(dataset, root=root, split=split, annotations=annotations)
    protocol = protocol or getattr(ds, "default_protocol", None) or default_protocol(dataset)
    protocol = PROTOCOLS.get(protocol).name  # unknown names fail before any file is read
    mode = getattr(ds, "dataset_mode", None) or dataset_mode_for(dataset)
    found = find_results(results, dataset, trackers)
    seqs = sequences if sequences is not None else load_ground_truth(ds)
    repetitions = protocol == "got10k-val"
    evals: list[TrackerEvaluation] = []
    inputs_by_tracker: dict[str, list[SequenceInput]] = {}
    for tr in found:
        inputs = build_inputs(seqs, tr, repetitions=repetitions)
        inputs_by_tracker[tr.name] = inputs
        res = evaluate(inputs, protocol, mode)
        ev = TrackerEvaluation(tr.name, tr.folder, res)
        if attributes:
            ev.attributes = attr_mod.attribute_results(inputs, protocol, mode, benchmark=ds.name)
        if bootstrap:
            ev.bootstrap = boot.bootstrap_result(res, n=bootstrap, seed=seed)
        evals.append(ev)
    return {
        "command": "evaluate",
        "dataset": ds.name,
        "dataset_mode": mode,
        "protocol": protocol,
        "settings": {"results": str(results), "annotations": str(annotations) if annotations else None,
                     "root": str(root) if root else None, "split": split, "bootstrap": bootstrap,
                     "seed": seed, "n_sequences": len(seqs)},
        "evaluations": evals,
        "inputs": inputs_by_tracker,
    }


def evaluate_protocols(results: str | os.PathLike, dataset: str, protocols: list[str],
                       annotations: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
                       split: str | None = None, trackers: Iterable[str] | None = None
                       ) -> dict[str, dict[str, EvalResult]]:
    """Several protocols over the same results, reading every file once: ``{protocol: {tracker: result}}``."""
    import datasets

    names = [PROTOCOLS.get(p).name for p in protocols]
    ds = datasets.create_dataset(dataset, root=root, split=split, annotations=annotations)
    mode = getattr(ds, "dataset_mode", None) or dataset_mode_for(dataset)
    seqs = load_ground_truth(ds)
    found = find_results(results, dataset, trackers)
    inputs = {tr.name: build_inputs(seqs, tr, repetitions="got10k-val" in names) for tr in found}
    return {p: {t: evaluate(inp, p, mode) for t, inp in inputs.items()} for p in names}

"""Finding results: the one walk over a results folder that ``bench evaluate`` and ``bench report`` share.

Layouts read (each yields one :class:`TrackerResults` per (tracker, dataset)):

* this suite's store ``<results>/<run>/<dataset>/<seq>.txt`` with ``run.json`` (and ``profile.json`` from
  ``bench profile``, ``<seq>_stats.json`` from ``bench run``) -- see :mod:`bench.results`;
* one toolkit folder of ``<seq>.txt`` files (the tracker is the folder's name; the store's run folder
  ``<run>/<dataset>/`` is named after its run);
* a folder of such tracker folders for one dataset (``raw_results/OTB100/{ATOM,SiamFC,...}``), or a folder
  of such dataset folders (``raw_results/<DATASET>/<Tracker>/``);
* GOT-10k ``<seq>/<seq>_001.txt`` (``_002``, ``_003`` = repetitions) and VOT workspaces
  ``<Tracker>/baseline/<seq>/<seq>_001.txt`` (reset-based runs).

Sequence names match case-insensitively with ``-``/``_`` treated as equal (``Human4-2.txt`` is ``Human4_2``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from bench.core.errors import ConfigError, ResultsError
from bench.core.io import read_json
from bench.core.registry import normalise_name
from bench.results import RunFolder

_REP = re.compile(r"^(?P<seq>.+)_(?P<rep>\d{3})$")
_SKIP_SUFFIXES = ("_time", "_stats", "_confidence", "_scores")
PROFILE_FILE = "profile.json"
STATS_SUFFIX = "_stats.json"
#: the sub-folder of a VOT toolkit workspace that holds the reset-based (baseline) experiment
VOT_BASELINE = "baseline"


@dataclass
class TrackerResults:
    """One tracker's results for one dataset, with what describes them.

    ``files``: normalised sequence name -> files, repetition 1 first (``<seq>.txt``, or ``<seq>_001.txt``,
    ``<seq>_002.txt``, ... flat or in ``<seq>/``). ``plain``: every ``<stem>.txt`` by its full normalised
    stem, so a sequence whose own name ends in ``_001`` still finds its file. ``dataset``: the dataset the
    folder's layout names (None where the caller named it). ``manifest``: ``run.json`` (empty for other
    toolkits' folders); ``profile``: its ``profile.json``, if any.
    """

    name: str
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    plain: dict[str, Path] = field(default_factory=dict)
    dataset: str | None = None
    manifest: dict = field(default_factory=dict)
    profile: Path | None = None

    @property
    def tracker(self) -> str:
        return self.name

    @property
    def has_boxes(self) -> bool:
        return bool(self.files or self.plain)

    @property
    def config(self) -> dict:
        """``run.json``'s ``config`` (empty for other toolkits' folders)."""
        cfg = self.manifest.get("config") if isinstance(self.manifest, dict) else None
        return cfg if isinstance(cfg, dict) else {}

    @property
    def max_frames(self) -> int | None:
        """``bench run --max-frames N``: only the first N frames of each sequence were tracked."""
        return RunFolder(self.folder).max_frames

    def paths_for(self, seq: str) -> list[Path]:
        key = normalise_name(seq)
        if key in self.files:
            return self.files[key]
        return [self.plain[key]] if key in self.plain else []

    def stats_files(self) -> list[Path]:
        """``<seq>_stats.json`` of a ``bench run`` (SpikeTrack trackers record firing rates there)."""
        return sorted(self.folder.glob(f"*{STATS_SUFFIX}"))


def _rep_number(p: Path) -> int:
    m = _REP.match(p.stem)
    return 0 if m is None else int(m["rep"])


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def index_folder(folder: Path) -> tuple[dict[str, list[Path]], dict[str, Path]]:
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


# --- dataset names --------------------------------------------------------------------------------------

def known_dataset(name: str) -> str | None:
    """The registered dataset a folder name stands for (``OTB100`` -> ``otb100``), else None.

    Names and aliases come from the benchmark records (``datasets.find_benchmark``)."""
    import datasets

    record = datasets.find_benchmark(name)
    return record.name if record is not None else None


def same_dataset(a: str, b: str) -> bool:
    """``a`` and ``b`` name one dataset (``OTB100`` and ``otb100``; aliases where the registry knows them)."""
    import datasets
    from datasets.registry import name_key   # the records' own spelling rule

    ra, rb = datasets.find_benchmark(a, plugins=False), datasets.find_benchmark(b, plugins=False)
    if ra is not None or rb is not None:
        # a registered record's names all resolve without the plugins (a plugin cannot take a registered
        # name or alias), so a name they do not resolve to that record never names it: no plugin import
        return ra is not None and rb is not None and ra.name == rb.name
    return name_key(known_dataset(a) or a) == name_key(known_dataset(b) or b)


# --- the walk -------------------------------------------------------------------------------------------

def _has_results(folder: Path) -> bool:
    """A folder of ``<seq>.txt`` files, a store run folder, or a GOT-10k ``<seq>/<seq>_001.txt`` folder."""
    if not folder.is_dir():
        return False
    if (folder / "run.json").is_file():
        return True
    entries = list(folder.iterdir())
    return any(p.suffix == ".txt" and p.is_file() for p in entries) or \
        any(p.is_dir() and (p / f"{p.name}_001.txt").is_file() for p in entries[:50])


def _tracker_folder(folder: Path) -> Path | None:
    """Where a tracker folder keeps its box files: itself, or ``baseline/`` in a VOT workspace."""
    if _has_results(folder):
        return folder
    vot = folder / VOT_BASELINE
    if not (vot / "run.json").is_file() and _has_results(vot):
        return vot
    return None


def results_in(folder: Path, tracker: str, dataset: str | None = None) -> TrackerResults:
    """The results of one tracker folder (a store run folder or another toolkit's folder of ``<seq>.txt``)."""
    files, plain = index_folder(folder)
    manifest = read_json(folder / "run.json") if (folder / "run.json").is_file() else {}
    prof = folder / PROFILE_FILE
    return TrackerResults(tracker, folder, files, plain, dataset, manifest if isinstance(manifest, dict) else {},
                          prof if prof.is_file() else None)


def discover(results: str | os.PathLike, datasets: Iterable[str] | None = None) -> list[TrackerResults]:
    """Every (tracker, dataset) results folder under ``results`` (see the module docstring), in folder order.

    ``datasets``: keep only these; one name also names the dataset of layouts that do not say it (a
    toolkit folder of ``<seq>.txt``). A folder holding only a ``profile.json`` is listed too (no boxes).
    Raises a ConfigError where the layout does not say the dataset and none was named; returns [] where
    nothing is found (the callers' errors say what they expected)."""
    root = Path(results).expanduser()
    if not root.is_dir():
        raise ResultsError(f"{root}: results folder not found")
    wanted = [d for d in (datasets or []) if d]
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def keep(ds: str) -> bool:
        return not wanted or any(same_dataset(ds, w) for w in wanted)

    def one_dataset(store: bool) -> str:
        dataset = wanted[0] if len(wanted) == 1 else (known_dataset(root.name) if store else None)
        if dataset is None:
            raise ConfigError(f"{root}: holds the results of one tracker; name their dataset with --dataset NAME")
        return dataset

    # one VOT workspace tracker folder: <Tracker>/baseline/<seq>/<seq>_001.txt
    own = _tracker_folder(root)
    if own is not None and own != root:
        return [results_in(own, root.name, one_dataset(False))]

    # the folder of one run: <run>/<dataset>/ of the store, one toolkit folder of <seq>.txt, or GOT-10k's
    # <seq>/<seq>_001.txt folders (its sub-folders are sequences, not trackers)
    if own is not None and (index_folder(root)[0] or not any(_tracker_folder(p) or any(
            _has_results(q) for q in p.iterdir() if q.is_dir()) for p in subdirs)):
        store = (root / "run.json").is_file() or (root / PROFILE_FILE).is_file()
        named_by_dataset = len(wanted) == 1 and same_dataset(root.name, wanted[0])
        return [results_in(root, root.parent.name if store or named_by_dataset else root.name, one_dataset(store))]

    # <dir>/<Tracker>/<seq>.txt (or <dir>/<Tracker>/baseline/...): one dataset, tracker folders directly below
    folders = {p: _tracker_folder(p) for p in subdirs}
    direct = [p for p in subdirs if folders[p] is not None and not (folders[p] / "run.json").is_file()
              and not any(_has_results(q) for q in p.iterdir() if q.is_dir() and (q / "run.json").is_file())]
    if direct and len(direct) == len([p for p in subdirs if folders[p] is not None]):
        if len(wanted) == 1:
            dataset = wanted[0]
        else:
            dataset = known_dataset(root.name)
            if dataset is None:
                raise ConfigError(f"{root}: holds one folder of results per tracker; name their dataset with "
                                  f"--dataset NAME")
            if not keep(dataset):
                return []
        return [results_in(folders[p], p.name, dataset) for p in direct]

    found: list[TrackerResults] = []
    for top in subdirs:
        for sub in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
            folder = _tracker_folder(sub)
            if folder is None and (sub / PROFILE_FILE).is_file():
                folder = sub
            if folder is None:
                continue
            store = (sub / "run.json").is_file() or (sub / PROFILE_FILE).is_file()
            top_ds, sub_ds = known_dataset(top.name), known_dataset(sub.name)
            if folder != sub or (not store and top_ds and not sub_ds):
                tracker, dataset = sub.name, top_ds or top.name   # <DATASET>/<Tracker>/ (other toolkits)
            else:
                tracker, dataset = top.name, sub.name             # <run>/<dataset>/ (this suite's store)
            if keep(dataset):
                found.append(results_in(folder, tracker, dataset))
    return found


def find_results(results: str | os.PathLike, dataset: str,
                 trackers: Iterable[str] | None = None) -> list[TrackerResults]:
    """Every tracker with result files for ``dataset`` under ``results`` (:func:`discover`, boxes only)."""
    root = Path(results).expanduser()
    want = {normalise_name(t) for t in trackers} if trackers else None
    found = [t for t in discover(root, [dataset]) if t.has_boxes]
    if want is not None:
        found = [t for t in found if normalise_name(t.name) in want]
        missing = want - {normalise_name(t.name) for t in found}
        if missing:
            raise ResultsError(f"{root}: no results of tracker(s) {', '.join(sorted(missing))} for {dataset}")
    if not found:
        raise ResultsError(f"{root}: no result files (<seq>.txt) for dataset {dataset} here, in <tracker>/ or in "
                           f"<tracker>/{dataset}/")
    return found


def tracker_meta(name: str) -> dict[str, Any]:
    """The tracker registry's metadata for a run's ``config.tracker`` (``{}`` for names it does not know):
    reports read ``spiking`` and ``family`` from it without importing the trackers themselves."""
    if not name:
        return {}
    import trackers

    return dict(trackers.TRACKERS.get(name).meta) if name in trackers.TRACKERS else {}

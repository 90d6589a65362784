"""The results store: one folder per (run, dataset), one text file per sequence, written atomically.

Layout (the raw-results format every toolkit reads)::

    <results>/<run>/<dataset>/run.json          what produced these results (config, checkpoint hash, code)
    <results>/<run>/<dataset>/<seq>.txt         one "x,y,w,h" line per frame
    <results>/<run>/<dataset>/<seq>_time.txt    tracker seconds per frame (GOT-10k convention)
    <results>/<run>/<dataset>/<seq>_stats.json  optional per-sequence extras (firing rates, ...)

``<run>`` is the tracker name unless the user names the run. A sequence is finished exactly when its
``<seq>.txt`` exists: it is written last, by an atomic rename, so an interrupted run leaves no partial
file and a rerun skips finished sequences. ``run.json`` is written once when a run starts and never
changes; a rerun with a different configuration is refused rather than mixed into the same folder.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from bench.errors import ResultsError
from bench.io import atomic_write_json, atomic_write_text, format_boxes, load_boxes, read_json

MANIFEST = "run.json"


def code_version() -> str:
    from bench import __version__

    return __version__


#: config keys that do not change results (a moved checkpoint file keeps its sha256)
_INFORMATIONAL = ("checkpoint", "trust_checkpoint", "threads")


def _identity(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in _INFORMATIONAL}


def config_hash(config: dict) -> str:
    """Stable hash of the parts of a run configuration that determine its results."""
    return hashlib.sha256(json.dumps(_identity(config), sort_keys=True, default=str).encode()).hexdigest()[:16]


def safe_name(name: str) -> str:
    """Sequence and run names as file names: path separators are not allowed in them."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ResultsError(f"invalid name for a results file: {name!r}")
    return name


def tracking_time(times: np.ndarray | None) -> tuple[int, float]:
    """Tracked frames and tracker seconds of one sequence; the init frame (index 0) is not tracking."""
    if times is None or len(times) < 2:
        return 0, 0.0
    return len(times) - 1, float(np.sum(times[1:]))


@dataclass
class SequenceRecord:
    boxes: np.ndarray
    times: np.ndarray | None
    stats: dict | None


class RunFolder:
    """The results of one run on one dataset."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def box_path(self, seq: str) -> Path:
        return self.path / f"{safe_name(seq)}.txt"

    def time_path(self, seq: str) -> Path:
        return self.path / f"{safe_name(seq)}_time.txt"

    def stats_path(self, seq: str) -> Path:
        return self.path / f"{safe_name(seq)}_stats.json"

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def manifest(self) -> dict:
        return read_json(self.manifest_path) if self.manifest_path.is_file() else {}

    @property
    def max_frames(self) -> int | None:
        """``bench run --max-frames N`` tracked only the first N frames of each sequence (from ``run.json``)."""
        v = self.manifest().get("config", {}).get("max_frames")
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ResultsError(f"{self.manifest_path}: config.max_frames must be a positive whole number, got {v!r}")
        return v

    def is_done(self, seq: str) -> bool:
        return self.box_path(seq).is_file()

    def finished(self) -> list[str]:
        """Names of finished sequences (every ``<seq>.txt`` that is not a ``_time`` file)."""
        if not self.path.is_dir():
            return []
        return sorted(p.stem for p in self.path.glob("*.txt") if not p.stem.endswith("_time"))

    def write_sequence(self, seq: str, boxes: np.ndarray, times: np.ndarray | None = None,
                       stats: dict | None = None) -> None:
        """Write one finished sequence; the box file goes last so that it marks completion."""
        self._mkdir()
        try:
            if times is not None:
                atomic_write_text(self.time_path(seq), "".join(f"{t:.6f}\n" for t in times))
            if stats:
                atomic_write_json(self.stats_path(seq), stats)
            atomic_write_text(self.box_path(seq), format_boxes(np.asarray(boxes, dtype=np.float64)))
        except OSError as e:
            raise ResultsError(f"{self.path}: cannot write the results of {seq} ({e.strerror or e})") from None

    def read_sequence(self, seq: str) -> SequenceRecord:
        boxes = load_boxes(self.box_path(seq))
        tp = self.time_path(seq)
        times = load_boxes(tp, columns=1)[:, 0] if tp.is_file() else None
        sp = self.stats_path(seq)
        stats = read_json(sp) if sp.is_file() else None
        return SequenceRecord(boxes, times, stats)

    def _mkdir(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResultsError(f"{self.path}: cannot create the results folder ({e.strerror or e})") from None

    def remove_partial_files(self) -> list[Path]:
        """Delete temporary files left by a writer that was killed mid-write (``.<name>.*.tmp``)."""
        if not self.path.is_dir():
            return []
        stale = [p for p in self.path.glob(".*.tmp") if p.is_file()]
        for p in stale:
            p.unlink(missing_ok=True)
        return stale

    def start(self, config: dict, overwrite: bool = False) -> dict:
        """Record the configuration of a run, or check it equals the one already recorded."""
        self._mkdir()
        if not os.access(self.path, os.W_OK):
            raise ResultsError(f"{self.path}: results folder is not writable")
        self.remove_partial_files()
        new = {"config": config, "config_hash": config_hash(config), "code_version": code_version(),
               "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        old = self.manifest()
        if old and not overwrite:
            if old.get("config_hash") != new["config_hash"] and not self.finished():
                # nothing finished under the old configuration (say it failed on a bad checkpoint):
                # there is nothing to mix, so the new configuration takes the folder over
                atomic_write_json(self.manifest_path, new)
                return new
            if old.get("config_hash") != new["config_hash"]:
                before, now = _identity(old.get("config", {})), _identity(config)
                diff = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
                raise ResultsError(
                    f"{self.manifest_path}: these results come from a different configuration "
                    f"(differs in {', '.join(diff) or 'config'}); use another --results folder or --run-name, "
                    f"or --overwrite to discard them")
            return old
        if old and overwrite:
            for seq in self.finished():
                for p in (self.box_path(seq), self.time_path(seq), self.stats_path(seq)):
                    p.unlink(missing_ok=True)
        atomic_write_json(self.manifest_path, new)
        return new


class ResultsStore:
    """All runs under one root folder."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def run(self, run_name: str, dataset: str) -> RunFolder:
        return RunFolder(self.root / safe_name(run_name) / safe_name(dataset))

    def runs(self) -> Iterator[tuple[str, str, RunFolder]]:
        """Every (run, dataset) folder that holds a manifest or results."""
        if not self.root.is_dir():
            return
        for run_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for ds_dir in sorted(p for p in run_dir.iterdir() if p.is_dir()):
                folder = RunFolder(ds_dir)
                if folder.manifest_path.is_file() or folder.finished():
                    yield run_dir.name, ds_dir.name, folder

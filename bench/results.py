"""The results store: one folder per (run, dataset), one text file per sequence, written atomically.

Layout (the raw-results format every toolkit reads)::

    <results>/<run>/<dataset>/run.json          what produced these results (config, checkpoint hash, code)
    <results>/<run>/<dataset>/<seq>.txt         one "x,y,w,h" line per frame
    <results>/<run>/<dataset>/<seq>_time.txt    tracker seconds per frame (GOT-10k convention)
    <results>/<run>/<dataset>/<seq>_stats.json  optional per-sequence extras (firing rates, ...)

``<run>`` is the tracker name unless the user names the run. A sequence is finished exactly when its
``<seq>.txt`` exists: it is written last, by an atomic rename, so an interrupted run leaves no partial
file and a rerun skips finished sequences. ``run.json`` is written once when a run starts and never
changes; a rerun with a different configuration is refused rather than mixed into the same folder, and
so is a folder whose ``run.json`` is missing or unreadable while it holds results.

``--overwrite`` never deletes first: the replacement is built in ``<run>/.<dataset>.overwrite/`` and
swapped in once complete (:meth:`RunFolder.replace_with`). One ``bench run`` at a time writes a run
folder (:class:`RunLock`).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from bench.core.errors import DataError, ResultsError
from bench.core.hashing import config_hash, result_identity  # noqa: F401  (config_hash: the store's API)
from bench.core.io import _FILE_MODE, atomic_write_json, atomic_write_text, format_boxes, load_boxes, read_json

MANIFEST = "run.json"


def code_version() -> str:
    from bench import __version__

    return __version__


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
        """The checked ``run.json``, or ``{}`` where there is none; one that cannot be used is an error."""
        if not self.manifest_path.exists():
            return {}
        try:
            doc = read_json(self.manifest_path)
        except DataError as e:
            raise ResultsError(f"{e} {RECOVER}") from None
        return validate_manifest(self.manifest_path, doc)

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
        """Record the configuration of a run, or check it equals the one already recorded.

        ``overwrite`` (used on a staging folder, see :meth:`staging`) discards what the folder holds.
        """
        self._mkdir()
        if not os.access(self.path, os.W_OK):
            raise ResultsError(f"{self.path}: results folder is not writable")
        self.remove_partial_files()
        new = {"config": config, "config_hash": config_hash(config), "code_version": code_version(),
               "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        if overwrite:
            for seq in self.finished():
                for p in (self.box_path(seq), self.time_path(seq), self.stats_path(seq)):
                    p.unlink(missing_ok=True)
            atomic_write_json(self.manifest_path, new)
            return new
        old = self.manifest()
        if not old:
            if self.finished():
                raise ResultsError(
                    f"{self.manifest_path}: missing, yet {self.path} holds finished results; which configuration "
                    f"made them cannot be told, so they are not resumed. {RECOVER}")
            atomic_write_json(self.manifest_path, new)
            return new
        if old["config_hash"] == new["config_hash"]:
            return old
        if not self.finished():
            # nothing finished under the old configuration (say it failed on a bad checkpoint):
            # there is nothing to mix, so the new configuration takes the folder over
            atomic_write_json(self.manifest_path, new)
            return new
        before, now = result_identity(old["config"]), result_identity(config)
        diff = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
        raise ResultsError(
            f"{self.manifest_path}: these results come from a different configuration "
            f"(differs in {', '.join(diff) or 'config'}); use another --results folder or --run-name, "
            f"or --overwrite to replace them")

    # --- --overwrite: build beside, then swap -----------------------------------------------------------

    def staging(self) -> "RunFolder":
        """Where ``--overwrite`` builds the replacement: ``<run>/.<dataset>.overwrite/``. The old results stay
        in place, untouched, until :meth:`replace_with` swaps the finished replacement in."""
        return RunFolder(self.path.parent / f".{self.path.name}.overwrite")

    def _aside(self) -> Path:
        return self.path.parent / f".{self.path.name}.replaced"

    def recover_swap(self) -> None:
        """Finish a swap that a killed process left half done (see :meth:`replace_with`)."""
        aside, staged = self._aside(), self.staging().path
        if aside.is_dir() and not self.path.exists() and staged.is_dir():
            os.replace(staged, self.path)   # killed between the two renames: the replacement was complete
        elif aside.is_dir() and not self.path.exists():
            os.replace(aside, self.path)    # nothing to swap in: put the old results back
        if aside.is_dir() and self.path.exists():
            shutil.rmtree(aside)            # killed after the swap, before the clean-up

    def replace_with(self, staged: "RunFolder", keep: Iterable[str] = ()) -> list[str]:
        """Swap the finished ``staged`` folder in for this one.

        Files of this folder that the replacement lacks are carried over (``profile.json``, and the
        finished sequences named in ``keep``, which the caller has checked come from the same
        configuration); the other old sequences are dropped, and their names returned. Two renames, then
        the old folder is removed; :meth:`recover_swap` completes the job if the process dies in between.
        """
        dropped: list[str] = []
        if self.path.is_dir():
            keep = set(keep)
            mine = set(self.finished())
            for seq in sorted(mine - set(staged.finished())):
                if seq not in keep:
                    dropped.append(seq)
            for p in sorted(self.path.iterdir()):
                target = staged.path / p.name
                if not p.is_file() or target.exists() or p.name.startswith("."):
                    continue
                if _sequence_of(p.name, mine) in dropped:
                    continue
                shutil.copy2(p, target)
            os.replace(self.path, self._aside())
        os.replace(staged.path, self.path)
        shutil.rmtree(self._aside(), ignore_errors=True)
        return dropped

    # --- one writer at a time -------------------------------------------------------------------------

    def lock(self) -> "RunLock":
        """An exclusive lock on this run folder for one ``bench run`` (see :class:`RunLock`)."""
        return RunLock(self.path.parent / f".{self.path.name}.lock")


#: how to get past a manifest that cannot be used; named by every error about it
RECOVER = ("Rerun with --overwrite to redo this run (the old results stay until the new ones are complete), "
           "or move the folder away.")


def _sequence_of(file_name: str, sequences: set[str]) -> str | None:
    """The sequence a results file belongs to (``Couple.txt``, ``Couple_time.txt``, ``Couple_stats.json``)."""
    for suffix in (".txt", "_time.txt", "_stats.json"):
        if file_name.endswith(suffix) and file_name[: -len(suffix)] in sequences:
            return file_name[: -len(suffix)]
    return None


def validate_manifest(path: Path, doc: Any) -> dict:
    """The manifest as a dict with ``config`` (a dict) and ``config_hash`` (a string), or a one-line error."""
    if not isinstance(doc, dict):
        what = "empty" if doc is None else f"a JSON {type(doc).__name__}, not an object"
        raise ResultsError(f"{path}: {what}; cannot tell which configuration made these results. {RECOVER}")
    for key, kind in (("config", dict), ("config_hash", str)):
        if not isinstance(doc.get(key), kind):
            raise ResultsError(f"{path}: key {key!r} missing or not a {'JSON object' if kind is dict else 'string'}; "
                               f"cannot tell which configuration made these results. {RECOVER}")
    return doc


class RunLock:
    """One writer per run folder: an ``flock`` on ``<run>/.<dataset>.lock`` that names its holder.

    The kernel drops an ``flock`` when its process dies, however it dies, so a lock left by a killed
    run is free and simply taken over (the file still names the dead holder, which is reported). The
    file records host, pid, start time and command line, so a refused second run can say who holds it.
    Works across hosts where the file system supports ``flock`` (local disks; NFS v4 maps it to byte
    range locks).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None
        self.took_over: dict | None = None

    def holder(self) -> dict | None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def acquire(self) -> "RunLock":
        import fcntl
        import socket
        import sys

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResultsError(f"{self.path.parent}: cannot create the results folder ({e.strerror or e})") from None
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
            except OSError as e:
                raise ResultsError(f"{self.path}: cannot create the run's lock file ({e.strerror or e})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                h = self.holder() or {}
                raise ResultsError(
                    f"{self.path}: this run is being written by another bench process (pid {h.get('pid', '?')} on "
                    f"{h.get('host', '?')}, since {h.get('started', '?')}: {h.get('command', '?')}); wait for it to "
                    f"finish or stop it, or use another --run-name") from None
            except BaseException:
                os.close(fd)
                raise
            try:  # the file may have been unlinked by a holder releasing it between our open and flock
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        self.took_over = self.holder()
        me = {"host": socket.gethostname(), "pid": os.getpid(),
              "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join(["bench", *sys.argv[1:]])[:300]}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, only its holder goes unnamed
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # unlinked while still held: a waiter re-checks the inode
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


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

"""Run a tracker over a dataset: frames decoded ahead in a thread, results stored atomically, resumable.

The unit of work is one sequence (:func:`run_task`), so the same code runs in this process or on a
cluster worker; :func:`run` plans the sequences that are not finished yet and hands them to an executor.
"""
from __future__ import annotations

import shutil
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from bench.core.errors import ConfigError, DataError, ResultsError
from bench.results import ResultsStore, RunFolder, config_hash, tracking_time

#: a callback invoked after every frame with the number of frames just done (progress bars)
FrameCallback = Callable[[int], None]


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run; plain data, so it can be shipped to a worker."""

    tracker: str
    dataset: str = "demo"
    results: str = "results"
    run_name: str | None = None
    root: str | None = None
    split: str | None = None
    checkpoint: str | None = None
    trust_checkpoint: bool = False
    device: str = "cpu"
    dtype: str = "float32"
    max_frames: int | None = None
    threads: int | None = None
    #: opt-in fast numerics (trackers that offer them, e.g. SpikeTrack ``fast=True``); recorded in the
    #: configuration only when set, so fast results never share a run folder with default ones
    fast: bool = False
    #: write into the run's ``--overwrite`` staging folder (not part of the configuration)
    staging: bool = False

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"--max-frames must be a positive number of frames, got {self.max_frames}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {self.threads}")

    @property
    def name(self) -> str:
        from trackers.plugins import default_run_name  # path/to/mine.py:create -> mine.py:create

        return self.run_name or default_run_name(self.tracker)

    def folder(self) -> RunFolder:
        folder = ResultsStore(self.results).run(self.name, self.dataset)
        return folder.staging() if self.staging else folder

    def open_dataset(self):
        import datasets

        return datasets.create_dataset(self.dataset, root=self.root, split=self.split)

    def build_tracker(self):
        import trackers

        if self.threads:
            import torch

            torch.set_num_threads(self.threads)

        return trackers.create_tracker(self.tracker, checkpoint=self.checkpoint, device=self.device,
                                       dtype=self.dtype, trust_checkpoint=self.trust_checkpoint,
                                       **({"fast": True} if self.fast else {}))

    def config(self) -> dict:
        from bench.core.hashing import file_sha256

        cfg = {k: v for k, v in asdict(self).items() if k not in ("results", "run_name", "root", "staging")}
        if not self.fast:
            del cfg["fast"]  # default numerics: configurations written before the option stay equal
        if self.checkpoint and not Path(self.checkpoint).is_file():
            from bench.core.errors import CheckpointError

            raise CheckpointError(f"{self.checkpoint}: checkpoint not found")
        cfg["checkpoint_sha256"] = file_sha256(self.checkpoint) if self.checkpoint else None
        return cfg


@dataclass
class SequenceOutput:
    """What one pass of a tracker over one sequence produced."""

    name: str
    boxes: np.ndarray
    times: np.ndarray
    confidences: np.ndarray
    template_updates: list[int] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Tracking frames per tracker-second; the init frame and frame decoding are excluded."""
        frames, seconds = tracking_time(self.times)
        return frames / seconds if seconds > 0 else float("nan")


def track_sequence(tracker, sequence, dataset: str = "", max_frames: int | None = None,
                   on_frame: FrameCallback | None = None) -> SequenceOutput:
    """Initialise on the first ground-truth box, then track every following frame."""
    from datasets.base import prefetch

    label = f"{sequence.dataset or dataset}/{sequence.name}"
    n = len(sequence) if max_frames is None else min(len(sequence), max_frames)
    if n == 0:
        raise DataError(f"{label}: sequence has no frames")
    if len(sequence.ground_truth) == 0 or not np.all(np.isfinite(sequence.ground_truth[0])):
        raise DataError(f"{label}: no valid first-frame box")
    wanted = len(sequence.ground_truth) if max_frames is None else min(len(sequence.ground_truth), max_frames)
    if len(sequence.frames) < wanted:
        # a result must cover every annotated frame: stop before tracking, not after storing a short file
        raise DataError(f"{sequence.frame_location(len(sequence.frames))}: frame missing; {label} has "
                        f"{len(sequence.frames)} frames for {len(sequence.ground_truth)} ground-truth boxes")
    sequence.check_init_box()  # names the ground-truth file and line
    boxes = np.zeros((n, 4))
    times = np.zeros(n)
    conf = np.ones(n)
    updates: list[int] = []
    info = {"dataset": dataset or sequence.dataset, "sequence": sequence.name}
    frames = prefetch(sequence.frames)
    try:
        done = _track_frames(tracker, sequence, frames, n, info, boxes, times, conf, updates, on_frame)
    finally:
        frames.close()  # stops and joins the decoder thread now, also on Ctrl-C (not at interpreter exit)
    if done < n:  # a frame source that ran dry before its announced length
        raise DataError(f"{sequence.frame_location(done)}: frame missing; {label} ended after {done} of {n} frames")
    stats = dict(tracker.sequence_stats() or {})
    if updates:
        stats["template_update_frames"] = updates
    return SequenceOutput(sequence.name, boxes, times, conf, updates, stats)


def _track_frames(tracker, sequence, frames, n, info, boxes, times, conf, updates, on_frame) -> int:
    """The frame loop of :func:`track_sequence`, filling its arrays; returns the number of frames done."""
    done = 0
    for i, image in frames:
        if i >= n:
            break
        t0 = time.perf_counter()
        if i == 0:
            sequence.check_init_box(image.shape[:2])  # now that the image size is known
            tracker.initialize(image, tuple(sequence.ground_truth[0]), info)
            box, c = tuple(sequence.ground_truth[0]), 1.0
        else:
            result = tracker.track(image)
            box, c = result.box, result.confidence
            if getattr(tracker, "template_updated", False):
                updates.append(i)
        times[i] = time.perf_counter() - t0
        boxes[i] = box
        conf[i] = c
        done += 1
        if on_frame:
            on_frame(1)
    return done


# One tracker and dataset per process: building a model is expensive, and a worker runs many sequences.
_CACHE: dict[Any, Any] = {}


def _cached(key: Any, make: Callable[[], Any]) -> Any:
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def run_task(spec: RunSpec, sequence_name: str, on_frame: FrameCallback | None = None) -> dict:
    """Track one sequence and store it; returns a small summary. Safe to call on any worker."""
    folder = spec.folder()
    if folder.is_done(sequence_name):
        return {"sequence": sequence_name, "skipped": True}
    dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
    tracker = _tracker(spec)  # a Dask worker may run tasks in several threads
    out = track_sequence(tracker, dataset[sequence_name], spec.dataset, spec.max_frames, on_frame)
    folder.write_sequence(sequence_name, out.boxes, out.times, out.stats)
    return {"sequence": sequence_name, "skipped": False, "frames": len(out.times), "fps": out.fps}


@dataclass
class RunReport:
    spec: RunSpec
    folder: RunFolder
    computed: list[str]
    skipped: list[str]
    sequences: list[str]


def requested(spec: RunSpec, sequences: Iterable[str] | None = None) -> list[str]:
    """The dataset's names for ``sequences`` (all when ``None``), each once, in the order first named.

    A name given twice, or two spellings of one name (``Crossing crossing``), is counted once, with a note.
    """
    dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
    if not sequences:
        return dataset.names()
    names: dict[str, list[str]] = {}
    for s in sequences:
        names.setdefault(dataset.resolve_name(s), []).append(s)
    for name, given in names.items():
        if len(given) > 1:
            warnings.warn(f"--sequences names {name} {len(given)} times ({', '.join(given)}); it runs once")
    return list(names)


def check_opens(spec: RunSpec, names: list[str]) -> None:
    """Read the first requested sequence's annotations: a wrong root or layout fails before any write."""
    if names:
        dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
        dataset.load(names[0])


def plan(spec: RunSpec, sequences: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Split the requested sequences into (to do, already finished)."""
    names = requested(spec, sequences)
    folder = spec.folder()
    done = [n for n in names if folder.is_done(n)]
    return [n for n in names if n not in set(done)], done


def run(spec: RunSpec, sequences: Iterable[str] | None = None, progress: bool = True,
        overwrite: bool = False, executor: Any = None) -> RunReport:
    """Run ``spec`` over the dataset, skipping finished sequences; ``executor`` defaults to this process.

    Everything the command names is checked before the store is touched: the checkpoint file, the
    dataset root and split, every sequence name, and (in this process) that the tracker builds with its
    weights. One process at a time writes a run folder (its lock names the holder). ``overwrite`` builds
    the new results beside the old ones and swaps them in only once every sequence is finished, so a
    failed or interrupted ``--overwrite`` leaves the old results as they were.
    """
    config = spec.config()
    names = requested(spec, sequences)
    check_opens(spec, names)
    if executor is None:
        executor = LocalExecutor()
        _tracker(spec)
    final = replace(spec, staging=False).folder()
    with final.lock() as lock:
        if lock.took_over:
            h = lock.took_over
            warnings.warn(f"{lock.path}: took over the lock of pid {h.get('pid', '?')} on {h.get('host', '?')} "
                          f"(started {h.get('started', '?')}), which ended without releasing it")
        final.recover_swap()
        work = replace(spec, staging=overwrite)
        target = work.folder()
        if overwrite:
            resumable = _manifest_hash(target) == config_hash(config)
            target.start(config, overwrite=not resumable)
        else:
            final.start(config)
            if final.staging().path.is_dir():
                warnings.warn(f"{final.staging().path}: an interrupted --overwrite of this run is pending; "
                              "rerun with --overwrite to finish it")
        done = [n for n in names if target.is_done(n)]
        todo = [n for n in names if n not in set(done)]
        try:
            executor.run(work, todo, progress=progress)
        except BaseException:
            if overwrite and not target.finished():  # nothing of the replacement worth keeping
                shutil.rmtree(target.path, ignore_errors=True)
            raise
        if overwrite:
            same = _manifest_hash(final) == config_hash(config)
            keep = [s for s in final.finished() if s not in set(names)] if same else []
            dropped = final.replace_with(target, keep)
            if dropped:
                warnings.warn(f"--overwrite: {len(dropped)} finished sequence(s) of the earlier configuration "
                              f"were not rerun and are dropped: {', '.join(dropped[:10])}"
                              f"{', ...' if len(dropped) > 10 else ''}")
    return RunReport(spec, final, todo, done, done + todo)


def _manifest_hash(folder: RunFolder) -> str | None:
    """The folder's recorded configuration hash; ``None`` where there is none or it cannot be read."""
    try:
        return folder.manifest().get("config_hash")
    except ResultsError:
        return None


def _tracker(spec: RunSpec):
    """This thread's tracker for ``spec`` (one per thread: trackers hold per-sequence state)."""
    return _cached(("tracker", replace(spec, staging=False), threading.get_ident()), spec.build_tracker)


class LocalExecutor:
    """Runs sequences one after another in this process, with a progress bar over frames."""

    def run(self, spec: RunSpec, sequences: list[str], progress: bool = True) -> list[dict]:
        from tqdm.auto import tqdm

        if not sequences:
            return []
        dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
        total = sum(min(len(dataset[s]), spec.max_frames or 10**12) for s in sequences)
        out = []
        with tqdm(total=total, unit="frame", disable=not progress, dynamic_ncols=True,
                  desc=f"{spec.name} on {spec.dataset}") as bar:
            for s in sequences:
                bar.set_postfix_str(s)
                out.append(run_task(spec, s, on_frame=bar.update))
        return out

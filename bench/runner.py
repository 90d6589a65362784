"""Run a tracker over a dataset: frames decoded ahead in a thread, results stored atomically, resumable.

The unit of work is one sequence (:func:`run_task`), so the same code runs in this process or on a
cluster worker; :func:`run` plans the sequences that are not finished yet and hands them to an executor.
"""
from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from bench.errors import ConfigError, DataError
from bench.results import ResultsStore, RunFolder, tracking_time

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

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"--max-frames must be a positive number of frames, got {self.max_frames}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {self.threads}")

    @property
    def name(self) -> str:
        return self.run_name or self.tracker

    def folder(self) -> RunFolder:
        return ResultsStore(self.results).run(self.name, self.dataset)

    def open_dataset(self):
        import datasets

        return datasets.create_dataset(self.dataset, root=self.root, split=self.split)

    def build_tracker(self):
        import trackers

        if self.threads:
            import torch

            torch.set_num_threads(self.threads)

        return trackers.create_tracker(self.tracker, checkpoint=self.checkpoint, device=self.device,
                                       dtype=self.dtype, trust_checkpoint=self.trust_checkpoint)

    def config(self) -> dict:
        from trackers.checkpoint import file_sha256

        cfg = {k: v for k, v in asdict(self).items() if k not in ("results", "run_name", "root")}
        if self.checkpoint and not Path(self.checkpoint).is_file():
            from bench.errors import CheckpointError

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

    n = len(sequence) if max_frames is None else min(len(sequence), max_frames)
    if n == 0:
        raise DataError(f"{sequence.dataset or dataset}/{sequence.name}: sequence has no frames")
    if len(sequence.ground_truth) == 0 or not np.all(np.isfinite(sequence.ground_truth[0])):
        raise DataError(f"{sequence.dataset or dataset}/{sequence.name}: no valid first-frame box")
    boxes = np.zeros((n, 4))
    times = np.zeros(n)
    conf = np.ones(n)
    updates: list[int] = []
    info = {"dataset": dataset or sequence.dataset, "sequence": sequence.name}
    for i, image in prefetch(sequence.frames):
        if i >= n:
            break
        t0 = time.perf_counter()
        if i == 0:
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
        if on_frame:
            on_frame(1)
    stats = dict(tracker.sequence_stats() or {})
    if updates:
        stats["template_update_frames"] = updates
    return SequenceOutput(sequence.name, boxes, times, conf, updates, stats)


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
    # trackers hold per-sequence state: one per thread (a Dask worker may run tasks in several threads)
    tracker = _cached(("tracker", spec, threading.get_ident()), spec.build_tracker)
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


def plan(spec: RunSpec, sequences: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Split the requested sequences into (to do, already finished)."""
    dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
    names = [dataset.resolve_name(s) for s in sequences] if sequences else dataset.names()
    folder = spec.folder()
    done = [n for n in names if folder.is_done(n)]
    return [n for n in names if n not in set(done)], done


def run(spec: RunSpec, sequences: Iterable[str] | None = None, progress: bool = True,
        overwrite: bool = False, executor: Any = None) -> RunReport:
    """Run ``spec`` over the dataset, skipping finished sequences; ``executor`` defaults to this process."""
    folder = spec.folder()
    folder.start(spec.config(), overwrite=overwrite)
    todo, done = plan(spec, sequences)
    if executor is None:
        executor = LocalExecutor()
    executor.run(spec, todo, progress=progress)
    return RunReport(spec, folder, todo, done, done + todo)


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

"""Server submissions from a run's results: the GOT-10k test zip and the TrackingNet zip.

* GOT-10k (got10k toolkit ``ExperimentGOT10k(subset='test').report`` zips the result folder): one folder
  per sequence, ``<seq>/<seq>_001.txt`` (every frame, frame 0 included, ``x,y,w,h`` comma separated; up
  to three repetitions ``_002``/``_003``) and ``<seq>/<seq>_time.txt`` (seconds per frame), which the
  server needs for its FPS column.
* TrackingNet (devkit ``metrics.py`` matches ``<seq>.txt`` by base name): one ``<seq>.txt`` per test
  sequence at the archive root, every frame ``x,y,w,h`` comma separated.

Both accept this suite's store (``<seq>.txt`` + ``<seq>_time.txt``) or the GOT-10k layout as input.
Boxes are written with :func:`bench.core.io.format_boxes` (exact round trip); the zip is written atomically.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from bench.core.errors import ConfigError, ResultsError
from bench.evaluation import TrackerResults, read_box_files
from bench.core.io import atomic_write_bytes, format_boxes, load_boxes

GOT10K_TEST_SEQUENCES = 180
TRACKINGNET_TEST_SEQUENCES = 511


def _check_names(tracker: TrackerResults, expected: Iterable[str] | None) -> list[str]:
    """Sequence names to pack: the expected list (all must be present) or every file found."""
    if expected is None:
        return sorted(p[0].stem if not p[0].stem.endswith("_001") else p[0].stem[:-4]
                      for p in tracker.files.values())
    names = list(expected)
    missing = [n for n in names if not tracker.paths_for(n)]
    if missing:
        raise ResultsError(f"{tracker.folder}: no results for {len(missing)} of {len(names)} sequences "
                           f"(first: {tracker.folder / (missing[0] + '.txt')})")
    return names


def _time_file(tracker: TrackerResults, name: str) -> Path | None:
    first = tracker.paths_for(name)[0]
    stem = first.stem[:-4] if first.stem.endswith("_001") else first.stem
    for cand in (first.with_name(f"{stem}_time.txt"), tracker.folder / f"{name}_time.txt",
                 tracker.folder / name / f"{name}_time.txt"):
        if cand.is_file():
            return cand
    return None


def got10k_zip(tracker: TrackerResults, out: str | Path, expected: Iterable[str] | None = None,
               frame_counts: dict[str, int] | None = None, require_times: bool = True) -> Path:
    """Write the GOT-10k test-server zip for ``tracker``; returns its path."""
    names = _check_names(tracker, expected)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            paths = tracker.paths_for(name)[:3]
            runs = read_box_files(paths)
            for r, (p, boxes) in enumerate(zip(paths, runs), 1):
                n = (frame_counts or {}).get(name)
                if n is not None and len(boxes) != n:
                    raise ResultsError(f"{p}: {len(boxes)} boxes for {n} frames of {name}")
                zf.writestr(f"{name}/{name}_{r:03d}.txt", format_boxes(boxes))
            tf = _time_file(tracker, name)
            if tf is None:
                if require_times:
                    raise ResultsError(f"{tracker.folder / (name + '_time.txt')}: missing per-frame times; the "
                                       "GOT-10k server needs them (FPS)")
                continue
            times = load_boxes(tf, columns=None).reshape(-1)
            if len(times) != len(runs[0]):
                raise ResultsError(f"{tf}: {len(times)} times for {len(runs[0])} frames")
            zf.writestr(f"{name}/{name}_time.txt", "".join(f"{t!r}\n" for t in times.astype(float).tolist()))
    out = Path(out)
    atomic_write_bytes(out, buf.getvalue())
    return out


def trackingnet_zip(tracker: TrackerResults, out: str | Path, expected: Iterable[str] | None = None,
                    frame_counts: dict[str, int] | None = None) -> Path:
    """Write the TrackingNet server zip (``<seq>.txt`` at the archive root); returns its path."""
    names = _check_names(tracker, expected)
    paths = [tracker.paths_for(n)[0] for n in names]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, p, boxes in zip(names, paths, read_box_files(paths)):
            n = (frame_counts or {}).get(name)
            if n is not None and len(boxes) != n:
                raise ResultsError(f"{p}: {len(boxes)} boxes for {n} frames of {name}")
            if np.isnan(boxes).any():
                i = int(np.argmax(np.isnan(boxes).any(1)))
                raise ResultsError(f"{p}:{i + 1}: NaN box; the TrackingNet server scores it as a failure, write a "
                                   "box for every frame")
            zf.writestr(f"{name}.txt", format_boxes(boxes))
    out = Path(out)
    atomic_write_bytes(out, buf.getvalue())
    return out


def read_zip_boxes(path: str | Path) -> dict[str, np.ndarray]:
    """Boxes per archive member (for checking a written zip)."""
    from bench.core.io import parse_boxes

    with zipfile.ZipFile(path) as zf:
        return {m: parse_boxes(zf.read(m).decode(), f"{path}:{m}", columns=None) for m in zf.namelist()}



@dataclass(frozen=True)
class SubmissionFormat:
    """A server's upload format: the zip writer, the adapter's split the server scores, its size."""

    write: Callable[..., Path]
    test_split: str
    test_sequences: int
    times: bool = False   # the writer takes ``require_times`` (per-frame times for the FPS column)


#: ``Benchmark.submission`` -> format
FORMATS: dict[str, SubmissionFormat] = {
    "got10k": SubmissionFormat(got10k_zip, "test", GOT10K_TEST_SEQUENCES, times=True),
    "trackingnet": SubmissionFormat(trackingnet_zip, "TEST", TRACKINGNET_TEST_SEQUENCES),
}


def submission_format(dataset: str) -> tuple[str, SubmissionFormat]:
    """The benchmark record's name and upload format of ``dataset`` (any alias); ConfigError when its
    test split is not scored by a server."""
    import datasets

    b = datasets.benchmark_info(dataset)
    if b.submission is None or b.submission not in FORMATS:
        servers = ", ".join(x.name for x in datasets.benchmarks() if x.submission in FORMATS)
        raise ConfigError(f"--dataset {dataset}: {b.display_name} results are scored locally (bench evaluate), "
                          f"not by a server; submissions exist for: {servers}")
    return b.name, FORMATS[b.submission]

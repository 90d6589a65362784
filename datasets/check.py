"""Validate a dataset on disk: every problem, with the file (and line) where it is.

``bench datasets check NAME`` runs :func:`check_dataset`. Checked per sequence: the annotations load
(a malformed row is reported as ``file:line``), flag files have one value per frame, every frame file
exists, the number of boxes matches the number of frames, and every image is complete (JPEG/PNG start
and end markers; ``decode=True`` decodes every frame instead, which finds more and takes much longer).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from bench.core.errors import BenchError
from datasets.archive import ZipFrames
from datasets.base import Dataset, EmptyFrames, FileFrames, Sequence, decode_image

#: at most this many missing / broken frames are listed one by one per sequence
MAX_PER_SEQUENCE = 20


@dataclass
class CheckReport:
    dataset: str
    sequences: int = 0
    frames: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def image_problem(data_head: bytes, data_tail: bytes) -> str | None:
    """Why a JPEG/PNG whose first and last bytes are given is incomplete, or None if it looks whole."""
    if data_head.startswith(b"\xff\xd8"):
        # a JPEG ends with FFD9; some writers pad with zeros or newlines after it
        if b"\xff\xd9" not in data_tail.rstrip(b"\x00\r\n "):
            return "truncated JPEG (no end-of-image marker)"
        return None
    if data_head.startswith(b"\x89PNG\r\n\x1a\n"):
        if b"IEND" not in data_tail:
            return "truncated PNG (no IEND chunk)"
        return None
    if not data_head:
        return "empty file"
    return "not a JPEG or PNG image"


def _file_problem(path: str, decode: bool) -> str | None:
    try:
        if decode:
            with open(path, "rb") as f:
                decode_image(f.read(), path)
            return None
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(16)
            f.seek(max(0, size - 32))
            tail = f.read(32)
    except FileNotFoundError:
        return "frame missing"
    except BenchError as e:
        return str(e).removeprefix(f"{path}: ")
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    return image_problem(head, tail)


def check_frames(frames, decode: bool = False) -> list[str]:
    """Problems of the frames of one sequence, one line each (``file: problem``)."""
    out: list[str] = []
    if isinstance(frames, EmptyFrames):
        return out
    if isinstance(frames, FileFrames):
        folders = {p.parent for p in frames.paths}
        missing_folders = {d for d in folders if not d.is_dir()}
        for d in sorted(missing_folders):
            n = sum(1 for p in frames.paths if p.parent == d)
            out.append(f"{d}: frame folder missing ({n} frames expected)")
        listed: dict = {}
        for d in folders - missing_folders:
            listed[d] = set(os.listdir(d))
        bad = 0
        for p in frames.paths:
            if p.parent in missing_folders:
                continue
            problem = "frame missing" if p.name not in listed[p.parent] else _file_problem(str(p), decode)
            if problem:
                bad += 1
                if bad <= MAX_PER_SEQUENCE:
                    out.append(f"{p}: {problem}")
        if bad > MAX_PER_SEQUENCE:
            out.append(f"{frames.paths[0].parent}: ... and {bad - MAX_PER_SEQUENCE} more bad frames")
        return out
    if isinstance(frames, ZipFrames):
        bad = 0
        for m in frames.members:
            where = f"{frames.archive.path}:{m}"
            line = None
            try:
                data = frames.archive.read(m)
                if decode:
                    decode_image(data, where)
                else:
                    problem = image_problem(data[:16], data[-32:])
                    line = f"{where}: {problem}" if problem else None
            except BenchError as e:  # already names the archive and member
                line = str(e)
            if line:
                bad += 1
                if bad <= MAX_PER_SEQUENCE:
                    out.append(line)
        if bad > MAX_PER_SEQUENCE:
            out.append(f"{frames.archive.path}: ... and {bad - MAX_PER_SEQUENCE} more bad frames")
        return out
    for i in range(len(frames)):  # any other frame source: decode to check
        try:
            frames.read(i)
        except BenchError as e:
            out.append(str(e))
    return out


def check_sequence(seq: Sequence, decode: bool = False) -> list[str]:
    """Problems of one loaded sequence: flag lengths noted by the adapter, frames, box/frame counts."""
    out = [str(p) for p in seq.extra.get("problems", [])]
    anno = seq.gt_path or seq.extra.get("annotation", seq.name)
    n_frames, n_boxes = len(seq.frames), len(seq.ground_truth)
    if not isinstance(seq.frames, EmptyFrames):
        if n_frames == 0:
            out.append(f"{anno}: no frames found for sequence {seq.name}")
        elif n_boxes != n_frames:
            first = min(n_boxes, n_frames) + 1
            what = "have no frame" if n_boxes > n_frames else "have no box"
            where = seq.gt_location(first - 1) if seq.gt_path else f"{anno}:{first}"
            out.append(f"{where}: {n_boxes} boxes but {n_frames} frames (rows/frames from {first} on {what})")
    for name, values in seq.flags.items():
        if len(values) != n_boxes:
            out.append(f"{anno}: flag {name!r} has {len(values)} values for {n_boxes} boxes")
    if n_boxes:
        try:  # NaN, no area (a tracker cannot start from it)
            seq.check_init_box()
        except BenchError as e:
            out.append(str(e))
    out.extend(check_frames(seq.frames, decode=decode))
    return out


def check_dataset(ds: Dataset, decode: bool = False, names: Iterable[str] | None = None,
                  on_sequence: Callable[[str, list[str]], None] | None = None) -> CheckReport:
    """Check every sequence of ``ds`` (or ``names``); never stops at the first problem."""
    report = CheckReport(ds.name)
    try:
        seq_names = list(names) if names is not None else ds.names()
    except BenchError as e:
        report.problems.append(str(e))
        return report
    for name in seq_names:
        try:
            seq = ds.load(name)
            problems = check_sequence(seq, decode=decode)
            report.frames += len(seq.frames)
        except BenchError as e:
            problems = [str(e)]
        report.sequences += 1
        report.problems.extend(problems)
        if on_sequence is not None:
            on_sequence(name, problems)
    return report

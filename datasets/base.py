"""A dataset is a lazy collection of sequences; a sequence is frames plus ground truth and flags.

Adapters subclass :class:`Dataset` and implement ``names()`` and ``load(name)``; nothing is read from
disk until a sequence is asked for, so a 1,400-sequence benchmark opens instantly.
"""
from __future__ import annotations

import abc
import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence as Seq

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import DataError, UnknownNameError
from bench.core.io import decode_text, read_text_file  # noqa: F401  (the adapters take them from here)
from bench.core.registry import normalise_name


class FrameSource(Protocol):
    """Random access to decoded frames (H x W x 3 uint8 RGB)."""

    def __len__(self) -> int: ...

    def read(self, index: int) -> np.ndarray: ...


def decode_image(data: bytes, source: str) -> np.ndarray:
    """Decode JPEG/PNG bytes to RGB; grayscale frames (OTB's Dog1) become 3 equal channels."""
    import cv2

    if not data:
        raise DataError(f"{source}: empty image file")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(f"{source}: unreadable or corrupt image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_image(path: str | os.PathLike) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: frame not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected an image") from None
    except OSError as e:
        raise DataError(f"{path}: unreadable frame ({e.strerror or e})") from None
    return decode_image(data, str(path))


class FileFrames:
    """Frames stored as one image file each."""

    def __init__(self, paths: Seq[str | os.PathLike]):
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, index: int) -> np.ndarray:
        return read_image(self.paths[index])

    def location(self, index: int) -> str:
        return os.fspath(self.paths[index])

    def __repr__(self) -> str:
        first = self.paths[0] if self.paths else "-"
        return f"FileFrames({len(self)} frames from {first})"


@dataclass
class Sequence:
    """One tracking sequence.

    ``ground_truth`` is (N, 4) ``x, y, w, h`` float64 with NaN rows where the box is unknown (GOT-10k and
    TrackingNet test sets give only the first box). ``flags`` holds per-frame arrays named as the
    benchmark names them (``full_occlusion``, ``out_of_view``, ``absent``, ``cover``, ``absence``,
    ``cut_by_image``, VOT tags, ``anchor``). ``attributes`` holds per-sequence attributes.
    """

    name: str
    frames: FrameSource
    ground_truth: np.ndarray
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    dataset: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: the ground-truth text file (``zip:member`` inside an archive), for errors naming ``file:line``
    gt_path: str | None = None
    #: file line of ground-truth row 0 (OTB Tiger1 drops 5 rows: 6)
    gt_first_line: int = 1
    #: file line of each row where rows are not consecutive lines (NfS 240-fps files); rows past its
    #: end are not in the file (GOT-10k / TrackingNet test: only the first box is)
    gt_lines: Seq[int] | None = None

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def init_box(self) -> np.ndarray:
        return self.ground_truth[0]

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.name}"

    def gt_location(self, row: int) -> str:
        """``"<gt file>:<line>"`` of ground-truth row ``row`` (0-based), where the adapter knows it."""
        if self.gt_path is not None and row >= 0:
            if self.gt_lines is None:
                return f"{self.gt_path}:{self.gt_first_line + row}"
            if row < len(self.gt_lines):
                return f"{self.gt_path}:{int(self.gt_lines[row])}"
        return f"{self.label} ground-truth row {row + 1}"

    def frame_location(self, index: int) -> str:
        """The file (or ``archive:member``) expected for frame ``index`` (0-based), where known; past the
        frames found, the next name of consecutively numbered frames (``00000004.jpg`` after ``...3.jpg``)."""
        where = getattr(self.frames, "location", None)
        n = len(self.frames)
        found = None
        if where is not None and 0 <= index < n:
            found = where(index)
        elif where is not None and index >= n > 0:
            found = _numbered_after(where(0), where(n - 1), n, index)
        return found or f"{self.label} frame {index + 1}"

    def check_init_box(self, image_shape: tuple[int, int] | None = None) -> None:
        """DataError unless ground-truth row 0 is a finite box with area, not wholly outside the image
        (``image_shape`` = (H, W), when known): a tracker cannot start from anything else."""
        if len(self.ground_truth) == 0:
            raise DataError(f"{self.gt_path or self.label}: {self.label} has no ground-truth box")
        box = np.asarray(self.ground_truth[0], dtype=np.float64)
        text = ",".join(f"{v:g}" for v in box)
        problem = None
        if box.shape != (4,) or not np.isfinite(box).all():
            problem = "is not finite"
        elif box[2] <= 0 or box[3] <= 0:
            side, v = ("width", box[2]) if box[2] <= 0 else ("height", box[3])
            problem = f"has {'zero' if v == 0 else 'negative'} {side}"
        elif image_shape is not None:
            h, w = int(image_shape[0]), int(image_shape[1])
            x, y, bw, bh = box
            if x > w or y > h or x + bw <= 0 or y + bh <= 0:  # lenient: OTB-style boxes are 1-based
                problem = f"lies entirely outside the {w}x{h} image"
        if problem:
            raise DataError(f"{self.gt_location(0)}: first box of {self.label} {problem} ({text})")


def _numbered_after(first: str, last: str, n: int, index: int) -> str | None:
    """The name of frame ``index`` when frames ``0..n-1`` are ``first`` ... ``last`` numbered one apart."""
    a, b = _LAST_NUMBER.search(first), _LAST_NUMBER.search(last)
    if not a or not b or first[: a.start()] != last[: b.start()] or int(b[1]) - int(a[1]) != n - 1:
        return None
    number = str(int(b[1]) + index - n + 1).zfill(len(b[1]) if b[1].startswith("0") else 0)
    return f"{last[: b.start()]}{number}{b[2]}"


_LAST_NUMBER = re.compile(r"(\d+)([^\d/\\:]*)$")  # the last number of the file name itself


class Dataset(abc.ABC):
    """A benchmark split: sequence names known up front, sequences loaded on demand."""

    name: str = ""

    @property
    def benchmark(self) -> Benchmark | None:
        """The record registered for this dataset's name (None for an adapter registered without one)."""
        from datasets.registry import declared_benchmark

        return declared_benchmark(self.name)

    # A subclass that registers no record may set these two as class attributes instead.
    @property
    def default_protocol(self) -> str:
        """Protocol used by the benchmark's own authors (see ``bench list protocols``)."""
        b = self.benchmark
        return b.default_protocol if b is not None else "pytracking"

    @property
    def dataset_mode(self) -> str:
        """The dataset string the metrics branch on (``otb``, ``lasot``, ...): the record's toolkit mode."""
        b = self.benchmark
        return b.toolkit_mode if b is not None else "otb"

    @abc.abstractmethod
    def names(self) -> list[str]:
        """Sequence names, in the benchmark's order."""

    @abc.abstractmethod
    def load(self, name: str) -> Sequence:
        """Read one sequence's annotations (not its frames)."""

    def __len__(self) -> int:
        return len(self.names())

    def __iter__(self) -> Iterator[Sequence]:
        for n in self.names():
            yield self.load(n)

    def __getitem__(self, name: str) -> Sequence:
        return self.load(self.resolve_name(name))

    def resolve_name(self, name: str) -> str:
        """The sequence name matching ``name`` case-insensitively, with ``-``/``_`` treated as equal."""
        by_key = {normalise_name(n): n for n in self.names()}
        key = normalise_name(name)
        if key not in by_key:
            raise UnknownNameError(f"{self.name}: unknown sequence {name!r}")
        return by_key[key]

    def describe(self) -> dict:
        return {"name": self.name, "sequences": len(self), "default_protocol": self.default_protocol}


def prefetch(frames: FrameSource, start: int = 0, maxsize: int = 8) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, image)`` while a background thread decodes ahead, at most ``maxsize`` frames.

    Decoding (JPEG) and tracking overlap; the bound keeps memory flat on 4K sequences. An error in the
    decoder thread is re-raised in the consumer at the frame where it happened. The hand-off is a C-level
    ``SimpleQueue`` (the consumer pays one cheap ``get`` per frame); the decoder, when it is ``maxsize``
    frames ahead, waits with a short backing-off sleep instead of a condition variable.
    """
    q: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    _END = object()

    def work() -> None:
        try:
            for i in range(start, len(frames)):
                pause = 0.0002
                while q.qsize() >= maxsize:
                    if stop.is_set():
                        return
                    time.sleep(pause)
                    pause = min(pause * 2, 0.005)
                if stop.is_set():
                    return
                q.put((i, frames.read(i)))
        except BaseException as e:  # handed to the consumer
            q.put(e)
            return
        q.put(_END)

    t = threading.Thread(target=work, name="frame-decoder", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        t.join(timeout=5)


# --- helpers shared by the benchmark adapters (added with the adapters, issue 5) ----------------------

class EmptyFrames:
    """A frame source of known length with no images: ground truth opened from an evaluation toolkit's
    annotation folder (``annotations=DIR``) scores results without the dataset's frames."""

    def __init__(self, length: int, source: str = ""):
        self.length = int(length)
        self.source = source

    def __len__(self) -> int:
        return self.length

    def read(self, index: int) -> np.ndarray:
        raise DataError(f"{self.source or 'sequence'}: opened from annotations only, no frames to read "
                        f"(open the dataset with --root to stream frames)")

    def __repr__(self) -> str:
        return f"EmptyFrames({self.length})"


class PathListFrames(FileFrames):
    """:class:`FileFrames` that keeps plain path strings and builds ``Path`` objects only when asked.

    Building 1,350 ``Path`` objects costs ~20 ms, 5 % of streaming OTB Dog1; adapters list frames as
    strings and hand them over here.
    """

    def __init__(self, paths: Seq[str | os.PathLike]):  # noqa: D107 -- no super(): no Path objects
        self._strs = [os.fspath(p) for p in paths]
        self._paths: list[Path] | None = None

    @property
    def paths(self) -> list[Path]:
        if self._paths is None:
            self._paths = [Path(p) for p in self._strs]
        return self._paths

    @paths.setter
    def paths(self, value: Seq[str | os.PathLike]) -> None:
        self._strs = [os.fspath(p) for p in value]
        self._paths = None

    def __len__(self) -> int:
        return len(self._strs)

    def read(self, index: int) -> np.ndarray:
        return read_image(self._strs[index])

    def location(self, index: int) -> str:
        return self._strs[index]

    def __repr__(self) -> str:
        return f"PathListFrames({len(self)} frames from {self._strs[0] if self._strs else '-'})"


def numbered_files(folder: str | os.PathLike, exts: Seq[str] = (".jpg", ".jpeg", ".png")) -> dict[int, str]:
    """Image files of ``folder`` (path strings) keyed by the number in their name (``0001.jpg``, ``00001.jpg``
    -> 1).

    Benchmarks name frames by number with 4, 5, 6 or 8 digits (OTB's Board has 5); keying by the number
    lets an adapter pick a frame range without knowing the padding. Missing folder -> DataError.
    """
    folder = os.fspath(folder)
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        raise DataError(f"{folder}: frame folder not found") from None
    except NotADirectoryError:
        raise DataError(f"{folder}: not a folder") from None
    out: dict[int, str] = {}
    for e in entries:
        stem, ext = os.path.splitext(e)
        if ext.lower() in exts:
            digits = "".join(ch for ch in stem if ch.isdigit())
            if digits:
                out.setdefault(int(digits), os.path.join(folder, e))
    return out


def numbered_images(folder: str | os.PathLike, exts: Seq[str] = (".jpg", ".jpeg", ".png")) -> dict[int, Path]:
    """:func:`numbered_files` as ``Path`` objects."""
    return {k: Path(v) for k, v in numbered_files(folder, exts).items()}


def load_flags(path: str | os.PathLike, dtype: type = np.int64) -> np.ndarray:
    """Per-frame flags (``0``/``1`` or small integers) separated by commas, newlines or spaces.

    Trailing spaces and ``\\r\\n`` (TNL2K's absent files) are accepted; a missing, folder or non-UTF-8
    file, or a non-number, raises DataError naming the file (and ``file:line``).
    """
    return parse_flags(read_text_file(path), str(path), dtype)


def parse_flags(text: str, source: str, dtype: type = np.int64) -> np.ndarray:
    """:func:`load_flags` on text already read (a member of a zip archive)."""
    try:
        values = np.array(text.replace(",", " ").split(), dtype=np.float64)
    except ValueError:
        values = None
    integer = np.issubdtype(dtype, np.integer)
    if values is not None and (not integer or np.isfinite(values).all()):
        return values.astype(dtype)
    out = []
    for i, line in enumerate(text.splitlines(), 1):  # token by token, to name the first bad line
        for tok in line.replace(",", " ").split():
            try:
                v = float(tok)
            except ValueError:
                raise DataError(f"{source}:{i}: not a number: {tok[:40]!r}") from None
            if integer and not np.isfinite(v):
                raise DataError(f"{source}:{i}: not an integer flag: {tok[:40]!r}")
            out.append(v)
    return np.array(out, dtype=np.float64).astype(dtype)


def load_attribute_flags(path: str | os.PathLike, n: int, bits: np.ndarray | None = None) -> np.ndarray:
    """A per-sequence file of ``n`` 0/1 attribute flags (LaSOT, TNL2K, UAV123); ``bits`` = the file
    already parsed. A wrong count or a value other than 0/1 -> DataError naming the file."""
    bits = load_flags(path) if bits is None else np.asarray(bits)
    if len(bits) != n or not ((bits == 0) | (bits == 1)).all():   # np.isin: 20x the time on 14 flags
        bad = "values other than 0/1" if len(bits) == n else f"{len(bits)} values"
        raise DataError(f"{path}: expected {n} attribute flags (0 or 1), found {bad}")
    return bits


def attribute_names(path: str | os.PathLike, names: Seq[str], bits: np.ndarray | None = None) -> list[str]:
    """The ``names`` whose flag is set in the attribute file ``path`` (see :func:`load_attribute_flags`)."""
    return [k for k, b in zip(names, load_attribute_flags(path, len(names), bits)) if b]


def read_name_list(path: str | os.PathLike) -> list[str]:
    """Names listed one per line (``list.txt``, ``testing_set.txt``); blank lines and spaces ignored."""
    text = read_text_file(path, strict=False)
    return [line.strip() for line in text.splitlines() if line.strip()]


def fit_length(flags: np.ndarray, n: int) -> np.ndarray:
    """Pad (with 0) or cut a per-frame flag array to ``n`` frames (TNL2K has one file with 930 flags for
    929 boxes); ``bench datasets check`` reports such mismatches."""
    flags = np.asarray(flags)
    if len(flags) == n:
        return flags
    if len(flags) > n:
        return flags[:n]
    return np.concatenate([flags, np.zeros(n - len(flags), dtype=flags.dtype)])


def load_frame_flags(path: str | os.PathLike, n: int, problems: list[str] | None = None,
                     dtype: type = np.int64) -> np.ndarray:
    """:func:`load_flags` fitted to ``n`` frames; a length mismatch is noted in ``problems`` (adapters put
    that list in ``Sequence.extra['problems']`` for ``bench datasets check``) instead of failing the load."""
    flags = load_flags(path, dtype=dtype)
    if len(flags) != n and problems is not None:
        problems.append(f"{path}: {len(flags)} flags for {n} frames")
    return fit_length(flags, n)

"""File I/O that never leaves a half-written file and never lets a bad row pass silently.

Raw-results and annotation files in this field come with commas, tabs or spaces as delimiters, ``NaN``
rows and trailing spaces; :func:`load_boxes` accepts all of them and rejects anything else with an error
naming the file and line.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.errors import DataError

_DELIMS = str.maketrans({",": " ", "\t": " ", ";": " "})
_SPLIT = re.compile(r"[,\s;]+")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    The file gets the usual permissions (``0o666`` less the umask), not ``mkstemp``'s private 0600,
    so results written for a team stay readable by it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> None:
    atomic_write_text(path, json.dumps(obj, indent=indent, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        line = getattr(e, "lineno", "?")
        raise DataError(f"{path}:{line}: not valid JSON ({e.__class__.__name__})") from None


def parse_boxes(text: str, source: str = "<text>", columns: int | None = 4) -> np.ndarray:
    """Parse rows of numbers (any of ``, \\t ;`` or spaces as delimiters) into a float64 array.

    ``columns`` fixes the expected row width (``None`` accepts any width, as long as all rows agree).
    Blank lines at the end are ignored; ``nan``/``NaN`` parse as NaN. A bad row raises
    :class:`DataError` naming ``source`` and the 1-based line.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return np.zeros((0, columns or 0), dtype=np.float64)
    # Fast path: one vectorised conversion; falls back to the line-by-line parser to locate any error.
    try:
        flat = np.array(text.translate(_DELIMS).split(), dtype=np.float64)
        width = columns or len(lines[0].translate(_DELIMS).split())
        if width and flat.size == width * len(lines):
            return _check_widths(flat.reshape(len(lines), width), lines, width, source)
    except ValueError:
        pass
    rows = []
    width = columns
    for i, line in enumerate(lines, 1):
        tokens = [t for t in _SPLIT.split(line.strip()) if t]
        if not tokens:
            raise DataError(f"{source}:{i}: empty line")
        if width is None:
            width = len(tokens)
        if len(tokens) != width:
            raise DataError(f"{source}:{i}: expected {width} values, found {len(tokens)}: {line.strip()[:60]!r}")
        try:
            rows.append([float(t) for t in tokens])
        except ValueError:
            bad = next(t for t in tokens if not _is_float(t))
            raise DataError(f"{source}:{i}: not a number: {bad[:40]!r}") from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, width)


def _check_widths(arr: np.ndarray, lines: list[str], width: int, source: str) -> np.ndarray:
    # The vectorised path cannot see a row with 3 values followed by a row with 5; check cheaply.
    for i, line in enumerate(lines, 1):
        if line.count(",") + line.count("\t") + line.count(";") not in (0, width - 1) or not line.strip():
            n = len(line.translate(_DELIMS).split())
            if n != width:
                raise DataError(f"{source}:{i}: expected {width} values, found {n}: {line.strip()[:60]!r}")
    return arr


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def load_boxes(path: str | os.PathLike, columns: int | None = 4) -> np.ndarray:
    """Load an ``x,y,w,h``-per-line file (results or ground truth) as an (N, columns) float64 array."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a text file") from None
    return parse_boxes(text, str(path), columns)


def format_number(v: float) -> str:
    """Shortest text that reads back as the same float64 (``repr``), integers without ``.0``."""
    if v != v:
        return "nan"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def format_boxes(boxes: Iterable[Iterable[float]], delimiter: str = ",") -> str:
    """Rows as text, one per line, exactly round-tripping through :func:`load_boxes`."""
    return "".join(delimiter.join(format_number(v) for v in row) + "\n" for row in boxes)

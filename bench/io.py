"""File I/O that never leaves a half-written file and never lets a bad row pass silently.

Raw-results and annotation files in this field come with commas, tabs or spaces as delimiters, ``NaN``
rows and trailing spaces; :func:`load_boxes` accepts all of them and rejects anything else with an error
naming the file and line.
"""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.errors import DataError

_SPLIT = re.compile(r"[,\s;]+")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def read_text_file(path: str | os.PathLike, strict: bool = True, error: type = DataError) -> str:
    """The text of ``path``; a missing, folder, unreadable or (``strict``) non-UTF-8 file is an ``error``
    (:class:`DataError` unless the caller names another :class:`~bench.errors.BenchError`) naming the file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a text file") from None
    except OSError as e:
        raise error(f"{path}: unreadable ({e.strerror or e})") from None
    return decode_text(data, str(path), strict, error)


def decode_text(data: bytes, source: str, strict: bool = True, error: type = DataError) -> str:
    """UTF-8 text (a BOM is dropped); with ``strict`` a bad byte -> DataError naming ``source:line``."""
    try:
        return data.decode("utf-8-sig", errors="strict" if strict else "replace")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise error(f"{source}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x})") from None


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


def read_json(path: str | os.PathLike, error: type = DataError) -> Any:
    """A JSON file's value; missing, a folder, not UTF-8 or not JSON is an ``error`` naming ``file:line``."""
    text = read_text_file(path, error=error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


_WS = bytes.maketrans(b",\t;\r", b"    ")
_PLAIN_CSV_BYTES = b"0123456789,-\n"
_PROBE = 1 << 16   # bytes looked at to guess that a text is integer CSV


def _has_minus_zero(data: bytes) -> bool:
    """Whether some ``-`` is followed by ``0`` (``-0`` is -0.0 to ``float()`` but 0 to an integer parser)."""
    if data.find(b"-") < 0:   # memchr: most files have no negative number at all
        return False
    buf = np.frombuffer(data, dtype=np.uint8)
    minus = np.flatnonzero(buf[:-1] == 45)
    return bool((buf[minus + 1] == 48).any())


def _parse_int_csv(data: bytes) -> np.ndarray | None:
    """Comma-separated integers as float64 rows, or ``None`` if any field is not a plain integer.

    pandas' C reader is the fastest exact parser for this; accepted only when every column comes back as
    int64 (so each value is the integer written, converted exactly as ``float()`` would round it). No
    quoting, no NA strings, no BOM: a field such as ``"1"``, ``nan`` or an empty one makes a column
    non-integer, and the caller's general parser takes the text (and names a bad line).
    """
    import csv

    import pandas as pd

    if data.startswith(b"\xef\xbb\xbf") or _has_minus_zero(data):
        return None
    try:
        df = pd.read_csv(io.BytesIO(data), sep=",", header=None, skip_blank_lines=False, na_filter=False,
                         quoting=csv.QUOTE_NONE)
    except Exception:
        return None
    if not all(dt == np.int64 for dt in df.dtypes):
        return None
    return df.to_numpy(np.float64)


def _fast_parse(data: bytes, columns: int | None, n_rows: int | None = None) -> np.ndarray | None:
    """All rows as (N, columns) float64, or ``None`` when anything looks wrong.

    ``None`` sends the caller to the line-by-line parser, which names the bad file and line; so this
    path may only ever accept input that the slow path accepts too, with bit-identical values.
    ``n_rows``: the caller's count of lines in ``data`` (stripped), when it has one.
    """
    if n_rows is None:
        data = data.rstrip()
    if not data:
        return np.zeros((0, columns or 0))
    if n_rows is None:
        n_rows = data.count(b"\n") + 1
    if columns and not data[:_PROBE].translate(None, _PLAIN_CSV_BYTES):
        arr = _parse_int_csv(data)   # integer CSV (most result files and annotations)
        if arr is not None:
            return arr if arr.shape == (n_rows, columns) else None
    if b"\n\n" in data or b"\n\r\n" in data:
        return None  # a blank line inside the file: the slow path reports it
    text = data.translate(_WS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            flat = np.fromstring(text, sep=" ")  # text mode: a correctly rounded strtod, nan/inf included
        except ValueError:
            return None
    # every line must hold exactly `columns` values: count token starts per line
    buf = np.frombuffer(text, dtype=np.uint8)
    newline = buf == 10
    sep = newline | (buf == 32)
    starts = ~sep
    starts[1:] &= sep[:-1]
    bounds = np.concatenate(([0], np.flatnonzero(newline), [len(buf)]))
    per_line = np.diff(np.searchsorted(np.flatnonzero(starts), bounds))
    width = columns or (int(per_line[0]) if len(per_line) else 0)
    if per_line.shape[0] != n_rows or (per_line != width).any() or flat.size != width * n_rows:
        return None
    return flat.reshape(n_rows, width)


def parse_boxes(text: str | bytes, source: str = "<text>", columns: int | None = 4) -> np.ndarray:
    """Parse rows of numbers (any of ``, \\t ;`` or spaces as delimiters) into a float64 array.

    ``columns`` fixes the expected row width (``None`` accepts any width, as long as all rows agree).
    Blank lines at the end are ignored; ``nan``/``NaN`` parse as NaN. A bad row raises
    :class:`DataError` naming ``source`` and the 1-based line.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    fast = _fast_parse(data, columns)
    if fast is not None:
        return fast
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{source}: not a text file") from None
    while lines and not lines[-1].strip():
        lines.pop()
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
    return np.asarray(rows, dtype=np.float64).reshape(-1, width or 0)


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a text file") from None


def load_boxes(path: str | os.PathLike, columns: int | None = 4) -> np.ndarray:
    """Load an ``x,y,w,h``-per-line file (results or ground truth) as an (N, columns) float64 array."""
    path = Path(path)
    return parse_boxes(_read_bytes(path), str(path), columns)


def read_many_bytes(paths: Iterable[str | os.PathLike]) -> list[bytes] | None:
    """The bytes of every file, or ``None`` if any cannot be read (``os.open``/``os.read``: no ``Path``
    and no buffered file object per file, which is most of the cost for many small files)."""
    out = []
    try:
        for p in paths:
            fd = os.open(p, os.O_RDONLY)
            try:
                chunks = []
                while True:
                    b = os.read(fd, 1 << 20)
                    if not b:
                        break
                    chunks.append(b)
            finally:
                os.close(fd)
            out.append(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    except OSError:
        return None
    return out


def _stripped_length(data: bytes) -> int:
    """``len(data.rstrip())`` without making the stripped copy."""
    n = len(data)
    while n and data[n - 1] in b" \t\r\n\x0b\x0c":
        n -= 1
    return n


def load_many_boxes(paths: Iterable[str | os.PathLike], columns: int = 4) -> list[np.ndarray]:
    """:func:`load_boxes` over many files with one vectorised parse (scoring 280 LaSOT files at once).

    Values and errors are those of :func:`load_boxes`: when the joint parse finds anything odd, every
    file is re-read on its own so the error names the bad file and line.
    """
    paths = list(paths)
    datas = read_many_bytes(paths)
    if datas is None:   # a missing or unreadable file: load_boxes names it
        return [load_boxes(p, columns) for p in paths]
    ends = [_stripped_length(d) for d in datas]
    # files joined by one newline each, without trailing whitespace (views: no copy of each file)
    joined = b"\n".join(memoryview(d)[:e] for d, e in zip(datas, ends) if e)
    rows = [d.count(b"\n", 0, e) + 1 if e else 0 for d, e in zip(datas, ends)]
    total = sum(rows)
    flat = _fast_parse(joined, columns, total) if paths and joined else (
        _fast_parse(joined, columns) if paths else None)
    if flat is None or len(flat) != total:
        return [load_boxes(p, columns) for p in paths]
    out, a = [], 0
    for r in rows:
        out.append(flat[a:a + r])
        a += r
    return out


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

"""Parsed box files kept between runs: scoring the same files again reads the parsed numbers, not the text.

Scoring LaSOT's 280 test sequences reads about 20 MB of text (the ground truth and a tracker's boxes), and
parsing it is most of a ``bench evaluate`` process; the parsed float64 array is read back by mapping the
entry (copy-on-write: the arrays are writable, and a write never reaches the file).
The same ground truth is read for every tracker a user scores, and the same results for every report, so
:func:`bench.core.io.load_many_boxes` keeps each batch it parsed here and reads it back next time.

When an entry is used (the rule git's index trusts, plus its "racy" guard):
- It is found by the files' state as ``os.stat`` gives it: device, inode, size, mtime and ctime in
  nanoseconds, in order, with the expected row width and this module's :data:`FORMAT`. Any write to a
  file moves its ctime, which no program can set back, so a changed, replaced or touched file never
  matches. The file's name is not part of the key: the same file reached by another path is the same file.
- The one blind spot is a second write within the file system clock's tick (milliseconds) of the state
  that was recorded; a batch with a file changed in the last :data:`SETTLE_NS` is therefore parsed but not
  stored, so every stored state is older than any later write can be.
- An entry holds its key, shape and a checksum of its bytes, and is written to a temporary file and
  renamed into place (never rewritten in place, so a mapping of it stays whole); a torn, truncated or
  foreign file fails those checks and is parsed again.
- Only successful parses are stored: a file with a bad line always reaches the parser and its
  ``file:line`` error.

Where: ``$BENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/spiketrack-bench/boxes``, else
``~/.cache/spiketrack-bench/boxes``; ``BENCH_CACHE_DIR=off`` (or empty) turns it off. At most
``$BENCH_CACHE_MAX_MB`` megabytes (default 2048; the least recently used entries go first). Batches under
:data:`MIN_BYTES` are never stored (their parse costs about what a lookup does). A folder that cannot be
written is skipped without a word: the cache only ever saves time, it never changes a number.
"""
from __future__ import annotations

import json
import mmap
import os
import time
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

#: bumped whenever the parser's output for the same bytes could change (old entries then never match)
FORMAT = 1
MAGIC = b"BBOXES1\n"
ENV_DIR, ENV_MAX_MB = "BENCH_CACHE_DIR", "BENCH_CACHE_MAX_MB"
#: batches smaller than this (in bytes of text) are parsed every time
MIN_BYTES = 1 << 20
#: a batch whose newest file changed less than this long ago is not stored (the "racy" guard)
SETTLE_NS = 2_000_000_000
DEFAULT_MAX_MB = 2048
_OFF = {"", "0", "off", "none", "false", "no"}
_ALIGN = 64


def cache_dir() -> Path | None:
    """The folder entries live in, or ``None`` when the cache is off."""
    env = os.environ.get(ENV_DIR)
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "spiketrack-bench" / "boxes"


def _max_bytes() -> int:
    try:
        return max(0, int(os.environ.get(ENV_MAX_MB, DEFAULT_MAX_MB))) << 20
    except ValueError:
        return DEFAULT_MAX_MB << 20


class Entry:
    """The cache entry of one batch of files, as their state is now (see the module's rules)."""

    def __init__(self, folder: Path, key: str, storable: bool) -> None:
        # the whole key is in the entry and compared on reading: the name's 64-bit hash only spreads them
        data = key.encode()
        self.path = folder / f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}.boxes"
        self.key = key
        self.storable = storable

    @classmethod
    def for_files(cls, paths: Sequence[str | os.PathLike], columns: int | None) -> "Entry | None":
        """The entry of these files, or ``None`` when the cache is off, the batch is small or a file
        cannot be stat'ed (the parser then names it)."""
        folder = cache_dir()
        if folder is None or not paths:
            return None
        stamps = [f"{FORMAT} {columns}"]
        newest = total = 0
        try:
            for p in paths:
                st = os.stat(p)
                stamps.append(f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}")
                total += st.st_size
                newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        except (OSError, ValueError):
            return None
        if total < MIN_BYTES:
            return None
        return cls(folder, "\n".join(stamps), newest < time.time_ns() - SETTLE_NS)

    def load(self) -> list[np.ndarray] | None:
        """The files' arrays as the parser gave them (views of one array), or ``None`` on a miss."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
                if len(head) != 16 or head[:8] != MAGIC:
                    return None
                size = int.from_bytes(head[8:], "little")
                meta = json.loads(f.read(size))
                if meta.get("key") != self.key:
                    return None
                shape, offset = tuple(int(n) for n in meta["shape"]), _align(16 + size)
                if os.fstat(f.fileno()).st_size != offset + 8 * shape[0] * shape[1]:
                    return None   # torn or grown
                # mapped copy-on-write: pages come from the page cache as they are read (a copy costs
                # more), and the arrays stay writable without touching the file
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
            base = np.ndarray(shape, dtype="<f8", buffer=data, offset=offset)
            if _checksum(base) != meta["checksum"]:
                return None
            rows = [int(r) for r in meta["rows"]]
            flat = base.T if meta["layout"] == "T" else base
            if sum(rows) != len(flat):
                return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None
        try:
            os.utime(self.path)   # recently used: the last to be evicted
        except OSError:
            pass   # a read-only cache still serves its entries
        out, a = [], 0
        for r in rows:
            out.append(flat[a:a + r])
            a += r
        return out

    def store(self, flat: np.ndarray, rows: list[int]) -> None:
        """Keep the parsed batch (``flat``: all rows, ``rows``: each file's count), if its files are settled."""
        if not self.storable or flat.dtype != np.float64 or flat.ndim != 2:
            return
        if flat.flags.c_contiguous:
            base, layout = flat, "C"
        elif flat.T.flags.c_contiguous:   # the integer parser's coordinate-major layout, kept as it is
            base, layout = flat.T, "T"
        else:
            base, layout = np.ascontiguousarray(flat), "C"
        meta = {"key": self.key, "shape": list(base.shape), "layout": layout, "rows": [int(r) for r in rows],
                "checksum": _checksum(base)}
        text = json.dumps(meta).encode()
        header = MAGIC + len(text).to_bytes(8, "little") + text
        header += b" " * (_align(len(header)) - len(header))   # the array starts on an aligned offset
        try:
            _write_atomic(self.path, header, base)
            _evict(self.path.parent, keep=self.path)
        except OSError:
            pass   # read-only or full: the cache is only ever a saving


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _checksum(a: np.ndarray) -> int:
    """The bytes of ``a`` as uint64 words summed modulo 2**64 (a torn or foreign file fails it)."""
    return int(np.add.reduce(a.reshape(-1).view(np.uint64), dtype=np.uint64))


def _write_atomic(path: Path, header: bytes, base: np.ndarray) -> None:
    """``header`` then ``base``'s bytes, through a temporary file renamed into place (no fsync: a file torn
    by a crash fails the size or checksum test and is parsed again)."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(memoryview(base).cast("B"))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


#: a temporary file this old is the leftover of a process killed while writing it
STALE_TMP_NS = 3600 * 10**9


def _evict(folder: Path, keep: Path) -> None:
    """Remove the least recently used entries until the folder is within ``$BENCH_CACHE_MAX_MB``, and
    temporary files that a killed writer left."""
    limit = _max_bytes()
    entries = []
    old = time.time_ns() - STALE_TMP_NS
    with os.scandir(folder) as it:
        for e in it:
            if not e.is_file(follow_symlinks=False):
                continue
            st = e.stat(follow_symlinks=False)
            if e.name.endswith(".boxes"):
                entries.append((st.st_mtime_ns, st.st_size, e.path))
            elif e.name.startswith(".") and e.name.endswith(".tmp") and st.st_mtime_ns < old:
                try:
                    os.unlink(e.path)
                except OSError:
                    pass
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= limit:
            break
        if p == str(keep):
            continue
        try:
            os.unlink(p)
            total -= size
        except OSError:
            pass

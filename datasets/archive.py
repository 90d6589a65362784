"""Frames read straight out of the zip archives benchmarks ship (TrackingNet, GOT-10k), no unpacking.

A TrackingNet chunk is ~90 GB of per-video zips; unpacking doubles the disk it needs. Members are read
on demand (``zipfile`` seeks to the member, JPEGs are stored, so a read is one seek and one copy); the
archive's index is read once per process and shared by every sequence inside it.
"""
from __future__ import annotations

import os
import re
import struct
import threading
import zlib
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Iterable

import numpy as np

from bench.core.errors import DataError
from datasets.base import decode_image, decode_text

IMAGE_EXTS = (".jpg", ".jpeg", ".png")


def _zipfile():
    """``zipfile``, imported when an archive is opened: every command imports this adapter, few read zips,
    and the import (bz2, lzma, shutil) is a tenth of what ``bench evaluate`` spends on its imports."""
    import zipfile

    return zipfile


def zip_errors() -> tuple[type[BaseException], ...]:
    """What zipfile raises on a damaged archive or member (a bad deflate stream is a bare zlib.error; an
    encrypted member a RuntimeError; an unknown compression method NotImplementedError)."""
    return (_zipfile().BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError, struct.error)


def zip_problem(e: BaseException) -> str:
    """A short reason for a zip error: ``Bad CRC-32``, ``truncated``, ``invalid deflate data ...``."""
    if isinstance(e, EOFError):
        return "truncated"
    if isinstance(e, zlib.error):
        return f"invalid deflate data: {str(e).rpartition(': ')[2]}"
    if isinstance(e, NotImplementedError):
        return "unsupported compression method"
    if isinstance(e, RuntimeError) and "encrypted" in str(e):
        return "encrypted, needs a password"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = str(e).split(" for file ")[0]  # "Bad CRC-32 for file 'x'": the member is named already
    return text or type(e).__name__


class ZipArchive:
    """One open zip file, safe to read from several threads (one handle per thread)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            with _zipfile().ZipFile(self.path) as zf:
                self._names = zf.namelist()
        except FileNotFoundError:
            raise DataError(f"{self.path}: archive not found") from None
        except zip_errors() as e:  # truncated (no central directory), not a zip, a folder
            raise DataError(f"{self.path}: not a readable zip archive ({zip_problem(e)})") from None
        self._members = set(self._names)
        self._local = threading.local()
        self._folders: dict[str, list[str]] | None = None

    def names(self) -> list[str]:
        return self._names

    def __contains__(self, member: str) -> bool:
        return member in self._members

    def _handle(self) -> "zipfile.ZipFile":  # noqa: F821 (imported on demand)
        zf = getattr(self._local, "zf", None)
        if zf is None:
            zf = self._local.zf = _zipfile().ZipFile(self.path)
        return zf

    def read(self, member: str) -> bytes:
        if member not in self._members:
            raise DataError(f"{self.path}:{member}: not in the archive")
        try:
            return self._handle().read(member)
        except OSError as e:  # the file itself (gone, permissions, I/O error), not its content
            zf, self._local.zf = getattr(self._local, "zf", None), None  # reopen on the next read
            if zf is not None:
                zf.close()
            raise DataError(f"{self.path}: cannot read member {member} ({e.strerror or e})") from None
        except zip_errors() as e:  # CRC mismatch, bad deflate stream, truncated member
            raise DataError(f"{self.path}: member {member} is corrupt ({zip_problem(e)})") from None

    def read_text(self, member: str, strict: bool = False) -> str:
        return decode_text(self.read(member), f"{self.path}:{member}", strict)

    def location(self, member: str) -> str:
        return f"{self.path}:{member}"

    def folders(self) -> dict[str, list[str]]:
        """Member names grouped by their folder ("" = archive root); built once (GOT-10k train zips hold
        ~1.4 million members, so a scan per sequence would be quadratic)."""
        if self._folders is None:
            groups: dict[str, list[str]] = {}
            for n in self._names:
                if not n.endswith("/"):
                    groups.setdefault(n.rpartition("/")[0], []).append(n)
            self._folders = groups
        return self._folders

    def images_in(self, folder: str) -> list[str]:
        """Image members directly inside ``folder`` ("" = archive root), sorted by the number in their name."""
        members = self.folders().get(folder.rstrip("/"), [])
        return sorted((n for n in members if n.lower().endswith(IMAGE_EXTS)), key=numeric_key)


@lru_cache(maxsize=64)
def open_archive(path: str) -> ZipArchive:
    """A shared :class:`ZipArchive` for ``path`` (the index of a big zip is read only once)."""
    return ZipArchive(path)


def numeric_key(name: str) -> tuple:
    """Sort ``2.jpg`` before ``10.jpg`` (TrackingNet frame names are unpadded numbers)."""
    stem = PurePosixPath(name).stem
    m = re.search(r"\d+", stem)
    return (int(m.group()) if m else -1, stem)


class ZipFrames:
    """Frames stored as image members of one zip archive."""

    def __init__(self, archive: ZipArchive, members: Iterable[str]):
        self.archive = archive
        self.members = list(members)

    def __len__(self) -> int:
        return len(self.members)

    def read(self, index: int) -> np.ndarray:
        member = self.members[index]
        return decode_image(self.archive.read(member), f"{self.archive.path}:{member}")

    def location(self, index: int) -> str:
        return self.archive.location(self.members[index])

    def __repr__(self) -> str:
        return f"ZipFrames({len(self)} frames from {self.archive.path})"

"""GOT-10k train / val / test, from unpacked folders or straight from the released zips.

Layout: ``<root>/<split>/list.txt`` and ``<root>/<split>/GOT-10k_Val_000001/`` holding ``%08d.jpg``,
``groundtruth.txt`` (comma ``x,y,w,h``; **test: the first row only**), ``meta_info.ini`` and, for train and
val, ``cover.label`` (0-8, 0 = not visible), ``absence.label`` (1 = absent) and ``cut_by_image.label``.
The same tree inside zips in ``<root>`` whose names contain the split (``val_data.zip``, ``test.zip``,
``GOT-10k_Train_split_01.zip`` ... ``_19.zip``; any leading folder inside) is read without unpacking; a
sequence missing from the zips gives "file not found" for its ``groundtruth.txt``. Test ground truth is the first box followed by NaN rows, one per frame.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import parse_boxes, parse_ini
from datasets.archive import ZipArchive, ZipFrames, numeric_key, open_archive
from datasets.base import (Dataset, PathListFrames, Sequence, fit_length, parse_flags, read_name_list,
                           read_text_file)
from datasets.registry import register_dataset

SPLITS = ("train", "val", "test")
LABELS = ("cover", "absence", "cut_by_image")
IMAGE_EXTS = (".jpg", ".jpeg", ".png")


def parse_meta(text: str, source: str = "meta_info.ini") -> dict:
    """``meta_info.ini``: a ``[METAINFO]`` section of ``key: value`` lines. Anything configparser
    refuses (no section header, a duplicate key, a line without ``:``) -> DataError naming ``source:line``."""
    parser = parse_ini(text, source, DataError, raw=True)
    if not parser.has_section("METAINFO"):
        raise DataError(f"{source}: no [METAINFO] section")
    meta: dict = dict(parser["METAINFO"])
    res = meta.get("resolution", "")
    try:
        nums = [int(float(t)) for t in res.strip("()[] ").replace(",", " ").split()] if res else []
    except ValueError:
        raise DataError(f"{source}: resolution {res[:40]!r} is not '(width, height)'") from None
    if len(nums) == 2:
        meta["resolution"] = tuple(nums)  # (W, H)
    return meta


def pad_first_box(gt: np.ndarray, n: int) -> np.ndarray:
    """Ground truth of ``n`` frames from a file that gives fewer (test sets): unknown rows are NaN."""
    out = np.full((max(n, len(gt)), 4), np.nan)
    out[: len(gt)] = gt
    return out


GOT10K_BENCHMARK = Benchmark(
    name="got10k", display_name="GOT-10k", toolkit_mode="got10k",
    # got10k toolkit ExperimentGOT10k on val; the test split is scored by the server (``bench submit``)
    default_protocol="got10k-val", submission="got10k",
    description="GOT-10k train/val/test (folders or the released zips); test has only first boxes",
    aliases=("got10k_test", "got10k_val"))


class GOT10kDataset(Dataset):
    name = "got10k"

    def __init__(self, root: Path, split: str | None = None, annotations: Path | None = None):
        self.split = (split or "val").lower()
        if self.split not in SPLITS:
            raise ConfigError(f"got10k: unknown split {split!r}; known: {', '.join(SPLITS)}")
        root = Path(annotations or root)
        self.root = root
        self.folder: Path | None = None
        #: archive mode: sequence name -> (archive, folder of the sequence inside it)
        self._in_zip: dict[str, tuple[ZipArchive, str]] = {}
        self._zip_list: list[str] | None = None
        if (root / self.split / "list.txt").is_file():
            self.folder = root / self.split
        elif (root / "list.txt").is_file() and root.name.lower() == self.split:
            self.folder = root
        else:
            self._open_archives(root)
        self._names: list[str] | None = None

    def _open_archives(self, root: Path) -> None:
        """``<split>_data.zip``, ``<split>.zip`` or several zips naming the split (``GOT-10k_Train_split_01.zip``)."""
        zips = sorted(p for p in root.glob("*.zip") if self.split in p.stem.lower()) if root.is_dir() else []
        if not zips:
            raise DataError(f"{root}: no GOT-10k {self.split} split (expected {self.split}/list.txt or "
                            f"{self.split}_data.zip)")
        for z in zips:
            archive = open_archive(str(z))
            for folder, members in archive.folders().items():
                if folder + "/groundtruth.txt" in archive:
                    self._in_zip.setdefault(folder.rpartition("/")[2], (archive, folder))
            lists = [n for n in archive.names() if PurePosixPath(n).name == "list.txt"]
            if lists and self._zip_list is None:
                text = archive.read_text(min(lists, key=lambda n: n.count("/")))
                self._zip_list = [l.strip() for l in text.splitlines() if l.strip()]
        if not self._in_zip:
            raise DataError(f"{zips[0]}: no GOT-10k sequence (<seq>/groundtruth.txt) inside the archive")

    def _text(self, name: str, file: str, strict: bool = True) -> str | None:
        """The text of one file of sequence ``name`` (None if absent); bad bytes -> DataError."""
        if self.folder is None:
            archive, folder = self._in_zip.get(name, (None, ""))
            member = f"{folder}/{file}"
            return archive.read_text(member, strict) if archive is not None and member in archive else None
        p = self.folder / name / file
        return read_text_file(p, strict) if p.exists() else None

    def _where(self, name: str, file: str) -> str:
        if self.folder is None:
            archive, folder = self._in_zip.get(name, (None, name))
            return f"{archive.path if archive else self.root}:{folder}/{file}"
        return str(self.folder / name / file)

    def names(self) -> list[str]:
        if self._names is None:
            if self.folder is not None:
                self._names = read_name_list(self.folder / "list.txt")
            elif (self.root / self.split / "list.txt").is_file():
                self._names = read_name_list(self.root / self.split / "list.txt")
            else:
                self._names = self._zip_list if self._zip_list is not None else sorted(self._in_zip)
        return self._names

    def load(self, name: str) -> Sequence:
        gt_text = self._text(name, "groundtruth.txt")
        if gt_text is None:
            raise DataError(f"{self._where(name, 'groundtruth.txt')}: file not found")
        gt_path = self._where(name, "groundtruth.txt")
        gt = parse_boxes(gt_text, gt_path)
        n_rows = len(gt)
        if self.folder is None:
            archive, folder = self._in_zip[name]
            frames = ZipFrames(archive, archive.images_in(folder))
        else:
            d = self.folder / name
            files = ([os.path.join(d, e) for e in sorted(os.listdir(d), key=numeric_key)
                      if os.path.splitext(e)[1].lower() in IMAGE_EXTS] if d.is_dir() else [])
            frames = PathListFrames(files)
        n = len(frames) or len(gt)
        if self.split == "test":
            gt = pad_first_box(gt, n)
        flags, problems = {}, []
        for label in LABELS:
            text = self._text(name, f"{label}.label")
            if text is not None:
                where = self._where(name, f"{label}.label")
                values = parse_flags(text, where)
                if len(values) != len(gt):
                    problems.append(f"{where}: {len(values)} labels for {len(gt)} frames")
                flags[label] = fit_length(values, len(gt))
        meta_text = self._text(name, "meta_info.ini")
        attributes = parse_meta(meta_text, self._where(name, "meta_info.ini")) if meta_text is not None else {}
        return Sequence(name=name, frames=frames, ground_truth=gt, flags=flags, attributes=attributes,
                        dataset=self.name, extra={"split": self.split, "problems": problems, "annotation": gt_path},
                        gt_path=gt_path, gt_lines=range(1, n_rows + 1) if self.split == "test" else None)


@register_dataset("got10k", benchmark=GOT10K_BENCHMARK, needs_root=True, splits=list(SPLITS))
def _got10k(root=None, split=None, annotations=None, **kw) -> Dataset:
    return GOT10kDataset(root, split, annotations)

"""Need for Speed (NfS), 30 fps version, 100 sequences.

Original layout: ``<root>/<seq>/30/<seq>/%05d.jpg`` and ``<root>/<seq>/30/<seq>.txt`` whose rows are
``id xmin ymin xmax ymax frame lost occluded generated "label"`` (space separated). Boxes become
``x, y, w = xmax - xmin, h = ymax - ymin`` (as the got10k toolkit converts them). Some 30-fps files hold the
240-fps annotations (about 8 rows per frame): then every 8th row is kept, and a remaining difference of
one row between boxes and frames is trimmed, as the got10k toolkit does. Flags ``lost`` and
``occluded`` come from the same rows.

pytracking's pre-converted layout is read too: ``<root>/sequences/<seq>/%05d.jpg`` with
``<root>/anno/nfs_<seq>.txt`` (``x,y,w,h``, tab or comma).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import Dataset, PathListFrames, Sequence, numbered_files, read_text_file
from datasets.registry import register_dataset


def parse_nfs_rows(text: str, source: str) -> np.ndarray:
    """The numeric columns ``id xmin ymin xmax ymax frame lost occluded generated`` of an NfS file."""
    return parse_nfs(text, source)[0]


def parse_nfs(text: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_nfs_rows` and the 1-based file line of each row (blank lines are skipped)."""
    rows, lines = [], []
    for i, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) < 9:
            raise DataError(f"{source}:{i}: expected 'id xmin ymin xmax ymax frame lost occluded generated "
                            f"label', found {len(tokens)} fields")
        try:
            rows.append([float(t) for t in tokens[:9]])
        except ValueError:
            raise DataError(f"{source}:{i}: not a number in {line.strip()[:60]!r}") from None
        lines.append(i)
    return np.asarray(rows, dtype=np.float64).reshape(-1, 9), np.asarray(lines, dtype=np.int64)


def align_to_frames(rows: np.ndarray, n_frames: int) -> np.ndarray:
    """240-fps rows under a 30-fps folder -> every 8th row; a difference of one row -> trimmed."""
    if n_frames and len(rows) != n_frames:
        if abs(len(rows) / n_frames - 8) < 1:
            rows = rows[0::8]
        if 0 < abs(len(rows) - n_frames) <= 1:
            rows = rows[: min(len(rows), n_frames)]
    return rows


NFS_BENCHMARK = Benchmark(
    name="nfs", display_name="NfS", toolkit_mode="nfs",
    default_protocol="otb-toolkit",   # NfS was benchmarked with the OTB toolkit
    description="Need for Speed, 30 fps: 100 sequences (original or pytracking layout)",
    aliases=("nfs30", "nfs_30fps"))


class NfSDataset(Dataset):
    name = "nfs"

    def __init__(self, root: Path, split: str | None = None, annotations: Path | None = None):
        if split not in (None, "30", "30fps", "test"):
            raise ConfigError(f"nfs: unknown split {split!r}; valid splits: 30fps")
        self.root = Path(annotations or root)
        self.converted = (self.root / "anno").is_dir() and (self.root / "sequences").is_dir()
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            if not self.root.is_dir():
                raise DataError(f"{self.root}: nfs root folder not found")
            if self.converted:
                self._names = sorted(p.stem[len("nfs_"):] for p in (self.root / "anno").glob("nfs_*.txt"))
            else:
                self._names = sorted(d.name for d in self.root.iterdir() if (d / "30" / f"{d.name}.txt").is_file())
        return self._names

    def anno_path(self, name: str) -> Path:
        return self.root / "anno" / f"nfs_{name}.txt" if self.converted else self.root / name / "30" / f"{name}.txt"

    def load(self, name: str) -> Sequence:
        if self.converted:
            gt_path = str(self.anno_path(name))
            gt = load_boxes(gt_path)
            found = numbered_files(self.root / "sequences" / name)
            frames = PathListFrames([found[k] for k in sorted(found)][: len(gt)])
            return Sequence(name=name, frames=frames, ground_truth=gt, dataset=self.name,
                            extra={"annotation": gt_path}, gt_path=gt_path)
        path = self.anno_path(name)
        text = read_text_file(path)
        found = numbered_files(self.root / name / "30" / name)
        files = [found[k] for k in sorted(found)]
        raw, raw_lines = parse_nfs(text, str(path))
        kept = align_to_frames(np.arange(len(raw)), len(files))  # which rows: the same slicing as the rows
        rows, lines = raw[kept], raw_lines[kept]
        if files and len(files) != len(rows) and abs(len(files) - len(rows)) <= 1:
            files = files[: len(rows)]
        gt = rows[:, 1:5].copy()
        gt[:, 2:] -= gt[:, :2]
        flags = {"lost": rows[:, 6].astype(np.int64), "occluded": rows[:, 7].astype(np.int64)}
        return Sequence(name=name, frames=PathListFrames(files), ground_truth=gt, flags=flags, dataset=self.name,
                        extra={"fps": 30, "annotation_fps": 240 if len(rows) < len(raw) // 4 else 30,
                               "annotation": str(path)}, gt_path=str(path), gt_lines=lines.tolist())


@register_dataset("nfs", benchmark=NFS_BENCHMARK, needs_root=True, splits=["30fps"],
                  split_aliases={"30": "30fps", "test": "30fps"})
def _nfs(root=None, split=None, annotations=None, **kw) -> Dataset:
    return NfSDataset(root, split, annotations)

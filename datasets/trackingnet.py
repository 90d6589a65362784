"""TrackingNet TRAIN_0 ... TRAIN_11 and TEST, from unpacked frames or straight from the per-video zips.

Layout: ``<root>/<CHUNK>/anno/<seq>.txt`` (comma ``x,y,w,h`` floats; TEST: first frame only),
``<root>/<CHUNK>/frames/<seq>/<i>.jpg`` (unpadded numbers, sorted numerically) or, when not unpacked,
``<root>/<CHUNK>/zips/<seq>.zip`` read in place. Sequence names come from ``anno/*.txt`` (as pytracking
does for TEST). TEST ground truth is the first box followed by NaN rows, one per frame.
"""
from __future__ import annotations

import os
from pathlib import Path


from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.archive import ZipArchive, ZipFrames, numeric_key
from datasets.base import Dataset, PathListFrames, Sequence
from datasets.got10k import pad_first_box
from datasets.registry import register_dataset

CHUNKS = [f"TRAIN_{i}" for i in range(12)] + ["TEST"]
IMAGE_EXTS = (".jpg", ".jpeg", ".png")


def _chunks_for(split: str | None) -> list[str]:
    if split is None:
        return ["TEST"]
    s = split.upper()
    if s == "TRAIN":
        return CHUNKS[:12]
    if s in CHUNKS:
        return [s]
    raise ConfigError(f"trackingnet: unknown split {split!r}; valid splits: {', '.join(CHUNKS)}, TRAIN (all 12)")


TRACKINGNET_BENCHMARK = Benchmark(
    name="trackingnet", display_name="TrackingNet", toolkit_mode="trackingnet",
    # TrackingNet devkit metrics.py; the TEST split is scored by the server (``bench submit``)
    default_protocol="trackingnet-devkit", submission="trackingnet",
    description="TrackingNet TEST (511) and TRAIN_0..11, frames or per-video zips read in place")


class TrackingNetDataset(Dataset):
    name = "trackingnet"

    def __init__(self, root: Path, split: str | None = None, annotations: Path | None = None):
        self.root = Path(annotations or root)
        self.chunks = _chunks_for(split)
        self.test = self.chunks == ["TEST"]
        self._where: dict[str, str] | None = None

    def _index(self) -> dict[str, str]:
        if self._where is None:
            where: dict[str, str] = {}
            for chunk in self.chunks:
                anno = self.root / chunk / "anno"
                if not anno.is_dir():
                    raise DataError(f"{anno}: TrackingNet annotation folder not found")
                for p in sorted(anno.glob("*.txt")):
                    where[p.stem] = chunk
            self._where = where
        return self._where

    def names(self) -> list[str]:
        return list(self._index())

    def load(self, name: str) -> Sequence:
        chunk = self._index().get(name)
        if chunk is None:
            raise DataError(f"trackingnet: unknown sequence {name!r}")
        base = self.root / chunk
        gt_path = str(base / "anno" / f"{name}.txt")
        gt = load_boxes(gt_path)
        n_rows = len(gt)
        folder, zpath = base / "frames" / name, base / "zips" / f"{name}.zip"
        if folder.is_dir():
            files = [os.path.join(folder, e) for e in sorted(os.listdir(folder), key=numeric_key)
                     if os.path.splitext(e)[1].lower() in IMAGE_EXTS]
            frames = PathListFrames(files)
        elif zpath.is_file():
            archive = ZipArchive(zpath)
            members = [m for m in archive.names() if m.lower().endswith(IMAGE_EXTS)]
            frames = ZipFrames(archive, sorted(members, key=numeric_key))
        else:
            frames = PathListFrames([])
        if chunk == "TEST":
            gt = pad_first_box(gt, len(frames) or len(gt))
        return Sequence(name=name, frames=frames, ground_truth=gt, dataset=self.name,
                        extra={"chunk": chunk, "annotation": gt_path}, gt_path=gt_path,
                        gt_lines=range(1, n_rows + 1) if chunk == "TEST" else None)


@register_dataset("trackingnet", benchmark=TRACKINGNET_BENCHMARK, needs_root=True, splits=CHUNKS + ["TRAIN"])
def _trackingnet(root=None, split=None, annotations=None, **kw) -> Dataset:
    return TrackingNetDataset(root, split, annotations)

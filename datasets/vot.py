"""VOT2018 (polygons, reset-based) and VOT2020 short-term (masks, anchors), as the VOT toolkit lays them out.

Layout: ``<root>/list.txt`` (or ``<root>/sequences/list.txt``, a toolkit workspace) and per sequence
``groundtruth.txt`` (one region per line: ``x,y,w,h``, a polygon ``x1,y1,...,x4,y4`` or a VOT2020 RLE
mask ``m<x0>,<y0>,<w>,<h>,<runs...>``), per-frame tag files ``<tag>.tag`` / ``<tag>.label`` (0/1 per line:
camera_motion, illum_change, motion_change, size_change, occlusion), ``anchor.value`` (VOT2020) and the
``sequence`` metadata file (``channels.color=color/%08d.jpg``, width, height, length, fps). Older
VOT2018 copies keep the JPEGs next to ``groundtruth.txt``; both are found.

``ground_truth`` holds each region's axis-aligned bounding box (:func:`bench.core.regions.region_to_box`),
``extra['regions']`` the parsed regions themselves (polygons, masks) for the VOT overlaps, ``flags`` the
tags and ``flags['anchor']``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from datasets.base import (Dataset, PathListFrames, Sequence, load_frame_flags, numbered_files, read_name_list,
                           read_text_file)
from datasets.registry import register_dataset

TAG_EXTS = (".tag", ".label")

VOT2018_BENCHMARK = Benchmark(
    name="vot2018", display_name="VOT2018", toolkit_mode="vot", default_protocol="vot2018", results="vot",
    description="VOT2018 short-term: 60 sequences, rotated-box polygons, per-frame tags")
VOT2020_BENCHMARK = Benchmark(
    name="vot2020", display_name="VOT2020", toolkit_mode="vot", default_protocol="vot2020", results="vot",
    description="VOT2020 short-term: 60 sequences, RLE masks, anchors for multi-start")


def parse_sequence_meta(path: Path) -> dict:
    """The VOT ``sequence`` file: ``key=value`` lines (``channels.color=color/%08d.jpg``, ``width=...``)."""
    meta: dict = {}
    if path.exists():
        for line in read_text_file(path).splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k.strip()] = v.strip()
    for k in ("width", "height", "length"):
        if k in meta:
            try:
                meta[k] = int(float(meta[k]))
            except ValueError:
                raise DataError(f"{path}: {k}={meta[k]!r} is not a number") from None
    return meta


class VOTDataset(Dataset):
    name = "vot2018"

    def __init__(self, root: Path, split: str | None = None, annotations: Path | None = None):
        if split not in (None, "test", "baseline"):
            raise ConfigError(f"{self.name}: unknown split {split!r}; valid splits: test")
        root = Path(annotations or root)
        self.root = root / "sequences" if (root / "sequences" / "list.txt").is_file() else root
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            if (self.root / "list.txt").is_file():
                self._names = read_name_list(self.root / "list.txt")
            elif self.root.is_dir():
                self._names = sorted(d.name for d in self.root.iterdir() if (d / "groundtruth.txt").is_file())
            else:
                raise DataError(f"{self.root}: {self.name} root folder not found")
        return self._names

    def frame_paths(self, folder: Path, meta: dict, n: int) -> list[str]:
        pattern = meta.get("channels.color")
        if pattern:
            try:
                return [os.path.join(folder, pattern % i) for i in range(1, n + 1)]
            except (TypeError, ValueError):  # not one printf-style number field
                raise DataError(f"{folder / 'sequence'}: channels.color={pattern!r} is not a frame pattern "
                                f"such as color/%08d.jpg") from None
        for d in (folder / "color", folder):
            found = numbered_files(d) if d.is_dir() else {}
            if found:
                return [found.get(i) or os.path.join(d, f"{i:08d}.jpg") for i in range(1, n + 1)]
        return [os.path.join(folder, "color", f"{i:08d}.jpg") for i in range(1, n + 1)]

    def load(self, name: str) -> Sequence:
        from bench.core.regions import parse_regions, region_to_box  # imported on use: keeps `import datasets` light

        folder = self.root / name
        gt_path = folder / "groundtruth.txt"
        text = read_text_file(gt_path)  # missing, a folder, not UTF-8: DataError here, not in read_regions
        regions = parse_regions(text.splitlines(), str(gt_path))
        n = len(regions)
        gt = np.array([region_to_box(r) for r in regions], dtype=np.float64).reshape(-1, 4)
        meta = parse_sequence_meta(folder / "sequence")
        flags: dict[str, np.ndarray] = {}
        problems: list[str] = []
        for p in sorted(folder.iterdir()) if folder.is_dir() else []:
            if p.suffix in TAG_EXTS:
                flags[p.stem] = load_frame_flags(p, n, problems)
        anchor = folder / "anchor.value"
        if anchor.exists():
            flags["anchor"] = load_frame_flags(anchor, n, problems, dtype=np.float64)
        attributes = {k: meta[k] for k in ("width", "height", "fps") if k in meta}
        return Sequence(name=name, frames=PathListFrames(self.frame_paths(folder, meta, n)), ground_truth=gt,
                        flags=flags, attributes=attributes, dataset=self.name, gt_path=str(gt_path),
                        extra={"regions": regions, "problems": problems, "annotation": str(gt_path)})


class VOT2020Dataset(VOTDataset):
    name = "vot2020"


@register_dataset("vot2018", benchmark=VOT2018_BENCHMARK, needs_root=True, splits=["test"],
                  split_aliases={"baseline": "test"})
def _vot2018(root=None, split=None, annotations=None, **kw) -> Dataset:
    return VOTDataset(root, split, annotations)


@register_dataset("vot2020", benchmark=VOT2020_BENCHMARK, needs_root=True, splits=["test"],
                  split_aliases={"baseline": "test"})
def _vot2020(root=None, split=None, annotations=None, **kw) -> Dataset:
    return VOT2020Dataset(root, split, annotations)

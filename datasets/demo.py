"""The embedded demo: three short real OTB-100 sequences shipped inside the package.

It lets ``bench run`` produce real accuracy on real frames on a fresh machine with no dataset on disk.
See ``datasets/data/otb_demo/ATTRIBUTION.md``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.core.io import load_boxes
from datasets.base import Dataset, PathListFrames, Sequence, numbered_files, read_text_file
from datasets.otb import otb_benchmark
from datasets.registry import register_dataset

DEMO_ROOT = Path(__file__).parent / "data" / "otb_demo"
DEMO_SEQUENCES = ("Crossing", "Couple", "Football1")


class DemoDataset(Dataset):
    name = "demo"

    def __init__(self, root: Path = DEMO_ROOT):
        self.root = Path(root)

    def names(self) -> list[str]:
        return list(DEMO_SEQUENCES)

    def load(self, name: str) -> Sequence:
        folder = self.root / name
        gt_path = folder / "groundtruth_rect.txt"
        gt = load_boxes(gt_path)
        # frame k is img/000k.jpg: a deleted frame stays in its place (read -> "frame not found"), and the
        # frames past the annotated ones are not part of the sequence
        found = numbered_files(folder / "img") if (folder / "img").is_dir() else {}
        img = os.fspath(folder / "img")
        frames = [found.get(i) or os.path.join(img, f"{i:04d}.jpg") for i in range(1, len(gt) + 1)]
        attrs = [a.strip() for a in read_text_file(folder / "attrs.txt").split(",") if a.strip()]
        return Sequence(name=name, frames=PathListFrames(frames), ground_truth=np.asarray(gt, dtype=np.float64),
                        attributes={"otb": attrs}, dataset=self.name, gt_path=str(gt_path),
                        extra={"annotation": str(gt_path)})


DEMO_BENCHMARK = otb_benchmark("demo", "demo",
                               "embedded demo: OTB-100 Crossing, Couple, Football1 (334 frames, shipped)")


@register_dataset("demo", benchmark=DEMO_BENCHMARK, needs_root=False)
def _demo(root=None, split=None, annotations=None, **kwargs) -> Dataset:
    return DemoDataset(Path(root) if root else DEMO_ROOT)

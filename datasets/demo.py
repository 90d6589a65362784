"""The embedded demo: three short real OTB-100 sequences shipped inside the package.

It lets ``bench run`` produce real accuracy on real frames on a fresh machine with no dataset on disk.
See ``datasets/data/otb_demo/ATTRIBUTION.md``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.io import load_boxes
from datasets.base import Dataset, FileFrames, Sequence
from datasets.registry import register_dataset

DEMO_ROOT = Path(__file__).parent / "data" / "otb_demo"
DEMO_SEQUENCES = ("Crossing", "Couple", "Football1")


class DemoDataset(Dataset):
    name = "demo"
    default_protocol = "otb-toolkit"
    dataset_mode = "otb"

    def __init__(self, root: Path = DEMO_ROOT):
        self.root = Path(root)

    def names(self) -> list[str]:
        return list(DEMO_SEQUENCES)

    def load(self, name: str) -> Sequence:
        folder = self.root / name
        gt = load_boxes(folder / "groundtruth_rect.txt")
        frames = sorted((folder / "img").glob("*.jpg"))[: len(gt)]
        attrs = [a.strip() for a in (folder / "attrs.txt").read_text().split(",") if a.strip()]
        return Sequence(name=name, frames=FileFrames(frames), ground_truth=np.asarray(gt, dtype=np.float64),
                        attributes={"otb": attrs}, dataset=self.name)


@register_dataset("demo", needs_root=False,
                  description="embedded demo: OTB-100 Crossing, Couple, Football1 (334 frames, shipped)")
def _demo(root=None, split=None, annotations=None, **kwargs) -> Dataset:
    return DemoDataset(Path(root) if root else DEMO_ROOT)

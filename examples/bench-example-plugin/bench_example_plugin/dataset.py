"""The ``example_clips`` dataset: your own clips in the simplest layout, one folder per sequence::

    ROOT/<sequence>/groundtruth.txt     one x,y,w,h box per frame (commas or spaces)
    ROOT/<sequence>/*.jpg|*.png         the frames, in file-name order

``bench run --dataset example_clips --root ROOT``; ``--split`` does not apply.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import Dataset, PathListFrames, Sequence

_IMAGES = (".jpg", ".jpeg", ".png", ".bmp")


class ClipsDataset(Dataset):
    name = "example_clips"
    default_protocol = "otb-toolkit"
    dataset_mode = "otb"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(f"example_clips: root {self.root} is not a folder")

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if (p / "groundtruth.txt").is_file())

    def load(self, name: str) -> Sequence:
        folder = self.root / name
        gt_path = folder / "groundtruth.txt"
        gt = np.asarray(load_boxes(gt_path), dtype=np.float64)
        frames = sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in _IMAGES)
        if not frames:
            raise DataError(f"{folder}: no frames (*.jpg, *.png) beside groundtruth.txt")
        return Sequence(name=name, frames=PathListFrames(frames[:len(gt)]), ground_truth=gt, dataset=self.name,
                        gt_path=str(gt_path))


def create_dataset(root: Any = None, split: str | None = None, annotations: Any = None, **kw: Any) -> ClipsDataset:
    """Folders of frames + groundtruth.txt (plugin example)."""
    if split is not None:
        raise ConfigError(f"example_clips: --split {split!r} given, but this dataset has no splits")
    return ClipsDataset(root)


create_dataset.bench_meta = {"needs_root": True,
                             "description": "example plugin: your clips, <seq>/groundtruth.txt + frames"}

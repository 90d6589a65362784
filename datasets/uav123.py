"""UAV123 (123 sequences) and UAV20L (20 long sequences).

Layout (as released): ``<root>/data_seq/UAV123/<video>/%06d.jpg`` and ``<root>/anno/UAV123/<seq>.txt``
(``anno/UAV20L/`` for UAV20L), comma ``x,y,w,h`` with ``NaN,NaN,NaN,NaN`` rows where the target is out of
view (flag ``absent``). Split sequences of UAV123 are frame ranges of one image folder (``bird1_2`` is
frames 775-1477 of ``bird1``); the ranges below are the official ones (UAV123 toolkit configSeqs, as
tabulated by pytracking ``uavdataset.py`` and the got10k toolkit ``uav123.json``). UAV20L sequences are
whole folders.

``annotations=DIR`` reads the annotation files without frames (DIR may be the dataset root, its ``anno``
folder, ``anno/UAV123`` itself, or a folder of ``<seq>.txt`` plus ``att/<seq>.txt`` with 12 flags).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import Dataset, EmptyFrames, PathListFrames, Sequence, attribute_names
from datasets.registry import register_dataset

# Split sequences: name start end (1-based, inclusive) inside the folder named before the last "_k".
_RANGES = """
bird1_1 1 253      bird1_2 775 1477     bird1_3 1573 2437
car1_1 1 751       car1_2 751 1627      car1_3 1627 2629
car16_1 1 415      car16_2 415 1993
car6_1 1 487       car6_2 487 1807      car6_3 1807 2953     car6_4 2953 3925    car6_5 3925 4861
car8_1 1 1357      car8_2 1357 2575
group1_1 1 1333    group1_2 1333 2515   group1_3 2515 3925   group1_4 3925 4873
group2_1 1 907     group2_2 907 1771    group2_3 1771 2683
group3_1 1 1567    group3_2 1567 2827   group3_3 2827 4369   group3_4 4369 5527
person12_1 1 601   person12_2 601 1621
person14_1 1 847   person14_2 847 1813  person14_3 1813 2923
person17_1 1 1501  person17_2 1501 2347
person19_1 1 1243  person19_2 1243 2791 person19_3 2791 4357
person2_1 1 1189   person2_2 1189 2623
person4_1 1 1501   person4_2 1501 2743
person5_1 1 877    person5_2 877 2101
person7_1 1 1249   person7_2 1249 2065
person8_1 1 1075   person8_2 1075 1525
truck4_1 1 577     truck4_2 577 1261
uav1_1 1 1555      uav1_2 1555 2377     uav1_3 2473 3469
"""
_tok = _RANGES.split()
SPLIT_RANGES: dict[str, tuple[str, int, int]] = {
    _tok[i]: (_tok[i].rsplit("_", 1)[0], int(_tok[i + 1]), int(_tok[i + 2])) for i in range(0, len(_tok), 3)
}
_WHOLE = """bike1 bike2 bike3 boat1 boat2 boat3 boat4 boat5 boat6 boat7 boat8 boat9 building1 building2 building3
building4 building5 car1_s car2 car2_s car3 car3_s car4 car4_s car5 car7 car9 car10 car11 car12 car13 car14 car15
car17 car18 person1 person1_s person2_s person3 person3_s person6 person9 person10 person11 person13 person15
person16 person18 person20 person21 person22 person23 truck1 truck2 truck3 uav2 uav3 uav4 uav5 uav6 uav7 uav8
wakeboard1 wakeboard2 wakeboard3 wakeboard4 wakeboard5 wakeboard6 wakeboard7 wakeboard8 wakeboard9
wakeboard10""".split()
#: the 123 sequences, in pytracking's (lexicographic) order
UAV123 = sorted(_WHOLE + list(SPLIT_RANGES))
UAV20L = ("bike1 bird1 car1 car3 car6 car8 car9 car16 group1 group2 group3 person2 person4 person5 person7 "
          "person14 person17 person19 person20 uav1").split()
#: UAV123's 12 attributes in the order of the flags of ``att/<seq>.txt``: the UAV123 toolkit's ``attName``
#: list (a modified OTB toolkit). UAV20L sequences carry the same table.
ATTRIBUTES = (("SV", "Scale Variation"), ("ARC", "Aspect Ratio Change"), ("LR", "Low Resolution"),
              ("FM", "Fast Motion"), ("FOC", "Full Occlusion"), ("POC", "Partial Occlusion"), ("OV", "Out-of-View"),
              ("BC", "Background Clutter"), ("IV", "Illumination Variation"), ("VC", "Viewpoint Change"),
              ("CM", "Camera Motion"), ("SOB", "Similar Object"))
UAV_ATTRIBUTES = tuple(code for code, _ in ATTRIBUTES)

UAV123_BENCHMARK = Benchmark(
    name="uav123", display_name="UAV123", toolkit_mode="uav",
    default_protocol="otb-toolkit",   # UAV123's toolkit is a modified OTB toolkit
    description="UAV123: 123 aerial sequences (split videos as official frame ranges)",
    attributes=ATTRIBUTES, attribute_family="uav", aliases=("uav",))
UAV20L_BENCHMARK = Benchmark(
    name="uav20l", display_name="UAV20L", toolkit_mode="uav", default_protocol="otb-toolkit",
    description="UAV20L: 20 long aerial sequences (UAV123 folders, whole length)",
    attributes=ATTRIBUTES, attribute_family="uav")


class UAVDataset(Dataset):
    name = "uav123"
    version = "UAV123"

    def __init__(self, root: Path | None = None, split: str | None = None, annotations: Path | None = None):
        if split not in (None, "test", self.name, self.version):
            raise ConfigError(f"{self.name}: unknown split {split!r}; valid splits: test")
        self.root = Path(root) if root else None
        self.anno_dir = self._find_annos(Path(annotations)) if annotations else (
            self.root / "anno" / self.version if self.root else None)

    def _find_annos(self, path: Path) -> Path:
        """The folder holding this version's ``<seq>.txt`` files (the first with all of them, else the one
        with most, so that ``bench datasets check`` names the missing ones)."""
        best, best_n = None, 0
        for p in (path / "anno" / self.version, path / self.version, path / "anno", path):
            if p.is_dir():
                n = sum((p / f"{name}.txt").is_file() for name in self.names())
                if n == len(self.names()):
                    return p
                if n > best_n:
                    best, best_n = p, n
        if best is None:
            raise DataError(f"{path}: no {self.version} annotation files found (expected {self.names()[0]}.txt)")
        return best

    def names(self) -> list[str]:
        return list(UAV123 if self.version == "UAV123" else UAV20L)

    def frame_range(self, name: str, n_boxes: int) -> tuple[str, int, int]:
        """(image folder, first frame, last frame) of sequence ``name``."""
        if self.version == "UAV123" and name in SPLIT_RANGES:
            return SPLIT_RANGES[name]
        return name, 1, n_boxes

    def load(self, name: str) -> Sequence:
        gt_path = self.anno_dir / f"{name}.txt"
        gt = load_boxes(gt_path)
        folder, start, end = self.frame_range(name, len(gt))
        if end - start + 1 != len(gt):
            raise DataError(f"{self.anno_dir / (name + '.txt')}: {len(gt)} boxes, but the official range "
                            f"{start}-{end} of {folder} has {end - start + 1} frames")
        flags = {"absent": np.isnan(gt).any(axis=1).astype(np.int64)}
        attributes: dict = {}
        for att in (self.anno_dir / "att" / f"{name}.txt", self.anno_dir.parent / "att" / f"{name}.txt"):
            if att.exists():
                attributes["uav"] = attribute_names(att, UAV_ATTRIBUTES)
                break
        if self.root is None:
            frames = EmptyFrames(len(gt), name)
        else:
            d = os.fspath(self.root / "data_seq" / "UAV123" / folder)
            frames = PathListFrames([os.path.join(d, f"{i:06d}.jpg") for i in range(start, end + 1)])
        return Sequence(name=name, frames=frames, ground_truth=gt, flags=flags, attributes=attributes,
                        dataset=self.name, extra={"folder": folder, "frame_range": (start, end),
                               "annotation": str(gt_path)}, gt_path=str(gt_path))


class UAV20LDataset(UAVDataset):
    name = "uav20l"
    version = "UAV20L"


@register_dataset("uav123", benchmark=UAV123_BENCHMARK, needs_root=True, splits=["test"],
                  split_aliases={"uav123": "test"})
def _uav123(root=None, split=None, annotations=None, **kw) -> Dataset:
    return UAVDataset(root, split, annotations)


@register_dataset("uav20l", benchmark=UAV20L_BENCHMARK, needs_root=True, splits=["test"],
                  split_aliases={"uav20l": "test"})
def _uav20l(root=None, split=None, annotations=None, **kw) -> Dataset:
    return UAV20LDataset(root, split, annotations)

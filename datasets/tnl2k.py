"""TNL2K test (700 sequences), from the dataset or the TNL2K evaluation toolkit's annotations.

Dataset layout: ``<root>/<seq>/groundtruth.txt`` (comma ``x,y,w,h``), ``language.txt`` (the sentence,
first line) and ``imgs/`` (png or jpg, taken in lexicographic order as pytracking does). The known
damaged frame ``test_015_Sord_video_Q01_done/imgs/00000492.png`` shows up in ``bench datasets check``.

``annotations=DIR`` reads the toolkit (``annos/gt_rect/<seq>.txt``, ``annos/absent/<seq>.txt`` with
trailing spaces, ``annos/att/<seq>_attribute.txt`` with 17 flags one per line) and the list
``TNL2K_testing_set.txt``. The dataset itself ships no absent files: there ``absent`` is derived from the
``0,0,0,0`` rows, which on the 700 test sequences coincide exactly with the toolkit's absent frames
(65,253 of them). ``advSamp_monitor_bikeyellow`` has 930 absent flags for 929 boxes: flags are cut to
the box count.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import (Dataset, EmptyFrames, PathListFrames, Sequence, load_attribute_flags,
                           load_frame_flags, read_name_list, read_text_file)
from datasets.lasot import toolkit_annos, toolkit_list
from datasets.registry import register_dataset

LIST_FILE = "TNL2K_testing_set.txt"
IMAGE_EXTS = (".png", ".jpg", ".jpeg")
#: TNL2K's 17 attributes in the order of the 0/1 lines of ``att/<seq>_attribute.txt``: the ``att_name``
#: list of the TNL2K MATLAB toolkit (TNL2K_evaluation_toolkit, derived from LaSOT's). The adapter keeps the
#: flags as a list (``tnl2k_flags``); the metrics map them through this table.
ATTRIBUTES = (("CM", "Camera Motion"), ("ROT", "Rotation"), ("DEF", "Deformation"), ("FOC", "Full Occlusion"),
              ("IV", "Illumination Variation"), ("OV", "Out-of-View"), ("POC", "Partial Occlusion"),
              ("VC", "Viewpoint Change"), ("SV", "Scale Variation"), ("BC", "Background Clutter"),
              ("MB", "Motion Blur"), ("ARC", "Aspect Ratio Change"), ("LR", "Low Resolution"),
              ("FM", "Fast Motion"), ("AS", "Adversarial Samples"), ("TC", "Thermal Crossover"),
              ("MS", "Modality Switch"))
N_FLAGS = len(ATTRIBUTES)

TNL2K_BENCHMARK = Benchmark(
    name="tnl2k", display_name="TNL2K", toolkit_mode="tnl2k",
    # TNL2K_evaluation_toolkit = the LaSOT MATLAB code on TNL2K's annotations
    default_protocol="lasot-toolkit",
    description="TNL2K test: 700 sequences with language descriptions",
    attributes=ATTRIBUTES, attribute_family="tnl2k")


class TNL2KDataset(Dataset):
    name = "tnl2k"

    def __init__(self, root: Path | None = None, split: str | None = None, annotations: Path | None = None):
        if split not in (None, "test"):
            raise ConfigError(f"tnl2k: unknown split {split!r}; valid splits: test")
        self.root = Path(root) if root else None
        self.annos = toolkit_annos(Path(annotations)) if annotations else None
        self._names: list[str] | None = None
        if self.annos is not None:
            gt_dir = self.annos / "gt_rect"
            if not gt_dir.is_dir():
                raise DataError(f"{gt_dir}: TNL2K toolkit annotation folder not found")
            listed = toolkit_list(Path(annotations), self.annos, LIST_FILE)
            self._names = listed if listed is not None else sorted(p.stem for p in gt_dir.glob("*.txt"))

    def names(self) -> list[str]:
        if self._names is None:
            if self.root is None or not self.root.is_dir():
                raise DataError(f"{self.root}: tnl2k root folder not found")
            if (self.root / LIST_FILE).is_file():
                self._names = read_name_list(self.root / LIST_FILE)
            else:
                self._names = sorted(d.name for d in self.root.iterdir() if (d / "groundtruth.txt").is_file())
        return self._names

    def load(self, name: str) -> Sequence:
        if self.annos is not None:
            gt_path = self.annos / "gt_rect" / f"{name}.txt"
            gt = load_boxes(gt_path)
            absent_file = self.annos / "absent" / f"{name}.txt"
            problems: list[str] = []
            absent = (load_frame_flags(absent_file, len(gt), problems) if absent_file.exists()
                      else (gt == 0).all(axis=1).astype(np.int64))
            attributes = {}
            att = self.annos / "att" / f"{name}_attribute.txt"
            if att.exists():
                attributes["tnl2k_flags"] = load_attribute_flags(att, N_FLAGS).tolist()
            return Sequence(name=name, frames=EmptyFrames(len(gt), name), ground_truth=gt,
                            flags={"absent": absent}, attributes=attributes, dataset=self.name,
                            extra={"problems": problems, "annotation": str(gt_path)}, gt_path=str(gt_path))
        d = self.root / name
        gt = load_boxes(d / "groundtruth.txt")
        absent = (gt == 0).all(axis=1).astype(np.int64)
        lang = d / "language.txt"
        language = None
        if lang.exists():  # only shown, never parsed: bad bytes are replaced
            lines = read_text_file(lang, strict=False).splitlines()
            language = lines[0].strip() if lines else ""
        imgs = d / "imgs"
        files = ([os.path.join(imgs, e) for e in sorted(os.listdir(imgs))
                  if os.path.splitext(e)[1].lower() in IMAGE_EXTS]
                 if imgs.is_dir() else [])
        return Sequence(name=name, frames=PathListFrames(files), ground_truth=gt, flags={"absent": absent},
                        language=language, dataset=self.name,
                        extra={"annotation": str(d / "groundtruth.txt")}, gt_path=str(d / "groundtruth.txt"))


@register_dataset("tnl2k", benchmark=TNL2K_BENCHMARK, needs_root=True, splits=["test"])
def _tnl2k(root=None, split=None, annotations=None, **kw) -> Dataset:
    return TNL2KDataset(root, split, annotations)

"""OTB-100 (OTB-2015) with the official frame ranges, and its OTB-50 / OTB-2013 subsets.

Layout (as downloaded from the OTB site): ``<root>/<Seq>/img/0001.jpg`` and
``<root>/<Seq>/groundtruth_rect.txt``. Quirks handled here (SPEC.md section 4, the visionml table):

* frame ranges: BlurCar1 247-988, BlurCar3 3-359, BlurCar4 18-397, David 300-770 (the GT file holds only
  the annotated range; other folders hold extra unannotated frames, e.g. Football1 81 images, 74 boxes);
* Tiger1 ``initOmit 5``: its first 5 frames and GT rows are dropped (349 frames from frame 6);
* Board has 5-digit frame names (frames are picked by number, not by a fixed padding);
* two-target folders: Jogging -> Jogging_1/Jogging_2, Skating2 -> Skating2_1/Skating2_2 from
  ``groundtruth_rect.1/.2.txt`` on the same images; Human4 -> Human4_2 (the ``.1`` file is empty);
* delimiters: commas, tabs or spaces, all read by :func:`bench.core.io.load_boxes`.

``annotations=DIR`` reads the official toolkit's ``anno_TB100/<name>.txt`` (names in mixed case,
``Human4.2.txt``, ``jogging-1.txt``) with the same ranges: 100 targets, 59,035 boxes.
"""
from __future__ import annotations

import os
from pathlib import Path


from bench.core.benchmark import Benchmark
from bench.core.config import dataset_root
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import Dataset, EmptyFrames, PathListFrames, Sequence, numbered_files
from datasets.registry import register_dataset

#: OTB's 11 attributes, in the order of ``attr_desc.txt`` of the OTB toolkit (Wu et al., TPAMI 2015).
ATTRIBUTES = (("IV", "Illumination Variation"), ("SV", "Scale Variation"), ("OCC", "Occlusion"),
              ("DEF", "Deformation"), ("MB", "Motion Blur"), ("FM", "Fast Motion"), ("IPR", "In-Plane Rotation"),
              ("OPR", "Out-of-Plane Rotation"), ("OV", "Out-of-View"), ("BC", "Background Clutters"),
              ("LR", "Low Resolution"))


def otb_benchmark(name: str, display_name: str, description: str, aliases: tuple[str, ...] = ()) -> Benchmark:
    """The record of OTB-100 or a subset (the demo's too): the OTB MATLAB toolkit scores them all."""
    return Benchmark(name=name, display_name=display_name, toolkit_mode="otb",
                     default_protocol="otb-toolkit",   # OTB MATLAB toolkit (the code LaSOT's derives from)
                     description=description, attributes=ATTRIBUTES, attribute_family="otb", aliases=aliases)


OTB100_BENCHMARK = otb_benchmark("otb100", "OTB100", "OTB-100 (OTB-2015), 100 targets with the official frame ranges",
                                 aliases=("otb", "otb2015", "tb100"))
OTB50_BENCHMARK = otb_benchmark("otb50", "OTB50", "OTB-50 subset of OTB-100 (50 targets), read from the OTB-100 root",
                                aliases=("tb50",))
OTB2013_BENCHMARK = otb_benchmark("otb2013", "OTB2013", "OTB-2013 (CVPR13) 51 targets, read from the OTB-100 root",
                                  aliases=("cvpr13",))

# name -> OTB attributes (IV SV OCC DEF MB FM IPR OPR OV BC LR), from the toolkit's tb_100.txt.
_OTB100 = """
Basketball IV,OCC,DEF,OPR,BC
Biker SV,OCC,MB,FM,OPR,OV,LR
Bird1 DEF,FM,OV
Bird2 OCC,DEF,FM,IPR,OPR
BlurBody SV,DEF,MB,FM,IPR
BlurCar1 MB,FM
BlurCar2 SV,MB,FM
BlurCar3 MB,FM
BlurCar4 MB,FM
BlurFace MB,FM,IPR
BlurOwl SV,MB,FM,IPR
Board SV,MB,FM,OPR,OV,BC
Bolt OCC,DEF,IPR,OPR
Bolt2 DEF,BC
Box IV,SV,OCC,MB,IPR,OPR,OV,BC,LR
Boy SV,MB,FM,IPR,OPR
Car1 IV,SV,MB,FM,BC,LR
Car2 IV,SV,MB,FM,BC
Car24 IV,SV,BC
Car4 IV,SV
CarDark IV,BC
CarScale SV,OCC,FM,IPR,OPR
ClifBar SV,OCC,MB,FM,IPR,OV,BC
Coke IV,OCC,FM,IPR,OPR,BC
Couple SV,DEF,FM,OPR,BC
Coupon OCC,BC
Crossing SV,DEF,FM,OPR,BC
Crowds IV,DEF,BC
Dancer SV,DEF,IPR,OPR
Dancer2 DEF
David IV,SV,OCC,DEF,MB,IPR,OPR
David2 IPR,OPR
David3 OCC,DEF,OPR,BC
Deer MB,FM,IPR,BC,LR
Diving SV,DEF,IPR
Dog SV,DEF,OPR
Dog1 SV,IPR,OPR
Doll IV,SV,OCC,IPR,OPR
DragonBaby SV,OCC,MB,FM,IPR,OPR,OV
Dudek SV,OCC,DEF,FM,IPR,OPR,OV,BC
FaceOcc1 OCC
FaceOcc2 IV,OCC,IPR,OPR
Fish IV
FleetFace SV,DEF,MB,FM,IPR,OPR
Football OCC,IPR,OPR,BC
Football1 IPR,OPR,BC
Freeman1 SV,IPR,OPR
Freeman3 SV,IPR,OPR
Freeman4 SV,OCC,IPR,OPR
Girl SV,OCC,IPR,OPR
Girl2 SV,OCC,DEF,MB,OPR
Gym SV,DEF,IPR,OPR
Human2 IV,SV,MB,OPR
Human3 SV,OCC,DEF,OPR,BC
Human4_2 IV,SV,OCC,DEF
Human5 SV,OCC,DEF
Human6 SV,OCC,DEF,FM,OPR,OV
Human7 IV,SV,OCC,DEF,MB,FM
Human8 IV,SV,DEF
Human9 IV,SV,DEF,MB,FM
Ironman IV,SV,OCC,MB,FM,IPR,OPR,OV,BC,LR
Jogging_1 OCC,DEF,OPR
Jogging_2 OCC,DEF,OPR
Jump SV,OCC,DEF,MB,FM,IPR,OPR
Jumping MB,FM
KiteSurf IV,OCC,IPR,OPR
Lemming IV,SV,OCC,FM,OPR,OV
Liquor IV,SV,OCC,MB,FM,OPR,OV,BC
Man IV
Matrix IV,SV,OCC,FM,IPR,OPR,BC
Mhyang IV,DEF,OPR,BC
MotorRolling IV,SV,MB,FM,IPR,BC,LR
MountainBike IPR,OPR,BC
Panda SV,OCC,DEF,IPR,OPR,OV,LR
RedTeam SV,OCC,IPR,OPR,LR
Rubik SV,OCC,IPR,OPR
Shaking IV,SV,IPR,OPR,BC
Singer1 IV,SV,OCC,OPR
Singer2 IV,DEF,IPR,OPR,BC
Skater SV,DEF,IPR,OPR
Skater2 SV,DEF,FM,IPR,OPR
Skating1 IV,SV,OCC,DEF,OPR,BC
Skating2_1 SV,OCC,DEF,FM,OPR
Skating2_2 SV,OCC,DEF,FM,OPR
Skiing IV,SV,DEF,IPR,OPR
Soccer IV,SV,OCC,MB,FM,IPR,OPR,BC
Subway OCC,DEF,BC
Surfer SV,FM,IPR,OPR,LR
Suv OCC,IPR,OV
Sylvester IV,IPR,OPR
Tiger1 IV,OCC,DEF,MB,FM,IPR,OPR
Tiger2 IV,OCC,DEF,MB,FM,IPR,OPR,OV
Toy SV,FM,IPR,OPR
Trans IV,SV,OCC,DEF
Trellis IV,SV,IPR,OPR,BC
Twinnings SV,OPR
Vase SV,FM,IPR
Walking SV,OCC,DEF
Walking2 SV,OCC,LR
Woman IV,SV,OCC,DEF,MB,FM,OPR
"""

OTB100_ATTRIBUTES: dict[str, list[str]] = {
    line.split()[0]: line.split()[1].split(",") for line in _OTB100.strip().splitlines()
}
OTB100 = list(OTB100_ATTRIBUTES)
OTB50 = """Basketball Biker Bird1 BlurBody BlurCar2 BlurFace BlurOwl Bolt Box Car1 Car4 CarDark CarScale ClifBar
Couple Crowds David Deer Diving DragonBaby Dudek Football Freeman4 Girl Human3 Human4_2 Human6 Human9 Ironman Jump
Jumping Liquor Matrix MotorRolling Panda RedTeam Shaking Singer2 Skating1 Skating2_1 Skating2_2 Skiing Soccer
Surfer Sylvester Tiger2 Trellis Walking Walking2 Woman""".split()
OTB2013 = """Basketball Bolt Boy Car4 CarDark CarScale Coke Couple Crossing David David2 David3 Deer Dog1 Doll Dudek
FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 Freeman1 Freeman3 Freeman4 Girl Ironman Jogging_1 Jogging_2
Jumping Lemming Liquor Matrix Mhyang MotorRolling MountainBike Shaking Singer1 Singer2 Skating1 Skiing Soccer
Subway Suv Sylvester Tiger1 Tiger2 Trellis Walking Walking2 Woman""".split()
SPLITS = {"otb100": OTB100, "otb50": OTB50, "otb2013": OTB2013}

#: first annotated frame where it is not 1 (the GT file starts there)
START_FRAME = {"BlurCar1": 247, "BlurCar3": 3, "BlurCar4": 18, "David": 300}
#: frames (and GT rows) dropped at the start
INIT_OMIT = {"Tiger1": 5}
#: targets sharing one image folder with another target: name -> (folder, GT file suffix)
MULTI_TARGET = {"Jogging_1": ("Jogging", "1"), "Jogging_2": ("Jogging", "2"), "Skating2_1": ("Skating2", "1"),
                "Skating2_2": ("Skating2", "2"), "Human4_2": ("Human4", "2")}


def _key(name: str) -> str:
    return name.lower().replace(".", "_").replace("-", "_")


class OTBDataset(Dataset):
    """OTB-100 or one of its subsets, from the dataset root or the toolkit's ``anno_TB100`` folder."""

    name = "otb100"

    def __init__(self, root: Path | None = None, split: str | None = None, annotations: Path | None = None,
                 name: str = "otb100"):
        self.name = name
        split = (split or name).lower().replace("-", "")
        if split not in SPLITS:
            raise ConfigError(f"{name}: unknown split {split!r}; valid splits: {', '.join(SPLITS)}")
        self.split = split
        self.root = Path(root) if root else None
        self.annotations = _anno_folder(Path(annotations)) if annotations else None
        self._anno_files: dict[str, Path] | None = None

    def names(self) -> list[str]:
        return list(SPLITS[self.split])

    def _anno_file(self, name: str) -> Path:
        if self._anno_files is None:
            self._anno_files = {_key(p.stem): p for p in self.annotations.glob("*.txt")}
        p = self._anno_files.get(_key(name))
        if p is None:
            raise DataError(f"{self.annotations}: no annotation file for {name} (expected {name}.txt)")
        return p

    def gt_path(self, name: str) -> Path:
        """The ground-truth file of target ``name`` (dataset root or toolkit annotations)."""
        if self.annotations is not None:
            return self._anno_file(name)
        folder, suffix = MULTI_TARGET.get(name, (name, ""))
        return self.root / folder / (f"groundtruth_rect.{suffix}.txt" if suffix else "groundtruth_rect.txt")

    def load(self, name: str) -> Sequence:
        name = self.resolve_name(name) if name not in OTB100_ATTRIBUTES else name
        gt_path = str(self.gt_path(name))
        gt = load_boxes(gt_path)
        omit = INIT_OMIT.get(name, 0)
        if len(gt) <= omit:
            raise DataError(f"{gt_path}: {len(gt)} rows, expected more than {omit}")
        gt = gt[omit:]
        start = START_FRAME.get(name, 1) + omit
        end = start + len(gt) - 1
        if self.annotations is not None:
            frames = EmptyFrames(len(gt), name)
        else:
            folder = self.root / MULTI_TARGET.get(name, (name, ""))[0] / "img"
            found = numbered_files(folder) if folder.is_dir() else {}
            base = os.fspath(folder)
            frames = PathListFrames([found.get(i) or os.path.join(base, f"{i:04d}.jpg")
                                     for i in range(start, end + 1)])
        return Sequence(name=name, frames=frames, ground_truth=gt, attributes={"otb": OTB100_ATTRIBUTES[name]},
                        dataset=self.name, extra={"frame_range": (start, end), "annotation": gt_path},
                        gt_path=gt_path, gt_first_line=omit + 1)


def _anno_folder(path: Path) -> Path:
    """Accept the toolkit root (holding ``anno_TB100/``) or the ``anno_TB100`` folder itself."""
    if (path / "anno_TB100").is_dir():
        return path / "anno_TB100"
    if not path.is_dir():
        raise DataError(f"{path}: OTB annotation folder not found")
    return path


def _factory(name: str):
    def make(root=None, split=None, annotations=None, **kw) -> Dataset:
        if root is None and annotations is None and name != "otb100":
            root = dataset_root("otb100")  # the subsets live in the OTB-100 folder
            if root is None:
                raise ConfigError(f"dataset {name!r} needs the OTB-100 root folder: pass --root DIR or set "
                                  f"BENCH_OTB100_ROOT")
        return OTBDataset(root, split or name, annotations, name=name)
    return make


register_dataset("otb100", benchmark=OTB100_BENCHMARK, needs_root=True, splits=list(SPLITS))(_factory("otb100"))
register_dataset("otb50", benchmark=OTB50_BENCHMARK, needs_root=False, splits=["otb50"])(_factory("otb50"))
register_dataset("otb2013", benchmark=OTB2013_BENCHMARK, needs_root=False, splits=["otb2013"])(_factory("otb2013"))

"""LaSOT (test 280 / train 1,120) and LaSOT_ext (150), from the dataset or the evaluation toolkit.

Dataset layout: ``<root>/<class>/<class>-<k>/`` with ``groundtruth.txt`` (``x,y,w,h``, 1-based),
``full_occlusion.txt`` and ``out_of_view.txt`` (0/1, comma separated), ``nlp.txt`` and ``img/%08d.jpg``.
A flat ``<root>/<class>-<k>/`` (how the test-only download unpacks) is accepted too.

``annotations=DIR`` reads the LaSOT evaluation toolkit instead: ``annos/<seq>.txt``,
``annos/absent/<seq>.txt`` (one 0/1 per frame, 1 = absent), ``annos/att/<seq>.txt`` (14 flags) and
``annos/nlp/<seq>.txt``; the sequence list comes from ``testing_set.txt`` (in DIR or
``DIR/sequence_evaluation_config``). Flags keep the benchmark's names: ``full_occlusion`` and
``out_of_view`` from the dataset, ``absent`` from the toolkit.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import BenchError, ConfigError, DataError
from bench.core.io import load_boxes, load_many_boxes, read_many_bytes
from datasets.base import (Dataset, EmptyFrames, PathListFrames, Sequence, attribute_names, decode_text,
                           fit_length, load_frame_flags, read_name_list)
from datasets.registry import register_dataset

# The 280 test sequences (LaSOT protocol II), class -> indices, in the toolkit's testing_set.txt order.
_TEST = """
airplane 1 9 13 15
basketball 1 6 7 11
bear 2 4 6 17
bicycle 2 7 9 18
bird 2 3 15 17
boat 3 4 12 17
book 3 10 11 19
bottle 1 12 14 18
bus 2 5 17 19
car 2 6 9 17
cat 1 3 18 20
cattle 2 7 12 13
spider 14 16 18 20
coin 3 6 7 18
crab 3 6 12 18
surfboard 12 4 5 8
cup 1 4 7 17
deer 4 8 10 14
dog 1 7 15 19
guitar 3 8 10 16
person 1 5 10 12
pig 2 10 13 18
rubicCube 1 6 14 19
swing 10 14 17 20
drone 13 15 2 7
pool 12 15 3 7
rabbit 10 13 17 19
racing 10 15 16 20
robot 1 19 5 8
sepia 13 16 6 8
sheep 3 5 7 9
skateboard 16 19 3 8
tank 14 16 6 9
tiger 12 18 4 6
train 1 11 20 7
truck 16 3 6 7
turtle 16 5 8 9
umbrella 17 19 2 9
yoyo 15 17 19 7
zebra 10 14 16 17
elephant 1 12 16 18
goldfish 3 7 8 10
hat 1 2 5 18
kite 4 6 10 15
motorcycle 1 3 9 18
mouse 1 8 9 17
flag 3 9 5 2
frog 3 4 20 9
gametarget 1 2 7 13
hand 2 3 9 16
helmet 5 11 19 13
licenseplate 6 12 13 15
electricfan 1 10 18 20
chameleon 3 6 11 20
crocodile 3 4 10 14
gecko 1 5 16 19
fox 2 3 5 20
giraffe 2 10 13 15
gorilla 4 6 9 13
hippo 1 7 9 20
horse 1 4 12 15
kangaroo 2 5 11 14
leopard 1 7 16 20
lion 1 5 12 20
lizard 1 3 6 13
microphone 2 6 14 16
monkey 3 4 9 17
shark 2 3 5 6
squirrel 8 11 13 19
volleyball 1 13 18 19
"""
LASOT_TEST = [f"{c}-{k}" for line in _TEST.strip().splitlines() for c, *ks in [line.split()] for k in ks]
#: LaSOT_ext: 15 new classes x 10 sequences
LASOT_EXT_CLASSES = ("atv badminton cosplay dancingshoe footbag frisbee jianzi lantern misc opossum paddle "
                     "raccoon rhino skatingshoe wingsuit").split()
LASOT_EXT = [f"{c}-{k}" for c in LASOT_EXT_CLASSES for k in range(1, 11)]
#: LaSOT's 14 attributes in the column order of ``annos/att/<seq>.txt``: the ``att_name`` list of the LaSOT
#: MATLAB toolkit (HengLan/LaSOT_Evaluation_Toolkit); LaSOT_ext is annotated with the same table.
ATTRIBUTES = (("IV", "Illumination Variation"), ("POC", "Partial Occlusion"), ("DEF", "Deformation"),
              ("MB", "Motion Blur"), ("CM", "Camera Motion"), ("ROT", "Rotation"), ("BC", "Background Clutter"),
              ("VC", "Viewpoint Change"), ("SV", "Scale Variation"), ("FOC", "Full Occlusion"),
              ("FM", "Fast Motion"), ("OV", "Out-of-View"), ("LR", "Low Resolution"),
              ("ARC", "Aspect Ratio Change"))
LASOT_ATTRIBUTES = tuple(code for code, _ in ATTRIBUTES)

LASOT_BENCHMARK = Benchmark(
    name="lasot", display_name="LaSOT", toolkit_mode="lasot",
    default_protocol="lasot-toolkit",   # LaSOT MATLAB toolkit (HengLan/LaSOT_Evaluation_Toolkit)
    description="LaSOT: 280 test sequences (protocol II), train = the other 1,120",
    attributes=ATTRIBUTES, attribute_family="lasot")
LASOT_EXT_BENCHMARK = Benchmark(
    name="lasot_ext", display_name="LaSOT_ext", toolkit_mode="lasot_extension_subset",
    default_protocol="lasot-toolkit",   # LaSOT_ext is scored with the same toolkit
    description="LaSOT_ext: 150 sequences of 15 new classes",
    attributes=ATTRIBUTES, attribute_family="lasot",
    aliases=("lasot_extension_subset", "lasot_extension", "lasot_ext_sub"))


def language_of(data: bytes, source: str) -> str:
    """The sentence of an ``nlp.txt`` file (bad bytes replaced: it is only shown, never parsed)."""
    return decode_text(data, source, strict=False).replace("\r\n", "\n").replace("\r", "\n").strip()


def read_language(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return language_of(path.read_bytes(), str(path))
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a text file") from None
    except OSError as e:
        raise DataError(f"{path}: unreadable ({e.strerror or e})") from None


def class_of(name: str) -> str:
    return name.rsplit("-", 1)[0]


def toolkit_annos(path: Path) -> Path:
    """The ``annos`` folder of an evaluation-toolkit checkout (given the checkout or ``annos`` itself)."""
    path = Path(path)
    if (path / "annos").is_dir():
        return path / "annos"
    if path.is_dir():
        return path
    raise DataError(f"{path}: annotation folder not found")


def toolkit_list(path: Path, annos: Path, filename: str | None) -> list[str] | None:
    """The sequence list shipped with an evaluation toolkit (``testing_set.txt``), if found."""
    if filename is None:
        return None
    for p in (path / filename, path / "sequence_evaluation_config" / filename, annos.parent / filename,
              annos.parent / "sequence_evaluation_config" / filename):
        if p.is_file():
            return read_name_list(p)
    return None


def _many_binary_flags(paths: list[str]) -> list[np.ndarray] | None:
    """Flag files of single digits, each followed by one newline or comma (the toolkit's ``absent`` files,
    ``0\\n1\\n...``, and ``att`` files, ``0,1,...``), parsed together.

    Returns what :func:`load_flags` gives (int64), or ``None`` when any file has another shape (the caller
    then reads each with :func:`load_flags`, which handles every other form and names bad lines).
    """
    raw = read_many_bytes(paths)
    if raw is None:
        return None
    datas = []
    for d in raw:
        if d and not d.endswith(b"\n"):
            d += b"\n"
        if len(d) % 2:
            return None
        datas.append(d)
    joined = b"".join(datas)
    digits = joined[0::2]   # bytes methods: one C pass each, no array per test
    if joined[1::2].translate(None, b"\n,") or digits.translate(None, b"0123456789"):
        return None
    values = np.frombuffer(digits, dtype=np.uint8).astype(np.int64)
    values -= 48
    bounds = np.cumsum([0] + [len(d) // 2 for d in datas])
    return [values[i:j] for i, j in zip(bounds[:-1], bounds[1:])]


class LaSOTDataset(Dataset):
    name = "lasot"
    splits = ("test", "train", "all")

    def __init__(self, root: Path | None = None, split: str | None = None, annotations: Path | None = None):
        self.split = (split or "test").lower()
        if self.split not in self.splits:
            raise ConfigError(f"{self.name}: unknown split {split!r}; known: {', '.join(self.splits)}")
        self.root = Path(root) if root else None
        self.annos = toolkit_annos(Path(annotations)) if annotations else None
        self._names: list[str] | None = None
        if self.annos is not None:
            on_disk = sorted(p.stem for p in self.annos.glob("*.txt"))
            listed = toolkit_list(Path(annotations), self.annos, self.toolkit_list_file)
            self._names = self._toolkit_names(listed, on_disk)

    toolkit_list_file = "testing_set.txt"

    def _toolkit_names(self, listed: list[str] | None, on_disk: list[str]) -> list[str]:
        if self.split == "all":
            return on_disk
        test = listed if listed is not None else self._official_names()
        if self.split == "test":
            return test
        test_set = set(test)
        return [n for n in on_disk if n not in test_set]

    def _official_names(self) -> list[str]:
        return list(LASOT_TEST)

    def _on_disk(self) -> list[str]:
        out = []
        for d in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if (d / "groundtruth.txt").is_file():
                out.append(d.name)
            else:
                out.extend(s.name for s in sorted(d.iterdir()) if (s / "groundtruth.txt").is_file())
        return out

    def names(self) -> list[str]:
        if self._names is None:
            if self.root is None or not self.root.is_dir():
                raise DataError(f"{self.root}: {self.name} root folder not found")
            if self.split == "test":
                self._names = self._official_names()
            else:
                on_disk = self._on_disk()
                test = set(self._official_names())
                self._names = on_disk if self.split == "all" else [n for n in on_disk if n not in test]
        return self._names

    def folder(self, name: str) -> Path:
        nested = self.root / class_of(name) / name
        return nested if nested.is_dir() or not (self.root / name).is_dir() else self.root / name

    def load(self, name: str) -> Sequence:
        if self.annos is not None:
            return self._load_toolkit(name)
        d = self.folder(name)
        gt = load_boxes(d / "groundtruth.txt")
        n = len(gt)
        problems: list[str] = []
        flags = {k: load_frame_flags(d / f"{k}.txt", n, problems) for k in ("full_occlusion", "out_of_view")
                 if (d / f"{k}.txt").exists()}
        language = read_language(d / "nlp.txt")
        img = os.fspath(d / "img")
        frames = PathListFrames([os.path.join(img, f"{i:08d}.jpg") for i in range(1, n + 1)])
        gt_path = str(d / "groundtruth.txt")
        return Sequence(name=name, frames=frames, ground_truth=gt, flags=flags, language=language,
                        dataset=self.name, attributes={"class": class_of(name)},
                        extra={"problems": problems, "annotation": gt_path}, gt_path=gt_path)

    def load_many(self, names: list[str]) -> list[Sequence]:
        """``[self.load(n) for n in names]``, with the toolkit's files read and parsed in one batch.

        Same sequences, values and errors as one by one: anything odd in the batch (a missing or malformed
        file, an unusual name) sends the whole list through :meth:`load`, which raises the usual
        ``file:line`` error.
        """
        if self.annos is None or not names or any(not n or "/" in n or n in (".", "..") for n in names):
            return [self.load(n) for n in names]
        a = os.fspath(self.annos)
        listed = {}
        for sub in ("absent", "att", "nlp"):
            try:
                listed[sub] = set(os.listdir(os.path.join(a, sub)))
            except OSError:
                listed[sub] = set()
        files = [f"{n}.txt" for n in names]
        have_ab = [f in listed["absent"] for f in files]
        have_att = [f in listed["att"] for f in files]
        try:
            gts = load_many_boxes([os.path.join(a, f) for f in files])
        except BenchError:
            return [self.load(n) for n in names]
        absent = _many_binary_flags([os.path.join(a, "absent", f) for f, h in zip(files, have_ab) if h])
        att = _many_binary_flags([os.path.join(a, "att", f) for f, h in zip(files, have_att) if h])
        if absent is None or att is None:
            return [self.load(n) for n in names]
        have_nlp = [f in listed["nlp"] for f in files]
        nlp_raw = read_many_bytes([os.path.join(a, "nlp", f) for f, h in zip(files, have_nlp) if h])
        if nlp_raw is None:
            return [self.load(n) for n in names]
        absent_it, att_it, nlp_it = iter(absent), iter(att), iter(nlp_raw)
        out = []
        for n, f, gt, h_ab, h_att, h_nlp in zip(names, files, gts, have_ab, have_att, have_nlp):
            language = None
            if h_nlp:   # as read_language
                language = language_of(next(nlp_it), os.path.join(a, "nlp", f))
            out.append(self._load_toolkit(n, gt, next(absent_it) if h_ab else None,
                                          next(att_it) if h_att else None, language,
                                          f"{a}/{f}" if a != "/" else f"/{f}"))
        return out

    _UNSET = object()

    def _load_toolkit(self, name: str, gt: np.ndarray | None = None, absent: np.ndarray | None = None,
                      att_bits: np.ndarray | None = None, language: Any = _UNSET,
                      annotation: str | None = None) -> Sequence:
        """One sequence from the toolkit; ``load_many`` hands in what it already read (else read here)."""
        a = self.annos
        if gt is None:
            gt = load_boxes(a / f"{name}.txt")
        n = len(gt)
        flags, problems = {}, []
        if absent is not None:   # pre-parsed by load_many: as load_frame_flags would fit it
            if len(absent) != n:
                problems.append(f"{a / 'absent' / f'{name}.txt'}: {len(absent)} flags for {n} frames")
            flags["absent"] = fit_length(absent, n)
        elif (a / "absent" / f"{name}.txt").exists():
            flags["absent"] = load_frame_flags(a / "absent" / f"{name}.txt", n, problems)
        attributes: dict = {"class": class_of(name)}
        att = a / "att" / f"{name}.txt"
        if att_bits is not None:
            attributes["lasot"] = attribute_names(att, LASOT_ATTRIBUTES, att_bits)
        elif language is self._UNSET and att.exists():
            attributes["lasot"] = attribute_names(att, LASOT_ATTRIBUTES)
        if language is self._UNSET:
            language = read_language(a / "nlp" / f"{name}.txt")
        gt_path = annotation if annotation is not None else str(a / f"{name}.txt")
        return Sequence(name=name, frames=EmptyFrames(n, name), ground_truth=gt, flags=flags,
                        attributes=attributes, language=language, dataset=self.name,
                        extra={"problems": problems, "annotation": gt_path}, gt_path=gt_path)


class LaSOTExtDataset(LaSOTDataset):
    name = "lasot_ext"
    splits = ("test",)

    toolkit_list_file = None  # the toolkit's testing_set.txt lists LaSOT's 280, not these

    def _official_names(self) -> list[str]:
        return list(LASOT_EXT)

    def _toolkit_names(self, listed: list[str] | None, on_disk: list[str]) -> list[str]:
        ext = [n for n in LASOT_EXT if n in set(on_disk)]
        return ext or on_disk


@register_dataset("lasot", benchmark=LASOT_BENCHMARK, needs_root=True, splits=["test", "train", "all"])
def _lasot(root=None, split=None, annotations=None, **kw) -> Dataset:
    return LaSOTDataset(root, split, annotations)


@register_dataset("lasot_ext", benchmark=LASOT_EXT_BENCHMARK, needs_root=True, splits=["test"])
def _lasot_ext(root=None, split=None, annotations=None, **kw) -> Dataset:
    return LaSOTExtDataset(root, split, annotations)

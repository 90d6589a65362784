"""Damaged dataset files give one-line errors naming the file (zip member, line); splits are checked;
``Sequence`` tells where a ground-truth row and a frame come from, and refuses a bad first box."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import datasets
from bench.core.errors import ConfigError, DataError
from datasets.archive import ZipArchive, ZipFrames
from datasets.base import EmptyFrames, PathListFrames, Sequence, prefetch
from datasets.check import check_dataset, check_sequence
from datasets.demo import DEMO_ROOT
from test_datasets import (boxes_text, got10k_files, image_bytes, make_lasot_sequence, make_tnl2k, nfs_rows,
                           otb_root, write_frames)  # noqa: F401 -- otb_root is a fixture

VAL = "GOT-10k_Val_000001"


def at(path) -> str:
    """``path`` as a regex matching itself."""
    return re.escape(str(path))


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err
    return lines[0]


# --- 1. corrupt zip archives --------------------------------------------------------------------------


def write_zip(path: Path, files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    return path


def damage_member(path: Path, member: str, how: str) -> None:
    """``crc``: flip one byte of a stored member; ``deflate``: an invalid deflate block header."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if how == "crc":
        raw[start + info.compress_size // 2] ^= 0xFF
    else:
        raw[start] = 0xFF  # BFINAL=1, BTYPE=11: a reserved block type
    path.write_bytes(bytes(raw))


def got10k_zip(root: Path, bad_member: str, how: str, size=(12, 16)) -> Path:
    files = got10k_files("val")
    for k in (1, 2, 3):
        files[f"val/{VAL}/{k:08d}.jpg"] = image_bytes(k, size=size)
    z = write_zip(root / "val_data.zip", files, zipfile.ZIP_STORED if how == "crc" else zipfile.ZIP_DEFLATED)
    damage_member(z, f"val/{VAL}/{bad_member}", how)
    return z


@pytest.mark.parametrize("how, reason", [("crc", "Bad CRC-32"), ("deflate", "invalid deflate data")])
def test_corrupt_zip_member_is_a_data_error_naming_zip_and_member(tmp_path, how, reason):
    z = got10k_zip(tmp_path, "00000003.jpg", how)
    s = datasets.create_dataset("got10k", root=tmp_path, split="val")[VAL]
    expected = f"{z}: member val/{VAL}/00000003.jpg is corrupt ({reason}"
    with pytest.raises(DataError) as e:
        s.frames.read(2)
    assert str(e.value).startswith(expected)
    with pytest.raises(DataError, match="is corrupt"):  # also from the decoder thread
        list(prefetch(s.frames))
    assert s.frames.read(0).shape == (12, 16, 3)  # the archive stays usable
    for decode in (False, True):
        report = check_dataset(datasets.create_dataset("got10k", root=tmp_path, split="val"), decode=decode)
        assert len(report.problems) == 1 and report.problems[0].startswith(expected)


def test_corrupt_annotation_member_and_truncated_archive(tmp_path):
    z = got10k_zip(tmp_path, "groundtruth.txt", "deflate")
    ds = datasets.create_dataset("got10k", root=tmp_path, split="val")
    with pytest.raises(DataError, match=f"member val/{VAL}/groundtruth.txt is corrupt"):
        ds[VAL]
    assert check_dataset(ds).problems[0].startswith(f"{z}: member val/{VAL}/groundtruth.txt is corrupt")
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2])  # no central directory any more
    datasets.archive.open_archive.cache_clear()
    with pytest.raises(DataError, match=f"{at(z)}: not a readable zip archive"):
        datasets.create_dataset("got10k", root=tmp_path, split="val")


def test_trackingnet_corrupt_video_zip(tmp_path):
    train = tmp_path / "TRAIN_0"
    (train / "anno").mkdir(parents=True)
    (train / "zips").mkdir()
    (train / "anno" / "vid.txt").write_text(boxes_text(3))
    z = write_zip(train / "zips" / "vid.zip", {f"{k}.jpg": image_bytes(k) for k in range(3)})
    damage_member(z, "1.jpg", "deflate")
    s = datasets.create_dataset("trackingnet", root=tmp_path, split="TRAIN_0")["vid"]
    with pytest.raises(DataError, match=r"vid.zip: member 1.jpg is corrupt \(invalid deflate data"):
        s.frames.read(1)


def test_cli_run_on_a_corrupt_zip_prints_one_line(tmp_path, capsys):
    from bench.cli import main

    z = got10k_zip(tmp_path, "00000002.jpg", "crc", size=(120, 160))
    rc = main(["run", "-t", "mosse", "-d", "got10k", "--root", str(tmp_path), "--split", "val",
               "--results", str(tmp_path / "results"), "--no-progress"])
    line = one_error_line(capsys)
    assert rc != 0 and line == f"bench: error: {z}: member val/{VAL}/00000002.jpg is corrupt (Bad CRC-32)"


# --- 2. GOT-10k meta_info.ini ---------------------------------------------------------------------------

BAD_META = [
    (b"[METAINFO]\nurl: x\n\xff\xfe object\n", r":3: not UTF-8 text"),
    (b"url: x\n", r":1: a line before the first \[section\] header"),
    (b"[OTHER]\nurl: x\n", r": no \[METAINFO\] section"),
    (b"[METAINFO]\nurl: x\nobject_class: ant\nurl: y\n", r":4: duplicate key 'url'"),
    (b"[METAINFO]\nurl: x\nthis line has no separator\n", r":3: not a 'key: value' line"),
    (b"[METAINFO]\nresolution: (wide, 720)\n", r": resolution '\(wide, 720\)' is not"),
]


@pytest.mark.parametrize("meta, message", BAD_META)
def test_malformed_meta_info_ini_in_folders(tmp_path, meta, message):
    files = got10k_files("val")
    files[f"val/{VAL}/meta_info.ini"] = meta
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    ds = datasets.create_dataset("got10k", root=tmp_path, split="val")
    with pytest.raises(DataError, match=f"^{at(tmp_path / 'val' / VAL / 'meta_info.ini')}{message}"):
        ds[VAL]


@pytest.mark.parametrize("meta, message", BAD_META[:4])
def test_malformed_meta_info_ini_in_a_zip(tmp_path, meta, message):
    files = got10k_files("val")
    files[f"val/{VAL}/meta_info.ini"] = meta
    z = write_zip(tmp_path / "val_data.zip", files)
    ds = datasets.create_dataset("got10k", root=tmp_path, split="val")
    with pytest.raises(DataError, match=f"^{at(z)}:val/{VAL}/meta_info.ini{message}"):
        ds[VAL]


def test_cli_run_with_a_duplicate_meta_key_prints_one_line(tmp_path, capsys):
    from bench.cli import main

    files = got10k_files("val")
    files[f"val/{VAL}/meta_info.ini"] = b"[METAINFO]\nurl: x\nurl: y\n"
    write_zip(tmp_path / "val_data.zip", files)
    rc = main(["run", "-t", "mosse", "-d", "got10k", "--root", str(tmp_path), "--split", "val",
               "--results", str(tmp_path / "results"), "--no-progress"])
    line = one_error_line(capsys)
    meta = f"{tmp_path / 'val_data.zip'}:val/{VAL}/meta_info.ini"
    assert rc != 0 and line == f"bench: error: {meta}:3: duplicate key 'url' in [METAINFO]"


# --- 3. attribute and flag files ------------------------------------------------------------------------


@pytest.fixture
def lasot_toolkit(tmp_path) -> Path:
    annos = tmp_path / "annos"
    for sub in ("absent", "att", "nlp"):
        (annos / sub).mkdir(parents=True)
    for name in ("airplane-1", "airplane-9"):
        (annos / f"{name}.txt").write_text(boxes_text(3))
        (annos / "absent" / f"{name}.txt").write_text("0\n1\n0\n")
        (annos / "att" / f"{name}.txt").write_text("0,1,0,0,0,1,0,0,1,0,0,0,1,0")
        (annos / "nlp" / f"{name}.txt").write_text("a plane")
    (tmp_path / "testing_set.txt").write_text("airplane-1\nairplane-9\n")
    return annos


@pytest.mark.parametrize("content, message", [
    ("0,1,0", r": expected 14 attribute flags \(0 or 1\), found 3 values"),
    ("0,1,0,0,0,1,0,0,1,0,0,0,1,7", r": expected 14 attribute flags \(0 or 1\), found values other than 0/1"),
    ("0,1,0,0,0,x,0,0,1,0,0,0,1,0", r":1: not a number: 'x'"),
    (b"0,1,\xff", r":1: not UTF-8 text"),
    (None, r": is a folder"),
])
def test_lasot_attribute_file_errors_in_load_and_load_many(tmp_path, lasot_toolkit, content, message):
    att = lasot_toolkit / "att" / "airplane-9.txt"
    if content is None:
        att.unlink()
        att.mkdir()
    else:
        att.write_bytes(content.encode() if isinstance(content, str) else content)
    ds = datasets.create_dataset("lasot", annotations=tmp_path)
    with pytest.raises(DataError, match=f"^{at(att)}{message}"):
        ds["airplane-9"]
    with pytest.raises(DataError, match=f"^{at(att)}{message}"):
        ds.load_many(ds.names())


def test_lasot_dataset_flag_and_language_files(tmp_path):
    d = make_lasot_sequence(tmp_path, "airplane-1")
    ds = datasets.create_dataset("lasot", root=tmp_path)
    (d / "full_occlusion.txt").write_bytes(b"0,0\n\xc3\x28,1\n")
    with pytest.raises(DataError, match=f"^{at(d / 'full_occlusion.txt')}:2: not UTF-8 text"):
        ds["airplane-1"]
    (d / "full_occlusion.txt").write_text("0,0,0,1\n")
    (d / "out_of_view.txt").write_text("0\n0\nnan\n0\n")
    with pytest.raises(DataError, match=f"^{at(d / 'out_of_view.txt')}:3: not an integer flag: 'nan'"):
        ds["airplane-1"]
    (d / "out_of_view.txt").write_text("0\n0\n0\n0\n")
    (d / "nlp.txt").unlink()
    (d / "nlp.txt").mkdir()
    with pytest.raises(DataError, match=f"^{at(d / 'nlp.txt')}: is a folder"):
        ds["airplane-1"]


def test_tnl2k_attribute_absent_and_language_files(tmp_path):
    annos = tmp_path / "annos"
    for sub in ("gt_rect", "absent", "att"):
        (annos / sub).mkdir(parents=True)
    (annos / "gt_rect" / "seqA.txt").write_text("1,2,3,4\n0,0,0,0\n")
    (annos / "absent" / "seqA.txt").write_text("0 \n1 \n")
    att = annos / "att" / "seqA_attribute.txt"
    att.write_text("0\n1\n" * 3)
    ds = datasets.create_dataset("tnl2k", annotations=tmp_path)
    with pytest.raises(DataError, match=f"^{at(att)}: expected 17 attribute flags"):
        ds["seqA"]
    att.write_text("0\n" * 17)
    (annos / "absent" / "seqA.txt").write_text("0 \nyes \n")
    with pytest.raises(DataError, match=f"^{at(annos / 'absent' / 'seqA.txt')}:2: not a number: 'yes'"):
        ds["seqA"]
    d = make_tnl2k(tmp_path / "root", "seqB")
    (d / "language.txt").mkdir()
    with pytest.raises(DataError, match=f"^{at(d / 'language.txt')}: is a folder"):
        datasets.create_dataset("tnl2k", root=tmp_path / "root")["seqB"]


def test_uav123_attribute_file(tmp_path):
    (tmp_path / "anno" / "UAV123" / "att").mkdir(parents=True)
    (tmp_path / "anno" / "UAV123" / "bike1.txt").write_text(boxes_text(3))
    att = tmp_path / "anno" / "UAV123" / "att" / "bike1.txt"
    att.write_text("1,0,1")
    with pytest.raises(DataError, match=f"^{at(att)}: expected 12 attribute flags"):
        datasets.create_dataset("uav123", root=tmp_path)["bike1"]
    att.write_text("1,0,1,0,0,0,0,0,0,0,0,1")
    assert datasets.create_dataset("uav123", root=tmp_path)["bike1"].attributes["uav"] == ["SV", "LR", "SOB"]


def test_got10k_label_file_names_the_bad_line(tmp_path):
    files = got10k_files("val")
    files[f"val/{VAL}/absence.label"] = b"0\n1\nmaybe\n"
    z = write_zip(tmp_path / "val_data.zip", files)
    with pytest.raises(DataError, match=f"^{at(z)}:val/{VAL}/absence.label:3: not a number: 'maybe'"):
        datasets.create_dataset("got10k", root=tmp_path, split="val")[VAL]


def test_nfs_annotation_folder_and_bytes(tmp_path):
    d = tmp_path / "Gymnastics" / "30"
    write_frames(d / "Gymnastics", range(1, 4), "{:05d}.jpg")
    anno = d / "Gymnastics.txt"
    anno.write_bytes(nfs_rows(3).encode() + b'4 1 2 3 4 5 0 0 0 "\xff"\n')
    ds = datasets.create_dataset("nfs", root=tmp_path)
    with pytest.raises(DataError, match=f"^{at(anno)}:4: not UTF-8 text"):
        ds["Gymnastics"]


def test_vot_tags_groundtruth_and_sequence_file(tmp_path):
    d = tmp_path / "ball1"
    write_frames(d / "color", range(1, 3))
    (tmp_path / "list.txt").write_text("ball1\n")
    (d / "groundtruth.txt").write_bytes(b"1,2,3,4\n\x81,2,3,4\n")
    ds = datasets.create_dataset("vot2018", root=tmp_path)
    with pytest.raises(DataError, match=f"^{at(d / 'groundtruth.txt')}:2: not UTF-8 text"):
        ds["ball1"]
    (d / "groundtruth.txt").write_text("1,2,3,4\n5,6,7,8\n")
    (d / "occlusion.tag").write_text("0\noops\n")
    with pytest.raises(DataError, match=f"^{at(d / 'occlusion.tag')}:2: not a number: 'oops'"):
        ds["ball1"]
    (d / "occlusion.tag").write_text("0\n1\n")
    (d / "sequence").write_text("channels.color=color/{}.jpg\n")
    with pytest.raises(DataError, match=f"^{at(d / 'sequence')}: channels.color="):
        ds["ball1"]
    (d / "sequence").unlink()
    (d / "sequence").mkdir()
    with pytest.raises(DataError, match=f"^{at(d / 'sequence')}: is a folder"):
        ds["ball1"]


def test_demo_attribute_file(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO_ROOT, root)
    (root / "Couple" / "attrs.txt").unlink()
    ds = datasets.create_dataset("demo", root=root)
    with pytest.raises(DataError, match=f"^{at(root / 'Couple' / 'attrs.txt')}: file not found"):
        ds["Couple"]
    (root / "Couple" / "attrs.txt").write_bytes(b"SV,\xe9DEF")
    with pytest.raises(DataError, match=f"^{at(root / 'Couple' / 'attrs.txt')}:1: not UTF-8 text"):
        ds["Couple"]


# --- 4. --split -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, split, kwargs", [
    ("demo", "train", {}),
    ("demo", "val", {"root": None}),
])
def test_split_of_a_dataset_without_splits_is_refused(name, split, kwargs):
    with pytest.raises(ConfigError, match=f"^{at(name)}: --split '{split}' given, but dataset '{name}' has no splits"):
        datasets.create_dataset(name, split=split, **kwargs)


@pytest.mark.parametrize("name, split, valid", [
    ("got10k", "validation", "train, val, test"),
    ("otb100", "val", "otb100, otb50, otb2013"),
    ("tnl2k", "train", "test"),
    ("lasot", "val", "test, train, all"),
    ("nfs", "240fps", "30fps"),
    ("vot2018", "train", "test"),
])
def test_unknown_split_lists_the_valid_ones(tmp_path, name, split, valid):
    with pytest.raises(ConfigError, match=f"^{at(name)}: unknown split '{split}'; valid splits: {valid}$"):
        datasets.create_dataset(name, root=tmp_path, split=split)


def test_split_spellings_and_aliases_still_open(tmp_path):
    for rel, data in got10k_files("val").items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    assert datasets.create_dataset("got10k", root=tmp_path, split="VAL").split == "val"
    assert datasets.create_dataset("otb100", root=tmp_path, split="OTB-50").split == "otb50"
    assert datasets.create_dataset("trackingnet", root=tmp_path, split="train_3").chunks == ["TRAIN_3"]
    for name, split in (("uav123", "UAV123"), ("vot2018", "baseline"), ("nfs", "30"), ("tnl2k", "Test")):
        datasets.create_dataset(name, root=tmp_path, split=split)  # no error


def test_cli_split_of_demo_prints_one_line(capsys):
    from bench.cli import main

    rc = main(["datasets", "check", "demo", "--split", "train"])
    line = one_error_line(capsys)
    assert rc != 0 and line == ("bench: error: demo: --split 'train' given, but dataset 'demo' has no splits "
                                "(leave --split out)")


# --- 5. gt_location / frame_location; no truncated ground truth ----------------------------------------


def test_gt_location_otb_init_omit_and_toolkit(otb_root, tmp_path):
    tiger = datasets.create_dataset("otb100", root=otb_root)["Tiger1"]
    gt = otb_root / "Tiger1" / "groundtruth_rect.txt"
    assert tiger.gt_location(0) == f"{gt}:6" and tiger.gt_location(4) == f"{gt}:10"
    assert datasets.create_dataset("otb100", root=otb_root)["David"].gt_location(2).endswith("groundtruth_rect.txt:3")
    anno = tmp_path / "anno_TB100"
    anno.mkdir()
    (anno / "tiger1.txt").write_text(boxes_text(10))
    toolkit = datasets.create_dataset("otb100", annotations=tmp_path)
    assert toolkit["Tiger1"].gt_location(0) == f"{anno / 'tiger1.txt'}:6"


def test_gt_location_in_zips_test_splits_nfs_and_fallback(tmp_path):
    z = write_zip(tmp_path / "val_data.zip", got10k_files("val"))
    s = datasets.create_dataset("got10k", root=tmp_path, split="val")[VAL]
    assert s.gt_location(1) == f"{z}:val/{VAL}/groundtruth.txt:2"
    test_root = tmp_path / "t"
    for rel, data in got10k_files("test").items():
        (test_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (test_root / rel).write_bytes(data)
    t = datasets.create_dataset("got10k", root=test_root, split="test")["GOT-10k_Test_000001"]
    assert t.gt_location(0).endswith("groundtruth.txt:1")
    assert t.gt_location(1) == "got10k/GOT-10k_Test_000001 ground-truth row 2"  # not in the file
    d = tmp_path / "nfs" / "airboard_1" / "30"
    write_frames(d / "airboard_1", range(1, 4), "{:05d}.jpg")
    (d / "airboard_1.txt").write_text(nfs_rows(24))  # 240-fps rows: every 8th kept
    a = datasets.create_dataset("nfs", root=tmp_path / "nfs")["airboard_1"]
    assert [a.gt_location(i).rsplit(":", 1)[1] for i in range(3)] == ["1", "9", "17"]
    plain = Sequence("x", EmptyFrames(2), np.zeros((2, 4)), dataset="demo")
    assert plain.gt_location(1) == "demo/x ground-truth row 2"


def test_frame_location_files_members_and_fallback(tmp_path):
    couple = datasets.create_dataset("demo")["Couple"]
    assert couple.frame_location(0) == str(DEMO_ROOT / "Couple" / "img" / "0001.jpg")
    assert couple.frame_location(140) == str(DEMO_ROOT / "Couple" / "img" / "0141.jpg")  # next expected name
    z = write_zip(tmp_path / "val_data.zip", got10k_files("val"))
    s = datasets.create_dataset("got10k", root=tmp_path, split="val")[VAL]
    assert s.frame_location(1) == f"{z}:val/{VAL}/00000002.jpg"
    assert s.frame_location(3) == f"{z}:val/{VAL}/00000004.jpg"
    empty = Sequence("x", EmptyFrames(3), np.zeros((3, 4)), dataset="lasot")
    assert empty.frame_location(2) == "lasot/x frame 3"
    odd = Sequence("y", PathListFrames(["/a/first.jpg", "/a/second.jpg"]), np.zeros((3, 4)), dataset="d")
    assert odd.frame_location(1) == "/a/second.jpg" and odd.frame_location(2) == "d/y frame 3"
    archive = ZipArchive(z)
    assert ZipFrames(archive, [f"val/{VAL}/00000001.jpg"]).location(0) == f"{z}:val/{VAL}/00000001.jpg"


def _got10k_folders(root):
    for rel, data in got10k_files("val").items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "val" / VAL / "00000003.jpg").unlink()
    return datasets.create_dataset("got10k", root=root, split="val")[VAL]


def _got10k_zip(root):
    files = got10k_files("val")
    del files[f"val/{VAL}/00000003.jpg"]
    write_zip(root / "val_data.zip", files)
    return datasets.create_dataset("got10k", root=root, split="val")[VAL]


def _tnl2k(root):
    d = make_tnl2k(root, "seq", n=3)
    (d / "imgs" / "00003.jpg").unlink()
    return datasets.create_dataset("tnl2k", root=root)["seq"]


def _trackingnet(root):
    (root / "TEST" / "anno").mkdir(parents=True)
    (root / "TRAIN_0" / "anno").mkdir(parents=True)
    (root / "TRAIN_0" / "anno" / "v.txt").write_text(boxes_text(3))
    write_frames(root / "TRAIN_0" / "frames" / "v", range(0, 2), "{}.jpg")
    return datasets.create_dataset("trackingnet", root=root, split="TRAIN_0")["v"]


def _nfs_pytracking(root):
    (root / "anno").mkdir()
    (root / "anno" / "nfs_s.txt").write_text(boxes_text(3))
    write_frames(root / "sequences" / "s", range(1, 3), "{:05d}.jpg")
    return datasets.create_dataset("nfs", root=root)["s"]


@pytest.mark.parametrize("build, missing", [
    (_got10k_folders, f"val/{VAL}/00000003.jpg"), (_got10k_zip, f"val_data.zip:val/{VAL}/00000003.jpg"),
    (_tnl2k, "seq/imgs/00003.jpg"), (_trackingnet, "frames/v/2.jpg"), (_nfs_pytracking, "sequences/s/00003.jpg"),
])
def test_missing_last_frame_keeps_the_ground_truth_whole(tmp_path, build, missing):
    s = build(tmp_path)
    assert len(s.frames) == 2 and len(s.ground_truth) == 3  # the runner sees the mismatch
    assert s.frame_location(2).startswith(str(tmp_path)) and s.frame_location(2).endswith(missing)
    assert any("3 boxes but 2 frames" in p for p in check_sequence(s))


# --- 6. check_init_box -----------------------------------------------------------------------------------


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO_ROOT, root)
    return root


def _first_line(root: Path, text: str):
    gt = root / "Couple" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([text] + lines[1:]) + "\n")
    return gt, datasets.create_dataset("demo", root=root)["Couple"]


@pytest.mark.parametrize("first, problem", [
    ("51,47,0,62", "has zero width (51,47,0,62)"),
    ("51,47,25,-3", "has negative height (51,47,25,-3)"),
    ("51,47,inf,62", "is not finite (51,47,inf,62)"),
    ("nan,nan,nan,nan", "is not finite (nan,nan,nan,nan)"),
])
def test_check_init_box_names_file_line_and_sequence(demo_copy, first, problem):
    gt, s = _first_line(demo_copy, first)
    with pytest.raises(DataError) as e:
        s.check_init_box()
    assert str(e.value) == f"{gt}:1: first box of demo/Couple {problem}"


def test_check_init_box_outside_the_image_and_otb_line(demo_copy, otb_root):
    gt, s = _first_line(demo_copy, "400,47,25,62")
    s.check_init_box()  # size unknown: fine
    with pytest.raises(DataError, match=rf"^{at(gt)}:1: first box of demo/Couple lies entirely outside the 320x240"):
        s.check_init_box(image_shape=(240, 320))
    _, inside = _first_line(demo_copy, "300,47,25,62")
    inside.check_init_box(image_shape=(240, 320))
    _, left = _first_line(demo_copy, "-30,47,25,62")
    with pytest.raises(DataError, match="outside"):
        left.check_init_box(image_shape=(240, 320))
    gt_t = otb_root / "Tiger1" / "groundtruth_rect.txt"
    rows = gt_t.read_text().splitlines()
    rows[5] = "15\t25\t0\t40"  # row 0 after initOmit 5
    gt_t.write_text("\n".join(rows) + "\n")
    tiger = datasets.create_dataset("otb100", root=otb_root)["Tiger1"]
    with pytest.raises(DataError, match=rf"^{at(gt_t)}:6: first box of otb100/Tiger1 has zero width"):
        tiger.check_init_box()
    assert f"{gt_t}:6: first box of otb100/Tiger1 has zero width (15,25,0,40)" in check_sequence(tiger)

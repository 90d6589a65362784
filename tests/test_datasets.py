"""Dataset adapters on miniature copies of each benchmark's exact on-disk layout (built in tmp_path).

Every frame is a solid colour that encodes its frame number (``frame_colour``), so a test can tell from
the decoded pixels which file the adapter picked: that is how the frame ranges (OTB David 300-770,
UAV123 bird1_2 775-1477, Tiger1's initOmit ...) are checked.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

import datasets
from bench.core.errors import BenchError, DataError
from datasets.base import EmptyFrames, prefetch

# ------------------------------------------------------------------------------------------------------
# layout builders
# ------------------------------------------------------------------------------------------------------


def frame_colour(k: int) -> tuple[int, int, int]:
    """RGB of frame number ``k`` (distinct for k < 4096, far apart enough to survive JPEG)."""
    return (40 * (k % 6) + 10, 40 * ((k // 6) % 6) + 10, 40 * ((k // 36) % 6) + 10)


def image_bytes(k: int, ext: str = ".jpg", size=(12, 16)) -> bytes:
    img = np.zeros((*size, 3), np.uint8)
    img[:] = frame_colour(k)
    ok, buf = cv2.imencode(ext, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert ok
    return buf.tobytes()


def write_frames(folder: Path, numbers, pattern: str = "{:08d}.jpg") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in numbers:
        name = pattern.format(k)
        (folder / name).write_bytes(image_bytes(k, Path(name).suffix))


def frame_number(img: np.ndarray, candidates) -> int:
    """Which frame number's colour ``img`` shows (nearest among ``candidates``)."""
    mean = img.reshape(-1, 3).mean(0)
    return min(candidates, key=lambda k: np.abs(mean - np.array(frame_colour(k))).sum())


def boxes_text(n: int, delim: str = ",", start: int = 0) -> str:
    return "".join(delim.join(str(v) for v in (10 + i + start, 20 + i, 30, 40)) + "\n" for i in range(n))


# ------------------------------------------------------------------------------------------------------
# OTB
# ------------------------------------------------------------------------------------------------------


@pytest.fixture
def otb_root(tmp_path):
    root = tmp_path / "OTB100"
    # David: frames 1..775 in the folder, GT for 300..770 -> use a short GT: 4 rows from 300
    write_frames(root / "David" / "img", range(298, 306), "{:04d}.jpg")
    (root / "David" / "groundtruth_rect.txt").write_text(boxes_text(4))
    # Tiger1: initOmit 5 -> 10 rows / frames give frames 6..10 and GT rows 5..9
    write_frames(root / "Tiger1" / "img", range(1, 11), "{:04d}.jpg")
    (root / "Tiger1" / "groundtruth_rect.txt").write_text(boxes_text(10, "\t"))
    # Board: 5-digit names, space-separated GT with trailing spaces
    write_frames(root / "Board" / "img", range(1, 4), "{:05d}.jpg")
    (root / "Board" / "groundtruth_rect.txt").write_text("1 2 3 4 \n5  6 7 8  \n9 10 11 12\n\n")
    # Jogging: two targets on one folder; Human4: the .1 file is empty, only Human4_2 exists
    write_frames(root / "Jogging" / "img", range(1, 4), "{:04d}.jpg")
    (root / "Jogging" / "groundtruth_rect.1.txt").write_text(boxes_text(3, "\t"))
    (root / "Jogging" / "groundtruth_rect.2.txt").write_text(boxes_text(3, ",", start=100))
    write_frames(root / "Human4" / "img", range(1, 3), "{:04d}.jpg")
    (root / "Human4" / "groundtruth_rect.1.txt").write_text("")
    (root / "Human4" / "groundtruth_rect.2.txt").write_text(boxes_text(2))
    # Football1: more images (81) than annotated frames (74) -> the extra frames are not part of it
    write_frames(root / "Football1" / "img", range(1, 8), "{:04d}.jpg")
    (root / "Football1" / "groundtruth_rect.txt").write_text(boxes_text(5))
    return root


def test_otb_frame_ranges_init_omit_and_five_digit_names(otb_root):
    ds = datasets.create_dataset("otb100", root=otb_root)
    assert len(ds) == 100 and ds.default_protocol == "otb-toolkit" and ds.dataset_mode == "otb"
    david = ds["David"]
    assert len(david) == 4 and david.extra["frame_range"] == (300, 303)
    assert [frame_number(david.frames.read(i), range(290, 310)) for i in range(4)] == [300, 301, 302, 303]
    tiger = ds["Tiger1"]
    assert len(tiger) == 5 and tiger.ground_truth[0].tolist() == [15, 25, 30, 40]  # row 6 of the file
    assert frame_number(tiger.frames.read(0), range(1, 11)) == 6
    board = ds["board"]
    assert [p.name for p in board.frames.paths] == ["00001.jpg", "00002.jpg", "00003.jpg"]
    assert board.ground_truth.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    foot = ds["Football1"]
    assert len(foot) == 5 and foot.frames.paths[-1].name == "0005.jpg"


def test_otb_two_targets_share_frames(otb_root):
    ds = datasets.create_dataset("otb100", root=otb_root)
    j1, j2 = ds["Jogging_1"], ds["jogging-2"]
    assert j1.frames.paths == j2.frames.paths
    assert j1.ground_truth[0, 0] == 10 and j2.ground_truth[0, 0] == 110
    h = ds["Human4_2"]
    assert len(h) == 2 and h.frames.paths[0].parent.parent.name == "Human4"
    assert "Jogging" not in ds.names() and "Human4_1" not in ds.names()


def test_otb_subsets_read_the_otb100_root(otb_root, monkeypatch):
    monkeypatch.setenv("BENCH_OTB100_ROOT", str(otb_root))
    otb50 = datasets.create_dataset("otb50")
    assert len(otb50) == 50 and "David" in otb50.names() and "Tiger1" not in otb50.names()
    cvpr13 = datasets.create_dataset("otb2013")
    assert len(cvpr13) == 51 and {"Jogging_1", "Jogging_2", "Tiger1"} <= set(cvpr13.names())
    assert len(cvpr13["Tiger1"]) == 5
    assert len(datasets.create_dataset("otb100", split="otb50")) == 50


def test_otb_toolkit_annotations_form(tmp_path):
    anno = tmp_path / "anno_TB100"
    anno.mkdir()
    (anno / "tiger1.txt").write_text(boxes_text(10))
    (anno / "Human4.2.txt").write_text(boxes_text(3, "\t"))
    (anno / "jogging-1.txt").write_text(boxes_text(2))
    ds = datasets.create_dataset("otb100", annotations=tmp_path)
    t = ds["Tiger1"]
    assert isinstance(t.frames, EmptyFrames) and len(t) == 5 and t.ground_truth[0, 0] == 15
    assert len(ds["Human4_2"]) == 3 and len(ds["Jogging_1"]) == 2
    with pytest.raises(DataError, match="Jogging_2"):
        ds["Jogging_2"]
    with pytest.raises(DataError, match="annotations only"):
        t.frames.read(0)


# ------------------------------------------------------------------------------------------------------
# LaSOT / LaSOT_ext
# ------------------------------------------------------------------------------------------------------


def make_lasot_sequence(root: Path, name: str, n: int = 4, nested: bool = True) -> Path:
    d = root / name.rsplit("-", 1)[0] / name if nested else root / name
    write_frames(d / "img", range(1, n + 1))
    (d / "groundtruth.txt").write_text(boxes_text(n))
    (d / "full_occlusion.txt").write_text(",".join(["0"] * (n - 1) + ["1"]))  # comma separated, one line
    (d / "out_of_view.txt").write_text("\n".join(["1"] + ["0"] * (n - 1)) + "\n")  # newline separated
    (d / "nlp.txt").write_text("white airplane landing on ground\n")
    return d


def test_lasot_layout_splits_and_flags(tmp_path):
    make_lasot_sequence(tmp_path, "airplane-1")
    make_lasot_sequence(tmp_path, "airplane-2", n=3)  # a training sequence
    test = datasets.create_dataset("lasot", root=tmp_path)
    assert len(test) == 280 and test.names()[0] == "airplane-1"
    s = test["airplane-1"]
    assert len(s) == 4 and s.language == "white airplane landing on ground"
    assert s.flags["full_occlusion"].tolist() == [0, 0, 0, 1]
    assert s.flags["out_of_view"].tolist() == [1, 0, 0, 0]
    assert s.frames.paths[0].name == "00000001.jpg" and frame_number(s.frames.read(3), range(1, 9)) == 4
    train = datasets.create_dataset("lasot", root=tmp_path, split="train")
    assert train.names() == ["airplane-2"]
    assert test.default_protocol == "lasot-toolkit" and test.dataset_mode == "lasot"


def test_lasot_ext_flat_layout(tmp_path):
    make_lasot_sequence(tmp_path, "atv-1", nested=False)
    ds = datasets.create_dataset("lasot_ext", root=tmp_path)
    assert len(ds) == 150 and ds.dataset_mode == "lasot_extension_subset"
    assert len(ds["atv-1"]) == 4


def test_lasot_toolkit_annotations_form(tmp_path):
    annos = tmp_path / "annos"
    for sub in ("absent", "att", "nlp"):
        (annos / sub).mkdir(parents=True)
    for name, n in (("airplane-1", 4), ("airplane-9", 3)):
        (annos / f"{name}.txt").write_text(boxes_text(n))
        (annos / "absent" / f"{name}.txt").write_text("0\n1\n" + "0\n" * (n - 2))
        (annos / "att" / f"{name}.txt").write_text("0,1,0,0,0,1,0,0,1,0,0,0,1,0")
        (annos / "nlp" / f"{name}.txt").write_text("a plane")
    (tmp_path / "sequence_evaluation_config").mkdir()
    (tmp_path / "sequence_evaluation_config" / "testing_set.txt").write_text("airplane-1\nairplane-9")
    ds = datasets.create_dataset("lasot", annotations=tmp_path)
    assert ds.names() == ["airplane-1", "airplane-9"]
    s = ds["airplane-9"]
    assert len(s) == 3 and s.flags["absent"].tolist() == [0, 1, 0]
    assert s.attributes["lasot"] == ["POC", "ROT", "SV", "LR"] and s.language == "a plane"


# ------------------------------------------------------------------------------------------------------
# TNL2K
# ------------------------------------------------------------------------------------------------------


def test_tnl2k_layout_lexicographic_frames_and_absent(tmp_path):
    d = tmp_path / "advSamp_Baseball_game_002-Done"
    (d / "imgs").mkdir(parents=True)
    for k in (1, 2, 3):  # png and jpg mixed, sorted by name
        (d / "imgs" / f"{k:05d}.{'png' if k != 2 else 'jpg'}").write_bytes(image_bytes(k, ".png" if k != 2 else ".jpg"))
    (d / "groundtruth.txt").write_text("10,20,30,40\n0,0,0,0\n12,20,30,40\n")
    (d / "language.txt").write_text("the man in white playing baseball\nsecond line\n")
    ds = datasets.create_dataset("tnl2k", root=tmp_path)
    s = ds[d.name]
    assert [frame_number(s.frames.read(i), range(1, 5)) for i in range(3)] == [1, 2, 3]
    assert s.flags["absent"].tolist() == [0, 1, 0] and s.language == "the man in white playing baseball"
    assert ds.default_protocol == "lasot-toolkit" and ds.dataset_mode == "tnl2k"


def test_tnl2k_toolkit_annotations_trailing_spaces_and_long_absent_file(tmp_path):
    annos = tmp_path / "annos"
    for sub in ("gt_rect", "absent", "att"):
        (annos / sub).mkdir(parents=True)
    (annos / "gt_rect" / "seqA.txt").write_text("1,2,3,4\n0,0,0,0\n")
    (annos / "absent" / "seqA.txt").write_text("0 \n1 \n0 \n")  # one flag too many, trailing spaces
    (annos / "att" / "seqA_attribute.txt").write_text("0\r\n1\r\n" + "0\r\n" * 15)
    (tmp_path / "TNL2K_testing_set.txt").write_text("seqA\n")
    s = datasets.create_dataset("tnl2k", annotations=tmp_path)["seqA"]
    assert s.flags["absent"].tolist() == [0, 1]
    assert any("3 flags for 2 frames" in p for p in s.extra["problems"])
    assert len(s.attributes["tnl2k_flags"]) == 17


# ------------------------------------------------------------------------------------------------------
# UAV123 / UAV20L
# ------------------------------------------------------------------------------------------------------


def test_uav123_split_sequence_is_a_frame_range_of_one_folder(tmp_path):
    (tmp_path / "anno" / "UAV123").mkdir(parents=True)
    rows = "NaN,NaN,NaN,NaN\n" + boxes_text(702)  # bird1_2 = frames 775..1477 of bird1
    (tmp_path / "anno" / "UAV123" / "bird1_2.txt").write_text(rows)
    write_frames(tmp_path / "data_seq" / "UAV123" / "bird1", range(773, 778), "{:06d}.jpg")
    ds = datasets.create_dataset("uav123", root=tmp_path)
    assert len(ds) == 123 and ds.dataset_mode == "uav"
    s = ds["bird1_2"]
    assert len(s) == 703 and s.frames.paths[0].name == "000775.jpg" and s.frames.paths[-1].name == "001477.jpg"
    assert frame_number(s.frames.read(0), range(770, 780)) == 775
    assert s.flags["absent"][:3].tolist() == [1, 0, 0] and np.isnan(s.ground_truth[0]).all()
    (tmp_path / "anno" / "UAV123" / "bird1_3.txt").write_text(boxes_text(10))
    with pytest.raises(DataError, match="1573-2437"):
        ds["bird1_3"]


def test_uav20l_whole_folders(tmp_path):
    (tmp_path / "anno" / "UAV20L").mkdir(parents=True)
    (tmp_path / "anno" / "UAV20L" / "bird1.txt").write_text(boxes_text(6))
    ds = datasets.create_dataset("uav20l", root=tmp_path)
    assert len(ds) == 20 and len(ds["bird1"]) == 6 and ds["bird1"].frames.paths[0].name == "000001.jpg"


# ------------------------------------------------------------------------------------------------------
# GOT-10k (folders and zips)
# ------------------------------------------------------------------------------------------------------


def got10k_files(split: str, n: int = 3) -> dict[str, bytes]:
    name = f"GOT-10k_{split.capitalize()}_000001"
    files = {f"{split}/list.txt": f"{name}\n".encode()}
    for k in range(1, n + 1):
        files[f"{split}/{name}/{k:08d}.jpg"] = image_bytes(k)
    gt = boxes_text(n if split != "test" else 1).replace(",", ",").encode()
    files[f"{split}/{name}/groundtruth.txt"] = gt
    files[f"{split}/{name}/meta_info.ini"] = (b"[METAINFO]\nurl: https://x\nobject_class: ant\n"
                                              b"resolution: (1280, 720)\n")
    if split != "test":
        files[f"{split}/{name}/cover.label"] = b"8\n0\n5\n"
        files[f"{split}/{name}/absence.label"] = b"0\n1\n0\n"
        files[f"{split}/{name}/cut_by_image.label"] = b"0\n0\n1\n"
    return files


def test_got10k_folders_val_and_test(tmp_path):
    for split in ("val", "test"):
        for rel, data in got10k_files(split).items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(data)
    val = datasets.create_dataset("got10k", root=tmp_path, split="val")
    s = val["GOT-10k_Val_000001"]
    assert len(s) == 3 and s.flags["cover"].tolist() == [8, 0, 5] and s.flags["absence"].tolist() == [0, 1, 0]
    assert s.attributes["resolution"] == (1280, 720) and s.attributes["object_class"] == "ant"
    test = datasets.create_dataset("got10k", root=tmp_path, split="test")
    t = test["GOT-10k_Test_000001"]
    assert t.ground_truth.shape == (3, 4) and t.ground_truth[0].tolist() == [10, 20, 30, 40]
    assert np.isnan(t.ground_truth[1:]).all() and not t.flags


def test_got10k_read_straight_from_the_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "val_data.zip", "w", compression=zipfile.ZIP_STORED) as zf:
        for rel, data in got10k_files("val").items():
            zf.writestr(rel, data)
    ds = datasets.create_dataset("got10k", root=tmp_path, split="val")
    s = ds["GOT-10k_Val_000001"]
    assert [frame_number(img, range(1, 5)) for _, img in prefetch(s.frames)] == [1, 2, 3]
    assert s.flags["cut_by_image"].tolist() == [0, 0, 1]
    assert not any(p.suffix == ".jpg" for p in tmp_path.rglob("*"))  # nothing was unpacked


def test_got10k_train_split_over_several_zips(tmp_path):
    for part, k in (("01", 1), ("02", 2)):
        name = f"GOT-10k_Train_{k:06d}"
        with zipfile.ZipFile(tmp_path / f"GOT-10k_Train_split_{part}.zip", "w") as zf:
            for i in range(1, k + 2):
                zf.writestr(f"{name}/{i:08d}.jpg", image_bytes(10 * k + i))
            zf.writestr(f"{name}/groundtruth.txt", boxes_text(k + 1))
            zf.writestr(f"{name}/cover.label", "1\n" * (k + 1))
    (tmp_path / "val_data.zip").write_bytes(b"")  # another split's archive is not opened
    ds = datasets.create_dataset("got10k", root=tmp_path, split="train")
    assert ds.names() == ["GOT-10k_Train_000001", "GOT-10k_Train_000002"]
    s = ds["GOT-10k_Train_000002"]
    assert len(s) == 3 and frame_number(s.frames.read(2), range(10, 30)) == 23
    assert s.extra["annotation"].endswith("GOT-10k_Train_split_02.zip:GOT-10k_Train_000002/groundtruth.txt")


# ------------------------------------------------------------------------------------------------------
# TrackingNet (frames and per-video zips)
# ------------------------------------------------------------------------------------------------------


def test_trackingnet_test_frames_sorted_numerically_and_train_zip(tmp_path):
    test = tmp_path / "TEST"
    (test / "anno").mkdir(parents=True)
    (test / "anno" / "vid_a.txt").write_text("1.5,2.5,30.25,40\n")
    write_frames(test / "frames" / "vid_a", range(0, 12), "{}.jpg")  # 0.jpg .. 11.jpg, unpadded
    ds = datasets.create_dataset("trackingnet", root=tmp_path)
    s = ds["vid_a"]
    assert len(s) == 12 and [p.name for p in s.frames.paths[:3]] == ["0.jpg", "1.jpg", "2.jpg"]
    assert s.frames.paths[10].name == "10.jpg" and np.isnan(s.ground_truth[1:]).all()
    assert s.ground_truth[0].tolist() == [1.5, 2.5, 30.25, 40]
    train = tmp_path / "TRAIN_3"
    (train / "anno").mkdir(parents=True)
    (train / "zips").mkdir()
    (train / "anno" / "vid_b.txt").write_text(boxes_text(11))
    with zipfile.ZipFile(train / "zips" / "vid_b.zip", "w") as zf:
        for k in (10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9):
            zf.writestr(f"{k}.jpg", image_bytes(k))
    t = datasets.create_dataset("trackingnet", root=tmp_path, split="TRAIN_3")["vid_b"]
    assert [frame_number(t.frames.read(i), range(0, 12)) for i in (0, 2, 10)] == [0, 2, 10]
    assert t.ground_truth.shape == (11, 4) and not np.isnan(t.ground_truth).any()
    with pytest.raises(BenchError, match="TRAIN_12"):
        datasets.create_dataset("trackingnet", root=tmp_path, split="TRAIN_12")


# ------------------------------------------------------------------------------------------------------
# NfS
# ------------------------------------------------------------------------------------------------------


def nfs_rows(n: int) -> str:
    return "".join(f'{i + 1} {10 + i} 20 {50 + i} 70 {i} 0 {int(i == 2)} 0 "person"\n' for i in range(n))


def test_nfs_xmin_ymin_xmax_ymax_and_240fps_rows(tmp_path):
    for name, rows in (("Gymnastics", 3), ("airboard_1", 24), ("basketball_1", 4)):
        d = tmp_path / name / "30"
        write_frames(d / name, range(1, 4), "{:05d}.jpg")
        (d / f"{name}.txt").write_text(nfs_rows(rows))
    ds = datasets.create_dataset("nfs", root=tmp_path)
    assert ds.names() == ["Gymnastics", "airboard_1", "basketball_1"]
    g = ds["Gymnastics"]
    assert g.ground_truth.tolist()[0] == [10, 20, 40, 50]  # w = xmax - xmin, h = ymax - ymin
    assert g.flags["occluded"].tolist() == [0, 0, 1]
    a = ds["airboard_1"]  # 24 rows at 240 fps for 3 frames: rows 0, 8, 16
    assert len(a) == 3 and a.ground_truth[:, 0].tolist() == [10, 18, 26] and a.extra["annotation_fps"] == 240
    b = ds["basketball_1"]  # one row too many: trimmed
    assert len(b) == 3 and len(b.ground_truth) == 3


def test_nfs_pytracking_layout(tmp_path):
    (tmp_path / "anno").mkdir()
    (tmp_path / "anno" / "nfs_Skiing_red.txt").write_text(boxes_text(3, "\t"))
    write_frames(tmp_path / "sequences" / "Skiing_red", range(1, 4), "{:05d}.jpg")
    s = datasets.create_dataset("nfs", root=tmp_path)["Skiing_red"]
    assert len(s) == 3 and s.ground_truth[2].tolist() == [12, 22, 30, 40]


# ------------------------------------------------------------------------------------------------------
# VOT
# ------------------------------------------------------------------------------------------------------


def test_vot2018_polygons_and_tags(tmp_path):
    d = tmp_path / "sequences" / "ball1"
    write_frames(d / "color", range(1, 4))
    (d / "groundtruth.txt").write_text("10,20,50,20,50,60,10,60\n"
                                       "334.02,128.36,438.19,188.78,396.39,260.83,292.23,200.41\n"
                                       "5,6,7,8\n")
    (d / "occlusion.tag").write_text("0\n1\n0\n")
    (d / "camera_motion.label").write_text("1\n1\n")  # shorter: padded, reported
    (tmp_path / "sequences" / "list.txt").write_text("ball1\n")
    ds = datasets.create_dataset("vot2018", root=tmp_path)
    s = ds["ball1"]
    assert s.ground_truth[0].tolist() == [10, 20, 40, 40]
    np.testing.assert_allclose(s.ground_truth[1], [292.23, 128.36, 438.19 - 292.23, 260.83 - 128.36])
    assert s.ground_truth[2].tolist() == [5, 6, 7, 8]
    assert s.extra["regions"][1].kind == "polygon" and s.extra["regions"][2].kind == "rectangle"
    assert s.flags["occlusion"].tolist() == [0, 1, 0] and s.flags["camera_motion"].tolist() == [1, 1, 0]
    assert any("2 flags for 3 frames" in p for p in s.extra["problems"])
    assert ds.default_protocol == "vot2018" and ds.dataset_mode == "vot"


def test_vot2020_masks_anchors_and_sequence_file(tmp_path):
    d = tmp_path / "hand"
    write_frames(d / "color", range(1, 3))
    # mask of 4x3 at (5, 7): rows "0110","0110","0000" -> runs 1,2,2,2,5 ; bbox x 6..7, y 7..8
    (d / "groundtruth.txt").write_text("m5,7,4,3,1,2,2,2,5\nm0,0,2,2,0,4\n")
    (d / "anchor.value").write_text("1\n-1\n")
    (d / "sequence").write_text("channels.color=color/%08d.jpg\nfps=30\nheight=12\nlength=2\nwidth=16\n")
    (tmp_path / "list.txt").write_text("hand\n")
    s = datasets.create_dataset("vot2020", root=tmp_path)["hand"]
    assert s.ground_truth.tolist() == [[6, 7, 2, 2], [0, 0, 2, 2]]
    assert s.extra["regions"][0].kind == "mask" and s.flags["anchor"].tolist() == [1.0, -1.0]
    assert s.attributes == {"width": 16, "height": 12, "fps": "30"}
    assert frame_number(s.frames.read(1), range(1, 4)) == 2


# ------------------------------------------------------------------------------------------------------
# errors, streaming, check
# ------------------------------------------------------------------------------------------------------


def test_bad_input_raises_one_line_errors_naming_file_and_line(tmp_path, otb_root):
    (otb_root / "David" / "groundtruth_rect.txt").write_text("1,2,3,4\n1,2,x,4\n")
    ds = datasets.create_dataset("otb100", root=otb_root)
    with pytest.raises(DataError, match=r"David/groundtruth_rect.txt:2: not a number"):
        ds["David"]
    with pytest.raises(BenchError, match="unknown split"):
        datasets.create_dataset("lasot", root=tmp_path, split="val")
    with pytest.raises(BenchError, match="needs its root folder"):
        datasets.create_dataset("tnl2k")
    with pytest.raises(BenchError, match="unknown sequence"):
        ds["NoSuchSeq"]


def test_prefetch_streams_the_adapter_frames_in_order(otb_root):
    s = datasets.create_dataset("otb100", root=otb_root)["Tiger1"]
    got = [(i, frame_number(img, range(1, 11))) for i, img in prefetch(s.frames, maxsize=2)]
    assert got == [(0, 6), (1, 7), (2, 8), (3, 9), (4, 10)]


def make_tnl2k(root: Path, name: str, n: int = 3, gt: str | None = None) -> Path:
    d = root / name
    write_frames(d / "imgs", range(1, n + 1), "{:05d}.jpg")
    (d / "groundtruth.txt").write_text(gt if gt is not None else boxes_text(n))
    return d


def test_check_reports_every_problem_with_file_and_line(tmp_path, capsys):
    from bench.cli import main
    from datasets.check import check_dataset

    make_tnl2k(tmp_path, "good")
    broken = make_tnl2k(tmp_path, "broken", n=4, gt=boxes_text(5))  # 5 boxes, 4 frames
    (broken / "imgs" / "00002.jpg").unlink()  # missing frame
    data = (broken / "imgs" / "00003.jpg").read_bytes()
    (broken / "imgs" / "00003.jpg").write_bytes(data[: len(data) // 2])  # truncated JPEG
    (broken / "imgs" / "00004.jpg").write_bytes(b"not an image at all")
    make_tnl2k(tmp_path, "malformed", gt="1,2,3,4\n1,2,3\n1,2,3,4\n")
    report = check_dataset(datasets.create_dataset("tnl2k", root=tmp_path))
    text = "\n".join(report.problems)
    assert report.sequences == 3 and len(report.problems) == 4, text
    assert f"{broken / 'groundtruth.txt'}:4: 5 boxes but 3 frames" in text  # 00002 gone from the listing
    assert f"{broken / 'imgs' / '00003.jpg'}: truncated JPEG" in text
    assert f"{broken / 'imgs' / '00004.jpg'}: not a JPEG or PNG image" in text
    assert f"{tmp_path / 'malformed' / 'groundtruth.txt'}:2: expected 4 values, found 3" in text
    assert main(["datasets", "check", "tnl2k", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "4 problem(s)" in out and "00003.jpg: truncated JPEG" in out
    # decoding every frame finds the same broken images
    assert len(check_dataset(datasets.create_dataset("tnl2k", root=tmp_path), decode=True).problems) == 4


def test_check_missing_frame_and_folder_in_a_fixed_frame_list(tmp_path, otb_root, capsys):
    from bench.cli import main
    from datasets.check import check_sequence

    ds = datasets.create_dataset("otb100", root=otb_root)
    (otb_root / "David" / "img" / "0301.jpg").unlink()
    problems = check_sequence(ds["David"])
    assert problems == [f"{otb_root / 'David' / 'img' / '0301.jpg'}: frame missing"]
    assert check_sequence(ds["Tiger1"]) == []
    (otb_root / "Bolt").mkdir()
    (otb_root / "Bolt" / "groundtruth_rect.txt").write_text(boxes_text(7))
    assert check_sequence(ds["Bolt"]) == [f"{otb_root / 'Bolt' / 'img'}: frame folder missing (7 frames expected)"]
    with pytest.raises(DataError, match="Basketball/groundtruth_rect.txt: file not found"):
        ds["Basketball"]
    assert main(["datasets", "check", "otb100", "--root", str(otb_root), "--sequences", "Tiger1"]) == 0
    assert "1 sequences, 5 frames checked: OK" in capsys.readouterr().out


def test_check_got10k_zip_and_lasot_flag_mismatch(tmp_path):
    from datasets.check import check_dataset, check_sequence

    files = got10k_files("val")
    files["val/GOT-10k_Val_000001/00000002.jpg"] = files["val/GOT-10k_Val_000001/00000002.jpg"][:-40]
    with zipfile.ZipFile(tmp_path / "val_data.zip", "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    report = check_dataset(datasets.create_dataset("got10k", root=tmp_path, split="val"))
    assert report.problems == [f"{tmp_path / 'val_data.zip'}:val/GOT-10k_Val_000001/00000002.jpg: "
                               f"truncated JPEG (no end-of-image marker)"]
    d = make_lasot_sequence(tmp_path / "lasot", "airplane-1")
    (d / "out_of_view.txt").write_text("0,0,0\n")
    s = datasets.create_dataset("lasot", root=tmp_path / "lasot")["airplane-1"]
    assert check_sequence(s) == [f"{d / 'out_of_view.txt'}: 3 flags for 4 frames"]


def test_datasets_info_command(capsys, tmp_path):
    from bench.cli import main

    assert main(["datasets", "info", "got10k"]) == 0
    out = capsys.readouterr().out
    assert "got10k-val" in out and "BENCH_GOT10K_ROOT" in out and "train, val, test" in out
    make_lasot_sequence(tmp_path, "atv-1")
    assert main(["datasets", "info", "lasot_ext", "--root", str(tmp_path), "--json", "-"]) == 0
    assert '"sequences": 150' in capsys.readouterr().out

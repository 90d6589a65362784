"""Adapters on the real annotation sets and sequences in ../shared/data (skipped where absent).

Counts are the ones the benchmarks publish (LaSOT test 280 / 685,360 boxes, TNL2K test 700 / 516,038,
OTB-100 100 targets / 59,035 boxes, UAV123 123 sequences); OTB ranges are checked against an
independent source, DaSiamRPN's OTB2015.json, which applies the official start/end frames itself.
"""
from __future__ import annotations

import json

import numpy as np

import datasets
from bench.core.io import load_boxes
from datasets.base import EmptyFrames, prefetch


def test_lasot_test_annotations(shared):
    ds = datasets.create_dataset("lasot", annotations=shared / "data" / "lasot")
    seqs = list(ds)
    assert len(seqs) == 280
    assert sum(len(s.ground_truth) for s in seqs) == 685_360
    assert sum(int(s.flags["absent"].sum()) for s in seqs) == 18_346
    assert all(isinstance(s.frames, EmptyFrames) and len(s.frames) == len(s.ground_truth) for s in seqs)
    assert sorted(ds.names()) == sorted(datasets.lasot.LASOT_TEST)  # the embedded list is the official one
    m = ds["monkey-17"]
    assert len(m) == 2260 and m.language and len(m.attributes["lasot"]) >= 1
    assert ds["airplane-1"].ground_truth[0].tolist() == [367, 101, 41, 16]


def test_tnl2k_test_annotations(shared):
    ds = datasets.create_dataset("tnl2k", annotations=shared / "data" / "tnl2k")
    seqs = list(ds)
    assert len(seqs) == 700
    assert sum(len(s.ground_truth) for s in seqs) == 516_038
    assert sum(int(s.flags["absent"].sum()) for s in seqs) == 65_253
    bike = ds["advSamp_monitor_bikeyellow"]
    assert len(bike) == 929 and any("930 flags for 929 frames" in p for p in bike.extra["problems"])
    # absent frames are exactly the 0,0,0,0 rows: what the adapter derives where the toolkit is absent
    assert all(((s.ground_truth == 0).all(1) == (s.flags["absent"] == 1)).all() for s in seqs)


def test_otb100_annotations_with_official_ranges(shared):
    otb = shared / "data" / "otb"
    ds = datasets.create_dataset("otb100", annotations=otb)
    seqs = {s.name: s for s in ds}
    assert len(seqs) == 100 and sum(len(s.ground_truth) for s in seqs.values()) == 59_035
    ref = {k.lower(): v for k, v in json.loads((otb / "OTB2015.json").read_text()).items()}
    for name, s in seqs.items():
        r = ref[name.lower()]
        np.testing.assert_array_equal(s.ground_truth, np.asarray(r["gt_rect"], float).reshape(-1, 4), err_msg=name)
        first, last = (int(f.split(".")[0]) for f in (r["image_files"][0], r["image_files"][-1]))
        assert s.extra["frame_range"] == (first, last), name
    assert seqs["Tiger1"].extra["frame_range"] == (6, 354) and len(seqs["Tiger1"]) == 349
    assert seqs["David"].extra["frame_range"] == (300, 770) and len(seqs["David"]) == 471
    assert seqs["BlurCar1"].extra["frame_range"] == (247, 988)
    assert set(seqs["Biker"].attributes["otb"]) == {"SV", "OCC", "MB", "FM", "OPR", "OV", "LR"}


def test_uav123_annotations(shared):
    ds = datasets.create_dataset("uav123", annotations=shared / "data" / "uav123" / "anno")
    seqs = list(ds)
    assert len(seqs) == 123
    assert sum(len(s.ground_truth) for s in seqs) == 112_578
    assert sum(int(s.flags["absent"].sum()) for s in seqs) == 2_683  # the NaN,NaN,NaN,NaN rows
    assert ds["uav1_3"].extra["frame_range"] == (2473, 3469)
    assert sorted(ds["bike1"].attributes["uav"]) == ["ARC", "CM", "FM", "IV", "SOB", "SV", "VC"]


def test_otb_sequences_stream_from_the_real_folders(shared):
    ds = datasets.create_dataset("otb100", root=shared / "data" / "otb" / "sequences")
    crossing, football = ds["Crossing"], ds["Football1"]
    assert len(crossing) == 120 and len(football) == 74  # Football1: 81 images, 74 annotated
    j1, j2 = ds["Jogging_1"], ds["Jogging_2"]
    assert len(j1) == len(j2) == 307 and j1.frames.paths == j2.frames.paths
    assert not np.array_equal(j1.ground_truth, j2.ground_truth)
    dog = ds["Dog1"]
    img = dog.frames.read(0)
    assert len(dog) == 1350 and img.shape == (240, 320, 3) and (img[..., 0] == img[..., 2]).all()  # grayscale
    n = sum(1 for _ in prefetch(football.frames))
    assert n == 74
    np.testing.assert_array_equal(crossing.ground_truth,
                                  load_boxes(shared / "data" / "otb" / "anno_TB100" / "crossing.txt"))


def test_vot_bag_streams_with_its_polygons(shared):
    ds = datasets.create_dataset("vot2018", root=shared / "data" / "vot")
    bag = ds["bag"]
    assert len(bag) == 196 and len(bag.extra["regions"]) == 196
    assert all(r.kind == "polygon" and r.points.shape == (4, 2) for r in bag.extra["regions"])
    # the first row 334.02,128.36,438.19,188.78,396.39,260.83,292.23,200.41 -> bounds of the polygon
    np.testing.assert_allclose(bag.ground_truth[0], [292.23, 128.36, 438.19 - 292.23, 260.83 - 128.36])
    frames = [img.shape for _, img in prefetch(bag.frames)]
    assert len(frames) == 196 and set(frames) == {(360, 480, 3)}


def test_check_passes_on_the_real_vot_bag(shared):
    from datasets.check import check_dataset

    report = check_dataset(datasets.create_dataset("vot2018", root=shared / "data" / "vot"), decode=True)
    assert report.ok and report.frames == 196

"""The runner and results store: atomic per-sequence files, resume without redoing work, no mixing."""
from __future__ import annotations

import json

import numpy as np
import pytest

import bench.runner as runner
from bench.core.errors import DataError, ResultsError
from bench.runner import RunSpec, run
from datasets.base import prefetch


@pytest.fixture(autouse=True)
def _fresh_cache():
    runner._CACHE.clear()
    yield
    runner._CACHE.clear()


def _files(folder):
    """Result files that must be identical between equivalent runs (timings and manifest excluded)."""
    return {p.name: p.read_bytes() for p in sorted(folder.path.glob("*.txt")) if not p.stem.endswith("_time")}


def test_run_writes_one_box_line_per_frame_and_resumes_without_redoing(tmp_path):
    spec = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=15)
    rep = run(spec, progress=False)
    assert rep.computed == ["Crossing", "Couple", "Football1"] and rep.skipped == []
    folder = rep.folder
    for seq in rep.computed:
        rec = folder.read_sequence(seq)
        assert rec.boxes.shape == (15, 4) and rec.times.shape == (15,)
        assert np.all(rec.times > 0)
    # frame 1 is the ground truth box, unchanged
    assert folder.box_path("Football1").read_text().splitlines()[0] == "153,105,26,43"
    manifest = json.loads(folder.manifest_path.read_text())
    assert manifest["config"]["tracker"] == "kcf" and manifest["config_hash"] and manifest["code_version"]

    before = {p.name: p.stat().st_mtime_ns for p in folder.path.iterdir()}
    rep2 = run(spec, progress=False)
    assert rep2.computed == [] and rep2.skipped == ["Crossing", "Couple", "Football1"]
    assert {p.name: p.stat().st_mtime_ns for p in folder.path.iterdir()} == before


def test_interrupted_run_resumes_to_identical_results(tmp_path, monkeypatch):
    clean = run(RunSpec(tracker="kcf", results=str(tmp_path / "clean"), max_frames=12), progress=False)
    runner._CACHE.clear()

    spec = RunSpec(tracker="kcf", results=str(tmp_path / "broken"), max_frames=12)
    real_build = RunSpec.build_tracker
    calls = {"n": 0}

    def flaky_build(self):
        t = real_build(self)
        real_track = t.track

        def track(image):
            calls["n"] += 1
            if calls["n"] == 11 + 5:  # 5th tracked frame of the second sequence
                raise KeyboardInterrupt
            return real_track(image)

        t.track = track
        return t

    monkeypatch.setattr(RunSpec, "build_tracker", flaky_build)
    with pytest.raises(KeyboardInterrupt):
        run(spec, progress=False)
    folder = spec.folder()
    assert folder.finished() == ["Crossing"]                         # the half-done sequence left nothing
    assert not [p for p in folder.path.iterdir() if p.name.startswith(".")]  # no temp files either
    monkeypatch.setattr(RunSpec, "build_tracker", real_build)
    runner._CACHE.clear()
    rep = run(spec, progress=False)
    assert rep.computed == ["Couple", "Football1"] and rep.skipped == ["Crossing"]
    assert _files(folder) == _files(clean.folder)


def test_a_different_configuration_is_refused_not_mixed(tmp_path):
    run(RunSpec(tracker="kcf", results=str(tmp_path), max_frames=5), progress=False)
    runner._CACHE.clear()
    with pytest.raises(ResultsError, match=r"run.json: these results come from a different configuration .*max_frames"):
        run(RunSpec(tracker="kcf", results=str(tmp_path), max_frames=6), progress=False)
    # the earlier results are untouched; --overwrite redoes them
    spec = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=6)
    assert spec.folder().read_sequence("Couple").boxes.shape == (5, 4)
    rep = run(spec, progress=False, overwrite=True)
    assert rep.computed == ["Crossing", "Couple", "Football1"]
    assert spec.folder().read_sequence("Couple").boxes.shape == (6, 4)


def test_sequence_subset_and_name_matching(tmp_path):
    rep = run(RunSpec(tracker="kcf", results=str(tmp_path), max_frames=4), sequences=["football1"], progress=False)
    assert rep.computed == ["Football1"] and rep.folder.finished() == ["Football1"]


class _Frames:
    def __init__(self, n, bad):
        self.n, self.bad = n, bad

    def __len__(self):
        return self.n

    def read(self, i):
        if i == self.bad:
            raise DataError(f"frame{i}.jpg: unreadable or corrupt image")
        return np.full((2, 2, 3), i, np.uint8)


def test_prefetch_keeps_order_and_raises_at_the_bad_frame():
    got = []
    with pytest.raises(DataError, match="frame7.jpg"):
        for i, img in prefetch(_Frames(20, bad=7), maxsize=2):
            got.append((i, int(img[0, 0, 0])))
    assert got == [(i, i) for i in range(7)]
    assert [i for i, _ in prefetch(_Frames(30, bad=-1), maxsize=3)] == list(range(30))


def test_demo_sequences_are_the_official_otb_annotations(shared):
    import datasets

    official = {k.lower(): v for k, v in json.loads((shared / "data/otb/OTB2015.json").read_text()).items()}
    ds = datasets.create_dataset("demo")
    assert [len(s) for s in ds] == [120, 140, 74]
    for seq in ds:
        entry = official[seq.name.lower()]
        assert len(entry["image_files"]) == len(seq)
        np.testing.assert_array_equal(seq.ground_truth, np.array(entry["gt_rect"], dtype=float))
        assert seq.frames.read(0).shape[2] == 3

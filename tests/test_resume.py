"""Resume and integrity of the results store: SIGKILL midway, rerun, identical results, nothing redone.

CSRT is used because it is deterministic per sequence (checked: same boxes whatever ran before it in
the process) and slow enough (~50 ms a frame) for a kill to land between two sequences.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.core.errors import ResultsError
from bench.results import RunFolder, code_version
from bench.runner import RunSpec, run
from datasets.demo import DEMO_SEQUENCES

REPO = Path(__file__).resolve().parents[1]
FRAMES = 40


def box_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.txt")) if not p.name.endswith("_time.txt")}


def fingerprint(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file: an atomic rewrite changes the inode, so a recomputed sequence shows."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def test_sigkill_midway_then_rerun_gives_identical_results_and_redoes_nothing(tmp_path):
    results = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", "-t", "csrt", "--results", str(results), "--max-frames",
         str(FRAMES), "--no-progress"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    spec = RunSpec(tracker="csrt", results=str(results), max_frames=FRAMES)
    folder = spec.folder()
    deadline = time.monotonic() + 60
    try:
        while not folder.finished() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-500:]
    done_before = folder.finished()
    assert 1 <= len(done_before) < len(DEMO_SEQUENCES), f"kill did not land midway: {done_before}"
    before = fingerprint(folder.path)
    before_bytes = box_files(folder.path)

    report = run(spec, progress=False)  # the rerun, same configuration

    assert sorted(report.skipped) == sorted(done_before)
    assert sorted(report.computed) == sorted(set(DEMO_SEQUENCES) - set(done_before))
    after = fingerprint(folder.path)
    for seq in done_before:  # finished sequences were not computed or rewritten a second time
        for name in (f"{seq}.txt", f"{seq}_time.txt"):
            assert after[name] == before[name], f"{name} was rewritten"
        assert box_files(folder.path)[f"{seq}.txt"] == before_bytes[f"{seq}.txt"]
    assert not list(folder.path.glob(".*.tmp")), "partial files were kept"

    reference = run(RunSpec(tracker="csrt", results=str(tmp_path / "clean"), max_frames=FRAMES), progress=False)
    assert box_files(folder.path) == box_files(reference.folder.path)
    assert set(box_files(folder.path)) == {f"{s}.txt" for s in DEMO_SEQUENCES}
    # every sequence has exactly FRAMES boxes (no truncated file was taken as finished)
    for s in DEMO_SEQUENCES:
        assert len(folder.read_sequence(s).boxes) == FRAMES


def test_partial_files_of_a_killed_writer_are_removed_on_resume(tmp_path):
    spec = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=3)
    run(spec, sequences=["Crossing"], progress=False)
    folder = spec.folder()
    stale = folder.path / ".Couple.txt.k2j3h4.tmp"  # what atomic_write leaves when killed before its rename
    stale.write_text("1,2,3,4\n5,6\n")
    report = run(spec, sequences=["Crossing", "Couple"], progress=False)
    assert report.skipped == ["Crossing"] and report.computed == ["Couple"]
    assert not stale.exists()
    assert len(folder.read_sequence("Couple").boxes) == 3


def test_manifest_records_config_checkpoint_hash_and_code_version(tmp_path):
    ckpt = tmp_path / "weights.pth"
    ckpt.write_bytes(b"\x00pretend weights\x01" * 100)
    spec = RunSpec(tracker="spiketrack_s256_t1", results=str(tmp_path / "res"), checkpoint=str(ckpt),
                   max_frames=7, dtype="float64")
    folder = spec.folder()
    folder.start(spec.config())
    manifest = json.loads(folder.manifest_path.read_text())
    assert manifest["config"]["checkpoint_sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert manifest["config"]["tracker"] == "spiketrack_s256_t1"
    assert manifest["config"]["dataset"] == "demo"
    assert manifest["config"]["max_frames"] == 7 and manifest["config"]["dtype"] == "float64"
    assert manifest["code_version"] == code_version()
    # the same configuration resumes; the manifest is never rewritten
    stamp = folder.manifest_path.stat().st_mtime_ns
    folder.start(spec.config())
    assert folder.manifest_path.stat().st_mtime_ns == stamp
    # other weights behind the same file name, once a sequence is finished: refused, naming the key
    folder.write_sequence("Crossing", [[1, 2, 3, 4]] * 7)
    ckpt.write_bytes(b"other weights")
    with pytest.raises(ResultsError, match="checkpoint_sha256") as e:
        folder.start(spec.config())
    assert str(folder.manifest_path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("change, key", [
    ({"max_frames": 4}, "max_frames"),
    ({"dtype": "float64"}, "dtype"),
])
def test_results_of_another_configuration_are_refused_not_mixed(tmp_path, change, key):
    base = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=3)
    run(base, sequences=["Crossing"], progress=False)
    folder = base.folder()
    kept = box_files(folder.path)
    other = RunSpec(**{**base.__dict__, **change})
    with pytest.raises(ResultsError, match=key):
        run(other, sequences=["Crossing", "Couple"], progress=False)
    assert box_files(folder.path) == kept  # nothing added, nothing changed
    # --overwrite discards the old results and starts over under the new configuration
    report = run(other, sequences=["Couple"], progress=False, overwrite=True)
    assert report.computed == ["Couple"]
    assert not folder.is_done("Crossing")
    assert json.loads(folder.manifest_path.read_text())["config"][key] == change[key]


def test_unfinished_sequence_without_box_file_is_redone(tmp_path):
    """A run killed after writing a time file but before the box file: the sequence is not finished."""
    spec = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=5)
    folder = spec.folder()
    folder.start(spec.config())
    (folder.path / "Crossing_time.txt").write_text("0.1\n0.1\n")  # from an interrupted earlier attempt
    assert not folder.is_done("Crossing") and folder.finished() == []
    report = run(spec, sequences=["Crossing"], progress=False)
    assert report.computed == ["Crossing"]
    rec = RunFolder(folder.path).read_sequence("Crossing")
    assert len(rec.boxes) == 5 and len(rec.times) == 5


def test_a_run_that_finished_nothing_does_not_block_a_corrected_configuration(tmp_path):
    """A first attempt that failed before finishing any sequence (say, on a bad checkpoint) leaves only
    a manifest; fixing the configuration must not be refused as 'mixing'."""
    spec = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=3)
    spec.folder().start(spec.config())
    fixed = RunSpec(tracker="kcf", results=str(tmp_path), max_frames=4)
    report = run(fixed, sequences=["Crossing"], progress=False)
    assert report.computed == ["Crossing"]
    assert json.loads(spec.folder().manifest_path.read_text())["config"]["max_frames"] == 4

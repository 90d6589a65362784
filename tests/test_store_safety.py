"""The results store survives its users: Ctrl-C at any moment, two runs at once, a killed run, a full disk,
``--overwrite`` that fails, and manifests that cannot be read (issue 15).

Everything here goes through the real ``bench`` executable in subprocesses (``python -m bench``), as a
user at a terminal would; the truth each test compares against is a clean, uninterrupted run.
"""
from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bench.cli import main
from bench.results import RunLock

INTERRUPTED = "bench: interrupted; finished sequences are kept, rerun to resume"


def bench(*argv: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench", *argv], cwd=cwd, env=env or _env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_") or k == "BENCH_SHARED"}
    env["BENCH_CONFIG"] = os.environ.get("BENCH_CONFIG") or _empty_config()  # never the developer's own
    env["MPLBACKEND"] = "Agg"
    return env


def _empty_config() -> str:
    path = Path(tempfile.gettempdir()) / f"bench-empty-config-{os.getpid()}.toml"
    path.write_text("")
    return str(path)


def finished_files(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Box and time files with their bytes, mtime and inode: a file rewritten, even identically, shows."""
    if not folder.is_dir():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(folder.glob("*.txt"))}


def box_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.txt")) if not p.stem.endswith("_time")}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def wait_for(predicate, proc: subprocess.Popen, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


# --- Ctrl-C ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_ctrl_c_at_50_random_moments_exits_130_and_resumes_to_identical_results(tmp_path):
    """SIGINT at 50 moments of demo runs (csrt, all three sequences): uniformly random moments from 0.5 s
    after the launch to the end of a clean run, and every fifth one aimed at a sequence boundary (sent as soon as a
    sequence's box file appears). Each interrupted run exits 130 with the one line; every file finished
    before a launch is left as it was (same bytes, same inode and mtime: not recomputed); each chain of
    interrupted runs ends in results equal to a clean run's, byte for byte. csrt: a run of the demo by a
    faster tracker (kcf: under a second) leaves too narrow a window after the interpreter's start-up."""
    argv = ("run", "-t", "csrt", "--no-progress")
    t0 = time.monotonic()
    clean = bench(*argv, "--results", str(tmp_path / "clean"), cwd=tmp_path)
    out, err = clean.communicate(timeout=120)
    duration = time.monotonic() - t0
    assert clean.returncode == 0, err
    truth = box_files(tmp_path / "clean" / "csrt" / "demo")
    assert set(truth) == {"Crossing.txt", "Couple.txt", "Football1.txt"}

    rng = random.Random(20261207)
    interrupted = chains = 0
    store = None
    for moment in range(50):
        if store is None:
            chains += 1
            store = tmp_path / f"chain{chains}"
        folder = store / "csrt" / "demo"
        before = finished_files(folder)
        proc = bench(*argv, "--results", str(store), cwd=tmp_path)
        if moment % 5 == 4:   # a sequence boundary: the moment a box file appears
            n = len(box_files(folder)) if folder.is_dir() else 0
            wait_for(lambda: folder.is_dir() and len(box_files(folder)) > n, proc)
        else:
            # from 0.5 s on: before that (0.05-0.2 s on a busy machine) the interpreter itself is starting,
            # and SIGINT's default action ends it before any Python code can answer
            time.sleep(rng.uniform(0.5, duration))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        after = finished_files(folder)
        for name, record in before.items():
            assert after.get(name) == record, f"moment {moment}: {name} was rewritten or removed"
        assert not list(folder.glob(".*.tmp")) or proc.returncode == 130, "partial file after a clean exit"
        if proc.returncode == 130:
            interrupted += 1
            assert err.strip().splitlines() == [INTERRUPTED], f"moment {moment}: stderr was {err!r}"
            continue
        assert proc.returncode == 0, f"moment {moment}: exit {proc.returncode}, stderr {err!r}"
        # the run ended before the signal came: it resumed what the interrupted runs had finished
        done_before = len([n for n in before if not n.endswith("_time.txt")])
        assert f"{3 - done_before} sequence(s) computed, {done_before} already finished" in out
        assert box_files(folder) == truth
        store = None
    if store is not None:  # finish the last chain
        proc = bench(*argv, "--results", str(store), cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert box_files(store / "csrt" / "demo") == truth
    assert interrupted >= 35, f"only {interrupted} of 50 signals arrived while the run was going"


def test_ctrl_c_in_process_returns_130_with_one_line(tmp_path, monkeypatch, capsys):
    import bench.runner as runner

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "track_sequence", interrupt)
    assert main(["run", "-t", "kcf", "--results", str(tmp_path), "--no-progress", "--max-frames", "3"]) == 130
    assert capsys.readouterr().err.strip().splitlines() == [INTERRUPTED]
    assert not (tmp_path / "kcf" / ".demo.lock").exists()  # the lock is released on the way out


# --- one writer per run folder -------------------------------------------------------------------------

SLOW = ("run", "-t", "csrt", "--no-progress", "--max-frames", "100", "--sequences", "Crossing", "Couple")  # ~3 s each, deterministic


@pytest.fixture(scope="module")
def csrt_alone(tmp_path_factory) -> dict[str, bytes]:
    """The box files of the SLOW run with the store to itself."""
    tmp = tmp_path_factory.mktemp("alone")
    alone = bench(*SLOW, "--results", str(tmp), cwd=tmp)
    assert alone.wait(timeout=300) == 0
    return box_files(tmp / "csrt" / "demo")


def test_a_second_run_on_the_same_folder_is_refused_naming_the_holder(tmp_path, csrt_alone):
    """Two terminals, one store: the second run refuses with one line naming the first's pid, host and
    start, and the first finishes undisturbed with the results of a run on its own."""
    store = tmp_path / "store"
    first = bench(*SLOW, "--results", str(store), cwd=tmp_path)
    lock = store / "csrt" / ".demo.lock"
    assert wait_for(lambda: lock.is_file() and lock.stat().st_size > 0, first), first.communicate()
    second = bench(*SLOW, "--results", str(store), cwd=tmp_path)
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2
    lines = err2.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err2
    assert str(lock) in lines[0] and f"pid {first.pid} on " in lines[0] and "since 20" in lines[0]
    assert "2 sequence(s) computed, 0 already finished" in out1
    assert not lock.exists()
    assert box_files(store / "csrt" / "demo") == csrt_alone  # as if it had had the store to itself


def test_a_lock_held_in_another_process_is_named(tmp_path):
    lock = RunLock(tmp_path / "kcf" / ".demo.lock").acquire()
    try:
        proc = bench("run", "-t", "kcf", "--results", str(tmp_path), "--no-progress", "--max-frames", "3",
                     cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
    finally:
        lock.release()
    assert proc.returncode == 2
    assert err.count("\n") == 1 and f"pid {os.getpid()} on " in err and "--run-name" in err
    assert not (tmp_path / "kcf" / "demo").exists() or not box_files(tmp_path / "kcf" / "demo")


def test_the_lock_of_a_killed_run_is_taken_over_and_the_run_resumes(tmp_path, csrt_alone):
    store = tmp_path / "store"
    first = bench(*SLOW, "--results", str(store), cwd=tmp_path)
    folder, lock = store / "csrt" / "demo", store / "csrt" / ".demo.lock"
    assert wait_for(lambda: folder.is_dir() and box_files(folder), first), first.communicate()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert lock.is_file()  # what a killed process leaves behind
    kept = finished_files(folder)
    second = bench(*SLOW, "--results", str(store), cwd=tmp_path)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert f"took over the lock of pid {first.pid}" in err
    assert f"already finished; results in" in out and not lock.exists()
    after = finished_files(folder)
    assert all(after[k] == v for k, v in kept.items())  # not recomputed
    assert box_files(folder) == csrt_alone


# --- a full disk -------------------------------------------------------------------------------------------

def test_a_full_disk_leaves_no_partial_file_and_one_line(tmp_path, monkeypatch, capsys):
    """ENOSPC on the second sequence's box file: one line naming the folder and the reason; the first
    sequence stays finished, the second leaves no box file and no temporary file."""
    import bench.core.io as io

    real = os.fsync
    calls = {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] == 4:  # time + box file of Crossing, then the time file of Couple, then its box file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(io.os, "fsync", fsync)
    rc = main(["run", "-t", "kcf", "--results", str(tmp_path), "--no-progress", "--max-frames", "3",
               "--sequences", "Crossing", "Couple"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "cannot write the results of Couple (No space left on device)" in err[0]
    folder = tmp_path / "kcf" / "demo"
    assert (folder / "Crossing.txt").is_file() and not (folder / "Couple.txt").exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_real_full_file_system(tmp_path):
    """The same on a real 64 KiB tmpfs filled up (needs root and mount; skipped elsewhere)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        store = mnt / "store"
        ok = bench("run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "3",
                   "--sequences", "Crossing", cwd=tmp_path)
        assert ok.wait(timeout=120) == 0
        before = snapshot(store)
        filler = mnt / "filler"
        with open(filler, "wb", buffering=0) as f:  # take every block left
            try:
                while True:
                    f.write(b"\0" * 512)
            except OSError:
                pass
        proc = bench("run", "-t", "kcf", "--results", str(store), "--no-progress", "--sequences", "Couple",
                     "--max-frames", "3", cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bench: error: ") and "No space left" in lines[0], err
        after = snapshot(store)
        assert {k: v for k, v in after.items() if k in before} == before
        assert set(after) - set(before) <= {"kcf/demo/Couple_time.txt"}  # never a box file, never a .tmp
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# --- --overwrite builds beside and swaps -----------------------------------------------------------------

def _store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "3",
                 "--sequences", "Crossing", "Couple"]) == 0
    return store


@pytest.mark.parametrize("bad", [
    ["--sequences", "Crossing", "Nowhere"],
    ["--root", "{tmp}/no_such_root"],
    ["--checkpoint", "{tmp}/missing.pth"],
    ["--split", "val"],
    ["-t", "spiketrack_s256_t1", "--checkpoint", "{tmp}/text.pth"],
])
def test_overwrite_with_a_bad_argument_leaves_the_old_results(tmp_path, capsys, bad):
    store = _store(tmp_path)
    (tmp_path / "text.pth").write_text("not a checkpoint\n")
    before = snapshot(store)
    argv = ["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "3", "--overwrite",
            *[b.format(tmp=tmp_path) for b in bad]]
    capsys.readouterr()
    assert main(argv) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench: error: ")
    assert snapshot(store) == before


def test_overwrite_interrupted_keeps_the_old_results_and_resumes(tmp_path, monkeypatch, capsys):
    """An --overwrite that fails midway (here: the second sequence raises) leaves the old results in
    place; the next --overwrite resumes the replacement and swaps it in."""
    import bench.runner as runner

    store = _store(tmp_path)
    folder = store / "kcf" / "demo"
    before = snapshot(folder)
    real = runner.track_sequence

    def second_fails(tracker, sequence, *a, **k):
        if sequence.name == "Couple":
            raise KeyboardInterrupt
        return real(tracker, sequence, *a, **k)

    monkeypatch.setattr(runner, "track_sequence", second_fails)
    argv = ["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "4", "--overwrite"]
    assert main(argv + ["--sequences", "Crossing", "Couple"]) == 130
    assert snapshot(folder) == before                     # the old results, untouched
    staged = store / "kcf" / ".demo.overwrite"
    assert (staged / "Crossing.txt").is_file()            # the replacement so far, beside them
    monkeypatch.setattr(runner, "track_sequence", real)
    capsys.readouterr()
    assert main(argv + ["--sequences", "Crossing", "Couple"]) == 0
    assert "1 sequence(s) computed, 1 already finished" in capsys.readouterr().out
    assert not staged.exists() and not (store / "kcf" / ".demo.replaced").exists()
    assert json.loads((folder / "run.json").read_text())["config"]["max_frames"] == 4
    assert len((folder / "Couple.txt").read_text().splitlines()) == 4


def test_overwrite_of_some_sequences_keeps_the_others_of_the_same_configuration(tmp_path, capsys):
    store = _store(tmp_path)
    folder = store / "kcf" / "demo"
    couple = (folder / "Couple.txt").read_bytes()
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "3",
                 "--overwrite", "--sequences", "Crossing"]) == 0
    assert (folder / "Couple.txt").read_bytes() == couple  # same configuration: carried over
    capsys.readouterr()
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "5",
                 "--overwrite", "--sequences", "Crossing"]) == 0
    assert not (folder / "Couple.txt").exists()            # another configuration: dropped, and said so
    assert "dropped: Couple" in capsys.readouterr().err


def test_a_swap_cut_short_is_completed_by_the_next_run(tmp_path):
    """Killed between the two renames of the swap: the next run puts the finished replacement in place."""
    store = _store(tmp_path)
    run_dir = store / "kcf"
    (run_dir / "demo").rename(run_dir / ".demo.replaced")
    staged = run_dir / ".demo.overwrite"
    staged.mkdir()
    (staged / "run.json").write_text((run_dir / ".demo.replaced" / "run.json").read_text())
    (staged / "Crossing.txt").write_text("1,2,3,4\n1,2,3,4\n1,2,3,4\n")
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "3",
                 "--sequences", "Crossing"]) == 0
    assert (run_dir / "demo" / "Crossing.txt").read_text() == "1,2,3,4\n1,2,3,4\n1,2,3,4\n"
    assert not staged.exists() and not (run_dir / ".demo.replaced").exists()


# --- manifests that cannot be used --------------------------------------------------------------------

@pytest.mark.parametrize("content", ["", "[]", "null", '"run"', "{}", '{"config": []}',
                                     '{"config": {}, "config_hash": 7}', "{ not json", None])
def test_a_manifest_that_cannot_be_used_is_refused_naming_run_json_and_the_way_out(tmp_path, capsys, content):
    store = _store(tmp_path)
    manifest = store / "kcf" / "demo" / "run.json"
    if content is None:
        manifest.unlink()
    else:
        manifest.write_text(content)
    before = snapshot(store)
    capsys.readouterr()
    # another configuration: must not adopt the old files
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(manifest) in err[0] and "--overwrite" in err[0], err
    assert snapshot(store) == before
    # the way out it names works, and keeps nothing of the unknown configuration
    assert main(["run", "-t", "kcf", "--results", str(store), "--no-progress", "--max-frames", "4",
                 "--overwrite", "--sequences", "Crossing"]) == 0
    assert json.loads(manifest.read_text())["config"]["max_frames"] == 4
    assert not (store / "kcf" / "demo" / "Couple.txt").exists()


def test_a_sequence_named_twice_runs_once(tmp_path, capsys):
    assert main(["run", "-t", "kcf", "--results", str(tmp_path), "--no-progress", "--max-frames", "3",
                 "--sequences", "Crossing", "crossing", "CROSSING"]) == 0
    cap = capsys.readouterr()
    assert "1 sequence(s) computed" in cap.out
    assert "--sequences names Crossing 3 times (Crossing, crossing, CROSSING); it runs once" in cap.err

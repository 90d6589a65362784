"""Writing commands never damage what is there: ``bench demo``, ``bench vot setup|run|analyse``.

Every failing invocation (bad tracker name, bad number, an output that is an input, a missing input, a
corrupt workspace file) must print exactly one ``bench: error:`` line naming the flag or file at fault,
exit non-zero, and leave every earlier file byte-identical (bytes, link targets and mtimes compared
before and after). A demo that fails or is interrupted half-way leaves the earlier outputs as they were
and no temporary file. Native log lines (FFmpeg, OpenCV) never reach the user's stderr without ``-v``.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from bench.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
W_, H_, N = 64, 48, 8
INIT = "20,12,20,20"


# --- helpers --------------------------------------------------------------------------------------

def snapshot(root: Path, dir_mtimes: bool = True) -> dict[str, tuple]:
    """Every file, link and folder under ``root``: bytes (or link target) and mtime. ``dir_mtimes=False``
    where a temporary file came and went in a folder (its files are still compared in full)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p), st.st_mtime_ns)
            elif p.is_dir():
                out[rel] = ("dir", st.st_mtime_ns if dir_mtimes else None)
            else:
                out[rel] = ("file", p.read_bytes(), st.st_mtime_ns)
    return out


def run_cli(args, capsys) -> tuple[int, str, str]:
    try:
        rc = main([str(a) for a in args])
    except SystemExit as e:  # argparse's one-line usage errors
        rc = e.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_one_line_error(rc: int, err: str, *needles: str) -> None:
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bench: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def write_clip(path: Path, n: int = N) -> Path:
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (W_, H_))
    assert vw.isOpened()
    rng = np.random.default_rng(3)
    texture = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    for i in range(n):
        f = np.full((H_, W_, 3), 90, np.uint8)
        f[12:32, 20 + i:40 + i] = texture
        vw.write(f)
    vw.release()
    return path


# --- bench demo ------------------------------------------------------------------------------------

@pytest.fixture()
def demo_dir(tmp_path) -> Path:
    d = tmp_path / "d"
    d.mkdir()
    write_clip(d / "clip.mp4")
    (d / "init.txt").write_text(INIT + "\n")
    (d / "ck.pth").write_bytes(b"not really weights")
    frames = d / "frames"
    frames.mkdir()
    for i in range(4):
        cv2.imwrite(str(frames / f"{i + 1:05d}.png"), np.full((H_, W_, 3), 40 * i, np.uint8))
    return d


def demo_case(d: Path, what: str) -> tuple[list, str]:
    clip, out = d / "clip.mp4", d / "o.mp4"
    base = ["demo", "--no-progress", "--video", clip, "--init", INIT]
    cases = {
        "out is the video": (base + ["-t", "kcf", "--out", clip], "--out"),
        "boxes is the video": (base + ["-t", "kcf", "--out", out, "--boxes", clip], "--boxes"),
        "gif is the video": (base + ["-t", "kcf", "--out", out, "--gif", clip], "--gif"),
        "contact sheet is the video": (base + ["-t", "kcf", "--out", out, "--contact-sheet", clip],
                                       "--contact-sheet"),
        "out is the checkpoint": (base + ["-t", "kcf", "--out", d / "x.mp4", "--boxes", d / "ck.pth",
                                          "--checkpoint", d / "ck.pth"], "--checkpoint"),
        "boxes is the init file": (["demo", "--no-progress", "-t", "kcf", "--video", clip, "--init-from-file",
                                    d / "init.txt", "--out", out, "--boxes", d / "init.txt"], "--init-from-file"),
        "frames csv is the init file": (["demo", "--no-progress", "-t", "kcf", "--video", clip, "--init-from-file",
                                         d / "init_frames.csv", "--out", out, "--boxes", d / "init.txt"],
                                        "init_frames.csv"),
        "out inside the frame folder": (["demo", "--no-progress", "-t", "kcf", "--video", d / "frames", "--init",
                                         "1,1,8,8", "--out", d / "frames" / "o.mp4"], "input folder --video"),
        "two outputs one file": (base + ["-t", "kcf", "--out", out, "--gif", d / "o.txt"], "same file"),
        "json is the video": (base + ["-t", "kcf", "--out", out, "--json", clip], "--json"),
        "unknown tracker": (base + ["-t", "nosuchtracker", "--out", out], "nosuchtracker"),
        "zero max frames": (base + ["-t", "kcf", "--out", out, "--max-frames", "0"], "--max-frames"),
        "text max frames": (base + ["-t", "kcf", "--out", out, "--max-frames", "ten"], "--max-frames"),
        "zero threads": (base + ["-t", "kcf", "--out", out, "--threads", "0"], "--threads"),
        "missing video": (["demo", "--no-progress", "-t", "kcf", "--video", d / "nope.mp4", "--init", INIT,
                           "--out", out], "nope.mp4"),
        "missing init file": (["demo", "--no-progress", "-t", "kcf", "--video", clip, "--init-from-file",
                               d / "noinit.txt", "--out", out], "noinit.txt"),
        "bad out extension": (base + ["-t", "kcf", "--out", d / "o.xyz"], ".xyz"),
        "init outside the frame": (["demo", "--no-progress", "-t", "kcf", "--video", clip, "--init", "500,500,5,5",
                                    "--out", out], "outside"),
    }
    (d / "init_frames.csv").write_text(INIT + "\n")
    return cases[what]


DEMO_CASES = ["out is the video", "boxes is the video", "gif is the video", "contact sheet is the video",
              "out is the checkpoint", "boxes is the init file", "frames csv is the init file",
              "out inside the frame folder", "two outputs one file", "json is the video", "unknown tracker",
              "zero max frames", "text max frames", "zero threads", "missing video", "missing init file",
              "bad out extension", "init outside the frame"]


@pytest.mark.parametrize("what", DEMO_CASES)
def test_demo_failures_leave_every_file_as_it_was(what, demo_dir, capsys):
    args, needle = demo_case(demo_dir, what)
    before = snapshot(demo_dir)
    rc, _, err = run_cli(args, capsys)
    assert_one_line_error(rc, err, needle)
    assert snapshot(demo_dir) == before


def test_demo_default_outputs_are_checked_too(demo_dir, capsys, monkeypatch):
    """The default --out (<video stem>_<tracker>.mp4 here) and --boxes collide with an explicit --gif."""
    monkeypatch.chdir(demo_dir)
    before = snapshot(demo_dir)
    rc, _, err = run_cli(["demo", "--no-progress", "-t", "kcf", "--video", "clip.mp4", "--init", INIT,
                          "--gif", "clip_kcf.txt"], capsys)
    assert_one_line_error(rc, err, "clip_kcf.txt", "same file")
    assert snapshot(demo_dir) == before
    # the default --out inside the input frame folder
    monkeypatch.chdir(demo_dir / "frames")
    rc, _, err = run_cli(["demo", "--no-progress", "-t", "kcf", "--video", ".", "--init", "1,1,8,8"], capsys)
    assert_one_line_error(rc, err, "input folder --video")
    assert snapshot(demo_dir) == before


def _outputs(d: Path) -> list[str]:
    return ["--out", str(d / "res" / "o.mp4"), "--gif", str(d / "res" / "o.gif"),
            "--contact-sheet", str(d / "res" / "o.png")]


def test_demo_writes_all_outputs_and_no_temporary_file(demo_dir, capsys):
    rc, out, err = run_cli(["demo", "--no-progress", "-t", "mil", "--video", demo_dir / "clip.mp4", "--init", INIT,
                            *_outputs(demo_dir)], capsys)
    assert rc == 0, err
    assert sorted(p.name for p in (demo_dir / "res").iterdir()) == ["o.gif", "o.mp4", "o.png", "o.txt",
                                                                     "o_frames.csv"]
    assert f"{N} frames {W_}x{H_}" in out
    assert err == ""


class _Boom(Exception):
    pass


@pytest.mark.parametrize("failure", ["error", "interrupt"])
def test_demo_failing_half_way_keeps_the_earlier_outputs(failure, demo_dir, capsys, monkeypatch):
    """A tracker that fails (or Ctrl-C) on frame 4: the outputs of the earlier run stay byte-identical."""
    import trackers

    assert run_cli(["demo", "--no-progress", "-t", "kcf", "--video", demo_dir / "clip.mp4", "--init", INIT,
                    *_outputs(demo_dir)], capsys)[0] == 0
    before = snapshot(demo_dir, dir_mtimes=False)
    real = trackers.create_tracker

    def create(name, **kw):
        t = real(name, **kw)
        track, calls = t.track, []

        def failing(frame):
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt if failure == "interrupt" else _Boom("tracker crashed")
            return track(frame)

        t.track = failing
        return t

    monkeypatch.setattr(trackers, "create_tracker", create)
    rc, _, err = run_cli(["demo", "--no-progress", "-t", "kcf", "--video", demo_dir / "clip.mp4", "--init", INIT,
                          *_outputs(demo_dir)], capsys)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("bench: ")
    assert snapshot(demo_dir, dir_mtimes=False) == before  # no partial output, no temporary file


def test_demo_into_a_new_folder_that_fails_leaves_no_folder(demo_dir, capsys):
    notvideo = demo_dir / "notes.mp4"
    notvideo.write_text("not a video\n")
    before = snapshot(demo_dir)
    rc, _, err = run_cli(["demo", "--no-progress", "-t", "kcf", "--video", notvideo, "--init", INIT,
                          "--out", demo_dir / "new" / "deeper" / "o.mp4"], capsys)
    assert_one_line_error(rc, err, str(notvideo))
    assert snapshot(demo_dir) == before


def test_truncated_video_is_one_line_without_ffmpeg_noise(tmp_path):
    """A half-written mp4 (its index, the moov atom, is lost): FFmpeg's own log line must not reach stderr."""
    clip = write_clip(tmp_path / "full.mp4", n=12)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:len(data) // 2])
    (tmp_path / "o.mp4").write_bytes(b"an earlier output")
    before = snapshot(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCV_", "BENCH_"))}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "bench", "demo", "-t", "kcf", "--video", str(cut), "--init", INIT,
                           "--out", str(tmp_path / "o.mp4"), "--no-progress"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("bench: error: ") and str(cut) in lines[0], lines[0]
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("level,shown", [(logging.WARNING, False), (logging.INFO, True)])
def test_native_stderr_is_caught_and_replayed_only_when_verbose(level, shown, capfd):
    from bench.native_logs import native_stderr_captured

    root = logging.getLogger()
    old = root.level
    root.setLevel(level)  # what `bench -v` does (INFO) or not (WARNING)
    try:
        with native_stderr_captured():
            os.write(2, b"[mov,mp4 @ 0x1] moov atom not found\n")  # what FFmpeg does: fd 2, past sys.stderr
            with native_stderr_captured():  # nested: the outer block keeps capturing
                os.write(2, b"VIDEOIO warning\n")
        sys.stderr.flush()
        os.write(2, b"after\n")
    finally:
        root.setLevel(old)
    err = capfd.readouterr().err
    assert ("moov atom not found" in err and "VIDEOIO warning" in err) == shown
    assert err.rstrip().endswith("after")


# --- bench vot setup / run / analyse ---------------------------------------------------------------

def toy_sequence(root: Path, n: int = 8) -> Path:
    folder = root / "toy"
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        img = np.zeros((48, 64, 3), np.uint8)
        img[10 + i % 3:30, 20:40] = 255
        cv2.imwrite(str(folder / f"{i:08d}.jpg"), img)
    (folder / "groundtruth.txt").write_text("".join(f"20,{10 + i % 3},40,{10 + i % 3},40,30,20,30\n"
                                                    for i in range(1, n + 1)))
    return folder


@pytest.fixture()
def vot_dirs(tmp_path, capsys) -> tuple[Path, Path, Path]:
    """(everything, the source sequence, a set-up workspace with a result file in it)."""
    src = toy_sequence(tmp_path / "src")
    ws = tmp_path / "ws"
    rc, _, err = run_cli(["vot", "setup", "--tracker", "mil", "--workspace", ws, "--vot-folder", src,
                          "--anchor-stride", "4"], capsys)
    assert rc == 0, err
    res = ws / "results" / "bench_mil" / "baseline" / "toy"
    res.mkdir(parents=True)
    (res / "toy_00000000.txt").write_text("1\n")
    return tmp_path, src, ws


def setup_case(tmp: Path, src: Path, ws: Path, what: str) -> tuple[list, str]:
    base = ["vot", "setup", "--workspace", ws, "--vot-folder", src]
    notutf8 = tmp / "stack_latin1.yaml"
    notutf8.write_bytes(b"title: caf\xe9\nexperiments: {}\n")
    (tmp / "text.pth").write_text("weights: see the release page\n")
    shape = tmp / "stack_list.yaml"
    shape.write_text("- baseline\n- unsupervised\n")
    cases = {
        "unknown tracker": (base + ["--tracker", "nope"], "nope"),
        "zero max frames": (base + ["--tracker", "mil", "--max-frames", "0"], "--max-frames"),
        "negative anchor stride": (base + ["--tracker", "mil", "--anchor-stride", "-3"], "--anchor-stride"),
        "text timeout": (base + ["--tracker", "mil", "--timeout", "soon"], "--timeout"),
        "zero timeout": (base + ["--tracker", "mil", "--timeout", "0"], "--timeout"),
        "unknown stack": (base + ["--tracker", "mil", "--stack", "vot1999"], "--stack"),
        "unknown experiment": (base + ["--tracker", "mil", "--experiments", "baseline,nope"], "--experiments"),
        "stack not utf-8": (base + ["--tracker", "mil", "--stack", notutf8], str(notutf8)),
        "stack wrong shape": (base + ["--tracker", "mil", "--stack", shape], str(shape)),
        "stack is the workspace's": (base + ["--tracker", "mil", "--stack", ws / "stack.yaml"], "--stack"),
        "checkpoint is the workspace's": (base + ["--tracker", "mil", "--checkpoint", ws / "trackers.ini"],
                                          "trackers.ini"),
        "missing sequences": (["vot", "setup", "--tracker", "mil", "--workspace", ws, "--vot-folder",
                               tmp / "nowhere"], "nowhere"),
        "sequences inside the workspace": (["vot", "setup", "--tracker", "mil", "--workspace", ws, "--vot-folder",
                                            ws / "sequences" / "toy"], "--vot-folder"),
        "sequences are the workspace": (["vot", "setup", "--tracker", "mil", "--workspace", ws, "--vot-folder", ws],
                                        "--vot-folder"),
        "workspace is the sequences": (["vot", "setup", "--tracker", "mil", "--workspace", src, "--vot-folder", src],
                                       "--vot-folder"),
        "workspace inside the sequences": (["vot", "setup", "--tracker", "mil", "--workspace", src / "ws",
                                            "--vot-folder", src], "--vot-folder"),
        "missing checkpoint": (base + ["--tracker", "mil", "--checkpoint", tmp / "none.pth"], "none.pth"),
        "checkpoint for a classical tracker": (base + ["--tracker", "mil", "--checkpoint", tmp / "text.pth"],
                                               "--checkpoint"),
        "checkpoint a text file": (base + ["--tracker", "spiketrack_s256_t1", "--checkpoint", tmp / "text.pth"],
                                   "text.pth"),
        "unknown dataset": (["vot", "setup", "--tracker", "mil", "--workspace", ws, "--dataset", "nosuchset"],
                            "nosuchset"),
        "unknown sequence": (base + ["--tracker", "mil", "--sequences", "nosuchseq"], "nosuchseq"),
        "workspace is a file": (["vot", "setup", "--tracker", "mil", "--workspace", src / "groundtruth.txt",
                                 "--vot-folder", src], "groundtruth.txt"),
    }
    return cases[what]


SETUP_CASES = ["unknown tracker", "zero max frames", "negative anchor stride", "text timeout", "zero timeout",
               "unknown stack", "unknown experiment", "stack not utf-8", "stack wrong shape",
               "stack is the workspace's", "checkpoint is the workspace's", "missing sequences",
               "sequences inside the workspace", "sequences are the workspace", "workspace is the sequences",
               "workspace inside the sequences", "missing checkpoint", "checkpoint for a classical tracker",
               "checkpoint a text file", "unknown dataset", "unknown sequence", "workspace is a file"]


@pytest.mark.parametrize("what", SETUP_CASES)
def test_vot_setup_failures_leave_the_workspace_and_sources_as_they_were(what, vot_dirs, capsys):
    tmp, src, ws = vot_dirs
    args, needle = setup_case(tmp, src, ws, what)
    before = snapshot(tmp)
    rc, _, err = run_cli(args, capsys)
    assert_one_line_error(rc, err, needle)
    assert snapshot(tmp) == before


@pytest.mark.parametrize("content,needle", [(b"tracker = mil\n", "trackers.ini:1"),
                                            (b"[bench_x]\nlabel = caf\xe9\n", "UTF-8"),
                                            (b"[a]\nk = 1\n[a]\nk = 2\n", "trackers.ini:3")])
def test_vot_setup_refuses_a_broken_trackers_ini(content, needle, vot_dirs, capsys):
    tmp, src, ws = vot_dirs
    (ws / "trackers.ini").write_bytes(content)
    before = snapshot(tmp)
    rc, _, err = run_cli(["vot", "setup", "--tracker", "mil", "--workspace", ws, "--vot-folder", src], capsys)
    assert_one_line_error(rc, err, "trackers.ini", needle)
    assert snapshot(tmp) == before


def test_vot_setup_into_a_foreign_folder_is_refused(vot_dirs, capsys):
    tmp, src, _ = vot_dirs
    other = tmp / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("my notes\n")
    before = snapshot(tmp)
    rc, _, err = run_cli(["vot", "setup", "--tracker", "mil", "--workspace", other, "--vot-folder", src], capsys)
    assert_one_line_error(rc, err, str(other), "not a VOT workspace")
    assert snapshot(tmp) == before


def test_vot_setup_again_rebuilds_sequences_and_keeps_results(vot_dirs, capsys):
    tmp, src, ws = vot_dirs
    (ws / "trackers.ini").write_text((ws / "trackers.ini").read_text() + "\n[other]\nlabel = kept\n")
    src_before = snapshot(src)
    rc, _, err = run_cli(["vot", "setup", "--tracker", "kcf", "--workspace", ws, "--vot-folder", src,
                          "--max-frames", "6", "--experiments", "unsupervised"], capsys)
    assert rc == 0, err
    assert snapshot(src) == src_before  # the source sequence is only read
    assert (ws / "results" / "bench_mil" / "baseline" / "toy" / "toy_00000000.txt").read_text() == "1\n"
    assert len((ws / "sequences" / "toy" / "groundtruth.txt").read_text().splitlines()) == 6
    ini = (ws / "trackers.ini").read_text()
    assert "[bench_mil]" in ini and "[bench_kcf]" in ini and "[other]" in ini
    assert json.loads((ws / "bench_vot.json").read_text())["tracker"] == "kcf"
    assert not [p.name for p in ws.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_vot_setup_failing_on_a_new_workspace_creates_nothing(vot_dirs, capsys):
    tmp, src, _ = vot_dirs
    (src / "00000003.jpg").unlink()
    before = snapshot(tmp)
    rc, _, err = run_cli(["vot", "setup", "--tracker", "mil", "--workspace", tmp / "new", "--vot-folder", src],
                         capsys)
    assert_one_line_error(rc, err, "00000003.jpg")
    assert snapshot(tmp) == before


def _corrupt(ws: Path, what: str) -> tuple[str, str]:
    """Damage one workspace file; returns (needle naming it, line-number needle or '')."""
    f = {"setup json": ws / "bench_vot.json", "setup json not utf-8": ws / "bench_vot.json",
         "setup json a list": ws / "bench_vot.json", "setup json tracker a number": ws / "bench_vot.json",
         "config yaml": ws / "config.yaml", "config yaml a list": ws / "config.yaml",
         "config yaml not utf-8": ws / "config.yaml", "stack yaml": ws / "stack.yaml",
         "stack experiments a number": ws / "stack.yaml", "trackers ini": ws / "trackers.ini",
         "list not utf-8": ws / "sequences" / "list.txt", "anchors": ws / "sequences" / "toy" / "anchor.value",
         "groundtruth": ws / "sequences" / "toy" / "groundtruth.txt"}[what]
    content = {
        "setup json": b'{"tracker": "mil",\n  "stack": }\n',
        "setup json not utf-8": b'{"tracker": "m\xefl"}\n',
        "setup json a list": b'["mil"]\n',
        "setup json tracker a number": b'{"tracker": 5}\n',
        "config yaml": b"registry:\n- trackers.ini\nstack: [stack.yaml\n",
        "config yaml a list": b"- trackers.ini\n- stack.yaml\n",
        "config yaml not utf-8": b"stack: st\xe4ck.yaml\n",
        "stack yaml": b"title: x\nexperiments:\n  baseline: {type: multistart\n",
        "stack experiments a number": b"title: x\nexperiments: 5\n",
        "trackers ini": b"this is not an ini file\n",
        "list not utf-8": b"t\xf6y\n",
        "anchors": b"1\n0\nabc\n0\n1\n0\n0\n0\n",
        "groundtruth": b"20,10,40\n",
    }[what]
    f.write_bytes(content)
    return str(f), ""


CORRUPT = ["setup json", "setup json not utf-8", "setup json a list", "setup json tracker a number", "config yaml",
           "config yaml a list", "config yaml not utf-8", "stack yaml", "stack experiments a number", "trackers ini",
           "list not utf-8", "anchors", "groundtruth"]


@pytest.fixture()
def no_toolkit_run(monkeypatch):
    """The toolkit is never started by a failing command (and need not be installed for these tests)."""
    from bench.vot import toolkit

    monkeypatch.setattr(toolkit, "require_toolkit", lambda: "0.9.0")
    monkeypatch.setattr(toolkit, "toolkit_version", lambda: "0.9.0")

    def never(*a, **k):
        raise AssertionError("the toolkit was started")

    monkeypatch.setattr(toolkit, "run_vot", never)


@pytest.mark.parametrize("what", CORRUPT)
@pytest.mark.parametrize("action", ["run", "analyse"])
def test_vot_run_and_analyse_name_a_corrupt_workspace_file(action, what, vot_dirs, capsys, no_toolkit_run):
    tmp, _, ws = vot_dirs
    needle, _ = _corrupt(ws, what)
    before = snapshot(tmp)
    args = ["vot", action, "--workspace", ws]
    if action == "analyse":
        args += ["--results", tmp / "store"]
    rc, _, err = run_cli(args, capsys)
    assert_one_line_error(rc, err, needle)
    assert snapshot(tmp) == before


def test_corrupt_json_error_names_the_line(vot_dirs, capsys, no_toolkit_run):
    _, _, ws = vot_dirs
    _corrupt(ws, "setup json")
    rc, _, err = run_cli(["vot", "run", "--workspace", ws], capsys)
    assert_one_line_error(rc, err, f"{ws / 'bench_vot.json'}:2:")


def run_case(tmp: Path, ws: Path, what: str) -> tuple[list, str]:
    cases = {
        "missing workspace": (["vot", "run", "--workspace", tmp / "nows"], "nows"),
        "unknown tracker": (["vot", "run", "--workspace", ws, "--tracker", "nope"], "nope"),
        "tracker not set up": (["vot", "run", "--workspace", ws, "--tracker", "kcf"], "bench_kcf"),
        "unknown experiment": (["vot", "run", "--workspace", ws, "--experiments", "baseline,nope"], "nope"),
        "zero toolkit timeout": (["vot", "run", "--workspace", ws, "--toolkit-timeout", "0"], "--toolkit-timeout"),
        "nan toolkit timeout": (["vot", "run", "--workspace", ws, "--toolkit-timeout", "nan"], "--toolkit-timeout"),
        "analyse zero timeout": (["vot", "analyse", "--workspace", ws, "--toolkit-timeout", "-1"],
                                 "--toolkit-timeout"),
        "analyse json onto the workspace": (["vot", "analyse", "--workspace", ws, "--results", tmp / "store",
                                             "--json", ws / "bench_vot.json"], "--json"),
        "analyse unknown tracker": (["vot", "analyse", "--workspace", ws, "--tracker", "nope"], "nope"),
    }
    return cases[what]


RUN_CASES = ["missing workspace", "unknown tracker", "tracker not set up", "unknown experiment",
             "zero toolkit timeout", "nan toolkit timeout", "analyse zero timeout",
             "analyse json onto the workspace", "analyse unknown tracker"]


@pytest.mark.parametrize("what", RUN_CASES)
def test_vot_run_failures_leave_every_workspace_file_as_it_was(what, vot_dirs, capsys, no_toolkit_run):
    tmp, _, ws = vot_dirs
    args, needle = run_case(tmp, ws, what)
    before = snapshot(tmp)
    rc, _, err = run_cli(args, capsys)
    assert_one_line_error(rc, err, needle)
    assert snapshot(tmp) == before

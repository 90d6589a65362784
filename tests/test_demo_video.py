"""``bench demo`` on a synthetic clip (a moving textured square) and on bad input.

The clip's ground truth is known by construction, so "the tracker follows the square" is checked
against it; the output video is re-opened with OpenCV to prove it is playable and complete.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from bench.cli import main  # noqa: E402
from bench.core.io import load_boxes  # noqa: E402

W, H, N, SIDE = 320, 240, 40, 48


def square_track(n: int = N) -> np.ndarray:
    """Ground truth (x, y, w, h) of the square: a smooth diagonal path with a bend, ~3 px a frame."""
    t = np.arange(n)
    x = 40 + 3.0 * t
    y = 60 + 40 * np.sin(t / 12)
    return np.stack([x, y, np.full(n, SIDE), np.full(n, SIDE)], axis=1).round()


def synthetic_frames(n: int = N) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    background = cv2.GaussianBlur(rng.integers(60, 120, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    texture = rng.integers(0, 256, (SIDE // 4, SIDE // 4, 3), dtype=np.uint8)
    texture = cv2.resize(texture, (SIDE, SIDE), interpolation=cv2.INTER_NEAREST)  # 4x4-pixel checker noise
    frames = []
    for x, y, w, h in square_track(n).astype(int):
        f = background.copy()
        f[y:y + h, x:x + w] = texture
        frames.append(f)
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "square.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (W, H))
    assert vw.isOpened()
    for f in synthetic_frames():
        vw.write(f[:, :, ::-1].copy())
    vw.release()
    return path


@pytest.fixture(scope="module")
def frame_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frames")
    for i, f in enumerate(synthetic_frames()):
        cv2.imwrite(str(folder / f"{i + 1:05d}.png"), f[:, :, ::-1])
    return folder


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)


def count_frames(path: Path) -> tuple[int, int, int]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open"
    n, size = 0, (0, 0)
    while True:
        ok, f = cap.read()
        if not ok:
            break
        n += 1
        size = (f.shape[1], f.shape[0])
    cap.release()
    return n, size[0], size[1]


def init_arg(box) -> str:
    return ",".join(str(int(v)) for v in box)


def run_cli(args, capsys) -> tuple[int, str, str]:
    rc = main(args)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("source", ["video", "folder"])
def test_classical_tracker_follows_the_square(source, clip, frame_folder, tmp_path, capsys):
    gt = square_track()
    out = tmp_path / "out" / "tracked.mp4"
    video = clip if source == "video" else frame_folder
    rc, stdout, err = run_cli(["demo", "-t", "csrt", "--video", str(video), "--init", init_arg(gt[0]),
                               "--out", str(out), "--no-progress"], capsys)
    assert rc == 0, err
    n, w, h = count_frames(out)
    assert (n, w, h) == (N, W, H)  # playable, every frame, original size
    boxes = load_boxes(out.with_suffix(".txt"))
    assert boxes.shape == (N, 4)
    np.testing.assert_array_equal(boxes[0], gt[0])
    overlap = iou(boxes, gt)
    assert np.mean(overlap > 0.5) >= 0.9, f"IoU per frame: {np.round(overlap, 2)}"
    csv = out.with_name("tracked_frames.csv").read_text().splitlines()
    assert csv[0] == "frame,confidence,seconds" and len(csv) == N + 1
    assert f"{N} frames {W}x{H}" in stdout
    assert not list(out.parent.glob(".*"))  # no temporary files left behind


def test_annotated_frames_show_the_box(clip, tmp_path, capsys):
    """The box is drawn where the box file says (green pixels on its outline, none far away)."""
    gt = square_track()
    out = tmp_path / "a.mp4"
    rc, _, err = run_cli(["demo", "-t", "kcf", "--video", str(clip), "--init", init_arg(gt[0]), "--out", str(out),
                          "--max-frames", "12", "--no-progress"], capsys)
    assert rc == 0, err
    boxes = load_boxes(out.with_suffix(".txt"))
    cap = cv2.VideoCapture(str(out))
    for i in range(12):
        ok, bgr = cap.read()
        assert ok
        if i not in (0, 11):
            continue
        x, y, w, h = boxes[i].astype(int)
        green = (bgr[:, :, 1] > 200) & (bgr[:, :, 0] < 90) & (bgr[:, :, 2] < 90)
        edge = green[max(y - 3, 0):y + 4, x + 5:x + w - 5]  # the top edge of the drawn box
        assert edge.mean() > 0.3, f"frame {i}: no box outline at {x},{y}"
    assert count_frames(out)[0] == 12


def test_gif_contact_sheet_and_max_frames(clip, tmp_path, capsys):
    from PIL import Image

    gt = square_track()
    out, gif, sheet = tmp_path / "o.mp4", tmp_path / "o.gif", tmp_path / "sheet.png"
    rc, _, err = run_cli(["demo", "-t", "kcf", "--video", str(clip), "--init", init_arg(gt[0]), "--out", str(out),
                          "--gif", str(gif), "--contact-sheet", str(sheet), "--max-frames", "10",
                          "--no-progress"], capsys)
    assert rc == 0, err
    assert count_frames(out)[0] == 10
    assert len(load_boxes(out.with_suffix(".txt"))) == 10
    with Image.open(gif) as g:
        assert g.n_frames == 4  # frames 0, 3, 6, 9
    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[1] == 1600 and img.shape[0] > 100


def test_init_from_file_takes_the_first_line(clip, tmp_path, capsys):
    gt = square_track()
    init = tmp_path / "gt.txt"
    init.write_text("\n".join("\t".join(str(int(v)) for v in row) for row in gt) + "\n")  # a whole GT file
    out = tmp_path / "x.mp4"
    rc, _, err = run_cli(["demo", "-t", "kcf", "--video", str(clip), "--init-from-file", str(init), "--out",
                          str(out), "--max-frames", "3", "--no-progress"], capsys)
    assert rc == 0, err
    np.testing.assert_array_equal(load_boxes(out.with_suffix(".txt"))[0], gt[0])


# --- spiking trackers: per-frame firing rate and energy -------------------------------------------

def test_spiking_tracker_gets_per_frame_firing_rate_and_energy(clip, tmp_path):
    """A tiny spiking model whose MACs are known by hand: conv(3->4, 3x3) on pixels, NI-LIF, conv(4->2, 1x1)."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from bench.demo import track_video
    from trackers.base import Tracker, TrackResult
    from trackers.spiketrack.neuron import MAX_LEVEL, NILIFNeuron

    S = 32
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), NILIFNeuron(), nn.Conv2d(4, 2, 1, bias=False)).eval()
    counts: list[float] = []
    firing: list[float] = []

    def spy(module, inputs, out):
        counts.append(float((out * MAX_LEVEL).mean()))
        firing.append(float((out > 0).double().mean()))

    model[1].register_forward_hook(spy)

    class TinySpiking(Tracker):
        name, spiking = "tiny_snn", True

        def __init__(self):
            self.model = model

        def _run(self, image):
            x = cv2.resize(image, (S, S)).astype(np.float32) / 255 * 6
            with torch.no_grad():
                self.model(torch.from_numpy(x).permute(2, 0, 1)[None])

        def initialize(self, image, box, info=None):
            self.box = tuple(box)
            self._run(image)

        def track(self, image):
            self._run(image)
            return TrackResult(self.box, 0.5)

    gt = square_track()
    res = track_video(TinySpiking(), clip, gt[0], tmp_path / "s.mp4", max_frames=6, progress=False)
    macs_real = 4 * 3 * 9 * S * S      # conv1: Cout*Cin*k*k*H*W, fed by pixels -> E_MAC each
    macs_spike = 2 * 4 * 1 * S * S     # conv2: fed by spikes -> E_AC per synaptic operation
    assert len(counts) == 6
    for row, c, f in zip(res.per_frame, counts, firing):
        expected_mj = (4.6 * macs_real + 0.9 * macs_spike * c) * 1e-9
        assert row["energy_mJ"] == pytest.approx(expected_mj, rel=1e-6)
        assert row["mean_spike_count"] == pytest.approx(c, rel=1e-6)
        assert 0 < f < 1 and row["firing_rate"] == pytest.approx(f, rel=1e-6)
    header = (tmp_path / "s_frames.csv").read_text().splitlines()[0]
    assert header == "frame,confidence,seconds,firing_rate,mean_spike_count,energy_mJ,gmacs,gsops"
    assert count_frames(tmp_path / "s.mp4")[0] == 6


# --- bad input: one line, non-zero exit, nothing half-written -------------------------------------

def bad(tmp_path: Path, clip: Path, what: str) -> tuple[list[str], str]:
    gt = square_track()
    ok_init = init_arg(gt[0])
    out = str(tmp_path / "out.mp4")
    notvideo = tmp_path / "notes.mp4"
    notvideo.write_text("this is not a video\n")
    afile = tmp_path / "afile"
    afile.write_text("x")
    badinit = tmp_path / "init.txt"
    badinit.write_text("10,20,abc,40\n")
    emptyinit = tmp_path / "empty.txt"
    emptyinit.write_text("")
    cases = {
        "unreadable video": (["--video", str(notvideo), "--init", ok_init, "--out", out], str(notvideo)),
        "missing video": (["--video", str(tmp_path / "nope.mp4"), "--init", ok_init, "--out", out], "nope.mp4"),
        "empty frame folder": (["--video", str(tmp_path / "emptydir"), "--init", ok_init, "--out", out], "emptydir"),
        "init outside frame": (["--video", str(clip), "--init", "400,300,20,20", "--out", out], "outside"),
        "init negative size": (["--video", str(clip), "--init", "10,10,-5,20", "--out", out], "non-positive"),
        "init zero size": (["--video", str(clip), "--init", "10,10,30,0", "--out", out], "non-positive"),
        "init three values": (["--video", str(clip), "--init", "10,10,30", "--out", out], "--init"),
        "init not numbers": (["--video", str(clip), "--init", "a,b,c,d", "--out", out], "--init"),
        "init file malformed": (["--video", str(clip), "--init-from-file", str(badinit), "--out", out],
                                f"{badinit}:1"),
        "init file empty": (["--video", str(clip), "--init-from-file", str(emptyinit), "--out", out], "empty.txt"),
        "unwritable out": (["--video", str(clip), "--init", ok_init, "--out", str(afile / "sub" / "o.mp4")],
                           str(afile)),
        "out is a folder": (["--video", str(clip), "--init", ok_init, "--out", str(tmp_path)], str(tmp_path)),
        "unwritable gif": (["--video", str(clip), "--init", ok_init, "--out", out, "--gif", str(afile / "g.gif")],
                           str(afile)),
        "bad out extension": (["--video", str(clip), "--init", ok_init, "--out", str(tmp_path / "o.xyz")], ".xyz"),
        "zero max frames": (["--video", str(clip), "--init", ok_init, "--out", out, "--max-frames", "0"],
                            "--max-frames"),
        "unknown tracker": (["--video", str(clip), "--init", ok_init, "--out", out], "nosuchtracker"),
        "headless no init": (["--video", str(clip), "--out", out], "--init"),
    }
    (tmp_path / "emptydir").mkdir(exist_ok=True)
    args, needle = cases[what]
    tracker = "nosuchtracker" if what == "unknown tracker" else "kcf"
    return ["demo", "-t", tracker, "--no-progress", *args], needle


DEMO_BAD = ["unreadable video", "missing video", "empty frame folder", "init outside frame", "init negative size",
            "init zero size", "init three values", "init not numbers", "init file malformed", "init file empty",
            "unwritable out", "out is a folder", "unwritable gif", "bad out extension", "zero max frames",
            "unknown tracker", "headless no init"]


@pytest.mark.parametrize("what", DEMO_BAD)
def test_bad_input_is_one_line_error(what, clip, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    args, needle = bad(tmp_path, clip, what)
    before = {p.name for p in tmp_path.iterdir()}
    rc, out, err = run_cli(args, capsys)
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bench: error: ") and needle in lines[0], lines[0]
    after = {p.name for p in tmp_path.iterdir()}
    assert after == before, f"left behind: {after - before}"  # no output, no temporary file


# --- the real clip ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_real_clip_bell_gives_375_annotated_frames(shared, tmp_path, capsys):
    """../shared/data/video/bell.mp4 (H.264, 375 frames, 1280x720); first box read off frame 1 by eye
    (SOURCES.md: the player with the ball at x 878-918, y 466-535)."""
    video = shared / "data" / "video" / "bell.mp4"
    if not video.is_file():
        pytest.skip(f"{video} is absent")
    out = tmp_path / "bell_kcf.mp4"
    rc, _, err = run_cli(["demo", "-t", "kcf", "--video", str(video), "--init", "878,466,40,69", "--out", str(out),
                          "--no-progress"], capsys)
    assert rc == 0, err
    assert count_frames(out) == (375, 1280, 720)
    boxes = load_boxes(out.with_suffix(".txt"))
    assert boxes.shape == (375, 4)
    np.testing.assert_array_equal(boxes[0], [878, 466, 40, 69])
    # the player barely moves in the first 20 frames (checked by eye): the box stays on him
    centres = boxes[:20, :2] + boxes[:20, 2:] / 2
    assert np.all(np.hypot(centres[:, 0] - 898, centres[:, 1] - 500.5) < 40)

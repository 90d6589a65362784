"""Track one target through a user's own video: the first thing a newcomer runs after the quick start.

:func:`track_video` streams a video file (any container/codec OpenCV's FFmpeg reads) or a folder of
numbered frames, tracks from an initial box, and writes an annotated video (box, confidence, frame
index, FPS), the boxes as a raw-results text file (one ``x,y,w,h`` line per frame, the format every
toolkit reads), a per-frame CSV, and optionally a GIF and a contact sheet for quick sharing.

For spiking trackers with a torch model, every frame is counted with
:class:`bench.efficiency.counter.EfficiencyCounter`, so the overlay and the CSV carry that frame's firing
rate (fraction of neurons that fire, averaged over neuron layers and time steps), its MAC-weighted mean
integer spike count (SOPs / spike-fed MACs) and its theoretical energy, ``E_MAC * real-input MACs +
E_AC * SOPs`` with the 45 nm FP32 constants (``bench.efficiency.energy``, the "exact" convention).

Every output path is checked before the first frame is decoded: it may not be one of the inputs (the
video, the init file, the checkpoint) or lie inside an input folder, two outputs may not share a file,
and each must be writable. All outputs are first written under temporary names beside their targets and
renamed onto them only once every one of them is complete, so a failed or interrupted demo leaves the
earlier outputs byte-identical and no half-written file behind.

FFmpeg and OpenCV print their own log lines (``[mov,mp4,... @ 0x...] moov atom not found``, OpenCV
``VIDEOIO`` warnings) straight to file descriptor 2; ``bench.native_logs`` keeps them off the user's
terminal (replayed with ``bench -v``), so a corrupt video gives the suite's one-line error only.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from bench.core.errors import ConfigError, DataError, ResultsError
from bench.native_logs import native_stderr_captured, quiet_native_logs

#: video containers we write, with the FourCC that OpenCV's pip wheels can encode into them
WRITERS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

Box = tuple[float, float, float, float]


# --- input ----------------------------------------------------------------------------------------

class VideoSource:
    """Frames of a video file or a folder of numbered images, decoded one at a time as RGB uint8."""

    def __init__(self, path: str | os.PathLike):
        quiet_native_logs()
        import cv2

        self.path = Path(path)
        if not self.path.exists():
            raise DataError(f"{self.path}: video not found")
        self._files: list[Path] | None = None
        self._cap = None
        if self.path.is_dir():
            from datasets.base import numbered_images

            frames = numbered_images(self.path, IMAGE_EXTS)
            if not frames:
                raise DataError(f"{self.path}: folder holds no numbered image frames ({', '.join(IMAGE_EXTS)})")
            self._files = [frames[k] for k in sorted(frames)]
            first = self._read_file(0)
            self.height, self.width = first.shape[:2]
            self.fps = 30.0
            self.length = len(self._files)
            self._first = first
        else:
            with native_stderr_captured():
                cap = cv2.VideoCapture(str(self.path))
                ok, first = cap.read() if cap.isOpened() else (False, None)
                if not ok or first is None:
                    cap.release()
            if not ok or first is None:
                raise DataError(f"{self.path}: unreadable video (OpenCV/FFmpeg decoded no frame; "
                                f"not a video, an unsupported codec, or a corrupt file)")
            self._cap = cap
            self.height, self.width = first.shape[:2]
            fps = cap.get(cv2.CAP_PROP_FPS)
            self.fps = float(fps) if fps and np.isfinite(fps) and 0 < fps < 1000 else 30.0
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            self.length = count if count > 0 else None
            self._first = cv2.cvtColor(first, cv2.COLOR_BGR2RGB)

    def _read_file(self, i: int) -> np.ndarray:
        from datasets.base import read_image

        with native_stderr_captured():  # libjpeg/libpng warnings on damaged frames
            img = read_image(self._files[i])
        if i and img.shape[:2] != (self.height, self.width):
            raise DataError(f"{self._files[i]}: frame is {img.shape[1]}x{img.shape[0]}, the first frame is "
                            f"{self.width}x{self.height}")
        return img

    def first_frame(self) -> np.ndarray:
        return self._first

    def frames(self, max_frames: int | None = None) -> Iterator[np.ndarray]:
        """Yield frames from the first; stops at the end of the stream or after ``max_frames``."""
        import cv2

        limit = max_frames if max_frames is not None else float("inf")
        if limit < 1:
            return
        yield self._first
        i = 1
        while i < limit:
            if self._files is not None:
                if i >= len(self._files):
                    return
                yield self._read_file(i)
            else:
                with native_stderr_captured():
                    ok, bgr = self._cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            i += 1

    def close(self) -> None:
        if self._cap is not None:
            with native_stderr_captured():
                self._cap.release()
            self._cap = None


def parse_init(text: str, source: str = "--init") -> Box:
    """``"x,y,w,h"`` (commas, spaces or tabs) -> four floats; anything else is a one-line error."""
    from bench.core.io import parse_boxes

    try:
        rows = parse_boxes(text, source, columns=4)
    except DataError as e:
        raise DataError(f"{e} (expected x,y,w,h)") from None
    if len(rows) != 1:
        raise DataError(f"{source}: expected one box x,y,w,h, got {len(rows)} lines")
    return tuple(float(v) for v in rows[0])  # type: ignore[return-value]


def read_init_file(path: str | os.PathLike) -> Box:
    """The first box of a file: a one-box file, or a ground-truth / raw-results file (its first line)."""
    from bench.core.io import load_boxes

    path = Path(path)
    boxes = load_boxes(path)
    if len(boxes) == 0:
        raise DataError(f"{path}: no box in the file (expected a line x,y,w,h)")
    return tuple(float(v) for v in boxes[0])  # type: ignore[return-value]


def check_init(box: Sequence[float], width: int, height: int, source: str = "--init") -> Box:
    """Reject non-finite values, non-positive sizes and boxes that do not overlap the frame."""
    from trackers.base import validate_box

    try:
        return validate_box(box, (height, width))
    except DataError as e:
        raise DataError(f"{source}: {e}") from None


def display_available() -> bool:
    """A GUI can be opened: a display server is set and OpenCV was built with a GUI backend."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and os.name != "nt":
        return False
    import cv2

    info = cv2.getBuildInformation()
    gui = info.split("GUI:", 1)[1].split("\n", 1)[0] if "GUI:" in info else ""
    return "NONE" not in gui.upper()


def select_box(frame: np.ndarray) -> Box:
    """Let the user draw the target on the first frame (cv2.selectROI); needs a display."""
    import cv2

    if not display_available():
        raise ConfigError("no --init box and no display to draw one on: pass --init x,y,w,h or "
                          "--init-from-file FILE (headless)")
    try:
        x, y, w, h = cv2.selectROI("bench demo: draw the target, then ENTER", frame[:, :, ::-1].copy(),
                                   showCrosshair=True, fromCenter=False)
        cv2.destroyAllWindows()
    except cv2.error as e:
        raise ConfigError(f"cannot open a window to draw the box ({' '.join(str(e).split())[:120]}); "
                          f"pass --init x,y,w,h") from None
    if w <= 0 or h <= 0:
        raise ConfigError("no box was drawn (selection cancelled); pass --init x,y,w,h")
    return (float(x), float(y), float(w), float(h))


# --- output ---------------------------------------------------------------------------------------

def _temp_beside(path: Path) -> Path:
    """A fresh temporary name in the target's folder, keeping the extension (OpenCV picks the container by it)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_writable(path: str | os.PathLike, flag: str) -> Path:
    """Check, without writing anything, that a file can be created at ``path`` (its folder may not exist
    yet: the nearest existing folder above it must be a writable folder)."""
    path = Path(path)
    if path.is_dir():
        raise ResultsError(f"{flag} {path}: is a folder; a file name is needed")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ResultsError(f"{flag} {path}: cannot write the file here ({parent} is not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ResultsError(f"{flag} {path}: cannot write the file here (no write permission in {parent})")
    return path


@dataclass
class DemoOutputs:
    """Every file a demo writes, checked by :func:`plan_outputs` before anything is decoded."""

    video: Path
    boxes: Path
    frames_csv: Path
    gif: Path | None = None
    contact_sheet: Path | None = None

    def paths(self) -> list[Path]:
        return [p for p in (self.video, self.boxes, self.frames_csv, self.gif, self.contact_sheet) if p]


def default_outputs(video: str | os.PathLike, tracker: str, out: str | None) -> tuple[Path, Path]:
    """``--out`` (default ``<video stem>_<tracker>.mp4`` in the current folder) and its boxes file."""
    out_path = Path(out) if out else Path(f"{Path(video).stem}_{tracker}.mp4")
    return out_path, out_path.with_suffix(".txt")


def plan_outputs(video: str | os.PathLike, tracker: str, out: str | os.PathLike | None = None,
                 boxes: str | os.PathLike | None = None, gif: str | os.PathLike | None = None,
                 contact: str | os.PathLike | None = None,
                 inputs: Mapping[str, str | os.PathLike | None] | None = None,
                 extra_outputs: Mapping[str, str | os.PathLike | None] | None = None) -> DemoOutputs:
    """The demo's output paths (defaults derived from ``--video`` and ``--out``), validated up front.

    Refused with a one-line error, before anything is decoded or written: an unsupported video
    extension; an output that is a folder or cannot be created; an output that is one of ``inputs``
    (flag -> path; ``--video`` is always one) or lies inside an input folder; two outputs naming the
    same file. ``extra_outputs`` (flag -> path, such as ``--json``) are checked along with them.
    Nothing is written here, not even a folder.
    """
    from bench.core.paths import check_outputs

    out_path, default_boxes = default_outputs(video, tracker, None if out is None else str(out))
    boxes_path = Path(boxes) if boxes else default_boxes
    csv_path = boxes_path.with_name(boxes_path.stem + "_frames.csv")
    plan = DemoOutputs(out_path, boxes_path, csv_path, Path(gif) if gif else None,
                       Path(contact) if contact else None)
    flags = {"--out" if out else "default --out": plan.video,
             "--boxes" if boxes else "default --boxes": plan.boxes,
             "frames CSV (beside --boxes)": plan.frames_csv,
             "--gif": plan.gif, "--contact-sheet": plan.contact_sheet, **dict(extra_outputs or {})}
    if plan.video.is_dir():
        raise ResultsError(f"--out {plan.video}: is a folder; --out needs a file name")
    if plan.video.suffix.lower() not in WRITERS:
        raise ConfigError(f"--out {plan.video}: unsupported video extension {plan.video.suffix!r}; use one of "
                          f"{', '.join(WRITERS)}")
    ins = {"--video": video, **dict(inputs or {})}
    check_outputs({k: v for k, v in flags.items() if v is not None}, ins)
    for flag, path in flags.items():
        if path is not None:
            check_writable(path, flag)
    return plan


def _make_parents(paths: Sequence[Path]) -> list[Path]:
    """Create the missing folders above ``paths``; returns those created (outermost first)."""
    created: list[Path] = []
    for p in paths:
        missing = []
        d = Path(p).parent
        while not d.exists() and d != d.parent:
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            except OSError as e:
                raise ResultsError(f"{p}: cannot create the folder {d} ({e.strerror or e})") from None
            created.append(d)
    return created


def _remove_dirs(created: Sequence[Path]) -> None:
    """Remove folders :func:`_make_parents` created, where they are still empty."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            pass


def _stage_bytes(path: Path, data: bytes) -> Path:
    """``data`` in a complete temporary file beside ``path`` (renamed onto it later); returns its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


class AnnotatedVideoWriter:
    """An OpenCV VideoWriter into a temporary file beside ``path``; :meth:`finish` completes it and
    :meth:`commit` (or the caller, after its other outputs) renames it onto the target."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        quiet_native_logs()
        import cv2

        fourcc = WRITERS.get(path.suffix.lower())
        if fourcc is None:
            raise ConfigError(f"--out {path}: unsupported video extension {path.suffix!r}; use one of "
                              f"{', '.join(WRITERS)}")
        self.path = path
        self.tmp = _temp_beside(path)
        with native_stderr_captured():
            self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*fourcc), fps, size)
            opened = self.writer.isOpened()
        if not opened:
            self.tmp.unlink(missing_ok=True)
            raise ResultsError(f"{path}: OpenCV cannot open a {fourcc} video writer for this file")
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        frame = np.ascontiguousarray(rgb[:, :, ::-1])
        with native_stderr_captured():
            self.writer.write(frame)
        self.frames += 1

    def finish(self) -> Path:
        """Close the stream; the complete video is in :attr:`tmp`, not yet renamed onto the target."""
        with native_stderr_captured():
            self.writer.release()
        os.chmod(self.tmp, _file_mode())  # the usual permissions, not mkstemp's private 0600
        return self.tmp

    def commit(self) -> None:
        os.replace(self.finish(), self.path)

    def abort(self) -> None:
        with native_stderr_captured():
            self.writer.release()
        self.tmp.unlink(missing_ok=True)


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color=(255, 255, 255)) -> None:
    import cv2

    thick = max(1, int(round(scale * 2)))
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)


def annotate(frame: np.ndarray, box: Sequence[float], confidence: float, index: int, fps: float | None,
             tracker: str, extras: dict | None = None) -> np.ndarray:
    """A copy of ``frame`` (RGB) with the box, its confidence, the frame index, FPS and any extras."""
    import cv2

    img = frame.copy()
    H, W = img.shape[:2]
    scale = max(0.4, min(W, H) / 900)
    x, y, w, h = (float(v) for v in box)
    color = (0, 255, 0) if not np.isfinite(confidence) or confidence >= 0.5 else (255, 160, 0)
    if all(np.isfinite([x, y, w, h])):
        p1, p2 = (int(round(x)), int(round(y))), (int(round(x + w)), int(round(y + h)))
        cv2.rectangle(img, p1, p2, color, max(2, int(round(scale * 3))), cv2.LINE_AA)
        conf = "nan" if not np.isfinite(confidence) else f"{confidence:.2f}"
        _text(img, conf, (p1[0], max(int(14 * scale) + 2, p1[1] - 6)), scale * 0.8, color)
    lines = [f"{tracker}  frame {index}", "FPS " + (_fps_text(fps) if fps else "-")]
    for k, v in (extras or {}).items():
        lines.append(f"{k} {v}")
    step = int(30 * scale) + 4
    # a dark panel behind the text keeps it legible on any background (scoreboards, snow, ...)
    panel_w = int(max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)[0][0] for t in lines) + 20 * scale)
    panel_h = step * len(lines) + int(12 * scale)
    region = img[:min(panel_h, H), :min(panel_w, W)]
    region[:] = (region.astype(np.uint16) * 2 // 5).astype(np.uint8)
    for i, line in enumerate(lines):
        _text(img, line, (int(10 * scale), step * (i + 1)), scale)
    return img


def _fps_text(fps: float) -> str:
    return f"{fps:.1f}" if fps >= 10 else f"{fps:.2f}" if fps >= 0.1 else f"{fps:.3f}"


def contact_sheet(frames: list[np.ndarray], columns: int = 4, width: int = 1600) -> np.ndarray:
    """Frames tiled into one image (row-major), each scaled to ``width / columns`` pixels wide."""
    import cv2

    if not frames:
        raise DataError("contact sheet: no frames")
    H, W = frames[0].shape[:2]
    tw = max(16, width // columns)
    th = max(9, int(round(H * tw / W)))
    rows = -(-len(frames) // columns)
    sheet = np.zeros((rows * th, columns * tw, 3), np.uint8)
    for k, f in enumerate(frames):
        r, c = divmod(k, columns)
        sheet[r * th:(r + 1) * th, c * tw:(c + 1) * tw] = cv2.resize(f, (tw, th), interpolation=cv2.INTER_AREA)
    return sheet


def _png_bytes(path: Path, rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", rgb[:, :, ::-1])
    if not ok:
        raise ResultsError(f"{path}: PNG encoding failed")
    return buf.tobytes()


def _gif_bytes(frames: list[np.ndarray], fps: float) -> bytes:
    from io import BytesIO

    from PIL import Image

    images = [Image.fromarray(f).convert("P", palette=Image.ADAPTIVE, colors=128) for f in frames]
    buf = BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(round(1000 / max(fps, 1e-3))), loop=0, optimize=False)
    return buf.getvalue()


# --- per-frame spike statistics --------------------------------------------------------------------

class SpikeMeter:
    """Per-frame firing rate, mean spike count and energy of a spiking tracker's model."""

    def __init__(self, model, preset: str = "fp32"):
        from bench.efficiency.counter import EfficiencyCounter
        from bench.efficiency.energy import constants

        self.counter = EfficiencyCounter(model, histogram=True)  # histogram=True: non-zero fractions too
        self.constants = constants(preset)
        self._totals = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float, float, float]:
        macs = spike_macs = sops = nz = segs = 0.0
        for st in self.counter.layers.values():
            macs += st.macs
            spike_macs += st.spike_macs
            sops += st.sops
        for st in self.counter.neurons.values():
            nz += sum(st.nonzero_sum)
            segs += sum(st.segments)
        return macs, spike_macs, sops, nz, segs

    def frame(self, kind: str):
        return self.counter.frame(kind)

    def last_frame(self) -> dict:
        """Figures of the frame just counted (differences of the counter's running totals); the energy is
        ``bench.efficiency.energy``'s exact convention applied to the frame's totals as one row."""
        from bench.efficiency.energy import EXACT, layer_energy_pj

        now = self._snapshot()
        d_macs, d_spike, d_sops, d_nz, d_segs = (a - b for a, b in zip(now, self._totals))
        self._totals = now
        energy_pj = layer_energy_pj({"macs": d_macs, "spike_macs": d_spike, "sops": d_sops}, self.constants, EXACT)
        return {"firing_rate": d_nz / d_segs if d_segs else float("nan"),
                "mean_spike_count": d_sops / d_spike if d_spike else float("nan"),
                "energy_mJ": energy_pj * 1e-9, "gmacs": d_macs / 1e9, "gsops": d_sops / 1e9}

    def close(self) -> None:
        self.counter.detach()


# --- the demo --------------------------------------------------------------------------------------

@dataclass
class DemoResult:
    boxes: np.ndarray
    confidences: np.ndarray
    times: np.ndarray
    width: int
    height: int
    fps_video: float
    outputs: dict[str, Path] = field(default_factory=dict)
    per_frame: list[dict] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self.boxes)

    @property
    def tracker_fps(self) -> float:
        t = float(np.sum(self.times[1:]))
        return (len(self.times) - 1) / t if t > 0 else float("nan")


def track_video(tracker, video: str | os.PathLike, init: Sequence[float] | None, out: str | os.PathLike,
                boxes_path: str | os.PathLike | None = None, gif: str | os.PathLike | None = None,
                contact: str | os.PathLike | None = None, max_frames: int | None = None,
                tracker_name: str | None = None, spike_stats: bool = True, progress: bool = True,
                gif_width: int = 360, gif_every: int = 3, sheet_frames: int = 12,
                on_frame: Callable[[int], None] | None = None,
                inputs: Mapping[str, str | os.PathLike | None] | None = None) -> DemoResult:
    """Track ``tracker`` through ``video`` from ``init`` (None: draw it, where a display exists).

    The outputs are checked first (:func:`plan_outputs`; ``inputs`` names further input files by flag),
    then written under temporary names and renamed onto their targets only when all are complete.
    """
    from tqdm.auto import tqdm

    from bench.core.io import format_boxes

    if max_frames is not None and max_frames < 1:
        raise ConfigError(f"--max-frames must be a positive number of frames, got {max_frames}")
    name = tracker_name or getattr(tracker, "name", "") or type(tracker).__name__
    plan = plan_outputs(video, name, out, boxes_path, gif, contact, inputs)
    source = VideoSource(video)
    created: list[Path] = []
    staged: list[tuple[Path, Path]] = []  # (complete temporary file, target)
    try:
        first = source.first_frame()
        box = check_init(init if init is not None else select_box(first), source.width, source.height)
        n_expected = min(source.length or 10**9, max_frames or 10**9)
        created = _make_parents(plan.paths())
        meter = None
        if spike_stats and getattr(tracker, "spiking", False) and getattr(tracker, "model", None) is not None:
            meter = SpikeMeter(tracker.model)
        writer = AnnotatedVideoWriter(plan.video, source.fps, (source.width, source.height))
        boxes, confs, times, per_frame = [], [], [], []
        small: list[np.ndarray] = []
        sheet_pick = set(np.linspace(0, max(n_expected - 1, 0), min(sheet_frames, n_expected)).round().astype(int)) \
            if plan.contact_sheet else set()
        sheet: list[np.ndarray] = []
        fps_avg = None
        try:
            with tqdm(total=n_expected if source.length else None, unit="frame", disable=not progress,
                      dynamic_ncols=True, desc=f"{name} on {Path(video).name}") as bar:
                for i, frame in enumerate(source.frames(max_frames)):
                    kind = "init" if i == 0 else "track"
                    ctx = meter.frame(kind) if meter else _null()
                    t0 = time.perf_counter()
                    with ctx:
                        if i == 0:
                            tracker.initialize(frame, box, {"dataset": "video", "sequence": Path(video).stem})
                            b, c = box, 1.0
                        else:
                            r = tracker.track(frame)
                            b, c = r.box, float(r.confidence)
                    dt = time.perf_counter() - t0
                    extras: dict = {}
                    row: dict = {"frame": i, "confidence": c, "seconds": dt}
                    if meter:
                        st = meter.last_frame()
                        row.update(st)
                        extras = {"firing rate": f"{100 * st['firing_rate']:.1f}%",
                                  "energy": f"{st['energy_mJ']:.3f} mJ"}
                    if i > 0:
                        fps_avg = 1 / dt if fps_avg is None else 0.9 * fps_avg + 0.1 / dt
                    img = annotate(frame, b, c, i, fps_avg, name, extras)
                    writer.write(img)
                    boxes.append([float(v) for v in b])
                    confs.append(c)
                    times.append(dt)
                    per_frame.append(row)
                    if plan.gif and i % gif_every == 0:
                        small.append(_resize_width(img, gif_width))
                    if i in sheet_pick:
                        sheet.append(img)
                    bar.update(1)
                    if on_frame:
                        on_frame(i)
            staged.append((writer.finish(), plan.video))
        except BaseException:
            writer.abort()
            raise
        finally:
            if meter:
                meter.close()
        arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        outputs = {"video": plan.video, "boxes": plan.boxes, "frames_csv": plan.frames_csv}
        staged.append((_stage_bytes(plan.boxes, format_boxes(arr).encode("utf-8")), plan.boxes))
        staged.append((_stage_bytes(plan.frames_csv, _frames_csv(per_frame).encode("utf-8")), plan.frames_csv))
        if plan.gif:
            staged.append((_stage_bytes(plan.gif, _gif_bytes(small, source.fps / gif_every)), plan.gif))
            outputs["gif"] = plan.gif
        if plan.contact_sheet:
            data = _png_bytes(plan.contact_sheet, contact_sheet(sheet))
            staged.append((_stage_bytes(plan.contact_sheet, data), plan.contact_sheet))
            outputs["contact_sheet"] = plan.contact_sheet
        # every output is complete: only now replace the earlier ones
        while staged:
            tmp, target = staged[0]
            os.replace(tmp, target)
            staged.pop(0)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        _remove_dirs(created)
        raise
    finally:
        source.close()
    return DemoResult(arr, np.asarray(confs), np.asarray(times), source.width, source.height, source.fps,
                      outputs, per_frame)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _resize_width(img: np.ndarray, width: int) -> np.ndarray:
    import cv2

    H, W = img.shape[:2]
    if W <= width:
        return img
    return cv2.resize(img, (width, int(round(H * width / W))), interpolation=cv2.INTER_AREA)


def _frames_csv(rows: list[dict]) -> str:
    """Per-frame figures; spiking columns appear only when the tracker provided them."""
    cols = ["frame", "confidence", "seconds"]
    for extra in ("firing_rate", "mean_spike_count", "energy_mJ", "gmacs", "gsops"):
        if rows and extra in rows[0]:
            cols.append(extra)
    out = [",".join(cols)]
    for r in rows:
        out.append(",".join(_fmt(r.get(c)) for c in cols))
    return "\n".join(out) + "\n"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    return "nan" if v != v else f"{v:.6g}"

"""Build an offline vot-toolkit workspace: sequences in VOT layout, a stack file, a TraX tracker entry.

Layout written (what ``vot configure`` would create, minus any download)::

    W/config.yaml            stack: stack.yaml, registry: [trackers.ini]
    W/stack.yaml             the experiment stack (vot2020 / vot2018 as the toolkit ships them, without the
                             dataset URL, or a user's own stack file)
    W/trackers.ini           [bench_<tracker>] protocol=traxpython, command=bench.vot.trax_server, env_* keys
    W/sequences/list.txt
    W/sequences/<seq>/sequence        channels.color=color/%08d.jpg, width, height, length, fps
    W/sequences/<seq>/groundtruth.txt one VOT region per line
    W/sequences/<seq>/anchor.value    multistart anchors (1 forward, -1 backward, 0 none)
    W/sequences/<seq>/<tag>.tag       per-frame tags, where the source has them
    W/sequences/<seq>/color/00000001.jpg ...   symbolic links to the source frames (copies where links fail)

Sequences come from VOT-format folders (a sequence folder, or a folder of them with ``list.txt``) or from any
benchmark adapter of the suite (``datasets.create_dataset``), whose boxes become rectangles and which get
anchors every ``anchor_stride`` frames (forward in the first half, backward in the second, like VOT2020).

Every workspace file the suite reads (``bench_vot.json``, ``config.yaml``, ``stack.yaml``, ``trackers.ini``,
``sequences/list.txt`` and the per-sequence files) goes through the readers below, so a file that is not
UTF-8, not JSON/YAML/INI or of the wrong shape is a one-line error naming it. :func:`build_workspace`
checks everything before it writes, builds the new ``sequences/`` folder beside the old one and swaps it
in, and never writes where its sources lie.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from bench.core.errors import ConfigError, DataError
from bench.core.io import atomic_write_text, parse_ini
from bench.core.regions import Region, format_region, parse_region
from bench.vot.workspace_files import (SETUP_FILE, check_stack_doc, plain_name, read_anchors,
                                       read_int_list, read_sequence_list, read_text, read_trackers_ini,
                                       read_yaml_mapping)

#: The toolkit's own stacks (vot-toolkit 0.9.0 ``stack/vot2020/shortterm.yaml`` and
#: ``stack/vot2018/shortterm.yaml``) without the ``dataset`` URL, so nothing is downloaded.
STACKS: dict[str, dict] = {
    "vot2020": {
        "title": "VOT-ST2020 challenge (offline, bench)",
        "experiments": {
            "baseline": {"type": "multistart", "analyses": [
                {"type": "multistart_eao_score", "name": "eaoscore", "low": 115, "high": 755},
                {"type": "multistart_eao_curve", "name": "eaocurve", "high": 755},
                {"type": "multistart_average_ar", "name": "ar"}]},
            "realtime": {"type": "multistart", "realtime": {"grace": 3}, "analyses": [
                {"type": "multistart_eao_score", "name": "eaoscore", "low": 115, "high": 755},
                {"type": "multistart_eao_curve", "name": "eaocurve", "high": 755},
                {"type": "multistart_average_ar", "name": "ar"}]},
            "unsupervised": {"type": "unsupervised", "repetitions": 1, "analyses": [
                {"type": "average_accuracy", "name": "accuracy", "burnin": 1}]},
        },
    },
    "vot2018": {
        "title": "VOT-ST2018 challenge (offline, bench)",
        "experiments": {
            "baseline": {"type": "supervised", "repetitions": 15, "skip_initialize": 5, "analyses": [
                {"type": "supervised_average_ar", "sensitivity": 30},
                {"type": "supervised_eao_score", "low": 100, "high": 356},
                {"type": "supervised_eao_curve"}]},
            "realtime": {"type": "supervised", "realtime": {"grace": 3}, "repetitions": 1, "skip_initialize": 5,
                         "analyses": [
                             {"type": "supervised_average_ar", "sensitivity": 30},
                             {"type": "supervised_eao_score", "low": 100, "high": 356},
                             {"type": "supervised_eao_curve"}]},
            "unsupervised": {"type": "unsupervised", "repetitions": 1, "analyses": [{"type": "average_accuracy"}]},
        },
    },
}

TRAX_COMMAND = "bench.vot.trax_server"
DEFAULT_TIMEOUT = 300  # seconds per TraX call: model loading on the first frame of a slow GPU tracker
DEFAULT_ANCHOR_STRIDE = 50
_IDENT = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class WorkspaceSequence:
    """One sequence to write in VOT layout."""

    name: str
    frames: list[Path]
    groundtruth: list[str]
    width: int
    height: int
    anchors: list[float] | None = None
    tags: dict[str, np.ndarray] = field(default_factory=dict)
    fps: int = 30


def tracker_identifier(tracker: str) -> str:
    """The trackers.ini section name for a suite tracker (``bench_<name>``, toolkit-safe characters)."""
    return "bench_" + _IDENT.sub("_", tracker)


def _yaml_dump(obj, indent: int = 0) -> str:
    # tiny YAML writer for the plain dict/list/scalar stacks above (avoids depending on PyYAML here)
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                out.append(f"{pad}{k}:")
                out.append(_yaml_dump(v, indent + 1))
            else:
                out.append(f"{pad}{k}: {_yaml_scalar(v)}")
    else:
        for v in obj:
            if isinstance(v, dict):
                items = list(v.items())
                first_k, first_v = items[0]
                out.append(f"{pad}- {first_k}: {_yaml_scalar(first_v)}")
                rest = dict(items[1:])
                if rest:
                    out.append(_yaml_dump(rest, indent + 1))
            else:
                out.append(f"{pad}- {_yaml_scalar(v)}")
    return "\n".join(line for line in out if line)


def _yaml_scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    return s if re.fullmatch(r"[A-Za-z0-9_./ ()-]+", s) and not s[0].isspace() else '"' + s.replace('"', '\\"') + '"'


def stack_text(stack: str, experiments: Sequence[str] | None = None) -> str:
    """YAML text of a built-in stack (``vot2020``/``vot2018``), optionally limited to some experiments,
    or of a stack file given by path (its ``dataset`` line removed so the toolkit never downloads)."""
    if stack in STACKS:
        spec = dict(STACKS[stack])
        exps = spec["experiments"]
        if experiments:
            unknown = [e for e in experiments if e not in exps]
            if unknown:
                raise ConfigError(f"--experiments: unknown experiment(s) {', '.join(unknown)} in stack {stack}; "
                                  f"known: {', '.join(exps)}")
            exps = {k: v for k, v in exps.items() if k in experiments}
        return _yaml_dump({"title": spec["title"], "experiments": exps}) + "\n"
    p = Path(stack)
    if not p.is_file():
        raise ConfigError(f"--stack: unknown stack {stack!r}: not one of {', '.join(STACKS)} and no such file")
    text = read_text(p, ConfigError)
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML comes with the 'vot' extra
        yaml = None
    if yaml is None:
        if experiments:
            raise ConfigError(f"--experiments with the stack file {p} needs PyYAML (pip install PyYAML)")
    else:
        doc = read_yaml_mapping(p)
        exps = check_stack_doc(doc, p)
        if experiments:
            unknown = [e for e in experiments if e not in exps]
            if unknown:
                raise ConfigError(f"--experiments: unknown experiment(s) {', '.join(unknown)} in stack {p}; "
                                  f"known: {', '.join(exps)}")
            doc = {k: v for k, v in doc.items() if k != "dataset"}
            doc["experiments"] = {k: v for k, v in exps.items() if k in experiments}
            return yaml.safe_dump(doc, sort_keys=False)
    lines = [ln for ln in text.splitlines() if not ln.startswith("dataset:")]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# sequences
# ------------------------------------------------------------------------------------------------

def default_anchors(groundtruth: Sequence[Region], stride: int = DEFAULT_ANCHOR_STRIDE) -> list[float]:
    """Anchors every ``stride`` frames on frames with a non-empty ground truth: forward (1) in the first
    half of the sequence, backward (-1) in the second, so every run covers at least half the sequence."""
    n = len(groundtruth)
    anchors = [0.0] * n
    for start in range(0, n, max(1, stride)):
        f = start
        while f < n and groundtruth[f].is_empty():
            f += 1
        if f < n and anchors[f] == 0:
            anchors[f] = 1.0 if f < n / 2 else -1.0
    if not any(anchors):
        raise DataError("no frame with a non-empty ground truth to anchor a run on")
    return anchors


def _image_size(path: Path) -> tuple[int, int]:
    from datasets.base import read_image

    img = read_image(path)
    return int(img.shape[1]), int(img.shape[0])


def vot_sequence_folders(path: str | os.PathLike) -> list[Path]:
    """Sequence folders under a VOT-format path: the path itself if it holds ``groundtruth.txt``, else the
    folders named in its ``list.txt`` (or ``sequences/list.txt``), else every sub-folder with a ground truth."""
    p = Path(path)
    if (p / "groundtruth.txt").is_file():
        return [p]
    for lst in (p / "list.txt", p / "sequences" / "list.txt"):
        if lst.is_file():
            names = read_sequence_list(lst)
            missing = [n for n in names if not (lst.parent / n / "groundtruth.txt").is_file()]
            if missing:
                raise DataError(f"{lst}: sequence {missing[0]} has no groundtruth.txt")
            return [lst.parent / n for n in names]
    if not p.is_dir():
        raise DataError(f"{p}: no such sequence folder")
    found = sorted(d for d in p.iterdir() if (d / "groundtruth.txt").is_file())
    if not found:
        raise DataError(f"{p}: no VOT sequence (no groundtruth.txt here or in sub-folders)")
    return found


def _frames_of(folder: Path, n: int) -> list[Path]:
    from datasets.vot import parse_sequence_meta

    meta = parse_sequence_meta(folder / "sequence")
    pattern = meta.get("channels.color")
    if pattern:
        return [folder / (pattern % i) for i in range(1, n + 1)]
    for d in (folder / "color", folder):
        for ext in (".jpg", ".png", ".jpeg"):
            cand = [d / f"{i:08d}{ext}" for i in range(1, n + 1)]
            if cand[0].is_file():
                return cand
    raise DataError(f"{folder}: no frames found (color/00000001.jpg or 00000001.jpg)")


def sequence_from_vot_folder(folder: str | os.PathLike, anchor_stride: int = DEFAULT_ANCHOR_STRIDE,
                             max_frames: int | None = None) -> WorkspaceSequence:
    """A VOT-format sequence folder (VOT2018 polygons or VOT2020 masks, ``anchor.value`` optional)."""
    from datasets.vot import parse_sequence_meta

    folder = Path(folder)
    gt_path = folder / "groundtruth.txt"
    lines = [ln.strip() for ln in read_text(gt_path).splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{gt_path}: no region (an empty ground truth)")
    regions = [parse_region(ln, f"{gt_path}:{i}") for i, ln in enumerate(lines, 1)]
    n = len(lines)
    frames = _frames_of(folder, n)
    missing = [f for f in frames if not f.is_file()]
    if missing:
        raise DataError(f"{missing[0]}: frame not found ({len(missing)} of {n} frames missing)")
    meta = parse_sequence_meta(folder / "sequence")
    if "width" in meta and "height" in meta:
        width, height = int(meta["width"]), int(meta["height"])
    else:
        width, height = _image_size(frames[0])
    anchors = None
    if (folder / "anchor.value").is_file():
        anchors = read_anchors(folder / "anchor.value", n)
    tags = {}
    for t in sorted(folder.glob("*.tag")) + sorted(folder.glob("*.label")):
        tags[t.stem] = read_int_list(t)
    seq = WorkspaceSequence(folder.name, frames, lines, width, height, anchors, tags)
    return _truncate(seq, regions, anchor_stride, max_frames)


def sequence_from_dataset(seq, anchor_stride: int = DEFAULT_ANCHOR_STRIDE,
                          max_frames: int | None = None) -> WorkspaceSequence:
    """Any suite :class:`datasets.base.Sequence`: boxes become VOT rectangles (unknown frames ``0``)."""
    from datasets.base import FileFrames

    frames = getattr(seq, "frames", None)
    if not isinstance(frames, FileFrames):
        raise DataError(f"sequence {seq.name}: only file-based frames can be linked into a VOT workspace")
    regions_extra = (seq.extra or {}).get("regions") if hasattr(seq, "extra") else None
    if regions_extra:
        regions = list(regions_extra)
        lines = [format_region(r) for r in regions]
    else:
        lines, regions = [], []
        for box in np.asarray(seq.ground_truth, dtype=np.float64):
            if np.isnan(box).any():
                lines.append("0")
            else:
                lines.append(",".join(repr(float(v)) for v in box))
            regions.append(parse_region(lines[-1]))
    width, height = _image_size(frames.paths[0])
    check = getattr(seq, "check_init_box", None)  # the adapter's first-box check names the GT file and line
    if check is not None:
        check((height, width))
    anchors = None
    if "anchor" in seq.flags:
        anchors = [float(v) for v in np.asarray(seq.flags["anchor"]).reshape(-1)]
    tags = {k: np.asarray(v) for k, v in seq.flags.items()
            if k in ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion")}
    ws = WorkspaceSequence(seq.name, list(frames.paths), lines, width, height, anchors, tags)
    return _truncate(ws, regions, anchor_stride, max_frames)


def _truncate(seq: WorkspaceSequence, regions: list[Region], stride: int, max_frames: int | None) -> WorkspaceSequence:
    if max_frames is not None and max_frames < len(seq.groundtruth):
        k = int(max_frames)
        seq.frames, seq.groundtruth, regions = seq.frames[:k], seq.groundtruth[:k], regions[:k]
        seq.tags = {t: v[:k] for t, v in seq.tags.items()}
        seq.anchors = None  # anchors of the full sequence no longer fit; recompute
    if seq.anchors is None or not any(seq.anchors):
        seq.anchors = default_anchors(regions, stride)
    return seq


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    try:
        os.symlink(os.path.abspath(src), dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_sequence(root: Path, seq: WorkspaceSequence) -> Path:
    """Write one sequence folder in VOT layout under ``root`` (frames linked, metadata written)."""
    folder = root / seq.name
    color = folder / "color"
    color.mkdir(parents=True, exist_ok=True)
    exts = {f.suffix.lower() for f in seq.frames}
    ext = exts.pop() if len(exts) == 1 else ".jpg"
    for i, f in enumerate(seq.frames, 1):
        if not Path(f).is_file():
            raise DataError(f"{f}: frame not found")
        _link_or_copy(Path(f), color / f"{i:08d}{ext}")
    n = len(seq.groundtruth)
    meta = [f"channels.color=color/%08d{ext}", f"width={seq.width}", f"height={seq.height}", f"length={n}",
            f"fps={seq.fps}", "format=default"]
    atomic_write_text(folder / "sequence", "\n".join(meta) + "\n")
    atomic_write_text(folder / "groundtruth.txt", "\n".join(seq.groundtruth) + "\n")
    if seq.anchors is not None:
        atomic_write_text(folder / "anchor.value", "\n".join(_fmt_anchor(a) for a in seq.anchors) + "\n")
    for tag, vals in seq.tags.items():
        atomic_write_text(folder / f"{tag}.tag", "\n".join(str(int(v)) for v in vals) + "\n")
    return folder


def _fmt_anchor(a: float) -> str:
    return str(int(a)) if float(a).is_integer() else repr(float(a))


# ------------------------------------------------------------------------------------------------
# tracker entry and workspace
# ------------------------------------------------------------------------------------------------

def tracker_ini_entry(tracker: str, checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                      trust_checkpoint: bool = False, timeout: int = DEFAULT_TIMEOUT,
                      python: str | None = None, identifier: str | None = None) -> str:
    """A ``trackers.ini`` section running suite tracker ``tracker`` over TraX (``traxpython``)."""
    from trackers.plugins import absolute_spec  # the toolkit starts the tracker from another folder

    ident = identifier or tracker_identifier(tracker)
    repo = Path(__file__).resolve().parents[2]
    lines = [
        f"[{ident}]",
        f"label = {tracker} (bench)",
        "protocol = traxpython",
        f"command = {TRAX_COMMAND}",
        f"paths = {repo}",
        f"python = {python or sys.executable}",
        f"timeout = {int(timeout)}",
        f"env_BENCH_VOT_TRACKER = {absolute_spec(tracker)}",
        f"env_BENCH_VOT_DEVICE = {device}",
        f"env_BENCH_VOT_DTYPE = {dtype}",
        f"env_BENCH_VOT_TRUST_CHECKPOINT = {1 if trust_checkpoint else 0}",
    ]
    if checkpoint:
        lines.append(f"env_BENCH_VOT_CHECKPOINT = {Path(checkpoint).resolve()}")
    return "\n".join(lines) + "\n"


def _replace_section(text: str, ident: str, entry: str) -> str:
    out, skip = [], False
    for line in text.splitlines():
        if line.strip().startswith("[") and line.strip().endswith("]"):
            skip = line.strip()[1:-1] == ident
        if not skip:
            out.append(line)
    body = "\n".join(out).strip()
    return (body + "\n\n" if body else "") + entry


def _within(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies inside it (both compared as given, made absolute, and with links
    resolved)."""
    a, b = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    ra, rb = Path(os.path.realpath(a)), Path(os.path.realpath(b))
    return a == b or b in a.parents or ra == rb or rb in ra.parents


def check_sources(workspace: str | os.PathLike, sequences: Sequence[WorkspaceSequence],
                  inputs: Mapping[str, str | os.PathLike | None] | None = None) -> None:
    """Refuse, before anything is written, a setup that would write where its inputs lie: the workspace
    (or the files it writes) being an input or inside an input folder, or an input (``inputs``: flag ->
    path; the frames of ``sequences``) inside the ``sequences/`` folder that setup rebuilds."""
    from bench.core.paths import check_outputs

    ws = Path(workspace)
    inputs = {k: v for k, v in (inputs or {}).items() if v}
    for name in ("stack.yaml", "config.yaml", "trackers.ini", SETUP_FILE):
        for flag, path in inputs.items():
            if _within(Path(path), ws / name) or _same_file(Path(path), ws / name):
                raise ConfigError(f"{flag} {path}: is the workspace's own {name}, which setup rewrites; "
                                  f"pass a copy kept outside the workspace")
    check_outputs({"--workspace": ws}, inputs)
    seq_root = ws / "sequences"
    for flag, path in inputs.items():
        if _within(Path(path), seq_root):
            raise ConfigError(f"{flag} {path}: lies inside the workspace's {seq_root}, which setup rebuilds; "
                              f"pass the original files")
    parents = {Path(f).parent for seq in sequences for f in seq.frames}
    for d in sorted(parents):
        if _within(d, seq_root):
            raise ConfigError(f"{d}: frames inside the workspace's {seq_root}, which setup rebuilds; "
                              f"set up from the original sequence folders")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_workspace_folder(ws: Path) -> None:
    """``--workspace`` is a new folder, an empty one, or a VOT workspace (nothing else is written into)."""
    if ws.exists() and not ws.is_dir():
        raise ConfigError(f"--workspace {ws}: is a file, not a folder")
    if ws.is_dir() and any(ws.iterdir()) and not ((ws / SETUP_FILE).is_file() or (ws / "config.yaml").is_file()):
        raise ConfigError(f"--workspace {ws}: a folder with other files in it, not a VOT workspace (no "
                          f"{SETUP_FILE} or config.yaml); choose a new or empty folder")
    seq_root = ws / "sequences"
    if seq_root.is_symlink() or (seq_root.exists() and not seq_root.is_dir()):
        raise ConfigError(f"{seq_root}: not a plain folder; move it away first")
    for name in ("stack.yaml", "config.yaml", "trackers.ini", SETUP_FILE):
        if (ws / name).is_dir():
            raise ConfigError(f"{ws / name}: is a folder, expected a file")


def build_workspace(workspace: str | os.PathLike, stack: str, sequences: Iterable[WorkspaceSequence],
                    tracker: str | None = None, *, checkpoint: str | None = None, device: str = "cpu",
                    dtype: str = "float32", trust_checkpoint: bool = False, timeout: int = DEFAULT_TIMEOUT,
                    experiments: Sequence[str] | None = None,
                    inputs: Mapping[str, str | os.PathLike | None] | None = None,
                    setup: Mapping[str, Any] | None = None) -> Path:
    """Write (or update) an offline workspace; returns its path. Existing results are kept.

    Everything is checked before anything is written: the workspace folder, the sequences (names, frames
    not inside the workspace's ``sequences/``), ``inputs`` (flag -> path, see :func:`check_sources`), the
    stack and experiments, and an existing ``trackers.ini`` (its other sections are kept). The new
    ``sequences/`` folder (exactly the sequences given, and its ``list.txt``) is built beside the old one
    and swapped in; then ``stack.yaml``, ``config.yaml``, ``trackers.ini`` and, with ``setup``,
    ``bench_vot.json`` are replaced atomically. A failure before the swap leaves the workspace as it was
    (and removes a workspace folder this call created).
    """
    ws = Path(workspace)
    seqs = list(sequences)
    if not seqs:
        raise DataError("no sequences to put into the VOT workspace")
    names = [seq.name for seq in seqs]
    for n in names:
        if not plain_name(n) or n.startswith("."):
            raise DataError(f"sequence {n!r}: not usable as a folder name in the workspace")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"sequence {dup[0]} is given twice")
    check_sources(ws, seqs, inputs)
    check_workspace_folder(ws)
    stack_txt = stack_text(stack, experiments)
    text, _ = read_trackers_ini(ws)
    if tracker:
        entry = tracker_ini_entry(tracker, checkpoint, device, dtype, trust_checkpoint, timeout)
        text = _replace_section(text, tracker_identifier(tracker), entry)
        parse_ini(text, ws / "trackers.ini", ConfigError)  # what the toolkit will read

    created = not ws.exists()
    staging: Path | None = None
    try:
        ws.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".sequences.", suffix=".new", dir=ws))
        for seq in seqs:
            write_sequence(staging, seq)
        atomic_write_text(staging / "list.txt", "\n".join(names) + "\n")
        seq_root = ws / "sequences"
        if seq_root.exists():  # swap: the old folder moves aside, the new one in, the old one goes
            old = Path(tempfile.mkdtemp(prefix=".sequences.", suffix=".old", dir=ws))
            try:
                os.rename(seq_root, old / "sequences")
                try:
                    os.rename(staging, seq_root)
                except BaseException:
                    os.rename(old / "sequences", seq_root)
                    raise
                staging = None
            finally:
                if seq_root.is_dir():  # never drop the old sequences unless a folder is in place
                    shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, seq_root)
            staging = None
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(ws, ignore_errors=True)
        raise
    (ws / "results").mkdir(exist_ok=True)
    atomic_write_text(ws / "stack.yaml", stack_txt)
    atomic_write_text(ws / "config.yaml", "registry:\n- trackers.ini\nstack: stack.yaml\nsequences: sequences\n")
    atomic_write_text(ws / "trackers.ini", text)
    if setup is not None:
        atomic_write_text(ws / SETUP_FILE, json.dumps(dict(setup), indent=1) + "\n")
    return ws

"""Small builders of on-disk inputs for ``tests/test_cli_corpus.py``: data layouts, broken files, the CLI call.

Every builder writes under the folder it is given and returns the path(s) a test passes to ``bench``.
Nothing here imports torch, so building the inputs of a case costs milliseconds.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from datasets.demo import DEMO_ROOT

DEMO_SEQUENCES = ("Crossing", "Couple", "Football1")
LFS_POINTER = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               "size 123\n")


# --- running the CLI ---------------------------------------------------------------------------------

def bench_env(extra: dict[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a ``bench`` subprocess: this process's (the conftest already dropped BENCH_*
    and points BENCH_CONFIG at an empty file), a headless matplotlib, and the case's own changes
    (``None`` removes a variable)."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env.pop("BENCH_DASK_TIMEOUT", None)
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_bench(argv: list[str], cwd: Path, env: dict[str, str | None] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m bench ARGV`` in a subprocess, text output captured."""
    return subprocess.run([sys.executable, "-m", "bench", *map(str, argv)], env=bench_env(env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (links not followed): relative path -> (bytes, mtime in ns)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                out[str(p.relative_to(root))] = (os.readlink(p).encode(), p.lstat().st_mtime_ns)
            else:
                out[str(p.relative_to(root))] = (p.read_bytes(), p.stat().st_mtime_ns)
        for name in dirnames:  # links to folders (and link loops) are recorded, not entered
            p = Path(dirpath) / name
            if p.is_symlink():
                out[str(p.relative_to(root))] = (os.readlink(p).encode(), p.lstat().st_mtime_ns)
    return out


# --- small file edits --------------------------------------------------------------------------------

def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def set_line(path: Path, line: int, text: str) -> Path:
    """Replace line ``line`` (1-based) of a text file."""
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the embedded demo, copied so a case can break it ------------------------------------------------

def demo_copy(tmp: Path, seq: str = "Couple", frames: int | None = None, name: str = "demo_root") -> Path:
    """A ``--root`` for the demo dataset: ``seq`` copied for real (its first ``frames`` frames, all if None),
    the other sequences' frame folders linked to the shipped ones (never written to)."""
    root = tmp / name
    for s in DEMO_SEQUENCES:
        (root / s).mkdir(parents=True)
        for f in ("attrs.txt", "groundtruth_rect.txt"):
            shutil.copy(DEMO_ROOT / s / f, root / s / f)
        if s == seq:
            (root / s / "img").mkdir()
            for p in sorted((DEMO_ROOT / s / "img").glob("*.jpg"))[:frames]:
                shutil.copy(p, root / s / "img" / p.name)
        else:
            (root / s / "img").symlink_to(DEMO_ROOT / s / "img")
    return root


def demo_gt(root: Path, seq: str = "Couple") -> Path:
    return root / seq / "groundtruth_rect.txt"


def demo_frame(root: Path, n: int, seq: str = "Couple") -> Path:
    return root / seq / "img" / f"{n:04d}.jpg"


def ope_results(tmp: Path, tracker: str = "gtcopy") -> Path:
    """A toolkit-style results folder ``<tmp>/ope/<tracker>/<seq>.txt`` for all three demo sequences (the
    ground truth itself, comma separated), so ``bench evaluate -d demo`` has every sequence it needs."""
    folder = tmp / "ope" / tracker
    folder.mkdir(parents=True)
    for s in DEMO_SEQUENCES:
        rows = [",".join(r.replace(",", " ").split()) for r in
                (DEMO_ROOT / s / "groundtruth_rect.txt").read_text().splitlines() if r.strip()]
        (folder / f"{s}.txt").write_text("\n".join(rows) + "\n")
    return folder.parent


def otb_root(tmp: Path) -> Path:
    """A miniature OTB-100 root holding Crossing (frames linked to the demo's)."""
    root = tmp / "OTB100"
    (root / "Crossing").mkdir(parents=True)
    shutil.copy(DEMO_ROOT / "Crossing" / "groundtruth_rect.txt", root / "Crossing" / "groundtruth_rect.txt")
    (root / "Crossing" / "img").symlink_to(DEMO_ROOT / "Crossing" / "img")
    return root


# --- GOT-10k -----------------------------------------------------------------------------------------

GOT_VAL = "GOT-10k_Val_000001"
GOT_TEST = "GOT-10k_Test_000001"


def _crossing_frames(n: int) -> list[bytes]:
    return [p.read_bytes() for p in sorted((DEMO_ROOT / "Crossing" / "img").glob("*.jpg"))[:n]]


def got10k_val_files(n: int = 4, meta: str | None = None) -> dict[str, bytes]:
    """The ``val/`` tree of a one-sequence GOT-10k (Crossing's first ``n`` frames and boxes)."""
    gt = [",".join(r.split()) for r in (DEMO_ROOT / "Crossing" / "groundtruth_rect.txt").read_text().splitlines()][:n]
    files = {"val/list.txt": f"{GOT_VAL}\n".encode(),
             f"val/{GOT_VAL}/groundtruth.txt": ("\n".join(gt) + "\n").encode(),
             f"val/{GOT_VAL}/meta_info.ini": (meta or "[METAINFO]\nurl: https://x\nobject_class: person\n"
                                                       "resolution: (360, 240)\n").encode(),
             f"val/{GOT_VAL}/cover.label": b"8\n" * n,
             f"val/{GOT_VAL}/absence.label": b"0\n" * n,
             f"val/{GOT_VAL}/cut_by_image.label": b"0\n" * n}
    for k, data in enumerate(_crossing_frames(n), 1):
        files[f"val/{GOT_VAL}/{k:08d}.jpg"] = data
    return files


def got10k_folder(tmp: Path, meta: str | None = None) -> Path:
    root = tmp / "GOT10k"
    for rel, data in got10k_val_files(meta=meta).items():
        write(root / rel, data)
    return root


def got10k_zip_with_corrupt_member(tmp: Path, member: str) -> tuple[Path, Path]:
    """``<root>/val_data.zip`` (deflated) whose ``member``'s compressed bytes are overwritten with garbage
    (the zip directory and sizes stay valid, so only inflating that member fails). Returns (root, zip)."""
    root = tmp / "GOT10k_zip"
    root.mkdir()
    zpath = root / "val_data.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in got10k_val_files().items():
            zf.writestr(rel, data)
    with zipfile.ZipFile(zpath) as zf:
        info = zf.getinfo(member)
    raw = bytearray(zpath.read_bytes())
    name_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    raw[start:start + info.compress_size] = b"\xff" * info.compress_size  # 0xff: an invalid deflate block type
    zpath.write_bytes(bytes(raw))
    return root, zpath


def got10k_test_results(tmp: Path, store: Path, tracker: str = "kcf") -> Path:
    """A GOT-10k test results folder ``<tmp>/got_results/<tracker>/got10k/`` made of the store's Crossing
    files renamed to the first test sequence."""
    folder = tmp / "got_results" / tracker / "got10k"
    folder.mkdir(parents=True)
    shutil.copy(store / "kcf" / "demo" / "Crossing.txt", folder / f"{GOT_TEST}.txt")
    shutil.copy(store / "kcf" / "demo" / "Crossing_time.txt", folder / f"{GOT_TEST}_time.txt")
    return tmp / "got_results"


# --- VOT ---------------------------------------------------------------------------------------------

def vot_sequence(tmp: Path, n: int = 6) -> Path:
    """A VOT-format sequence folder (Crossing's first ``n`` frames, rectangles as 8-value polygons)."""
    folder = tmp / "vot_src" / "crossing"
    folder.mkdir(parents=True)
    for k, data in enumerate(_crossing_frames(n), 1):
        (folder / f"{k:08d}.jpg").write_bytes(data)
    rows = []
    for r in (DEMO_ROOT / "Crossing" / "groundtruth_rect.txt").read_text().splitlines()[:n]:
        x, y, w, h = (float(v) for v in r.split())
        rows.append(f"{x},{y},{x + w},{y},{x + w},{y + h},{x},{y + h}")
    (folder / "groundtruth.txt").write_text("\n".join(rows) + "\n")
    return folder


def vot_workspace(tmp: Path, src: Path, cwd: Path) -> Path:
    """``<tmp>/vot_ws``: an offline workspace made by the real ``bench vot setup`` (mil on the VOT sequence
    ``src``), plus a stand-in for an earlier ``vot run``'s output (one trajectory file)."""
    ws = tmp / "vot_ws"
    r = run_bench(["vot", "setup", "-t", "mil", "--workspace", ws, "--vot-folder", src], cwd)
    assert r.returncode == 0, r.stderr
    write(ws / "results" / "bench_mil" / "baseline" / "crossing" / "crossing_001.txt", "1\n1,2,3,4\n")
    return ws


# --- videos and checkpoints --------------------------------------------------------------------------

def demo_clip(path: Path, n: int = 5) -> Path:
    """An .mp4 of Crossing's first ``n`` frames."""
    import cv2

    frames = [cv2.imread(str(p)) for p in sorted((DEMO_ROOT / "Crossing" / "img").glob("*.jpg"))[:n]]
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    assert path.stat().st_size > 0
    return path


def crossing_first_box() -> str:
    return ",".join((DEMO_ROOT / "Crossing" / "groundtruth_rect.txt").read_text().split()[:4])


def text_checkpoint(tmp: Path) -> Path:
    return write(tmp / "SpikeTrack_ep0300.pth.tar", "weights: see the release page\n")


def lfs_checkpoint(tmp: Path) -> Path:
    return write(tmp / "SpikeTrack_lfs.pth.tar", LFS_POINTER)

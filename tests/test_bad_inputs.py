"""A corpus of bad inputs across the suite, each through the real CLI (``bench.cli.main``).

Every case must give exit code != 0, exactly one line on stderr (``bench: error: ...``) that names the
file, line or key at fault, and leave the results already in the store byte-for-byte untouched with no
new finished (or half-written) result file.
"""
from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
from pathlib import Path

import pytest

import corpus_helpers
from bench.cli import main
from bench.runner import RunSpec, run

torch = pytest.importorskip("torch")


# --- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template_store(tmp_path_factory) -> Path:
    """A results store holding an earlier finished run: kcf on demo/Crossing, 3 frames."""
    root = tmp_path_factory.mktemp("store")
    run(RunSpec(tracker="kcf", results=str(root), max_frames=3), sequences=["Crossing"], progress=False)
    assert (root / "kcf" / "demo" / "Crossing.txt").is_file()
    return root


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Wrong checkpoints for spiketrack_s256_t1 (keys taken from the real model)."""
    import trackers

    d = tmp_path_factory.mktemp("ckpt")
    sd = trackers.create_model("spiketrack_s256_t1").state_dict()
    first = next(k for k, v in sd.items() if v.dim() >= 2)
    out = {}

    def save(name, obj):
        out[name] = d / f"{name}.pth"
        torch.save(obj, out[name])

    save("misshaped", {"net": {**sd, first: torch.zeros(3, 3)}})
    save("wrongkeys", {"net": {"foo.weight": torch.zeros(2)}})
    save("alist", [1, 2, 3])
    save("pickled_object", {"net": argparse.Namespace(weights=1)})
    good = d / "good.pth"
    torch.save({"net": {k: v for k, v in list(sd.items())[:40]}}, good)
    data = good.read_bytes()
    out["truncated"] = d / "truncated.pth"
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["random"] = d / "random.pth"
    out["random"].write_bytes(random.Random(0).randbytes(4096))
    out["empty"] = d / "empty.pth"
    out["empty"].write_bytes(b"")
    out["misshaped_key"] = first  # type: ignore[assignment]
    return out


#: a --root for the demo dataset with Couple's first 6 frames copied for real, the others linked
demo_copy = functools.partial(corpus_helpers.demo_copy, frames=6)


def set_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


# --- the corpus -------------------------------------------------------------------------------------
# Each builder gets (tmp, store, checkpoints) and returns (argv, text the one-line error must contain).

RUN = ["run", "--no-progress"]


def data_case(mutate):
    """A `bench run` over a demo copy whose Couple sequence is broken by ``mutate(root) -> needle``."""
    def build(tmp, store, ck):
        root = demo_copy(tmp)
        needle = mutate(root)
        return RUN + ["-t", "kcf", "--results", str(store), "--root", str(root), "--sequences", "Couple",
                      "--max-frames", "3"], needle
    return build


def gt(root: Path) -> Path:
    return root / "Couple" / "groundtruth_rect.txt"


def frame(root: Path, n: int = 3) -> Path:
    return root / "Couple" / "img" / f"{n:04d}.jpg"


def _gt_not_number(root):
    set_line(gt(root), 3, "51\t47\tabc\t62")
    return f"{gt(root)}:3: not a number: 'abc'"


def _gt_three_values(root):
    set_line(gt(root), 2, "51,47,25")
    return f"{gt(root)}:2: expected 4 values, found 3"


def _gt_five_values(root):
    set_line(gt(root), 4, "51 47 25 62 9")
    return f"{gt(root)}:4: expected 4 values, found 5"


def _gt_empty(root):
    gt(root).write_text("")
    return "demo/Couple: sequence has no frames"  # the demo adapter keeps as many frames as boxes


def _gt_first_nan(root):
    set_line(gt(root), 1, "nan,nan,nan,nan")
    return "demo/Couple: no valid first-frame box"


def _gt_missing(root):
    gt(root).unlink()
    return f"{gt(root)}: file not found"


def _gt_binary(root):
    gt(root).write_bytes(b"\xff\xfe\x00\x81binary")
    return f"{gt(root)}: not a text file"


def _gt_blank_line_inside(root):
    set_line(gt(root), 2, "")
    return f"{gt(root)}:2"


def _gt_is_folder(root):
    gt(root).unlink()
    gt(root).mkdir()
    return f"{gt(root)}: is a folder"


def _frame_garbage(root):
    frame(root).write_bytes(os.urandom(2000))
    return f"{frame(root)}: unreadable or corrupt image"


def _frame_empty(root):
    frame(root).write_bytes(b"")
    return f"{frame(root)}: empty image file"


def _frame_folder(root):
    frame(root).unlink()
    frame(root).mkdir()
    return f"{frame(root)}: is a folder"


def _frame_dangling(root):
    frame(root).unlink()
    frame(root).symlink_to(root / "gone.jpg")
    return f"{frame(root)}: frame not found"


def _store_case(mutate, extra=()):
    """A rerun of the store's own run (kcf, demo, 3 frames) after ``mutate(folder) -> needle``."""
    def build(tmp, store, ck):
        needle = mutate(store / "kcf" / "demo")
        return RUN + ["-t", "kcf", "--results", str(store), "--max-frames", "3", "--sequences", "Crossing",
                      *extra], needle
    return build


def _result_malformed(folder):
    set_line(folder / "Crossing.txt", 2, "1,2,x,4")
    return f"{folder / 'Crossing.txt'}:2: not a number: 'x'"


def _result_short_row(folder):
    set_line(folder / "Crossing.txt", 3, "1,2,3")
    return f"{folder / 'Crossing.txt'}:3: expected 4 values"


def _time_malformed(folder):
    (folder / "Crossing_time.txt").write_text("0.01\nfast\n0.02\n")
    return f"{folder / 'Crossing_time.txt'}:2"


def _stats_corrupt(folder):
    (folder / "Crossing_stats.json").write_text('{"firing_rates": [0.1, ')
    return f"{folder / 'Crossing_stats.json'}:1: not valid JSON"


def _manifest_corrupt(folder):
    (folder / "run.json").write_text("{ not json")
    return f"{folder / 'run.json'}:1: not valid JSON"


def ck_case(name, needle_fmt, tracker="spiketrack_s256_t1"):
    def build(tmp, store, ck):
        path = ck[name] if name in ck else tmp / "missing.pth"
        return RUN + ["-t", tracker, "--checkpoint", str(path), "--results", str(store), "--run-name", "ck",
                      "--sequences", "Crossing",
                      "--max-frames", "2"], needle_fmt.format(path=path, key=ck.get("misshaped_key"))
    return build


def simple(argv, needle):
    def build(tmp, store, ck):
        return [a.format(store=store, tmp=tmp) for a in argv], needle.format(store=store, tmp=tmp)
    return build


def _results_under_a_file(tmp, store, ck):
    blocker = tmp / "not_a_folder"
    blocker.write_text("x")
    return RUN + ["-t", "kcf", "--results", str(blocker / "res"), "--max-frames", "2"], str(blocker / "res")


def _bad_config_file(tmp, store, ck, monkeypatch=None):
    cfg = tmp / "bench.toml"
    cfg.write_text('results = "x"\n[datasets.otb100\nroot = 1\n')
    os.environ["BENCH_CONFIG"] = str(cfg)  # restored by the conftest's monkeypatch after the test
    return RUN + ["-t", "kcf", "--max-frames", "2"], str(cfg)


def _missing_config_file(tmp, store, ck):
    os.environ["BENCH_CONFIG"] = str(tmp / "nowhere.toml")
    return RUN + ["-t", "kcf", "--max-frames", "2"], "BENCH_CONFIG="


def _unreachable_scheduler(tmp, store, ck):
    pytest.importorskip("distributed")
    os.environ["BENCH_DASK_TIMEOUT"] = "2"
    return RUN + ["-t", "kcf", "--results", str(store), "--max-frames", "3", "--executor", "dask",
                  "--scheduler", "tcp://127.0.0.1:9"], "tcp://127.0.0.1:9"


CASES = {
    # malformed annotation files
    "gt: not a number": data_case(_gt_not_number),
    "gt: 3 values in a row": data_case(_gt_three_values),
    "gt: 5 values in a row": data_case(_gt_five_values),
    "gt: empty file": data_case(_gt_empty),
    "gt: first box NaN": data_case(_gt_first_nan),
    "gt: missing file": data_case(_gt_missing),
    "gt: binary file": data_case(_gt_binary),
    "gt: blank line inside": data_case(_gt_blank_line_inside),
    "gt: a folder": data_case(_gt_is_folder),
    # missing or corrupt frames
    "frame: random bytes": data_case(_frame_garbage),
    "frame: empty file": data_case(_frame_empty),
    "frame: a folder": data_case(_frame_folder),
    "frame: dangling link": data_case(_frame_dangling),
    "dataset root missing": simple(RUN + ["-t", "kcf", "--results", "{store}", "--root", "{tmp}/nope",
                                          "--max-frames", "3", "--sequences", "Couple"], "{tmp}/nope/Couple"),
    "otb100 root missing": simple(RUN + ["-t", "kcf", "-d", "otb100", "--results", "{store}", "--root",
                                         "{tmp}/otb", "--max-frames", "2"], "{tmp}/otb"),
    # malformed result files already in the store
    "result: not a number": _store_case(_result_malformed),
    "result: short row": _store_case(_result_short_row),
    "result: time file malformed": _store_case(_time_malformed),
    "result: stats JSON corrupt": _store_case(_stats_corrupt),
    "store: manifest corrupt": _store_case(_manifest_corrupt),
    "store: other configuration": simple(RUN + ["-t", "kcf", "--results", "{store}", "--max-frames", "4",
                                                "--sequences", "Crossing"], "max_frames"),
    "store: unwritable results path": _results_under_a_file,
    # wrong or truncated checkpoints
    "checkpoint: missing": ck_case("missing", "{path}: checkpoint not found"),
    "checkpoint: empty": ck_case("empty", "{path}: checkpoint is empty"),
    "checkpoint: truncated": ck_case("truncated", "{path}: truncated or corrupt"),
    "checkpoint: random bytes": ck_case("random", "{path}:"),
    "checkpoint: pickled object": ck_case("pickled_object", "--trust-checkpoint"),
    "checkpoint: not a state dict": ck_case("alist", "{path}: not a state dict"),
    "checkpoint: wrong keys": ck_case("wrongkeys", "1 unexpected: foo.weight"),
    "checkpoint: mis-shaped tensor": ck_case("misshaped", "{key} (3, 3)"),
    "checkpoint: classical tracker": ck_case("empty", "needs no checkpoint", tracker="kcf"),
    # unknown names
    "unknown tracker": simple(RUN + ["-t", "kcff", "--results", "{store}"], "kcff"),
    "unknown dataset": simple(RUN + ["-t", "kcf", "-d", "lasott", "--results", "{store}"], "lasott"),
    "unknown sequence": simple(RUN + ["-t", "kcf", "--results", "{store}", "--max-frames", "3", "--sequences",
                                      "Crossing", "Nowhere"], "Nowhere"),
    "unknown protocol": simple(RUN + ["-t", "kcf", "--results", "{store}", "--max-frames", "3", "--sequences",
                                      "Crossing", "--protocol", "ottb"], "ottb"),
    "unknown list": simple(["list", "protocols", "--json", "{tmp}/afile/x.json"], "{tmp}/afile"),
    # options, configuration, executors
    "max-frames zero": simple(RUN + ["-t", "kcf", "--results", "{store}", "--max-frames", "0"], "--max-frames"),
    "max-frames negative": simple(RUN + ["-t", "kcf", "--results", "{store}", "--max-frames", "-3"], "-3"),
    "config file malformed": _bad_config_file,
    "config file missing": _missing_config_file,
    "dask: unreachable scheduler": _unreachable_scheduler,
    "dask: zero workers": simple(RUN + ["-t", "kcf", "--results", "{store}", "--executor", "dask", "--workers", "0"],
                                 "--workers"),
    "dask: workers with scheduler": simple(RUN + ["-t", "kcf", "--results", "{store}", "--executor", "dask",
                                                  "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "--workers"),
}


#: cases that expose a defect outside this test's area, with the fix it needs
KNOWN_DEFECTS: dict[str, str] = {}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_DEFECTS[c], strict=True))
                                  if c in KNOWN_DEFECTS else c for c in CASES])
def test_bad_input_gives_one_line_error_and_keeps_earlier_results(case, template_store, checkpoints, tmp_path,
                                                                  capsys, monkeypatch):
    monkeypatch.setenv("BENCH_CONFIG", os.environ["BENCH_CONFIG"])  # restore whatever a case sets
    monkeypatch.delenv("BENCH_DASK_TIMEOUT", raising=False)
    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    (tmp_path / "afile").write_text("a file, not a folder")
    argv, needle = CASES[case](tmp_path, store, checkpoints)
    before = snapshot(store)
    earlier = {k for k in before}
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0, f"exit code 0 for {argv}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith("bench: error: "), lines[0]
    assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    after = snapshot(store)
    # the earlier results: untouched (except where the case itself corrupted them, before the run)
    for name in earlier:
        assert after.get(name) == before[name], f"{name} was changed or removed"
    # nothing finished and nothing half-written was added
    added = set(after) - earlier
    assert all(Path(a).name == "run.json" for a in added), f"new files: {sorted(added)}"


def test_garbage_checkpoints_always_give_a_checkpoint_error(tmp_path):
    """Random bytes reach the unpickler's internals in many ways (IndexError, KeyError, UnicodeDecodeError,
    ...); every one must come out as a CheckpointError naming the file, never a traceback."""
    from bench.core.errors import CheckpointError
    from trackers.checkpoint import load_checkpoint

    rng = random.Random(1234)
    path = tmp_path / "garbage.pth"
    for i in range(300):
        head = rng.choice([b"", b"\x80\x02", b"\x80\x02\x8a\x0a", b"PK\x03\x04"])  # pickle, torch magic, zip
        path.write_bytes(head + rng.randbytes(rng.randint(1, 2048)))
        with pytest.raises(CheckpointError, match="garbage.pth: "):
            load_checkpoint(path)

"""The cache of parsed box files (bench/core/box_cache.py): a hit gives exactly what the parser gives, and
nothing a user does to a file, or to the cache, ever makes a stale or damaged entry count."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from bench.core import box_cache, io
from bench.core.errors import DataError
from bench.core.io import load_boxes, load_many_boxes
from bench.metrics.engine.boxes import joined_cols

from conftest import SHARED, requires_shared


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder that stores any batch at once (no size floor, no settling time)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(box_cache.ENV_DIR, str(folder))
    monkeypatch.setattr(box_cache, "MIN_BYTES", 0)
    monkeypatch.setattr(box_cache, "SETTLE_NS", 0)
    return folder


def _files(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        p = folder / f"seq{i}.txt"
        p.write_text(text)
        paths.append(p)
    return paths


INTS = ["1,2,3,4\n5,6,7,8\n", "10\t20\t30\t40\n-1,0,0,-7\n9 9 9 9\n", "", "100,200,300,400"]
FLOATS = ["1.5,2,3,4\nnan,nan,nan,nan\n", "0.25 1e3 -2.5 7\n", "1,2,3,4\n"]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype == np.float64 and x.shape == y.shape
        assert np.array_equal(x, y, equal_nan=True)
        assert np.array_equal(np.signbit(x), np.signbit(y))   # -0.0 stays -0.0


def _no_parse(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("parsed although the cache holds the batch")
    monkeypatch.setattr(io, "_fast_parse", fail)
    monkeypatch.setattr(io, "parse_boxes", fail)


@pytest.mark.parametrize("texts", [INTS, FLOATS, ["-0,1,2,3\n"]])
def test_a_hit_gives_the_parsers_arrays(cache, tmp_path, monkeypatch, texts):
    paths = _files(tmp_path / "data", texts)
    first = load_many_boxes(paths)
    _same(first, [load_boxes(p) for p in paths])
    assert len(list(cache.glob("*.boxes"))) == 1
    _no_parse(monkeypatch)
    again = load_many_boxes(paths)
    _same(again, first)
    # the same layout as a parse: one buffer the metrics engine views without a copy
    nonempty = [a for a in again if len(a)]
    assert joined_cols(nonempty).base is nonempty[0].base
    again[0][0, 0] = 12345.0   # writable, and a write never reaches the cache or the file
    _same(load_many_boxes(paths), first)


def test_the_same_files_by_another_path_hit(cache, tmp_path, monkeypatch):
    paths = _files(tmp_path / "data", INTS)
    first = load_many_boxes(paths)
    monkeypatch.chdir(tmp_path)
    _no_parse(monkeypatch)
    _same(load_many_boxes([os.path.relpath(p, tmp_path) for p in paths]), first)


def test_a_changed_file_is_parsed_again(cache, tmp_path):
    paths = _files(tmp_path / "data", ["1,2,3,4\n", "5,6,7,8\n"])
    load_many_boxes(paths)
    st = os.stat(paths[1])
    time.sleep(0.05)   # past the file system clock's tick
    paths[1].write_text("5,6,7,9\n")    # same size
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns))   # even with the old mtime put back
    got = load_many_boxes(paths)
    assert got[1].tolist() == [[5, 6, 7, 9]]
    # a file replaced by another (a new inode) and a file appended to
    (tmp_path / "new.txt").write_text("1,1,1,1\n")
    os.replace(tmp_path / "new.txt", paths[0])
    assert load_many_boxes(paths)[0].tolist() == [[1, 1, 1, 1]]
    with open(paths[0], "a") as f:
        f.write("2,2,2,2\n")
    assert load_many_boxes(paths)[0].tolist() == [[1, 1, 1, 1], [2, 2, 2, 2]]


def test_files_changed_just_now_are_not_stored(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(box_cache, "SETTLE_NS", 2_000_000_000)
    paths = _files(tmp_path / "data", INTS)
    _same(load_many_boxes(paths), [load_boxes(p) for p in paths])
    assert not cache.exists() or not list(cache.iterdir())


def test_small_batches_are_not_stored(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(box_cache, "MIN_BYTES", 1 << 20)
    load_many_boxes(_files(tmp_path / "data", INTS))
    assert not cache.exists()


@pytest.mark.parametrize("value", ["off", "", "0", "none"])
def test_off(tmp_path, monkeypatch, value):
    monkeypatch.setenv(box_cache.ENV_DIR, value)
    monkeypatch.setattr(box_cache, "MIN_BYTES", 0)
    monkeypatch.setattr(box_cache, "SETTLE_NS", 0)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    paths = _files(tmp_path / "data", INTS)
    load_many_boxes(paths)
    assert box_cache.cache_dir() is None
    assert not (tmp_path / "home").exists() and not (tmp_path / "xdg").exists()


def test_default_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(box_cache.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert box_cache.cache_dir() == tmp_path / "xdg" / "spiketrack-bench" / "boxes"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert box_cache.cache_dir() == tmp_path / "home" / ".cache" / "spiketrack-bench" / "boxes"


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("*.boxes")
    return entry


@pytest.mark.parametrize("damage", ["truncate", "flip", "zero", "grow", "header", "empty"])
def test_a_damaged_entry_is_parsed_again(cache, tmp_path, damage):
    paths = _files(tmp_path / "data", INTS)
    want = [load_boxes(p) for p in paths]
    load_many_boxes(paths)
    entry = _entry(cache)
    data = bytearray(entry.read_bytes())
    values = 32 * sum(len(a) for a in want)   # the array's bytes, at the end of the entry
    if damage == "truncate":
        data = data[:-8]
    elif damage == "flip":
        data[-3] ^= 0x10
    elif damage == "zero":
        data[-values:] = bytes(values)
    elif damage == "grow":
        data += b"\0" * 8
    elif damage == "header":
        data[:8] = b"NOTBOXES"
    elif damage == "empty":
        data = bytearray()
    entry.write_bytes(bytes(data))
    _same(load_many_boxes(paths), want)
    assert _entry(cache).read_bytes() != bytes(data)   # and the entry is whole again


def test_another_batchs_entry_under_this_name_is_not_used(cache, tmp_path):
    """Entry names are a 64-bit hash of the key; the whole key inside is what decides."""
    a = _files(tmp_path / "a", ["1,2,3,4\n"])
    b = _files(tmp_path / "b", ["5,6,7,8\n"])
    load_many_boxes(a)
    entry = _entry(cache)
    target = box_cache.Entry.for_files(b, 4).path
    os.replace(entry, target)
    assert load_many_boxes(b)[0].tolist() == [[5, 6, 7, 8]]


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(box_cache.ENV_DIR, str(blocker / "cache"))
    monkeypatch.setattr(box_cache, "MIN_BYTES", 0)
    monkeypatch.setattr(box_cache, "SETTLE_NS", 0)
    paths = _files(tmp_path / "data", INTS)
    _same(load_many_boxes(paths), [load_boxes(p) for p in paths])
    _same(load_many_boxes(paths), [load_boxes(p) for p in paths])


def test_bad_files_still_name_their_line(cache, tmp_path):
    paths = _files(tmp_path / "data", ["1,2,3,4\n", "1,2,3,4\n1,2,x,4\n"])
    for _ in range(2):   # never stored: the error every time
        with pytest.raises(DataError, match=r"seq1\.txt:2: not a number: 'x'"):
            load_many_boxes(paths)
    assert not cache.exists() or not list(cache.glob("*.boxes"))
    paths[1].write_text("1,2,3,4\n")
    assert len(load_many_boxes(paths)) == 2
    paths[1].unlink()
    with pytest.raises(DataError, match="seq1.txt: file not found"):
        load_many_boxes(paths)


def test_least_recently_used_entries_go_first(cache, tmp_path, monkeypatch):
    batches = [_files(tmp_path / f"d{i}", [f"{i},1,1,1\n" * 200]) for i in range(3)]
    load_many_boxes(batches[0])
    size = _entry(cache).stat().st_size
    monkeypatch.setattr(box_cache, "_max_bytes", lambda: 2 * size)
    load_many_boxes(batches[1])
    assert len(list(cache.glob("*.boxes"))) == 2
    time.sleep(0.01)
    load_many_boxes(batches[0])   # a hit: now the most recently used
    time.sleep(0.01)
    load_many_boxes(batches[2])   # over the limit: batch 1's entry goes
    names = {p.name for p in cache.glob("*.boxes")}
    assert len(names) == 2
    assert box_cache.Entry.for_files(batches[1], 4).path.name not in names
    assert box_cache.Entry.for_files(batches[0], 4).path.name in names


def test_a_killed_writers_leftover_is_removed(cache, tmp_path):
    cache.mkdir()
    old, fresh = cache / ".x.tmp", cache / ".y.tmp"   # another process may be writing the fresh one
    for p in (old, fresh):
        p.write_bytes(b"\0" * 64)
    past = time.time_ns() - box_cache.STALE_TMP_NS - 10**9
    os.utime(old, ns=(past, past))
    load_many_boxes(_files(tmp_path / "data", INTS))
    assert not old.exists() and fresh.exists()


@requires_shared
def test_lasot_scores_identical_with_and_without_the_cache(tmp_path, monkeypatch, capsys):
    """LaSOT's 280 ground-truth files and ATOM's results (real, settled files): the cached run's JSON equals
    the parsed run's, and the second run reads both batches from the cache."""
    from bench.cli import main

    args = ["evaluate", "--results", str(SHARED / "data" / "raw_results" / "LaSOT" / "ATOM"), "--dataset", "lasot",
            "--annotations", str(SHARED / "data" / "lasot"), "--protocol", "lasot-toolkit,pytracking"]
    monkeypatch.setenv(box_cache.ENV_DIR, "off")
    assert main([*args, "--json", str(tmp_path / "parsed.json")]) == 0
    monkeypatch.setenv(box_cache.ENV_DIR, str(tmp_path / "cache"))
    assert main([*args, "--json", str(tmp_path / "stored.json")]) == 0
    assert len(list((tmp_path / "cache").glob("*.boxes"))) == 2
    _no_parse(monkeypatch)
    assert main([*args, "--json", str(tmp_path / "cached.json")]) == 0
    parsed = json.loads((tmp_path / "parsed.json").read_text())
    assert json.loads((tmp_path / "cached.json").read_text()) == parsed
    assert json.loads((tmp_path / "stored.json").read_text()) == parsed

"""Registries, box parsing, config resolution, checkpoint errors: the pieces everything else stands on."""
from __future__ import annotations

import numpy as np
import pytest

from bench.core.config import dataset_root, env_var_for, results_dir
from bench.core.errors import BenchError, CheckpointError, ConfigError, DataError, UnknownNameError
from bench.core.io import format_boxes, load_boxes, parse_boxes
from bench.core.registry import Registry


def test_registry_creates_by_name_and_lists_known_names_on_error():
    reg = Registry("widget")
    reg.register("Alpha-One", description="first")(lambda **kw: ("alpha", kw))
    reg.register("beta")(lambda **kw: "beta")
    assert reg.names() == ["Alpha-One", "beta"]
    assert reg.create("alpha_one", x=1) == ("alpha", {"x": 1})  # case and -/_ insensitive
    with pytest.raises(UnknownNameError) as e:
        reg.create("alpha_on")
    msg = str(e.value)
    assert "unknown widget 'alpha_on'" in msg and "Alpha-One, beta" in msg and "did you mean" in msg
    assert "\n" not in msg


def test_tracker_and_dataset_registries_know_the_foundation_entries():
    import datasets
    import trackers

    assert {"mil", "kcf", "csrt"} <= set(trackers.list_trackers())
    assert "demo" in datasets.list_datasets()
    with pytest.raises(UnknownNameError, match="known: .*kcf"):
        trackers.create_tracker("no_such_tracker")


@pytest.mark.parametrize("text,expected", [
    ("1,2,3,4\n5,6,7,8\n", [[1, 2, 3, 4], [5, 6, 7, 8]]),
    ("1\t2\t3\t4\n", [[1, 2, 3, 4]]),
    ("1 2  3 4 \n\n\n", [[1, 2, 3, 4]]),                # trailing spaces and blank lines
    ("NaN,NaN,NaN,NaN\n1.5,2,3,4", [[np.nan] * 4, [1.5, 2, 3, 4]]),
    ("1,2\t3 4\n", [[1, 2, 3, 4]]),                     # mixed delimiters within a row
])
def test_parse_boxes_accepts_the_formats_found_in_the_wild(text, expected):
    np.testing.assert_array_equal(parse_boxes(text), np.array(expected, dtype=float))


@pytest.mark.parametrize("text,where,what", [
    ("1,2,3,4\n1,2,3\n", "f.txt:2:", "expected 4 values, found 3"),
    ("1,2,3,4\n1,2,3,4,5\n", "f.txt:2:", "expected 4 values, found 5"),
    ("1,2,3,4\n1,2,3,4\n1,abc,3,4\n", "f.txt:3:", "not a number: 'abc'"),
    ("1,2,3,4\n\n1,2,3,4\n", "f.txt:2:", "empty line"),
])
def test_parse_boxes_names_file_and_line_of_a_bad_row(text, where, what):
    with pytest.raises(DataError) as e:
        parse_boxes(text, "f.txt")
    assert str(e.value).startswith(where) and what in str(e.value)


def test_boxes_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    boxes = np.vstack([rng.uniform(-5, 500, (50, 4)), [[1, 2, 3, 4]], [[np.nan] * 4]])
    p = tmp_path / "r.txt"
    p.write_text(format_boxes(boxes))
    np.testing.assert_array_equal(load_boxes(p), boxes)
    assert p.read_text().splitlines()[50] == "1,2,3,4"


def test_load_boxes_missing_file_is_one_line_error(tmp_path):
    with pytest.raises(DataError, match=r"nope\.txt: file not found"):
        load_boxes(tmp_path / "nope.txt")


def test_dataset_root_precedence(tmp_path, monkeypatch):
    cfg = tmp_path / "bench.toml"
    cfg.write_text('results = "/r/from/config"\n[datasets.lasot_ext]\nroot = "/from/config"\n')
    monkeypatch.setenv("BENCH_CONFIG", str(cfg))
    from bench.core import config

    config._load.cache_clear()
    assert env_var_for("lasot_ext") == "BENCH_LASOT_EXT_ROOT"
    assert str(dataset_root("lasot_ext")) == "/from/config"
    monkeypatch.setenv("BENCH_LASOT_EXT_ROOT", "/from/env")
    assert str(dataset_root("lasot_ext")) == "/from/env"
    assert str(dataset_root("lasot_ext", "/from/cli")) == "/from/cli"
    assert str(results_dir()) == "/r/from/config"


def test_bad_config_file_is_a_config_error(tmp_path, monkeypatch):
    cfg = tmp_path / "bench.toml"
    cfg.write_text("[datasets\n")
    monkeypatch.setenv("BENCH_CONFIG", str(cfg))
    from bench.core import config

    config._load.cache_clear()
    with pytest.raises(ConfigError, match="bench.toml"):
        dataset_root("lasot")


def test_checkpoint_errors_name_the_problem(tmp_path):
    import torch

    from trackers.checkpoint import extract_state_dict, load_checkpoint, load_into

    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    good = tmp_path / "good.pth.tar"
    torch.save({"net": net.state_dict(), "epoch": 3}, good)
    load_into(net, extract_state_dict(load_checkpoint(good)))  # loads with weights_only=True

    trunc = tmp_path / "trunc.pth"
    trunc.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="trunc.pth: truncated or corrupt"):
        load_checkpoint(trunc)

    with pytest.raises(CheckpointError, match="not a state dict"):
        extract_state_dict({"epoch": 3, "optimizer": "sgd"})

    wrong = {k.replace("1.", "2."): v for k, v in net.state_dict().items()}
    wrong["0.weight"] = torch.zeros(5, 3)
    with pytest.raises(CheckpointError) as e:
        load_into(net, wrong, source="w.pth")
    msg = str(e.value)
    assert "2 missing: 1.weight, 1.bias" in msg and "2 unexpected: 2.weight, 2.bias" in msg
    assert "0.weight (5, 3) vs (2, 3)" in msg and "\n" not in msg


def test_untrusted_pickle_is_refused_with_a_hint(tmp_path):
    import torch

    from trackers.checkpoint import load_checkpoint

    p = tmp_path / "full.pth"
    torch.save({"net": {}, "cfg": _Opaque()}, p)
    with pytest.raises(CheckpointError, match="--trust-checkpoint"):
        load_checkpoint(p)
    assert isinstance(load_checkpoint(p, trust=True)["cfg"], _Opaque)


class _Opaque:
    pass


def test_errors_print_on_one_line():
    assert str(BenchError("a\n  b")) == "a b"


def test_atomic_writes_get_normal_permissions_and_leave_no_temp_files(tmp_path):
    import os

    from bench.core.io import atomic_write_text

    mask = os.umask(0o022)
    os.umask(mask)
    p = tmp_path / "a" / "r.txt"
    atomic_write_text(p, "x\n")
    assert p.read_text() == "x\n"
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask
    assert sorted(q.name for q in p.parent.iterdir()) == ["r.txt"]

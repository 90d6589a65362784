"""`bench run` / `bench list` as a user meets them: a table with real scores, JSON, one-line errors."""
from __future__ import annotations

import json

import pytest

import bench.runner as runner
from bench.cli import main


@pytest.fixture(autouse=True)
def _fresh_cache():
    runner._CACHE.clear()
    yield
    runner._CACHE.clear()


def test_run_prints_scores_and_the_second_run_redoes_nothing(tmp_path, capsys):
    args = ["run", "--tracker", "csrt", "--results", str(tmp_path), "--max-frames", "25", "--no-progress",
            "--json", str(tmp_path / "run.json")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3 sequence(s) computed, 0 already finished" in out
    assert "AUC %" in out and "protocol: otb-toolkit" in out
    figures = json.loads((tmp_path / "run.json").read_text())
    summary = figures["results"]["csrt"]["demo"]
    assert summary["protocol"] == "otb-toolkit" and summary["sequences"] == 3 and summary["frames"] == 3 * 24
    auc = summary["metrics"]["auc"]
    assert 0.3 < auc <= 1.0  # CSRT follows these targets for their first 25 frames

    assert main(args) == 0
    assert "0 sequence(s) computed, 3 already finished" in capsys.readouterr().out
    assert json.loads((tmp_path / "run.json").read_text())["results"]["csrt"]["demo"]["metrics"]["auc"] == auc


def test_run_summary_equals_bench_evaluate_on_the_same_files(tmp_path, capsys):
    assert main(["run", "-t", "kcf", "--results", str(tmp_path), "--no-progress",
                 "--json", str(tmp_path / "a.json")]) == 0
    assert main(["evaluate", "--results", str(tmp_path / "kcf" / "demo"), "--dataset", "demo",
                 "--json", str(tmp_path / "b.json")]) == 0
    capsys.readouterr()
    a = json.loads((tmp_path / "a.json").read_text())["results"]["kcf"]["demo"]["metrics"]
    b = json.loads((tmp_path / "b.json").read_text())["trackers"]["kcf"]["demo"]["metrics"]
    assert {k: a[k] for k in ("auc", "precision", "norm_precision")} == \
           {k: b[k] for k in ("auc", "precision", "norm_precision")}


@pytest.mark.parametrize("argv,needle", [
    (["run", "-t", "no_such_tracker"], "unknown tracker 'no_such_tracker'"),
    (["run", "-t", "csrt", "--dataset", "lasott"], "unknown dataset 'lasott' (did you mean 'lasot'?)"),
    (["run", "-t", "csrt", "--dataset", "lasot"], "needs its root folder: pass --root DIR, set BENCH_LASOT_ROOT"),
    (["run", "-t", "csrt", "--protocol", "nope", "--max-frames", "2", "--sequences", "Couple"], "unknown protocol 'nope'"),
])
def test_bad_names_give_one_line_errors(argv, needle, tmp_path, capsys):
    assert main(argv + ["--results", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bench: error: ") and needle in err and "\n" not in err


def test_list_shows_every_family_and_protocol(capsys):
    assert main(["list", "trackers", "--json", "-"]) == 0
    items = {i["name"]: i for i in json.loads(capsys.readouterr().out)["items"]}
    for name in ("mil", "kcf", "csrt", "spiketrack_s256_t1", "spiketrack_b384_t3", "sstrack_b256", "sstrack_b384",
                 "ostrack_256", "ostrack_384", "odtrack_b384"):
        assert name in items
    assert items["spiketrack_b256_t3"]["spiking"] is True and items["ostrack_256"]["spiking"] is False
    assert main(["list", "protocols"]) == 0
    out = capsys.readouterr().out
    for p in ("pytracking", "pysot", "got10k", "lasot-toolkit", "trackingnet-devkit", "vot2020", "vot2018"):
        assert p in out


def test_threads_are_recorded_but_do_not_split_a_run(tmp_path, capsys):
    import torch

    before = torch.get_num_threads()
    try:
        base = ["run", "-t", "kcf", "--results", str(tmp_path), "--max-frames", "3", "--no-progress"]
        assert main(base + ["--threads", "1"]) == 0
        assert torch.get_num_threads() == 1
        manifest = json.loads((tmp_path / "kcf" / "demo" / "run.json").read_text())
        assert manifest["config"]["threads"] == 1
        assert main(base + ["--threads", "2"]) == 0           # same results, another thread count: resumes
        assert "0 sequence(s) computed" in capsys.readouterr().out
        assert main(base + ["--threads", "0"]) == 2
        assert "--threads must be at least 1" in capsys.readouterr().err
    finally:
        torch.set_num_threads(before)


def test_evaluate_scores_a_max_frames_run_on_its_frames_and_keeps_going_past_a_bad_tracker(tmp_path, capsys):
    assert main(["run", "-t", "kcf", "--results", str(tmp_path), "--max-frames", "9", "--no-progress",
                 "--json", str(tmp_path / "run.json")]) == 0
    ran = json.loads((tmp_path / "run.json").read_text())["results"]["kcf"]["demo"]["metrics"]
    # a second "tracker" folder whose files are one row short for every sequence
    bad = tmp_path / "bad" / "demo"
    bad.mkdir(parents=True)
    for p in (tmp_path / "kcf" / "demo").glob("*.txt"):
        if not p.stem.endswith("_time"):
            (bad / p.name).write_text("".join(p.read_text().splitlines(keepends=True)[:-1]))
    capsys.readouterr()
    code = main(["evaluate", "--results", str(tmp_path), "--dataset", "demo", "--json", str(tmp_path / "ev.json")])
    captured = capsys.readouterr()
    assert code == 1
    assert "bench: error: tracker bad not scored: otb-toolkit: sequence Crossing: 8 result rows" in captured.err
    ev = json.loads((tmp_path / "ev.json").read_text())
    assert ev["trackers"]["kcf"]["demo"]["metrics"]["auc"] == ran["auc"]
    assert list(ev["failures"]["otb-toolkit"]) == ["bad"]

"""Trackers from outside the suite: the example plugin package (entry points), ``file.py:factory`` specs,
broken plugins, and plugin trackers on a Dask cluster.

The example package (``examples/bench-example-plugin``) is "installed" the way pip leaves it for the
interpreter: its ``*.dist-info`` (METADATA + entry_points.txt, written from its own pyproject.toml) and its
package folder on ``sys.path`` -- and on ``PYTHONPATH`` for the ``bench`` subprocesses. Nothing is
installed into the environment itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import bench.runner as runner
from bench.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bench-example-plugin"
PLUGIN = "example_spiking_siamese"

TRACKER_FILE = '''
"""A tracker that is not a package: it keeps the first box (and counts its calls)."""
from trackers.base import Tracker, TrackResult


class KeepBox(Tracker):
    name = "keep_box"

    def initialize(self, image, box, info=None):
        self.box = tuple(float(v) for v in box)

    def track(self, image):
        return TrackResult(self.box, 1.0)


def create(checkpoint=None, device="cpu", dtype="float32", **kw):
    return KeepBox()
'''


def write_dist_info(site: Path, name: str, version: str, groups: dict[str, dict[str, str]]) -> None:
    """What ``pip install`` writes for a distribution's entry points."""
    d = site / f"{name.replace('-', '_')}-{version}.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    text = "".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for g, eps in groups.items())
    (d / "entry_points.txt").write_text(text)


def _refresh() -> None:
    import datasets
    import trackers
    from bench.metrics import PROTOCOLS

    for reg in (trackers.TRACKERS, trackers.MODELS, datasets.DATASETS, PROTOCOLS):
        reg.refresh_plugins()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example plugin and two broken ones, visible to this process and to its children."""
    site = tmp_path_factory.mktemp("site")
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    write_dist_info(site, project["name"], project["version"], project["entry-points"])
    (site / "bench_exploding_plugin.py").write_text("raise RuntimeError('boom at import')\n")
    write_dist_info(site, "bench-broken-plugin", "0.0.1", {"bench.trackers": {
        "missing_module_tracker": "bench_no_such_module_anywhere:create",
        "exploding_tracker": "bench_exploding_plugin:create"}})
    added = [str(site), str(EXAMPLE)]
    sys.path[:0] = added
    _refresh()
    yield site
    for p in added:
        sys.path.remove(p)
    _refresh()


@pytest.fixture(autouse=True)
def _fresh_cache():
    runner._CACHE.clear()
    yield
    runner._CACHE.clear()


def bench(*argv: str, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(EXAMPLE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "bench", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_example_plugin_listed_run_and_profiled_through_the_cli(site, tmp_path, capsys):
    """A fresh ``bench`` process finds the plugin by its entry point and names each broken plugin in one
    warning line; the CLI runs and profiles the plugin like a built-in tracker."""
    r = bench("list", "trackers", "--json", "-", site=site, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    items = {i["name"]: i for i in json.loads(r.stdout)["items"]}
    assert items[PLUGIN]["origin"] == f"plugin bench-example-plugin 0.1.0 (bench_example_plugin.tracker:create_tracker)"
    assert items[PLUGIN]["spiking"] is True and items["csrt"]["origin"] == "built-in"
    assert "ostrack_256" in items and "missing_module_tracker" not in items
    warnings = [line for line in r.stderr.splitlines() if line.startswith("bench: warning:")]
    assert len(warnings) == 2, r.stderr
    missing = next(w for w in warnings if "missing_module_tracker" in w)
    assert "bench_no_such_module_anywhere:create" in missing and "ModuleNotFoundError" in missing
    assert "RuntimeError: boom at import" in next(w for w in warnings if "exploding_tracker" in w)

    assert main(["list", "trackers"]) == 0   # the table, in this process (same registry)
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith(PLUGIN))
    assert "plugin bench-example-plugin 0.1.0" in row and "<- bench_example_plugin.tracker:create_tracker" in row
    assert next(line for line in table.splitlines() if line.startswith("csrt ")).split()[1] == "built-in"

    # run and profile in this process (the CLI's main; the fresh process above showed the discovery)
    res = str(tmp_path / "res")
    assert main(["run", "--tracker", PLUGIN, "--max-frames", "8", "--results", res, "--protocol", "example_op50",
                 "--no-progress", "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)["results"][PLUGIN]["demo"]
    assert summary["protocol"] == "example_op50" and summary["frames"] == 3 * 7
    assert 0 <= summary["metrics"]["op50"] <= 1
    boxes = np.loadtxt(tmp_path / "res" / PLUGIN / "demo" / "Crossing.txt", delimiter=",")
    assert boxes.shape == (8, 4) and np.isfinite(boxes).all()

    assert main(["profile", "--tracker", PLUGIN, "--frames", "6", "--no-latency", "--results", res,
                 "--counter", "exact,thop", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tracker_origin"].startswith("plugin bench-example-plugin") and doc["spiking"]
    # the plugin's own neuron class, declared with register_neuron_class, is read by class; T = 2 steps
    sn2 = next(n for n in doc["neurons"] if n["name"] == "encoder.sn2" and n["branch"] == "search")
    assert sn2["recognised_by"] == "class (user)" and len(sn2["mean_count"]) == 2
    conv2 = next(r for r in doc["layers"] if r["path"] == "encoder.conv2" and r["branch"] == "search")
    assert conv2["spike_fed"] and 0 < conv2["sops"] < conv2["macs"]
    stem = next(r for r in doc["layers"] if r["path"] == "encoder.stem" and r["branch"] == "search")
    assert not stem["spike_fed"] and stem["sops"] == 0
    assert (tmp_path / "res" / PLUGIN / "demo" / "profile.json").is_file()


def test_plugin_tracker_in_evaluate_demo_and_the_trax_server(site, tmp_path, capsys):
    """The other tracker commands take the plugin too (the TraX server is what `bench vot` runs); the
    plugin's dataset reads its own layout."""
    import shutil

    from bench.vot.trax_server import tracker_from_env

    clips = tmp_path / "clips" / "couple_short"
    clips.mkdir(parents=True)
    src = REPO / "datasets" / "data" / "otb_demo" / "Couple"
    for i in range(1, 5):
        shutil.copy(src / "img" / f"{i:04d}.jpg", clips / f"{i:04d}.jpg")
    (clips / "groundtruth.txt").write_text("".join(line + "\n" for line in
                                                   (src / "groundtruth_rect.txt").read_text().splitlines()[:4]))
    assert main(["run", "-t", PLUGIN, "--dataset", "example_clips", "--root", str(tmp_path / "clips"),
                 "--results", str(tmp_path / "c"), "--no-progress", "--protocol", "example_op50"]) == 0
    assert (tmp_path / "c" / PLUGIN / "example_clips" / "couple_short.txt").is_file()
    assert main(["run", "-t", PLUGIN, "--dataset", "example_clips", "--results", str(tmp_path / "c")]) == 2
    assert "needs its root folder" in capsys.readouterr().err

    assert type(tracker_from_env({"BENCH_VOT_TRACKER": PLUGIN})).__name__ == "SpikingSiameseTracker"
    assert main(["run", "-t", PLUGIN, "--max-frames", "5", "--results", str(tmp_path), "--no-progress"]) == 0
    assert main(["evaluate", "--results", str(tmp_path / PLUGIN / "demo"), "--dataset", "demo",
                 "--protocol", "example_op50", "--json", str(tmp_path / "e.json")]) == 0
    ev = json.loads((tmp_path / "e.json").read_text())
    assert "example_op50" in json.dumps(ev)
    frames = REPO / "datasets" / "data" / "otb_demo" / "Couple" / "img"
    from bench.core.io import load_boxes

    init = ",".join(str(int(v)) for v in load_boxes(frames.parent / "groundtruth_rect.txt")[0])
    assert main(["demo", "-t", PLUGIN, "--video", str(frames), "--init", init, "--max-frames", "5",
                 "--out", str(tmp_path / "demo.mp4"), "--no-progress"]) == 0
    assert (tmp_path / "demo.mp4").stat().st_size > 0
    capsys.readouterr()


def test_broken_plugin_by_name_and_bad_factories_are_one_line_errors(site, tmp_path, capsys):
    assert main(["run", "-t", "missing_module_tracker", "--results", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bench: error: tracker 'missing_module_tracker' is not available: plugin "
                          "bench-broken-plugin 0.0.1") and "\n" not in err
    (tmp_path / "bad.py").write_text("x = 1\n\n"
                                     "def not_a_tracker(checkpoint=None, device='cpu', dtype='float32', **kw):\n"
                                     "    return 42\n")
    (tmp_path / "syntax.py").write_text("def create(:\n")
    cases = [("nofile.py:create", "nofile.py: no such file"),
             (f"{tmp_path / 'bad.py'}:nothing", "has no attribute 'nothing'"),
             (f"{tmp_path / 'bad.py'}:x", "is a int, not a factory"),
             (f"{tmp_path / 'bad.py'}:not_a_tracker", "returned a int, not a tracker"),
             (f"{tmp_path / 'syntax.py'}:create", "failed to import: SyntaxError"),
             ("bench_no_such_module_anywhere:create", "no module named 'bench_no_such_module_anywhere'")]
    for spec, needle in cases:
        assert main(["run", "-t", spec, "--max-frames", "2", "--results", str(tmp_path / "r"), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("bench: error: ") and needle in err and "\n" not in err, (spec, err)


def test_run_a_tracker_file_by_path(tmp_path, monkeypatch, capsys):
    """``--tracker some_file.py:factory``: no package, no entry point; the run folder is named after it."""
    (tmp_path / "some_file.py").write_text(TRACKER_FILE)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--tracker", "some_file.py:create", "--max-frames", "6", "--results", "res",
                 "--no-progress", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"]["some_file.py:create"]["demo"]["frames"] == 3 * 5
    boxes = np.loadtxt(tmp_path / "res" / "some_file.py:create" / "demo" / "Couple.txt", delimiter=",")
    assert (boxes == boxes[0]).all()   # the tracker keeps the first box
    # loaded once per process, under a name derived from its absolute path (what Dask workers use too)
    from bench.core.registry import module_name_for_file

    mod = sys.modules[module_name_for_file(tmp_path / "some_file.py")]
    assert mod.KeepBox.__module__ == mod.__name__
    # a file in another folder: --run-name names the results folder
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.py").write_text(TRACKER_FILE)
    assert main(["run", "--tracker", "sub/other.py:create", "--run-name", "other", "--max-frames", "3",
                 "--sequences", "Couple", "--results", "res", "--no-progress"]) == 0
    assert (tmp_path / "res" / "other" / "demo" / "Couple.txt").is_file()
    capsys.readouterr()


def test_plugin_and_file_trackers_on_a_two_worker_dask_cluster(site, tmp_path, monkeypatch, capsys):
    """Workers (separate processes) import the plugin by its entry point and load the file by its path;
    the boxes equal a local run's."""
    distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: pip install '.[dask]'")
    (tmp_path / "some_file.py").write_text(TRACKER_FILE)
    monkeypatch.chdir(tmp_path)
    common = ["--max-frames", "6", "--no-progress"]
    assert main(["run", "-t", PLUGIN, "--results", "local", *common]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster:
        for tracker in (PLUGIN, "some_file.py:create"):
            assert main(["run", "-t", tracker, "--results", "dask", "--executor", "dask",
                         "--scheduler", cluster.scheduler_address, *common]) == 0
        with distributed.Client(cluster, set_as_default=False) as client:
            seen = client.run(lambda: sorted(m for m in sys.modules if m.startswith(("bench_example_plugin",
                                                                                    "bench_plugin_some_file"))))
    assert len(seen) == 2
    for modules in seen.values():   # every worker imported the plugin package and the tracker file
        assert "bench_example_plugin.tracker" in modules
        assert any(m.startswith("bench_plugin_some_file") for m in modules)
    for seq in ("Crossing", "Couple", "Football1"):
        assert (tmp_path / "dask" / PLUGIN / "demo" / f"{seq}.txt").read_bytes() == \
               (tmp_path / "local" / PLUGIN / "demo" / f"{seq}.txt").read_bytes()
        assert (tmp_path / "dask" / "some_file.py:create" / "demo" / f"{seq}.txt").is_file()
    capsys.readouterr()

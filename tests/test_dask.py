"""The Dask executor: same bytes as a local run, survives a worker killed mid-task, clear errors.

Dask is an optional extra; these tests skip where ``distributed`` is not importable. One LocalCluster
(2 worker processes, 1 thread each) is shared by the module to keep start-up cost to one.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: pip install '.[dask]'")

from bench.core.errors import BenchError, ConfigError, DataError, ResultsError  # noqa: E402
from bench.executors import ExecutorError  # noqa: E402
from bench.executors.dask import DaskExecutor, remote_task  # noqa: E402
from bench.runner import RunSpec, run  # noqa: E402
from datasets.demo import DEMO_ROOT, DEMO_SEQUENCES  # noqa: E402


def result_files(folder: Path) -> dict[str, bytes]:
    """Box and stats files of a run folder (per-frame times and the manifest's timestamp differ)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith("_time.txt") and p.name != "run.json"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as c:
        with distributed.Client(c, set_as_default=False) as client:
            yield c, client


def local_reference(tmp: Path, tracker: str, max_frames: int) -> dict[str, bytes]:
    spec = RunSpec(tracker=tracker, results=str(tmp / "local"), max_frames=max_frames)
    report = run(spec, progress=False)
    assert sorted(report.computed) == sorted(DEMO_SEQUENCES)
    return result_files(report.folder.path)


def test_two_workers_give_byte_identical_results(cluster, tmp_path):
    c, client = cluster
    expected = local_reference(tmp_path, "kcf", 25)
    spec = RunSpec(tracker="kcf", results=str(tmp_path / "dask"), max_frames=25)
    ex = DaskExecutor(scheduler=c.scheduler_address)
    report = run(spec, progress=False, executor=ex)
    got = result_files(report.folder.path)
    # live progress: workers published frame counts while tracking (events), and the count is complete
    assert ex.live.events >= 3 and ex.live.total == 3 * 25
    assert set(got) == {f"{s}.txt" for s in DEMO_SEQUENCES}
    assert got == expected
    # both workers took part (3 tasks over 2 single-thread workers)
    assert len(client.scheduler_info()["workers"]) == 2


def test_worker_killed_mid_task_run_still_completes(cluster, tmp_path):
    c, client = cluster
    # CSRT at 15-50 ms a frame: each task runs for seconds, long enough to be killed in. (Not MIL: OpenCV's
    # MIL keeps hidden random state across sequences in a process, so its boxes depend on run order.)
    frames = 100
    expected = local_reference(tmp_path, "csrt", frames)
    spec = RunSpec(tracker="csrt", results=str(tmp_path / "dask"), max_frames=frames)
    folder = spec.folder()
    outcome: dict = {}

    def go():
        try:
            outcome["report"] = run(spec, progress=False, executor=DaskExecutor(scheduler=c.scheduler_address))
        except BaseException as e:  # handed to the test thread
            outcome["error"] = e

    t = threading.Thread(target=go)
    t.start()
    victim = None
    deadline = time.monotonic() + 30
    while victim is None and time.monotonic() < deadline and t.is_alive():
        for addr, keys in client.processing().items():
            if keys:
                seq = next(s for s in DEMO_SEQUENCES if f"-{s}-" in str(keys[0]))
                time.sleep(0.3)  # well inside the task, which lasts seconds
                if not folder.is_done(seq) and addr in client.processing() and client.processing()[addr]:
                    victim = (addr, seq)
                break
        time.sleep(0.05)
    assert victim is not None, "no task was seen running"
    addr, seq = victim
    pid = client.run(os.getpid, workers=[addr])[addr]
    assert not folder.is_done(seq)  # the killed worker had not finished its sequence
    os.kill(pid, signal.SIGKILL)
    t.join(timeout=120)
    assert not t.is_alive(), "run did not finish after a worker died"
    assert "error" not in outcome, outcome.get("error")
    assert result_files(folder.path) == expected
    assert addr not in client.scheduler_info()["workers"]  # the worker really died (its nanny restarts a new one)


def test_user_error_in_a_task_is_the_same_one_line_error(cluster, tmp_path):
    c, _ = cluster
    root = tmp_path / "demo"
    for s in DEMO_SEQUENCES:
        (root / s).mkdir(parents=True)
        (root / s / "img").symlink_to(DEMO_ROOT / s / "img")
        (root / s / "attrs.txt").write_bytes((DEMO_ROOT / s / "attrs.txt").read_bytes())
        (root / s / "groundtruth_rect.txt").write_bytes((DEMO_ROOT / s / "groundtruth_rect.txt").read_bytes())
    gt = root / "Couple" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    lines[0] = "51\t47\tabc\t62"
    gt.write_text("\n".join(lines) + "\n")
    spec = RunSpec(tracker="kcf", results=str(tmp_path / "res"), root=str(root), max_frames=5)
    with pytest.raises(DataError) as e:
        run(spec, sequences=["Couple"], progress=False, executor=DaskExecutor(scheduler=c.scheduler_address))
    msg = str(e.value)
    assert f"{gt}:1:" in msg and "'abc'" in msg and "\n" not in msg
    assert not spec.folder().is_done("Couple")


def test_unreachable_scheduler_is_a_one_line_error():
    start = time.monotonic()
    with pytest.raises(ExecutorError) as e:
        DaskExecutor(scheduler="tcp://127.0.0.1:1", connect_timeout=2)
    msg = str(e.value)
    assert "tcp://127.0.0.1:1" in msg and "\n" not in msg
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("kwargs, needle", [
    ({"scheduler": "tcp://127.0.0.1:1", "workers": 2}, "--workers"),
    ({"workers": 0}, "--workers must be at least 1"),
])
def test_bad_executor_options(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        DaskExecutor(**kwargs)


def test_worker_that_cannot_see_the_store_says_so(tmp_path):
    spec = RunSpec(tracker="kcf", results=str(tmp_path / "elsewhere"), max_frames=3)
    out = remote_task(spec, "Crossing")  # no run.json: this "worker" does not share the client's storage
    assert isinstance(out["error"], ResultsError)
    assert "run.json" in str(out["error"]) and "all Dask workers share" in str(out["error"])


def test_gpu_runs_refuse_a_cluster_without_gpu_resources():
    class FakeClient:
        def scheduler_info(self):
            return {"workers": {"tcp://w1": {"resources": {}}, "tcp://w2": {"resources": {}}}}

    ex = DaskExecutor.__new__(DaskExecutor)
    with pytest.raises(ExecutorError, match="GPU"):
        ex._check_gpu_workers(FakeClient(), RunSpec(tracker="kcf", device="cuda"))
    ok = {"workers": {"tcp://w1": {"resources": {"GPU": 1}}}}
    FakeClient.scheduler_info = lambda self: ok
    ex._check_gpu_workers(FakeClient(), RunSpec(tracker="kcf", device="cuda"))  # no error


def test_cli_unreachable_scheduler_leaves_store_untouched(tmp_path, capsys, monkeypatch):
    from bench.cli import main

    monkeypatch.setenv("BENCH_DASK_TIMEOUT", "2")
    res = tmp_path / "res"
    rc = main(["run", "-t", "kcf", "--results", str(res), "--max-frames", "3", "--executor", "dask",
               "--scheduler", "tcp://127.0.0.1:1", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert len(err.splitlines()) == 1 and "tcp://127.0.0.1:1" in err
    assert not res.exists()
    assert issubclass(ExecutorError, BenchError)

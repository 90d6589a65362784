"""Run the sequences of a run on a Dask cluster: one task per (tracker, dataset, sequence).

Why Dask: users evaluate a dozen trackers on nine benchmarks on shared clusters where workers come and
go. Each task is :func:`bench.runner.run_task`, which writes its sequence atomically into the results
store and skips sequences already finished, so a task that is run twice (a worker died after writing,
the scheduler re-ran it) does no harm, and results are byte-identical to a local run.

Fault tolerance comes from two Dask mechanisms: a task whose worker dies is rescheduled by the
scheduler (up to ``distributed.scheduler.allowed-failures`` times, then ``KilledWorker``), and a task
that raises an unexpected exception is retried ``retries`` times. Errors caused by the user's input
(:class:`~bench.core.errors.BenchError`) are deterministic, so they are returned, not retried, and re-raised
here as the same one-line error.

GPUs: where ``spec.device`` is CUDA every task asks for the Dask resource ``GPU: 1``; start workers with
``dask worker ADDRESS --nthreads 1 --resources GPU=1`` (one per GPU, each with its own
``CUDA_VISIBLE_DEVICES``). A local cluster (``--workers N``) gives each worker one ``GPU`` unit.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.core.errors import BenchError, ConfigError, ResultsError
from bench.executors import ExecutorError
from bench.runner import RunSpec, run_task

log = logging.getLogger(__name__)

#: seconds to wait for a scheduler before giving up (override with BENCH_DASK_TIMEOUT)
DEFAULT_CONNECT_TIMEOUT = 10.0


def _distributed():
    try:
        import distributed
    except ImportError as e:
        raise ConfigError(f"--executor dask needs Dask: pip install 'spiketrack-bench[dask]' ({e})") from None
    return distributed


def _connect_timeout() -> float:
    raw = os.environ.get("BENCH_DASK_TIMEOUT")
    if not raw:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"BENCH_DASK_TIMEOUT={raw!r}: not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"BENCH_DASK_TIMEOUT={raw!r}: must be positive")
    return value


def _quiet_dask_logs() -> None:
    """Dask logs scheduler and worker chatter at INFO through its own logger; keep the CLI's output to
    warnings (a restarted worker is worth a line) unless the user asked for verbose logs."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("distributed").setLevel(logging.WARNING)


def _uses_gpu(spec: RunSpec) -> bool:
    return str(spec.device).startswith("cuda")


def _absolute(spec: RunSpec) -> RunSpec:
    """Paths as the workers must see them: a relative path means the client's folder, not the worker's.

    That includes a tracker given as ``path/to/file.py:factory``: the task carries the file's absolute
    path and each worker loads it the same way (under the same module name, see
    :func:`bench.core.registry.module_name_for_file`). The run keeps its folder name (``run_name``), so the
    worker writes where the client planned.
    """
    from trackers.plugins import absolute_spec

    def absolute(p: str | None) -> str | None:
        return str(Path(p).expanduser().resolve()) if p else p

    tracker = absolute_spec(spec.tracker)
    run_name = spec.run_name if spec.run_name or tracker == spec.tracker else spec.name
    return dataclasses.replace(spec, results=absolute(spec.results), root=absolute(spec.root),
                               checkpoint=absolute(spec.checkpoint), tracker=tracker, run_name=run_name)


class _FrameReporter:
    """Publishes a task's frame count to the client (a Dask event topic), at most every ``every`` seconds.

    Each attempt of a task has its own id, so frames of an attempt lost with a dead worker are replaced,
    not added, when the task reruns elsewhere.
    """

    def __init__(self, topic: str | None, sequence: str, every: float = 0.5):
        self.topic, self.sequence, self.every = topic, sequence, every
        self.attempt = uuid.uuid4().hex
        self.frames = 0
        self._last = 0.0
        self._worker = None
        if topic:
            try:
                from distributed import get_worker

                self._worker = get_worker()
            except ValueError:  # not inside a worker (a direct call): nothing to report to
                self._worker = None

    def __call__(self, n: int) -> None:
        self.frames += n
        now = time.monotonic()
        if self._worker is not None and now - self._last >= self.every:
            self._last = now
            self._worker.log_event(self.topic, {"sequence": self.sequence, "attempt": self.attempt,
                                                "frames": self.frames})


def remote_task(spec: RunSpec, sequence: str, topic: str | None = None) -> dict:
    """What a worker runs: :func:`run_task`, with user errors returned instead of raised (never retried)."""
    try:
        folder = spec.folder()
        if not folder.manifest_path.is_file():
            import socket

            raise ResultsError(f"{folder.manifest_path}: not visible on worker host {socket.gethostname()}; "
                               f"--results must be a folder on storage that all Dask workers share")
        return run_task(spec, sequence, on_frame=_FrameReporter(topic, sequence))
    except BenchError as e:
        return {"sequence": sequence, "error": e}


class _LiveProgress:
    """Frames done per sequence, from worker events (live) and finished tasks (final), shown on a bar."""

    def __init__(self, bar, frames: dict[str, int]):
        self.bar, self.frames = bar, frames
        self.done: dict[str, int] = {}
        self.attempts: dict[str, tuple[str, int]] = {}
        self.events = 0
        self._lock = threading.Lock()

    def on_event(self, event) -> None:
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        if not isinstance(msg, dict) or msg.get("sequence") not in self.frames:
            return
        with self._lock:
            self.events += 1
            if msg["sequence"] not in self.done:
                self.attempts[msg["sequence"]] = (msg["attempt"], int(msg["frames"]))
            self._show()

    def finished(self, sequence: str) -> None:
        with self._lock:
            self.done[sequence] = self.frames[sequence]
            self._show()

    @property
    def total(self) -> int:
        running = sum(min(n, self.frames[s]) for s, (_, n) in self.attempts.items() if s not in self.done)
        return sum(self.done.values()) + running

    def _show(self) -> None:
        self.bar.n = self.total
        self.bar.set_postfix_str(f"{len(self.done)}/{len(self.frames)} sequences", refresh=False)
        self.bar.refresh()


class DaskExecutor:
    """Shards a run's sequences over a Dask cluster: an existing one (``scheduler``) or a local one."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None, retries: int = 2,
                 threads_per_worker: int = 1, connect_timeout: float | None = None):
        if scheduler and workers:
            raise ConfigError("--workers sizes a local Dask cluster; it cannot be combined with --scheduler "
                              "(start workers on the cluster instead)")
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        if retries < 0:
            raise ConfigError(f"retries must be >= 0, got {retries}")
        _distributed()
        _quiet_dask_logs()
        self.scheduler = scheduler
        self.workers = workers
        self.retries = retries
        self.threads_per_worker = threads_per_worker
        self.connect_timeout = connect_timeout if connect_timeout is not None else _connect_timeout()
        self._client = None
        self._cluster = None
        self.live = None  # the last run's progress (frames per sequence, events received)
        if scheduler:
            self._client = self._connect(scheduler)  # fail fast, before the results store is touched

    # --- cluster lifecycle --------------------------------------------------------------------------
    def _connect(self, address: str):
        distributed = _distributed()
        try:
            return distributed.Client(address, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            reason = " ".join(str(e).split())[:160] or type(e).__name__
            raise ExecutorError(f"cannot reach the Dask scheduler at {address!r} within "
                                f"{self.connect_timeout:g} s ({reason})") from None

    def _start_local(self, spec: RunSpec):
        distributed = _distributed()
        n = self.workers or max(1, os.cpu_count() or 1)
        kwargs: dict[str, Any] = {}
        if _uses_gpu(spec):
            kwargs["resources"] = {"GPU": 1}
        self._cluster = distributed.LocalCluster(
            n_workers=n, threads_per_worker=self.threads_per_worker, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR, **kwargs)
        return distributed.Client(self._cluster, set_as_default=False)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the executor interface ---------------------------------------------------------------------
    def run(self, spec: RunSpec, sequences: list[str], progress: bool = True) -> list[dict]:
        """Track ``sequences`` on the cluster; returns run_task's summaries in the order given."""
        if not sequences:
            self.close()
            return []
        spec = _absolute(spec)
        try:
            client = self._client or self._start_local(spec)
            self._client = client
            self._check_gpu_workers(client, spec)
            return self._run(client, spec, list(sequences), progress)
        finally:
            self.close()

    def _check_gpu_workers(self, client, spec: RunSpec) -> None:
        if not _uses_gpu(spec):
            return
        workers = client.scheduler_info().get("workers", {})
        if workers and not any(w.get("resources", {}).get("GPU") for w in workers.values()):
            raise ExecutorError(f"--device {spec.device}: no worker of the Dask cluster offers a 'GPU' resource; "
                                f"start workers with `dask worker ADDRESS --nthreads 1 --resources GPU=1`")

    def _run(self, client, spec: RunSpec, sequences: list[str], progress: bool) -> list[dict]:
        from tqdm.auto import tqdm

        from bench.runner import _cached

        distributed = _distributed()
        dataset = _cached(("dataset", spec.dataset, spec.root, spec.split), spec.open_dataset)
        frames = {s: min(len(dataset[s]), spec.max_frames or 10**12) for s in sequences}
        resources = {"GPU": 1} if _uses_gpu(spec) else None
        token = uuid.uuid4().hex[:8]
        topic = f"bench-progress-{token}"
        results: dict[str, dict] = {}
        with tqdm(total=sum(frames.values()), unit="frame", disable=not progress, dynamic_ncols=True,
                  desc=f"{spec.name} on {spec.dataset} (dask)") as bar:
            live = self.live = _LiveProgress(bar, frames)
            client.subscribe_topic(topic, live.on_event)
            futures = {}
            for s in sequences:
                fut = client.submit(remote_task, spec, s, topic, key=f"bench-{spec.name}-{spec.dataset}-{s}-{token}",
                                    pure=False, retries=self.retries, resources=resources)
                futures[fut] = s
            try:
                for fut in distributed.as_completed(list(futures), loop=client.loop):
                    s = futures[fut]
                    try:
                        out = fut.result()
                    except distributed.KilledWorker:
                        raise ExecutorError(
                            f"{spec.dataset}/{s}: Dask workers died repeatedly while tracking this sequence "
                            f"(KilledWorker; out of memory?); finished sequences are kept, rerun to resume") from None
                    if "error" in out:
                        raise out["error"]
                    results[s] = out
                    live.finished(s)
            except BaseException:
                client.cancel(list(futures))
                raise
            finally:
                client.unsubscribe_topic(topic)
        return [results[s] for s in sequences]

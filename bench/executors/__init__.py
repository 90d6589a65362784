"""Executors: where the sequences of a run are tracked.

An executor has one method, ``run(spec, sequences, progress) -> list[dict]``, that calls
:func:`bench.runner.run_task` once per sequence. :class:`bench.runner.LocalExecutor` (the default) runs
them in this process; :class:`bench.executors.dask.DaskExecutor` shards them over a Dask cluster
(optional extra: ``pip install 'spiketrack-bench[dask]'``).
"""
from __future__ import annotations

from bench.core.errors import BenchError


class ExecutorError(BenchError):
    """The execution backend failed in a way the user can act on (cluster unreachable, worker crashes)."""


__all__ = ["ExecutorError"]

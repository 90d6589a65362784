"""Dataset adapters, created by name; each streams a benchmark from the layout it ships in.

>>> import datasets
>>> ds = datasets.create_dataset("demo")
>>> [len(s) for s in ds]
[120, 140, 74]
"""
from __future__ import annotations

from typing import Any

from bench.core.registry import import_package_modules
from bench.core.config import dataset_root, env_var_for
from bench.core.errors import ConfigError
from datasets.base import Dataset, FileFrames, Sequence, prefetch
from bench.core.benchmark import Benchmark
from datasets.registry import DATASETS, benchmark_info, benchmarks, find_benchmark, register_dataset

# Every module of this package registers its adapters on import.
import_package_modules(__name__, __path__, ("base", "registry"))


def create_dataset(name: str, root: Any = None, split: str | None = None, annotations: Any = None,
                   **kwargs: Any) -> Dataset:
    """Open dataset ``name``; ``root`` falls back to ``BENCH_<NAME>_ROOT`` and the config file.

    ``annotations`` points at a benchmark's official evaluation-toolkit annotation folder (ground truth
    without frames), for scoring results without the dataset itself.
    """
    entry = DATASETS.get(name)
    resolved = dataset_root(entry.name, root)
    if resolved is None and annotations is None and entry.meta.get("needs_root", True):
        raise ConfigError(f"dataset {entry.name!r} needs its root folder: pass --root DIR, set "
                          f"{env_var_for(entry.name)}, or add [datasets.{entry.name}] root=... to bench.toml")
    return entry.factory(root=resolved, split=split, annotations=annotations, **kwargs)


def list_datasets(**filters: Any) -> list[str]:
    return DATASETS.names(**filters)


__all__ = ["Dataset", "Sequence", "FileFrames", "prefetch", "create_dataset", "list_datasets",
           "DATASETS", "register_dataset", "Benchmark", "benchmark_info", "find_benchmark", "benchmarks"]

"""The dataset registry: adapters register a factory ``(root=None, split=None, annotations=None, **kw)``
together with the :class:`~bench.core.benchmark.Benchmark` record of the benchmark it reads.

The record is the one place a benchmark's facts are stated; :func:`benchmark_info` and
:func:`find_benchmark` are how the metrics, reports and CLI read them.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, UnknownNameError
from bench.core.registry import Entry, Registry, normalise_name

DATASETS = Registry("dataset")


def _split_key(split: str) -> str:
    return split.strip().lower().replace("-", "").replace("_", "")


def resolve_split(dataset: str, split: str | None, splits: list[str] | None,
                  aliases: dict[str, str] | None = None) -> str | None:
    """``split`` as the dataset spells it (case, ``-`` and ``_`` ignored; ``aliases`` map other accepted
    names); None stays None. A split the dataset does not have -> ConfigError listing the valid ones."""
    if split is None:
        return None
    if not splits:
        raise ConfigError(f"{dataset}: --split {split!r} given, but dataset {dataset!r} has no splits "
                          f"(leave --split out)")
    known = {_split_key(s): s for s in splits}
    known.update({_split_key(a): s for a, s in (aliases or {}).items()})
    if _split_key(split) not in known:
        raise ConfigError(f"{dataset}: unknown split {split!r}; valid splits: {', '.join(splits)}")
    return known[_split_key(split)]


def register_dataset(name: str, benchmark: Benchmark | None = None, **meta: Any) -> Callable:
    """Register a dataset factory and its benchmark record. ``meta``: ``description`` (default: the
    record's), ``needs_root`` (bool), ``splits`` (the valid ``--split`` values; none: the dataset has no
    splits), ``split_aliases`` (other name -> split).

    Every factory gets its split checked here, once for all adapters, and receives it as listed. Without
    ``benchmark`` (a user's adapter) a default record is derived from ``meta`` (see :func:`benchmark_info`).
    """
    if benchmark is not None:
        if normalise_name(benchmark.name) != normalise_name(name):
            raise ValueError(f"register_dataset({name!r}): its benchmark record is named {benchmark.name!r}")
        meta["benchmark"] = benchmark
        meta.setdefault("description", benchmark.description)

    def deco(factory: Callable) -> Callable:
        @functools.wraps(factory)
        def checked(*args: Any, split: str | None = None, **kwargs: Any) -> Any:
            split = resolve_split(name, split, meta.get("splits"), meta.get("split_aliases"))
            return factory(*args, split=split, **kwargs)

        DATASETS.add(name, checked, **meta)
        return factory

    return deco


# ------------------------------------------------------------------------------------------------
# benchmark records
# ------------------------------------------------------------------------------------------------

def name_key(name: str) -> str:
    """The lookup key of a benchmark name: lower case, ``-``, ``_``, spaces (any non-alphanumeric) dropped,
    so ``"GOT-10k"``, ``"got10k"`` and ``"GOT_10K"`` are one benchmark."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _record(entry: Entry) -> Benchmark:
    """The entry's declared record, or the default one of an adapter that declares none (a plugin):
    its ``default_protocol`` / ``dataset_mode`` meta, else ``pytracking`` and the normalised name."""
    declared = entry.meta.get("benchmark")
    if isinstance(declared, Benchmark):
        return declared
    return Benchmark(name=entry.name, display_name=entry.name,
                     default_protocol=entry.meta.get("default_protocol") or "pytracking",
                     toolkit_mode=entry.meta.get("dataset_mode") or normalise_name(entry.name),
                     description=entry.description)


def _index(entries: list[Entry]) -> dict[str, Benchmark]:
    records = [(e, _record(e)) for e in entries]
    out = {name_key(e.name): rec for e, rec in records}   # an alias never shadows another benchmark's name
    for _, rec in records:
        for alias in (rec.name, rec.display_name, *rec.aliases):
            out.setdefault(name_key(alias), rec)
    return out


def find_benchmark(name: str, plugins: bool = True) -> Benchmark | None:
    """The record of benchmark ``name`` (registry name, display name or alias; case, ``-``, ``_`` and
    spaces ignored), or None for a benchmark no adapter reads (e.g. a results folder named ``vot2019``).

    Built-in names are looked up first, so looking one up never imports a plugin; ``plugins=False``
    never imports one (a name not registered yet is then None)."""
    key = name_key(name)
    if not key:
        return None
    rec = _registered_index().get(key)
    if rec is None and plugins and not DATASETS.plugins_loaded:
        DATASETS.load_plugins()
        rec = _registered_index().get(key)
    return rec


_INDEX: dict = {"version": -1, "index": {}}


def _registered_index() -> dict[str, Benchmark]:
    """The index of what is registered now (plugins not read here), rebuilt only when the registry
    changed: reports look a name up for every comparison."""
    if _INDEX["version"] != DATASETS.version:
        _INDEX.update(version=DATASETS.version, index=_index(DATASETS.registered()))
    return _INDEX["index"]


def benchmark_info(name: str) -> Benchmark:
    """:func:`find_benchmark`, raising :class:`UnknownNameError` (listing the known names) when unknown."""
    rec = find_benchmark(name)
    if rec is None:
        raise UnknownNameError(f"unknown benchmark {name!r}; known: {', '.join(DATASETS.names()) or 'none'}")
    return rec


def declared_benchmark(name: str) -> Benchmark | None:
    """The record an adapter registered explicitly under ``name`` (no alias, no default record)."""
    entry = DATASETS.find(name)
    rec = entry.meta.get("benchmark") if entry is not None else None
    return rec if isinstance(rec, Benchmark) else None


def benchmarks() -> list[Benchmark]:
    """The record of every registered dataset (built-in and plugin), sorted by name."""
    return [_record(e) for e in DATASETS.entries()]

"""The dataset registry: adapters register a factory ``(root=None, split=None, annotations=None, **kw)``."""
from __future__ import annotations

import functools
from typing import Any, Callable

from bench.errors import ConfigError
from bench.registry import Registry

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


def register_dataset(name: str, **meta: Any) -> Callable:
    """Register a dataset factory. ``meta``: ``description``, ``needs_root`` (bool), ``splits`` (the valid
    ``--split`` values; none: the dataset has no splits), ``split_aliases`` (other name -> split).

    Every factory gets its split checked here, once for all adapters, and receives it as listed.
    """
    def deco(factory: Callable) -> Callable:
        @functools.wraps(factory)
        def checked(*args: Any, split: str | None = None, **kwargs: Any) -> Any:
            split = resolve_split(name, split, meta.get("splits"), meta.get("split_aliases"))
            return factory(*args, split=split, **kwargs)

        DATASETS.add(name, checked, **meta)
        return factory

    return deco

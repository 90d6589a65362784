"""The dataset registry: adapters register a factory ``(root=None, split=None, annotations=None, **kw)``."""
from __future__ import annotations

from typing import Any, Callable

from bench.registry import Registry

DATASETS = Registry("dataset")


def register_dataset(name: str, **meta: Any) -> Callable:
    """Register a dataset factory. ``meta``: ``description``, ``needs_root`` (bool), ``splits``."""
    return DATASETS.register(name, **meta)

"""Registries of trackers (``init``/``track`` objects) and models (bare torch modules).

Besides the suite's own families, both read installed plugins (entry-point groups ``bench.trackers`` and
``bench.models``) and resolve ``package.module:factory`` / ``path/to/file.py:factory`` names; see
:mod:`trackers.plugins` and :mod:`bench.registry`.
"""
from __future__ import annotations

from typing import Any, Callable

from bench.registry import Registry
from trackers.plugins import adapt_tracker_factory

TRACKERS = Registry("tracker", adapter=adapt_tracker_factory, specs=True)
MODELS = Registry("model", specs=True)


def register_tracker(name: str, **meta: Any) -> Callable:
    """Register a tracker factory ``(checkpoint=None, device='cpu', dtype='float32', trust_checkpoint=False, **kw)``.

    ``meta``: ``family``, ``spiking`` (bool), ``description``, ``needs_weights`` (bool).
    """
    return TRACKERS.register(name, **meta)


def register_model(name: str, **meta: Any) -> Callable:
    """Register a torch-module factory ``(checkpoint=None, trust_checkpoint=False, **kw)``."""
    return MODELS.register(name, **meta)

"""Registries of trackers (``init``/``track`` objects) and models (bare torch modules)."""
from __future__ import annotations

from typing import Any, Callable

from bench.registry import Registry

TRACKERS = Registry("tracker")
MODELS = Registry("model")


def register_tracker(name: str, **meta: Any) -> Callable:
    """Register a tracker factory ``(checkpoint=None, device='cpu', dtype='float32', trust_checkpoint=False, **kw)``.

    ``meta``: ``family``, ``spiking`` (bool), ``description``, ``needs_weights`` (bool).
    """
    return TRACKERS.register(name, **meta)


def register_model(name: str, **meta: Any) -> Callable:
    """Register a torch-module factory ``(checkpoint=None, trust_checkpoint=False, **kw)``."""
    return MODELS.register(name, **meta)

"""Registries of trackers (``init``/``track`` objects) and models (bare torch modules).

Besides the suite's own families, both read installed plugins (entry-point groups ``bench.trackers`` and
``bench.models``) and resolve ``package.module:factory`` / ``path/to/file.py:factory`` names; see
:mod:`trackers.plugins` and :mod:`bench.core.registry`.
"""
from __future__ import annotations

from typing import Any, Callable

from bench.core.registry import Registry
from trackers.plugins import adapt_tracker_factory

TRACKERS = Registry("tracker", adapter=adapt_tracker_factory, specs=True)
MODELS = Registry("model", specs=True)


def register_tracker(name: str, **meta: Any) -> Callable:
    """Register a tracker factory ``(checkpoint=None, device='cpu', dtype='float32', trust_checkpoint=False, **kw)``.

    ``meta``: ``family``, ``spiking`` (bool, equal to the tracker's ``spiking``), ``description``,
    ``needs_weights`` (bool), ``fast_mode`` (bool: the factory takes ``fast=True``, opt-in numerics that may
    differ from the official code's; ``bench run --fast``). The factory returns a :class:`trackers.base.Tracker`; what the efficiency
    engine may ask of it is declared there (tests/test_tracker_contract.py checks every registered name).
    """
    return TRACKERS.register(name, **meta)


def register_model(name: str, **meta: Any) -> Callable:
    """Register a torch-module factory ``(checkpoint=None, trust_checkpoint=False, **kw)``."""
    return MODELS.register(name, **meta)

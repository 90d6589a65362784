"""Trackers behind one interface, created by name.

>>> import trackers
>>> trackers.list_trackers()                       # doctest: +SKIP
>>> t = trackers.create_tracker("mil")
>>> m = trackers.create_model("spiketrack_s256_t1")  # doctest: +SKIP

Names come from the suite's families, from installed plugins (entry-point group ``bench.trackers``), or
are specs of a factory: ``create_tracker("my_pkg.tracker:create")``,
``create_tracker("path/to/my_tracker.py:create")`` (see :mod:`trackers.plugins`).
"""
from __future__ import annotations

from typing import Any

from bench.core.registry import import_package_modules
from trackers.base import Tracker, TrackResult
from trackers.registry import MODELS, TRACKERS, register_model, register_tracker

#: modules of this package that are infrastructure, not tracker families
_NOT_FAMILIES = ("base", "checkpoint", "common", "plugins", "registry")

# Every other module or sub-package is a family: importing it registers its trackers and models, so a new
# family is one new file (trackers/<family>.py) or folder, and nothing else to edit.
import_package_modules(__name__, __path__, _NOT_FAMILIES)


def create_tracker(name: str, checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                   trust_checkpoint: bool = False, **kwargs: Any) -> Tracker:
    """Build the tracker registered as ``name``."""
    return TRACKERS.create(name, checkpoint=checkpoint, device=device, dtype=dtype,
                           trust_checkpoint=trust_checkpoint, **kwargs)


def create_model(name: str, checkpoint: str | None = None, trust_checkpoint: bool = False, **kwargs: Any):
    """Build the bare torch module registered as ``name`` (optionally loading a checkpoint)."""
    return MODELS.create(name, checkpoint=checkpoint, trust_checkpoint=trust_checkpoint, **kwargs)


def list_trackers(**filters: Any) -> list[str]:
    return TRACKERS.names(**filters)


def list_models(**filters: Any) -> list[str]:
    return MODELS.names(**filters)


__all__ = ["Tracker", "TrackResult", "create_tracker", "create_model", "list_trackers", "list_models",
           "register_tracker", "register_model", "TRACKERS", "MODELS"]

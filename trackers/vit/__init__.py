"""Conventional (ANN) one-stream ViT trackers: SSTrack, OSTrack and ODTrack.

They share one ViT-B/16 with candidate elimination (:mod:`.backbone`), the centre head (:mod:`.head`)
and the test-time loop (:mod:`.tracker`); :mod:`.configs` holds the official test settings and
:mod:`.flops` declares the inputs their MACs are counted on (the counting is
:mod:`bench.efficiency.model_macs`). Importing this package registers the trackers
and models ``sstrack_b256``, ``sstrack_b384`` (+ ``_got``), ``ostrack_256``, ``ostrack_384``,
``odtrack_b256``, ``odtrack_b384``.
"""
import importlib
from typing import Any

from trackers.vit import odtrack, ostrack, sstrack  # noqa: F401  (registration: no torch import)
from trackers.vit.configs import CONFIGS, ViTTrackConfig, get_config
from trackers.vit.memory import select_memory_indices

#: names imported on first use (their modules import torch)
_LAZY = {"OneStreamViTTracker": "model", "build_model": "model", "ViTTracker": "tracker"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["CONFIGS", "ViTTrackConfig", "get_config", "select_memory_indices",
           "OneStreamViTTracker", "build_model", "ViTTracker"]

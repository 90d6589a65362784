"""Conventional (ANN) one-stream ViT trackers: SSTrack, OSTrack and ODTrack.

They share one ViT-B/16 with candidate elimination (:mod:`.backbone`), the centre head (:mod:`.head`)
and the test-time loop (:mod:`.tracker`); :mod:`.configs` holds the official test settings and
:mod:`.flops` counts MACs (thop convention and exact). Importing this package registers the trackers
and models ``sstrack_b256``, ``sstrack_b384`` (+ ``_got``), ``ostrack_256``, ``ostrack_384``,
``odtrack_b256``, ``odtrack_b384``.
"""
from trackers.vit import odtrack, ostrack, sstrack  # noqa: F401  (registration)
from trackers.vit.configs import CONFIGS, ViTTrackConfig, get_config
from trackers.vit.flops import MacCount, count_macs
from trackers.vit.memory import select_memory_indices
from trackers.vit.model import OneStreamViTTracker, build_model
from trackers.vit.tracker import ViTTracker

__all__ = ["CONFIGS", "ViTTrackConfig", "get_config", "MacCount", "count_macs", "select_memory_indices",
           "OneStreamViTTracker", "build_model", "ViTTracker"]

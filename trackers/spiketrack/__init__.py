"""SpikeTrack (CVPR 2026): six spiking trackers, checkpoint-compatible with the official code.

Registers trackers and models ``spiketrack_{s256,b256,b384}_{t1,t3}``::

    trackers.create_tracker("spiketrack_b256_t3", checkpoint="spiketrack_b256_t3.pth.tar")
    trackers.create_model("spiketrack_s256_t1", dtype="float64")   # the bare torch module
"""
from __future__ import annotations

import importlib
from typing import Any

from trackers.registry import register_model, register_tracker
from trackers.spiketrack.config import CONFIGS, SpikeTrackConfig, get_config

#: names imported on first use: their modules import torch, which listing the trackers (or running a
#: classical one) does not need
_LAZY = {"guess_config": "loading", "load_spiketrack_checkpoint": "loading", "make_model": "loading",
         "SpikeTrackModel": "model", "build_model": "model", "count_parameters": "model",
         "FiringRateRecorder": "sfr", "aggregate_sequences": "sfr", "official_sfr_json": "sfr",
         "SpikeTrackTracker": "tracker"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_BACKBONE = {"s": "SDT-V3 5.1M", "b": "SDT-V3 19M"}


def _describe(cfg: SpikeTrackConfig) -> str:
    return (f"SpikeTrack {cfg.name.upper().replace('_', '-')}: {_BACKBONE[cfg.name[0]]} spiking backbone, "
            f"{cfg.crop_size} crops, {cfg.num_templates} template(s) as time steps, NI-LIF integer spikes")


def _register(cfg: SpikeTrackConfig) -> None:
    name = cfg.model_name

    def tracker_factory(checkpoint=None, device="cpu", dtype="float32", trust_checkpoint=False,
                        cached=True, record_sfr=True, sfr_histograms=False, fast=False, **kwargs):
        from trackers.spiketrack.loading import make_model
        from trackers.spiketrack.tracker import SpikeTrackTracker

        model = make_model(cfg, checkpoint, device, dtype, trust_checkpoint, **kwargs)
        return SpikeTrackTracker(model, name=name, cached=cached, record_sfr=record_sfr,
                                 sfr_histograms=sfr_histograms, fast=fast)

    def model_factory(checkpoint=None, device="cpu", dtype="float32", trust_checkpoint=False, **kwargs):
        from trackers.spiketrack.loading import make_model

        return make_model(cfg, checkpoint, device, dtype, trust_checkpoint, **kwargs)

    tracker_factory.__doc__ = model_factory.__doc__ = _describe(cfg)
    meta = dict(family="spiketrack", spiking=True, needs_weights=True, description=_describe(cfg))
    register_tracker(name, fast_mode=True, **meta)(tracker_factory)   # fast=True: trackers/spiketrack/fast.py
    register_model(name, **meta)(model_factory)


for _cfg in CONFIGS.values():
    _register(_cfg)

__all__ = ["CONFIGS", "SpikeTrackConfig", "get_config", "SpikeTrackModel", "SpikeTrackTracker", "build_model",
           "make_model", "count_parameters", "guess_config", "load_spiketrack_checkpoint",
           "FiringRateRecorder", "aggregate_sequences", "official_sfr_json"]

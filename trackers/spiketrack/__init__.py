"""SpikeTrack (CVPR 2026): six spiking trackers, checkpoint-compatible with the official code.

Registers trackers and models ``spiketrack_{s256,b256,b384}_{t1,t3}``::

    trackers.create_tracker("spiketrack_b256_t3", checkpoint="spiketrack_b256_t3.pth.tar")
    trackers.create_model("spiketrack_s256_t1", dtype="float64")   # the bare torch module
"""
from __future__ import annotations

from trackers.registry import register_model, register_tracker
from trackers.spiketrack.config import CONFIGS, SpikeTrackConfig, get_config
from trackers.spiketrack.loading import guess_config, load_spiketrack_checkpoint, make_model
from trackers.spiketrack.model import SpikeTrackModel, build_model, count_parameters
from trackers.spiketrack.sfr import FiringRateRecorder, aggregate_sequences, official_sfr_json
from trackers.spiketrack.tracker import SpikeTrackTracker

_BACKBONE = {"s": "SDT-V3 5.1M", "b": "SDT-V3 19M"}


def _describe(cfg: SpikeTrackConfig) -> str:
    return (f"SpikeTrack {cfg.name.upper().replace('_', '-')}: {_BACKBONE[cfg.name[0]]} spiking backbone, "
            f"{cfg.crop_size} crops, {cfg.num_templates} template(s) as time steps, NI-LIF integer spikes")


def _register(cfg: SpikeTrackConfig) -> None:
    name = cfg.model_name

    def tracker_factory(checkpoint=None, device="cpu", dtype="float32", trust_checkpoint=False,
                        cached=True, record_sfr=True, **kwargs):
        model = make_model(cfg, checkpoint, device, dtype, trust_checkpoint, **kwargs)
        return SpikeTrackTracker(model, name=name, cached=cached, record_sfr=record_sfr)

    def model_factory(checkpoint=None, device="cpu", dtype="float32", trust_checkpoint=False, **kwargs):
        return make_model(cfg, checkpoint, device, dtype, trust_checkpoint, **kwargs)

    tracker_factory.__doc__ = model_factory.__doc__ = _describe(cfg)
    meta = dict(family="spiketrack", spiking=True, needs_weights=True, description=_describe(cfg))
    register_tracker(name, **meta)(tracker_factory)
    register_model(name, **meta)(model_factory)


for _cfg in CONFIGS.values():
    _register(_cfg)

__all__ = ["CONFIGS", "SpikeTrackConfig", "get_config", "SpikeTrackModel", "SpikeTrackTracker", "build_model",
           "make_model", "count_parameters", "guess_config", "load_spiketrack_checkpoint",
           "FiringRateRecorder", "aggregate_sequences", "official_sfr_json"]

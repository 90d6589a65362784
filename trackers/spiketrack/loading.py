"""Building SpikeTrack models by name and loading official checkpoints into them."""
from __future__ import annotations

import os
from typing import Any, Mapping

import torch

from bench.core.errors import CheckpointError, ConfigError
from trackers.base import warn_random_weights
from trackers.spiketrack.config import CONFIGS, SpikeTrackConfig
from trackers.spiketrack.model import SpikeTrackModel, build_model


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float64": torch.float64, "fp64": torch.float64,
           "double": torch.float64, "float": torch.float32}

def parse_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """'float32' / 'float64' (or a torch dtype) -> torch dtype; anything else is a ConfigError."""
    if isinstance(dtype, torch.dtype):
        if dtype in (torch.float32, torch.float64):
            return dtype
        raise ConfigError(f"SpikeTrack runs in float32 or float64, not {dtype}")
    key = str(dtype).lower()
    if key not in _DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r} for SpikeTrack; use float32 or float64")
    return _DTYPES[key]


def guess_config(state_dict: Mapping[str, Any]) -> str | None:
    """Which of the six configs a training state dict was made for (None if it is not SpikeTrack)."""
    try:
        stem = state_dict["encoder.downsample1_1.encode_conv.weight"].shape[0]
        tokens = state_dict["encoder.mrm.0.retriever.s_pos_embed"].shape[-1]
    except (KeyError, AttributeError, IndexError):
        return None
    steps = sum(1 for k in state_dict
                if k.startswith("encoder.mrm.0.retriever.seg_responder_dw.") and k.endswith(".0.weight"))
    width = {16: "s", 32: "b"}.get(int(stem))
    size = {256: 256, 576: 384}.get(int(tokens))
    name = f"{width}{size}_t{steps}" if width and size else None
    return f"spiketrack_{name}" if name in CONFIGS else None


def load_spiketrack_checkpoint(model: SpikeTrackModel, path: str | os.PathLike,
                               trust: bool = False) -> str:
    """Load an official ``.pth.tar`` (state dict under ``net``) with ``strict=True``; returns sha256.

    A file made for another config is named in the one-line error.
    """
    from bench.core.hashing import file_sha256
    from trackers.checkpoint import extract_state_dict, load_checkpoint, load_into

    obj = load_checkpoint(path, trust=trust)
    sd = extract_state_dict(obj, source=str(path))
    try:
        load_into(model, sd, strict=True, source=str(path))
    except CheckpointError as e:
        guess = guess_config(sd)
        if guess and guess != model.cfg.model_name:
            raise CheckpointError(f"{path}: a {guess} checkpoint, not {model.cfg.model_name} "
                                  f"(use --tracker {guess}); {e}") from None
        raise
    return file_sha256(path)


def make_model(cfg: SpikeTrackConfig, checkpoint: str | os.PathLike | None = None, device: str = "cpu",
               dtype: str | torch.dtype = "float32", trust_checkpoint: bool = False,
               seed: int = 0, meta: bool = False) -> SpikeTrackModel:
    """Model in eval mode; random weights (seeded, with a loud warning) when no checkpoint is given."""
    tdtype = parse_dtype(dtype)
    if meta:
        return build_model(cfg, meta=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(cfg, device="cpu", dtype=torch.float32)
    if checkpoint:
        model.checkpoint_sha256 = load_spiketrack_checkpoint(model, checkpoint, trust=trust_checkpoint)
    else:
        warn_random_weights(cfg.model_name)
        model.checkpoint_sha256 = None
    try:
        model = model.to(device=device, dtype=tdtype)
    except (RuntimeError, AssertionError) as e:
        raise ConfigError(f"cannot place {cfg.model_name} on device {device!r}: {' '.join(str(e).split())[:160]}") from None
    return model.eval()

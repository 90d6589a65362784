"""Registers a (tracker name -> official config) pair as both a tracker and a model factory.

Factories take ``(checkpoint=None, device='cpu', dtype='float32', trust_checkpoint=False, **kw)``;
``config=`` picks another official config of the same family (e.g. ``dropmae_256_got_60ep``) and
``template_number=`` overrides ``TEST.TEMPLATE_NUMBER`` for the tracker.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.core.errors import ConfigError
from trackers.registry import register_model, register_tracker
from trackers.vit.configs import get_config

if TYPE_CHECKING:
    from trackers.vit.model import OneStreamViTTracker
    from trackers.vit.tracker import ViTTracker

# The model and tracker modules (torch) are imported when a factory runs, not on registration: listing the
# trackers, or running a classical one, never imports torch.


def _config_for(name: str, default: str, family: str, config: str | None):
    cfg = get_config(config or default)
    if cfg.family != family:
        raise ConfigError(f"{name}: config {cfg.name!r} belongs to {cfg.family}, not {family}")
    return cfg


def register_vit(name: str, default_config: str, family: str, description: str) -> None:
    """Register tracker ``name`` and model ``name`` built from ``default_config``."""
    meta = dict(family=family, spiking=False, description=description, needs_weights=True,
                config=default_config)

    def model_factory(checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                      trust_checkpoint: bool = False, config: str | None = None, seed: int = 0,
                      **kw: Any) -> "OneStreamViTTracker":
        from trackers.vit.model import build_model

        if kw:
            raise ConfigError(f"{name}: unknown option(s) {', '.join(sorted(kw))}")
        cfg = _config_for(name, default_config, family, config)
        return build_model(cfg, checkpoint=checkpoint, device=device, dtype=dtype,
                           trust_checkpoint=trust_checkpoint, seed=seed, display_name=name)

    def tracker_factory(checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                        trust_checkpoint: bool = False, config: str | None = None,
                        template_number: int | None = None, seed: int = 0, **kw: Any) -> "ViTTracker":
        from trackers.vit.tracker import ViTTracker

        model = model_factory(checkpoint, device, dtype, trust_checkpoint, config, seed, **kw)
        return ViTTracker(model, name, device=device, dtype=dtype, template_number=template_number)

    model_factory.__doc__ = tracker_factory.__doc__ = description
    register_model(name, **meta)(model_factory)
    register_tracker(name, **meta)(tracker_factory)

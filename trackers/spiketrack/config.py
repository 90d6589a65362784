"""The six SpikeTrack configurations (official experiments/spiketrack/*.yaml, commit 1537db51).

``s`` = SDT-V3 5.1M backbone (``Efficient_Spiking_Transformer_s``), ``b`` = SDT-V3 19M (``_l``);
``256``/``384`` = template and search crop side; ``t1``/``t3`` = number of templates, fed as SNN time
steps.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpikeTrackConfig:
    """Architecture and test-time constants of one SpikeTrack variant."""

    name: str
    embed_dims: tuple[int, int, int, int]
    crop_size: int            # TEMPLATE.SIZE == SEARCH.SIZE
    num_templates: int        # DATA.TEMPLATE.NUMBER == TEST.NUM_TEMPLATES
    hidden_dim: int           # MODEL.HIDDEN_DIM: channels of the encoder output fed to the head
    head_channels: int        # MODEL.NUM_CHANNELS of the centre head
    search_factor: float = 4.0
    template_factor: float = 4.0
    stride: int = 16
    num_heads: int = 8
    mlp_ratio: int = 4

    @property
    def feat_size(self) -> int:
        """Side of the score map (16 for 256 crops, 24 for 384)."""
        return self.crop_size // self.stride

    @property
    def model_name(self) -> str:
        return f"spiketrack_{self.name}"


_SMALL = (32, 64, 128, 192)
_BASE = (64, 128, 256, 360)

CONFIGS: dict[str, SpikeTrackConfig] = {
    "s256_t1": SpikeTrackConfig("s256_t1", _SMALL, 256, 1, 192, 192),
    "s256_t3": SpikeTrackConfig("s256_t3", _SMALL, 256, 3, 192, 192),
    "b256_t1": SpikeTrackConfig("b256_t1", _BASE, 256, 1, 360, 256),
    "b256_t3": SpikeTrackConfig("b256_t3", _BASE, 256, 3, 360, 256),
    "b384_t1": SpikeTrackConfig("b384_t1", _BASE, 384, 1, 360, 256),
    "b384_t3": SpikeTrackConfig("b384_t3", _BASE, 384, 3, 360, 256),
}


def get_config(name: str) -> SpikeTrackConfig:
    """Config by short (``b256_t3``) or full (``spiketrack_b256_t3``) name."""
    key = name[len("spiketrack_"):] if name.startswith("spiketrack_") else name
    if key not in CONFIGS:
        from bench.core.errors import UnknownNameError
        raise UnknownNameError(f"unknown SpikeTrack config {name!r}; known: {', '.join(CONFIGS)}")
    return CONFIGS[key]


def update_rule(dataset: str | None) -> tuple[int, float]:
    """Template-update (interval, confidence threshold) for a dataset name.

    The official tracker (lib/test/tracker/spiketrack_inf.py:44-49) hard-codes these: any dataset
    whose name contains ``lasot`` (LaSOT, LaSOT_ext) updates every 40 frames above 0.8, all others
    every 25 frames above 0.7. The yaml ``TEST.UPDATE_*`` values are never read.
    """
    if dataset is not None and "lasot" in dataset.lower():
        return 40, 0.8
    return 25, 0.7

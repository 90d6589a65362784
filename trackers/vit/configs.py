"""Test-time configurations of the one-stream ViT trackers (SSTrack, OSTrack, ODTrack).

Each :class:`ViTTrackConfig` is the part of an official experiment yaml that matters at inference:
crop sizes and factors, how many templates the tracker keeps in play, whether the network carries a
query token between frames (ODTrack/SSTrack ``ADD_CLS_TOKEN``) and whether it has SSTrack's temporal
position embeddings. The names are the official yaml names so a checkpoint can be matched to its config.

Sources (file in the official repository at the commit named in ``official``):
SSTrack ``experiments/sstrack/*.yaml``, OSTrack ``experiments/ostrack/*.yaml``, ODTrack
``experiments/odtrack/*.yaml``. ODTrack has no official 256 config; ``odtrack_b256`` is ours (see its note).
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.core.errors import UnknownNameError

SSTRACK_COMMIT = "GXNU-ZhongLab/SSTrack@a0fbfa1f587784b8b321da6d7fa4b48ba64c7d9f"
OSTRACK_COMMIT = "botaoye/OSTrack@33b5e12586216b7fd0e95d255bd01ba44cbec759"
ODTRACK_COMMIT = "GXNU-ZhongLab/ODTrack@88c0a8e4b50faa8fe4e087f1f4b634dc78b6911d"


@dataclass(frozen=True)
class ViTTrackConfig:
    """Inference configuration of one official experiment.

    ``template_number`` is ``TEST.TEMPLATE_NUMBER``: 1 means a single fixed template (OSTrack); N > 1
    means the tracker stores a template every frame and selects from that memory (ODTrack/SSTrack), which
    puts up to N+1 templates into the network from frame 2N on (see :mod:`trackers.vit.memory`).
    """

    name: str
    family: str                       # 'sstrack' | 'ostrack' | 'odtrack'
    template_size: int
    search_size: int
    template_factor: float
    search_factor: float
    template_number: int = 1
    query_token: bool = False         # ADD_CLS_TOKEN: ODTrack-style token propagated between frames
    temporal_embed: bool = False      # SSTrack temporal_pos_embed_z / _x
    memory_threshold: int = 1000      # TEST.MEMORY_THRESHOLD (frames after it are kept on the CPU)
    ce_loc: tuple[int, ...] = (3, 6, 9)
    ce_keep_ratio: tuple[float, ...] = (0.7, 0.7, 0.7)
    ce_template_range: str = "CTR_POINT"
    head_channels: int = 256
    patch_size: int = 16
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    pretrain_img_size: int = 224      # the ViT's own position embedding grid (pos_embed is 1 + 14*14)
    official: str = ""                # repository@commit:yaml
    note: str = ""

    @property
    def feat_size(self) -> int:
        """Side of the score map (search tokens per row)."""
        return self.search_size // self.patch_size

    @property
    def template_feat_size(self) -> int:
        return self.template_size // self.patch_size

    @property
    def profile_templates(self) -> int:
        """Templates the official profiler feeds: 3 for ODTrack/SSTrack (hard-coded), 1 for OSTrack."""
        return 3 if self.query_token else 1


def _sstrack(name: str, size: int, number: int, note: str) -> ViTTrackConfig:
    big = size == 384
    return ViTTrackConfig(
        name=name, family="sstrack", template_size=192 if big else 128, search_size=size,
        template_factor=2.0, search_factor=5.0 if big else 4.0, template_number=number,
        query_token=True, temporal_embed=True,
        official=f"{SSTRACK_COMMIT}:experiments/sstrack/{name}.yaml", note=note)


CONFIGS: dict[str, ViTTrackConfig] = {}


def _add(cfg: ViTTrackConfig) -> None:
    CONFIGS[cfg.name] = cfg


_add(_sstrack("dropmae_256_150ep", 256, 3, "DropMAE init, LaSOT+GOT(vottrain)+COCO+TrackingNet"))
_add(_sstrack("dropmae_256_got_60ep", 256, 4, "GOT-10k full train; MAE init despite the name"))
_add(_sstrack("dropmae_384_150ep", 384, 3, "DropMAE init, 4 training sets"))
_add(_sstrack("dropmae_384_got_60ep", 384, 4, "GOT-10k full train, DropMAE init"))
for _sz, _tz, _sf in ((256, 128, 4.0), (384, 192, 5.0)):
    for _suffix, _note in (("ep300", "LaSOT+GOT+COCO+TrackingNet"), ("got10k_ep100", "GOT-10k only")):
        _n = f"vitb_{_sz}_mae_ce_32x4_{_suffix}"
        _add(ViTTrackConfig(name=_n, family="ostrack", template_size=_tz, search_size=_sz,
                            template_factor=2.0, search_factor=_sf, template_number=1,
                            official=f"{OSTRACK_COMMIT}:experiments/ostrack/{_n}.yaml", note=_note))
_add(ViTTrackConfig(name="baseline", family="odtrack", template_size=192, search_size=384,
                    template_factor=2.0, search_factor=5.0, template_number=3, query_token=True,
                    official=f"{ODTRACK_COMMIT}:experiments/odtrack/baseline.yaml", note="ODTrack-B"))
_add(ViTTrackConfig(name="baseline_got", family="odtrack", template_size=192, search_size=384,
                    template_factor=2.0, search_factor=5.0, template_number=4, query_token=True,
                    official=f"{ODTRACK_COMMIT}:experiments/odtrack/baseline_got.yaml",
                    note="ODTrack-B, GOT-10k only"))
_add(ViTTrackConfig(name="baseline_256", family="odtrack", template_size=128, search_size=256,
                    template_factor=2.0, search_factor=4.0, template_number=3, query_token=True,
                    official="",
                    note="NOT an official ODTrack config (ODTrack ships 384 only): ODTrack's network at "
                         "SSTrack-256's geometry (128/256, factors 2/4, 3 templates)"))


def get_config(name: str) -> ViTTrackConfig:
    """Config by official yaml name; unknown names raise :class:`UnknownNameError` listing the known ones."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise UnknownNameError(f"unknown ViT tracker config {name!r}; known: {', '.join(sorted(CONFIGS))}") from None

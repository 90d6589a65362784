"""ODTrack (AAAI 2024, GXNU-ZhongLab/ODTrack): ViT-B CE with a token propagated between frames and a
template memory; SSTrack's supervised parent. ODTrack-B is the official ``baseline`` config (384/192,
3 templates). ODTrack publishes no 256 model: ``odtrack_b256`` is the same network at SSTrack-256's
geometry (config ``baseline_256``, ours), for like-for-like comparisons only.
"""
from trackers.vit.factory import register_vit

register_vit("odtrack_b384", "baseline", "odtrack",
             "ODTrack-B (official baseline config, 384/192): ViT-B CE, query token, 3(+1) templates")
register_vit("odtrack_b256", "baseline_256", "odtrack",
             "ODTrack-B at 256/128 (NOT an official config; no official weights exist)")

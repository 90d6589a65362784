"""SSTrack (AAAI 2025, GXNU-ZhongLab/SSTrack): ODTrack's network plus temporal position embeddings,
trained self-supervised. Official configs: dropmae_256_150ep, dropmae_384_150ep (LaSOT/TrackingNet/...)
and the GOT-10k variants dropmae_256_got_60ep / dropmae_384_got_60ep (``config=`` or the ``_got`` names).
"""
from trackers.vit.factory import register_vit

register_vit("sstrack_b256", "dropmae_256_150ep", "sstrack",
             "SSTrack-B256 (dropmae_256_150ep): self-supervised ViT-B CE, query token, 3(+1) templates")
register_vit("sstrack_b384", "dropmae_384_150ep", "sstrack",
             "SSTrack-B384 (dropmae_384_150ep): self-supervised ViT-B CE, query token, 3(+1) templates")
register_vit("sstrack_b256_got", "dropmae_256_got_60ep", "sstrack",
             "SSTrack-B256 GOT-10k model (dropmae_256_got_60ep, 4(+1) templates)")
register_vit("sstrack_b384_got", "dropmae_384_got_60ep", "sstrack",
             "SSTrack-B384 GOT-10k model (dropmae_384_got_60ep, 4(+1) templates)")

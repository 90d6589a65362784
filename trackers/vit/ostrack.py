"""OSTrack (ECCV 2022, botaoye/OSTrack): one-stream ViT-B CE, one fixed template, no update.
Official configs vitb_256_mae_ce_32x4_ep300 / vitb_384_mae_ce_32x4_ep300 (and the *_got10k_ep100 ones
via ``config=``).
"""
from trackers.vit.factory import register_vit

register_vit("ostrack_256", "vitb_256_mae_ce_32x4_ep300", "ostrack",
             "OSTrack-256 (vitb_256_mae_ce_32x4_ep300): ViT-B CE, one template")
register_vit("ostrack_384", "vitb_384_mae_ce_32x4_ep300", "ostrack",
             "OSTrack-384 (vitb_384_mae_ce_32x4_ep300): ViT-B CE, one template")

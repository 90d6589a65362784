"""SDT-V3 spiking encoder with six memory-retrieval modules (official ``sdtv3.py``).

The template path and the search path share every backbone weight but never mix except through the
MRMs, where the search path reads memories computed from the template path. The encoder therefore
exposes the two halves separately: :meth:`SpikingEncoder.template_memories` (run at initialisation
and on each template update) and :meth:`SpikingEncoder.search_features` (run every frame).

Stage layout for a 256 input (384 gives 192/96/48/24/24):
stem 7x7/2 -> 128^2, ConvBlock | 3x3/2 -> 64^2, MRM0, ConvBlock | 3x3/2 -> 32^2, MRM1, 2 ConvBlocks |
3x3/2 -> 16^2, MRM2, 6 transformer blocks with MRM3 after the third | 3x3/1 -> C4, MRM4,
2 transformer blocks, MRM5 -> head.
"""
from __future__ import annotations

import torch
from torch import nn

from trackers.spiketrack.blocks import ConvBlockSpike, SpikeDownsample, SpikeTransformerBlock
from trackers.spiketrack.config import SpikeTrackConfig
from trackers.spiketrack.mrm import MemoryRetrieval

#: Stage (embed_dims index) served by each of the six MRMs.
MRM_STAGES = (0, 1, 2, 2, 3, 3)


class SpikingEncoder(nn.Module):
    """``Spiking_vit_MetaFormer_Spike_SepConv`` in the training-checkpoint layout."""

    def __init__(self, cfg: SpikeTrackConfig):
        super().__init__()
        c = cfg.embed_dims
        grid = cfg.feat_size
        tokens = grid * grid
        r = cfg.mlp_ratio
        self.downsample1_1 = SpikeDownsample(3, c[0] // 2, kernel_size=7, stride=2, padding=3, first_layer=True)
        self.ConvBlock1_1 = nn.ModuleList([ConvBlockSpike(c[0] // 2, r)])
        self.downsample1_2 = SpikeDownsample(c[0] // 2, c[0])
        self.ConvBlock1_2 = nn.ModuleList([ConvBlockSpike(c[0], r)])
        self.downsample2 = SpikeDownsample(c[0], c[1])
        self.ConvBlock2_1 = nn.ModuleList([ConvBlockSpike(c[1], r)])
        self.ConvBlock2_2 = nn.ModuleList([ConvBlockSpike(c[1], r)])
        self.downsample3 = SpikeDownsample(c[1], c[2])
        self.block3 = nn.ModuleList([SpikeTransformerBlock(c[2], cfg.num_heads, tokens, r) for _ in range(6)])
        self.downsample4 = SpikeDownsample(c[2], c[3], stride=1)
        self.block4 = nn.ModuleList([SpikeTransformerBlock(c[3], cfg.num_heads, tokens, r) for _ in range(2)])
        self.mrm = nn.ModuleList([MemoryRetrieval(c[i], grid, cfg.num_templates, r) for i in MRM_STAGES])

    # The two halves walk the same stage sequence; ``visit(i, x)`` is called at MRM i.
    def _walk(self, x: torch.Tensor, branch: str, visit) -> torch.Tensor:
        x = self.downsample1_1(x)
        x = self.ConvBlock1_1[0](x)
        x = self.downsample1_2(x)
        x = visit(0, x)
        x = self.ConvBlock1_2[0](x)
        x = self.downsample2(x)
        x = visit(1, x)
        x = self.ConvBlock2_1[0](x)
        x = self.ConvBlock2_2[0](x)
        x = self.downsample3(x)
        x = visit(2, x)
        for i, blk in enumerate(self.block3):
            x = blk(x, branch)
            if i == 2:
                x = visit(3, x)
        x = self.downsample4(x)
        x = visit(4, x)
        for blk in self.block4:
            x = blk(x, branch)
        return visit(5, x)

    def template_memories(self, templates: torch.Tensor) -> list[torch.Tensor]:
        """Six MRM memories from ``templates`` ``[T, B, 3, H, W]`` (T = template count)."""
        memories: list[torch.Tensor] = []

        def keep(i: int, x: torch.Tensor) -> torch.Tensor:
            memories.append(self.mrm[i].memory(x))
            return x

        # the last stage's template features feed nothing but MRM5's memory
        self._walk(templates, "template", keep)
        return memories

    def search_features(self, search: torch.Tensor, memories: list[torch.Tensor]) -> torch.Tensor:
        """Encoder output ``xz`` ``[1, B, C4, fs, fs]`` for ``search`` ``[1, B, 3, H, W]``."""
        return self._walk(search, "search", lambda i, x: self.mrm[i](x, memories[i]))

"""The centre head shared by OSTrack, ODTrack and SSTrack.

Three conv towers read the ``C x F x F`` search feature map: a centre score map, a sub-cell offset map
and a normalised size map. Each tower is four [Conv3x3 - BatchNorm - ReLU] stages (C -> 256 -> 128 ->
64 -> 32 channels) and a 1x1 conv. Score and size pass ``clamp(sigmoid, 1e-4, 1 - 1e-4)``; the offset is
raw. Names (``conv1_ctr.0.weight``, ``conv1_ctr.1.running_mean``...) equal the official checkpoints'.
"""
from __future__ import annotations

import torch
from torch import nn

from trackers.common import box_from_maps


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size=3, stride=1, padding=1, bias=True),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _clamped_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x.sigmoid(), min=1e-4, max=1 - 1e-4)


class CenterPredictor(nn.Module):
    """Centre / offset / size head on a ``feat_sz x feat_sz`` map (stride 16)."""

    def __init__(self, inplanes: int = 768, channel: int = 256, feat_sz: int = 16, stride: int = 16):
        super().__init__()
        self.feat_sz = feat_sz
        self.stride = stride
        c = channel
        for branch, out in (("ctr", 1), ("offset", 2), ("size", 2)):
            setattr(self, f"conv1_{branch}", conv_bn_relu(inplanes, c))
            setattr(self, f"conv2_{branch}", conv_bn_relu(c, c // 2))
            setattr(self, f"conv3_{branch}", conv_bn_relu(c // 2, c // 4))
            setattr(self, f"conv4_{branch}", conv_bn_relu(c // 4, c // 8))
            setattr(self, f"conv5_{branch}", nn.Conv2d(c // 8, out, kernel_size=1))

    def _tower(self, branch: str, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{branch}")(x)
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``x [B, C, F, F]`` -> (score_map [B,1,F,F], size_map [B,2,F,F], offset_map [B,2,F,F])."""
        score = _clamped_sigmoid(self._tower("ctr", x))
        offset = self._tower("offset", x)
        size = _clamped_sigmoid(self._tower("size", x))
        return score, size, offset

    def cal_bbox(self, score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor,
                 return_score: bool = False):
        """Box at the arg-max of ``score_map``: ``[B, 4]`` (cx, cy, w, h) normalised to the search crop
        (and the max score ``[B, 1]`` with ``return_score``); see :func:`trackers.common.box_from_maps`."""
        bbox, max_score = box_from_maps(score_map, size_map, offset_map, self.feat_sz)
        return (bbox, max_score) if return_score else bbox


def init_head_(head: CenterPredictor, generator: torch.Generator | None = None) -> None:
    """Random initialisation: xavier-uniform convs (as the official constructor), zero biases, identity
    BatchNorm (weight 1, bias 0, running mean 0, running var 1). For runs without a checkpoint only."""
    with torch.no_grad():
        for m in head.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight.shape[1] * m.weight[0, 0].numel()
                fan_out = m.weight.shape[0] * m.weight[0, 0].numel()
                bound = (6.0 / (fan_in + fan_out)) ** 0.5
                m.weight.copy_((torch.rand(m.weight.shape, generator=generator) * 2 - 1) * bound)
                m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.reset_parameters()         # weight 1, bias 0, running mean 0, running var 1, count 0


__all__ = ["CenterPredictor", "conv_bn_relu", "init_head_"]

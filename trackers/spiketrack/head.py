"""Spiking centre head (official ``CenterPredictor``, decoder.py) and the box decode ``cal_bbox``.

Three towers (centre score, offset, size), each four ``conv3x3 + BatchNorm2d -> NI-LIF`` layers with
channels ch -> ch/2 -> ch/4 -> ch/8 and a final 1x1 conv. Score and size maps are
``clamp(sigmoid, 1e-4, 1 - 1e-4)``, the offset map is raw; all are averaged over the time axis.
"""
from __future__ import annotations

import torch
from torch import nn

from trackers.common import box_from_maps
from trackers.spiketrack.neuron import NILIFNeuron

_TOWERS = ("ctr", "offset", "size")
_OUT_CHANNELS = {"ctr": 1, "offset": 2, "size": 2}


def _conv_bn(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=True), nn.BatchNorm2d(cout))


class CenterHead(nn.Module):
    """Centre-based box head on the ``[T, B, C, fs, fs]`` encoder output."""

    def __init__(self, in_channels: int, channels: int, feat_size: int):
        super().__init__()
        self.feat_size = feat_size
        widths = [in_channels, channels, channels // 2, channels // 4, channels // 8]
        for tower in _TOWERS:
            for i in range(4):
                self.add_module(f"conv{i + 1}_{tower}", _conv_bn(widths[i], widths[i + 1]))
            self.add_module(f"conv5_{tower}", nn.Conv2d(widths[4], _OUT_CHANNELS[tower], 1))
        for tower in ("ctr", "size", "offset"):
            for i in range(4):
                self.add_module(f"{tower}{i + 1}_spike", NILIFNeuron())
        self.spike = NILIFNeuron()
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def _tower(self, name: str, x: torch.Tensor) -> torch.Tensor:
        T, B = x.shape[:2]
        for i in range(1, 5):
            y = getattr(self, f"conv{i}_{name}")(x.flatten(0, 1))
            x = getattr(self, f"{name}{i}_spike")(y.reshape(T, B, *y.shape[1:]))
        y = getattr(self, f"conv5_{name}")(x.flatten(0, 1))
        return y.reshape(T, B, *y.shape[1:])

    def forward(self, xz: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.spike(xz)
        score = torch.clamp(self._tower("ctr", x).sigmoid(), 1e-4, 1 - 1e-4).mean(0)
        offset = self._tower("offset", x).mean(0)
        size = torch.clamp(self._tower("size", x).sigmoid(), 1e-4, 1 - 1e-4).mean(0)
        boxes, _ = self.cal_bbox(score, size, offset)
        return {"pred_boxes": boxes.view(-1, 1, 4), "score_map": score, "size_map": size,
                "offset_map": offset}

    def cal_bbox(self, score_map: torch.Tensor, size_map: torch.Tensor,
                 offset_map: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Box at the score maximum: (cx, cy, w, h) normalised to the crop, and the max score
        (:func:`trackers.common.box_from_maps`; the first index wins ties, as ``torch.max``)."""
        return box_from_maps(score_map, size_map, offset_map, self.feat_size)

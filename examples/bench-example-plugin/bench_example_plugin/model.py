"""A small spiking Siamese network in plain torch: conv encoder with integrate-and-fire neurons, and a
cross-correlation of search features with template features.

The neuron is this package's own class, so the suite's efficiency engine is told about it once
(``register_neuron_class``): from then on ``bench profile`` records its firing rates per time step and
counts the synaptic operations of the convolutions it feeds. A network built from spikingjelly or snnTorch
neurons needs no such line.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bench.efficiency.neurons import register_neuron_class


@register_neuron_class  # multi-step: its output is [T, ...]
class IFNeuron(nn.Module):
    """Integrate-and-fire over the leading time axis: ``v += x[t]``, spike where ``v >= threshold``,
    subtract the threshold where it spiked (soft reset). Binary spikes ``[T, ...]``."""

    def __init__(self, threshold: float = 1.0):
        super().__init__()
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = torch.zeros_like(x[0])
        out = []
        for xt in x:
            v = v + xt
            s = (v >= self.threshold).to(x.dtype)
            v = v - s * self.threshold
            out.append(s)
        return torch.stack(out)


class SpikingEncoder(nn.Module):
    """``[B,3,H,W]`` image -> ``[B,C,H/8,W/8]`` mean spike count over ``T`` steps.

    The stem sees real pixels (the encoding layer: MACs); every later convolution is fed by spikes
    (synaptic operations). Direct encoding: the stem's output is the input current at every step.
    """

    def __init__(self, time_steps: int = 2, channels: tuple[int, int, int] = (16, 32, 32)):
        super().__init__()
        c1, c2, c3 = channels
        self.time_steps = time_steps
        self.stem = nn.Conv2d(3, c1, 3, stride=2, padding=1)
        self.sn1 = IFNeuron()
        self.conv2 = nn.Conv2d(c1, c2, 3, stride=2, padding=1, bias=False)
        self.sn2 = IFNeuron()
        self.conv3 = nn.Conv2d(c2, c3, 3, stride=2, padding=1, bias=False)
        self.sn3 = IFNeuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = self.time_steps
        s = self.sn1(self.stem(x).unsqueeze(0).expand(T, -1, -1, -1, -1))
        s = self.sn2(self.conv2(s.flatten(0, 1)).unflatten(0, (T, -1)))
        s = self.sn3(self.conv3(s.flatten(0, 1)).unflatten(0, (T, -1)))
        return s.mean(0)


class SiameseSNN(nn.Module):
    """``encoder`` builds the template kernel once; ``forward(search, kernel)`` gives the response map."""

    def __init__(self, time_steps: int = 2):
        super().__init__()
        self.encoder = SpikingEncoder(time_steps)

    def forward(self, search: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        feat = self.encoder(search)
        return F.conv2d(feat, kernel) / kernel.numel()


def init_weights_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Seeded weights that keep every layer firing (a fresh default init leaves deep layers silent)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (3.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.fill_(0.2)
    return model

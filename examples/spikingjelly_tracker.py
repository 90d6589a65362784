"""A tracker in one file, built on spikingjelly.

    bench run --tracker examples/spikingjelly_tracker.py:create_tracker

No package, no entry point: ``--tracker path/to/file.py:factory`` loads this file (Dask workers load it
the same way). It needs spikingjelly 2.0, installed without its torchvision/torchaudio requirements::

    pip install --no-deps spikingjelly==2.0.0 && pip install 'spiketrack-bench[snn]'

The network: a multi-step spiking conv encoder (spikingjelly ``layer.Conv2d`` + ``neuron.LIFNode``,
``step_mode='m'``, T time steps, direct encoding) shared by template and search, and a cross-correlation
of the two feature maps. ``bench profile`` recognises the ``LIFNode`` modules by their class and reports
their firing rates per time step and the synaptic operations of the convolutions they feed. With random
weights the boxes mean nothing; the costs are real.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from spikingjelly.activation_based import functional, layer, neuron
from torch import nn

from trackers.base import Tracker, TrackResult, warn_random_weights
from trackers.common import clip_box, hann2d, normalize_crop, sample_target

TEMPLATE_SIZE, SEARCH_SIZE, STRIDE = 64, 128, 8


class Encoder(nn.Module):
    """``[B,3,H,W]`` -> mean spike count ``[B,C,H/8,W/8]`` over ``T`` steps (multi-step spikingjelly)."""

    def __init__(self, time_steps: int = 4, channels: tuple[int, int, int] = (32, 64, 128)):
        super().__init__()
        c1, c2, c3 = channels
        self.time_steps = time_steps
        self.stem = nn.Conv2d(3, c1, 3, stride=2, padding=1)      # real pixels: the encoding layer
        self.lif1 = neuron.LIFNode(tau=2.0, step_mode="m", detach_reset=True)
        self.conv2 = layer.Conv2d(c1, c2, 3, stride=2, padding=1, bias=False, step_mode="m")
        self.lif2 = neuron.LIFNode(tau=2.0, step_mode="m", detach_reset=True)
        self.conv3 = layer.Conv2d(c2, c3, 3, stride=2, padding=1, bias=False, step_mode="m")
        self.lif3 = neuron.LIFNode(tau=2.0, step_mode="m", detach_reset=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        functional.reset_net(self)   # every crop starts from rest
        current = self.stem(x).unsqueeze(0).repeat(self.time_steps, 1, 1, 1, 1)
        s = self.lif3(self.conv3(self.lif2(self.conv2(self.lif1(current)))))
        return s.mean(0)


class SiameseSNN(nn.Module):
    def __init__(self, time_steps: int = 4):
        super().__init__()
        self.encoder = Encoder(time_steps)

    def forward(self, search: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return F.conv2d(self.encoder(search), kernel) / kernel.numel()


class SpikingJellyTracker(Tracker):
    name = "spikingjelly_siamese"
    spiking = True

    def __init__(self, model: SiameseSNN, device: str = "cpu", dtype: torch.dtype = torch.float32):
        self.model = model.to(device=device, dtype=dtype).eval()
        self.device, self.dtype = device, dtype
        self.window = hann2d(SEARCH_SIZE // STRIDE - TEMPLATE_SIZE // STRIDE + 1).to(device=device, dtype=dtype)

    @torch.no_grad()
    def initialize(self, image: np.ndarray, box, info: dict | None = None) -> None:
        crop, _ = sample_target(image, box, 2.0, TEMPLATE_SIZE)
        self.kernel = self.model.encoder(normalize_crop(crop, self.device, self.dtype))
        self.box = [float(v) for v in box]

    @torch.no_grad()
    def track(self, image: np.ndarray) -> TrackResult:
        crop, scale = sample_target(image, self.box, 4.0, SEARCH_SIZE)
        response = self.model(normalize_crop(crop, self.device, self.dtype), self.kernel) * self.window
        n = response.shape[-1]
        dy, dx = divmod(int(torch.argmax(response)), n)
        shift = (np.array([dx, dy], dtype=np.float64) - (n - 1) / 2) * STRIDE / scale
        x, y, w, h = self.box
        self.box = [float(v) for v in clip_box([x + shift[0], y + shift[1], w, h], image.shape[0], image.shape[1], 10)]
        return TrackResult(tuple(self.box), float(response.max()))


def _init_weights(model: nn.Module, seed: int = 0) -> None:
    """Seeded weights that keep every layer firing (a default init leaves the deeper layers silent)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (10.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.fill_(0.5)


def create_tracker(checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                   trust_checkpoint: bool = False, time_steps: int = 4, **kw: Any) -> SpikingJellyTracker:
    """Spiking Siamese tracker on spikingjelly LIF neurons (single-file example)."""
    model = SiameseSNN(time_steps)
    if checkpoint is None:
        _init_weights(model)
        warn_random_weights("spikingjelly_siamese")
    else:
        from trackers.checkpoint import load_checkpoint   # weights_only unless the user trusts the file

        state = load_checkpoint(checkpoint, trust=trust_checkpoint)
        model.load_state_dict(state.get("net", state) if isinstance(state, dict) else state, strict=True)
    return SpikingJellyTracker(model, device, getattr(torch, dtype))


create_tracker.bench_meta = {"spiking": True, "family": "example"}

"""The tracker behind the ``example_spiking_siamese`` entry point.

``create_tracker`` has the signature every tracker factory has, ``(checkpoint=None, device="cpu",
dtype="float32", **kw)``; the suite passes ``trust_checkpoint`` through ``**kw``. It uses the suite's
public helpers for what every crop-and-search tracker does (cropping, normalising, mapping boxes back).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from bench.core.errors import CheckpointError, ConfigError
from trackers.base import Tracker, TrackResult, warn_random_weights
from trackers.common import clip_box, hann2d, normalize_crop, sample_target

from bench_example_plugin.model import SiameseSNN, init_weights_

TEMPLATE_SIZE, SEARCH_SIZE, STRIDE = 64, 128, 8
DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "bfloat16": torch.bfloat16}


class SpikingSiameseTracker(Tracker):
    """Template kernel from the first frame; every frame, the peak of the windowed response moves the box
    (its size is kept)."""

    name = "example_spiking_siamese"
    spiking = True

    def __init__(self, model: SiameseSNN, device: str = "cpu", dtype: torch.dtype = torch.float32):
        self.model = model.to(device=device, dtype=dtype).eval()
        self.device, self.dtype = device, dtype
        n = SEARCH_SIZE // STRIDE - TEMPLATE_SIZE // STRIDE + 1
        self.window = hann2d(n).to(device=device, dtype=dtype)

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
        peak = int(torch.argmax(response))
        dy, dx = divmod(peak, n)
        shift = (np.array([dx, dy], dtype=np.float64) - (n - 1) / 2) * STRIDE / scale
        x, y, w, h = self.box
        box = clip_box([x + shift[0], y + shift[1], w, h], image.shape[0], image.shape[1], margin=10)
        self.box = [float(v) for v in box]
        return TrackResult(tuple(self.box), float(response.max()))

    def describe(self) -> dict:
        return {**super().describe(), "time_steps": self.model.encoder.time_steps}


def create_tracker(checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
                   trust_checkpoint: bool = False, time_steps: int = 2, **kw: Any) -> SpikingSiameseTracker:
    """Small spiking Siamese tracker (plugin example): IF-neuron conv encoder, T=2, correlation head."""
    if dtype not in DTYPES:
        raise ConfigError(f"--dtype {dtype}: example_spiking_siamese supports {', '.join(DTYPES)}")
    model = SiameseSNN(time_steps)
    if checkpoint is None:
        init_weights_(model)
        warn_random_weights("example_spiking_siamese")
    else:
        from trackers.checkpoint import load_checkpoint   # weights_only unless the user trusts the file

        state = load_checkpoint(checkpoint, trust=trust_checkpoint)
        state = state.get("net", state) if isinstance(state, dict) else state
        try:
            model.load_state_dict(state, strict=True)
        except (RuntimeError, TypeError, AttributeError) as e:
            raise CheckpointError(f"{checkpoint}: does not fit example_spiking_siamese "
                                  f"({' '.join(str(e).split())[:160]})") from None
    return SpikingSiameseTracker(model, device, DTYPES[dtype])


# what `bench list trackers` shows beside the name
create_tracker.bench_meta = {"family": "example", "spiking": True, "needs_weights": True,
                             "description": "example plugin: small spiking Siamese tracker (IF neurons, T=2)"}

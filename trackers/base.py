"""The one interface every tracker implements: ``initialize(image, box)`` then ``track(image)``.

Images are H x W x 3 ``uint8`` RGB numpy arrays; boxes are ``(x, y, w, h)`` in image pixels, in the same
coordinate convention as the dataset's ground truth (the runner hands the first ground-truth box over
unchanged and stores what ``track`` returns unchanged).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

Box = tuple[float, float, float, float]


@dataclass
class TrackResult:
    """What a tracker says about one frame."""

    box: Box
    confidence: float = float("nan")
    extras: dict[str, Any] = field(default_factory=dict)


class Tracker(abc.ABC):
    """A single-object tracker.

    Subclasses set ``name`` and ``spiking``, expose their torch ``model`` (``None`` for classical
    trackers) so the efficiency engine can profile it, and set ``template_updated`` to ``True`` from
    ``track`` on frames where they refreshed their template memory (latency is reported separately for
    those frames).
    """

    name: str = ""
    spiking: bool = False
    model: Any = None
    template_updated: bool = False

    @abc.abstractmethod
    def initialize(self, image: np.ndarray, box: Sequence[float], info: dict | None = None) -> None:
        """Start tracking the target at ``box`` in ``image``.

        ``info`` carries context some trackers need, e.g. ``{"dataset": "lasot", "sequence": "airplane-1"}``
        (SpikeTrack's template-update interval depends on the dataset).
        """

    @abc.abstractmethod
    def track(self, image: np.ndarray) -> TrackResult:
        """Locate the target in the next frame."""

    def sequence_stats(self) -> dict:
        """Per-sequence extras worth keeping (e.g. firing rates); stored as ``<seq>_stats.json``."""
        return {}

    def describe(self) -> dict:
        """Configuration that identifies this tracker's outputs (stored in the run manifest)."""
        return {"name": self.name, "spiking": self.spiking}


class RandomWeightsWarning(UserWarning):
    """A model tracker was built without a checkpoint: its boxes mean nothing, and neither do the figures
    that depend on the weights (:data:`WEIGHT_DEPENDENT`); its structural costs are real."""


#: figures that stay valid with random weights: they follow from the architecture and the input size
WEIGHT_INDEPENDENT = ("parameters", "MACs", "footprint", "latency")
#: figures that depend on the weights: with random weights SpikeTrack's layers are nearly silent, so its
#: spike counts, and everything computed from them, describe no trained tracker
WEIGHT_DEPENDENT = ("firing rates", "SOPs", "sparsity", "energy")


def warn_random_weights(name: str) -> None:
    """The one loud warning every model family gives when it runs without weights."""
    import warnings

    warnings.warn(f"{name}: no checkpoint given, running with RANDOM weights -- tracking accuracy is MEANINGLESS; "
                  f"{', '.join(WEIGHT_INDEPENDENT[:-1])} and {WEIGHT_INDEPENDENT[-1]} stay valid, "
                  f"{', '.join(WEIGHT_DEPENDENT[:-1])} and {WEIGHT_DEPENDENT[-1]} do NOT (they depend on the "
                  f"weights). Pass --checkpoint with the official weights for real results.",
                  RandomWeightsWarning, stacklevel=3)


def has_random_weights(tracker: Any) -> bool | None:
    """Whether ``tracker`` (or a bare model) runs without trained weights: ``True`` when its model was built
    without a checkpoint, ``False`` when one was loaded, ``None`` when it has no torch model or does not say.

    A model says so by ``random_weights`` (True/False) or by ``checkpoint_sha256`` (``None``: no checkpoint),
    which the model families set when they build it.
    """
    for obj in (tracker, getattr(tracker, "model", None)):
        flag = getattr(obj, "random_weights", None)
        if isinstance(flag, bool):
            return flag
    model = getattr(tracker, "model", tracker)
    if model is None or not hasattr(model, "parameters"):
        return None
    if hasattr(model, "checkpoint_sha256"):
        return model.checkpoint_sha256 is None
    return None


def validate_box(box: Sequence[float], image_shape: tuple[int, ...] | None = None) -> Box:
    """Return ``box`` as floats, rejecting non-finite values and non-positive sizes."""
    from bench.errors import DataError

    if len(box) != 4:
        raise DataError(f"box must have 4 values x,y,w,h, got {len(box)}")
    x, y, w, h = (float(v) for v in box)
    if not all(np.isfinite([x, y, w, h])):
        raise DataError(f"box {x},{y},{w},{h} has non-finite values")
    if w <= 0 or h <= 0:
        raise DataError(f"box {x},{y},{w},{h} has non-positive width or height")
    if image_shape is not None:
        H, W = image_shape[:2]
        if x >= W or y >= H or x + w <= 0 or y + h <= 0:
            raise DataError(f"box {x},{y},{w},{h} lies outside the {W}x{H} image")
    return (x, y, w, h)

"""Classical trackers from OpenCV: real accuracy on real frames on any machine, no weights needed.

They are the suite's reference point for "does the pipeline work" and the quickest trackers to run over
a whole benchmark on a laptop. OpenCV returns integer boxes and no score: the confidence is 1.0 when
OpenCV reports success and 0.0 when it reports a loss (the last box is then kept, as the toolkits expect
a box on every frame).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from bench.core.errors import ConfigError
from trackers.base import Tracker, TrackResult, validate_box
from trackers.registry import register_tracker


def _cv2():
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - opencv is a core dependency
        raise ConfigError(f"classical trackers need OpenCV: pip install opencv-contrib-python-headless ({e})") from None
    return cv2


class OpenCVTracker(Tracker):
    """Wraps one of OpenCV's single-object trackers behind the suite's interface."""

    spiking = False

    def __init__(self, name: str, make: Callable[[], object], legacy: bool = False):
        self.name = name
        self._make = make
        self._legacy = legacy
        self._tracker = None
        self._box = (0.0, 0.0, 0.0, 0.0)

    @staticmethod
    def _bgr(image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(image[:, :, ::-1])

    def initialize(self, image: np.ndarray, box: Sequence[float], info: dict | None = None) -> None:
        x, y, w, h = validate_box(box, image.shape)
        self._tracker = self._make()
        rect = (x, y, w, h) if self._legacy else tuple(int(round(v)) for v in (x, y, max(w, 1), max(h, 1)))
        self._tracker.init(self._bgr(image), rect)
        self._box = (x, y, w, h)

    def track(self, image: np.ndarray) -> TrackResult:
        if self._tracker is None:
            raise RuntimeError("track() called before initialize()")
        ok, rect = self._tracker.update(self._bgr(image))
        if ok and rect[2] > 0 and rect[3] > 0:
            self._box = tuple(float(v) for v in rect)
        return TrackResult(self._box, 1.0 if ok else 0.0)

    def describe(self) -> dict:
        cv2 = _cv2()
        return {"name": self.name, "spiking": False, "opencv": cv2.__version__}


def _register(name: str, factory_name: str, description: str, legacy: bool = False) -> None:
    def factory(checkpoint=None, device="cpu", dtype="float32", trust_checkpoint=False, **kwargs) -> Tracker:
        if checkpoint:
            raise ConfigError(f"tracker {name!r} needs no checkpoint (got {checkpoint})")
        cv2 = _cv2()
        ns = cv2.legacy if legacy else cv2
        if not hasattr(ns, factory_name):
            raise ConfigError(f"tracker {name!r} needs opencv-contrib-python-headless ({factory_name} missing "
                              f"from OpenCV {cv2.__version__})")
        return OpenCVTracker(name, getattr(ns, factory_name), legacy=legacy)

    factory.__doc__ = description
    register_tracker(name, family="classical", spiking=False, needs_weights=False,
                     description=description)(factory)


_register("mil", "TrackerMIL_create", "OpenCV MIL (Babenko et al., CVPR 2009): online multiple-instance boosting")
_register("kcf", "TrackerKCF_create", "OpenCV KCF (Henriques et al., TPAMI 2015): kernelised correlation filter")
_register("csrt", "TrackerCSRT_create", "OpenCV CSRT (Lukezic et al., CVPR 2017): discriminative correlation filter with channel and spatial reliability")
_register("mosse", "TrackerMOSSE_create", "OpenCV MOSSE (Bolme et al., CVPR 2010): minimum output sum of squared error filter", legacy=True)
_register("medianflow", "TrackerMedianFlow_create", "OpenCV MedianFlow (Kalal et al., ICPR 2010): forward-backward error tracking", legacy=True)

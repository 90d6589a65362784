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


#: the branch labels a model may report (see :func:`model_branch`)
BRANCHES = ("template", "search")


@dataclass(frozen=True)
class ProfileInputs:
    """The inputs a profiler runs a model on: ``model(*args, **kwargs)``, batch 1.

    ``note`` says where they come from (e.g. the family's official profiler); ``describe`` holds what a
    profile should record about them (e.g. ``{"num_templates": 3}``).
    """

    args: tuple
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    describe: dict[str, Any] = field(default_factory=dict)


def model_branch(model: Any) -> str | None:
    """The branch ``model`` says it is running: its ``branch`` attribute when that is a string (SpikeTrack's
    model sets ``"template"`` / ``"search"`` as it enters each), else ``None`` (no branch label)."""
    label = getattr(model, "branch", None)
    return label if isinstance(label, str) else None


def model_profile_inputs(model: Any, num_templates: int | None = None) -> ProfileInputs | None:
    """The inputs ``model`` declares for profiling: its ``profile_inputs(num_templates=None)`` method, which
    returns :class:`ProfileInputs`; ``None`` when it declares none."""
    declare = getattr(model, "profile_inputs", None)
    return declare(num_templates) if callable(declare) else None


class Tracker(abc.ABC):
    """A single-object tracker.

    Subclasses set ``name`` and ``spiking`` and implement ``initialize`` / ``track``. The attributes and
    methods below, with their defaults, are everything the efficiency engine (``bench.efficiency``) asks
    of a tracker: it reads nothing else, and a tracker that keeps the defaults is still profiled (latency
    only when ``model`` is ``None``).
    """

    name: str = ""
    spiking: bool = False
    #: the torch ``nn.Module`` the tracker runs (profiled for MACs, SOPs, energy); ``None`` for classical trackers
    model: Any = None
    #: set to ``True`` by ``track`` on frames where the tracker refreshed its template memory (latency of
    #: those frames is reported apart; ``bench run`` logs them to amortise the template branch)
    template_updated: bool = False
    #: integer spike levels D: a spike value v stands for v x D spikes (SpikeTrack's NI-LIF emits count / 4,
    #: D = 4). ``None``: an ANN, or a spiking tracker that leaves D to be inferred from the spike values
    spike_scale: int | None = None
    #: ``True``/``False`` when the tracker itself says whether it runs without trained weights; ``None``:
    #: its model says (:func:`has_random_weights`)
    random_weights: bool | None = None
    #: the name this contract replaces for :attr:`template_update_interval` (trackers written before it)
    update_interval: int | None = None

    @property
    def template_update_interval(self) -> int | None:
        """Frames between re-runs of the model's template branch when the update rule fires (the nominal
        amortisation period of the template energy). ``None``: the template branch runs only at
        initialisation (a single template, or a model without a separate template branch)."""
        return self.update_interval

    @template_update_interval.setter
    def template_update_interval(self, value: int | None) -> None:
        self.update_interval = value

    def current_branch(self) -> str | None:
        """The branch the model is running at this moment: ``"template"``, ``"search"`` (:data:`BRANCHES`), or
        ``None`` when the model has no branches (one count per frame). Default: :func:`model_branch`."""
        return model_branch(self.model)

    def profile_inputs(self) -> ProfileInputs | None:
        """The inputs a profiler runs ``model`` on outside tracking (e.g. the family's official profiler's);
        ``None``: only the tracked frames are profiled. Default: :func:`model_profile_inputs`."""
        return model_profile_inputs(self.model) if self.model is not None else None

    def record_firing_rates(self, on: bool) -> bool:
        """Turn the tracker's own firing-rate recording (reported by :meth:`sequence_stats`) on or off; returns
        whether it records now. The efficiency engine measures rates itself and turns this off to save hook
        time. Default: the tracker records none."""
        return False

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


class _Undeclared(Tracker):
    """A tracker object that does not subclass :class:`Tracker` (a duck-typed plugin), seen through the
    contract: what it defines of ``name``/``spiking``/``model``/``template_updated``, defaults for the rest."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.name = getattr(inner, "name", "") or type(inner).__name__
        self.spiking = bool(getattr(inner, "spiking", False))
        self.model = getattr(inner, "model", None)

    @property  # type: ignore[override]
    def template_updated(self) -> bool:
        return bool(getattr(self._inner, "template_updated", False))

    def initialize(self, image: np.ndarray, box: Sequence[float], info: dict | None = None) -> None:
        self._inner.initialize(image, box, info)

    def track(self, image: np.ndarray) -> TrackResult:
        return self._inner.track(image)


def declared(tracker: Any) -> Tracker:
    """``tracker`` itself when it is a :class:`Tracker`; else a view of it with the contract's defaults, so
    that the efficiency engine reads the contract only."""
    return tracker if isinstance(tracker, Tracker) else _Undeclared(tracker)


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
    from bench.core.errors import DataError

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

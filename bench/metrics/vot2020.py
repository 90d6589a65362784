"""VOT2020 short-term analyses as vot-toolkit 0.9.0 computes them (stack ``vot2020/shortterm.yaml``).

* ``baseline`` / ``realtime`` (multistart, anchor based): for every anchor ``a`` of a sequence the
  tracker runs forward over frames ``a .. N-1`` (``anchor > 0``) or backward over ``a .. 0``
  (``anchor < 0``); element 0 of a run is the initialisation frame (special region ``1``, overlap 0).
  A run fails at the start of the first streak of ``grace`` (10) consecutive frames whose overlap is
  ``<= threshold`` (0.1) while the ground truth is not empty.
  Accuracy/robustness per sequence: ``R = sum(progress) / sum(len(run))``,
  ``A = sum(overlaps[:progress]) / sum(progress)``; over sequences A is weighted by ``sum(progress)`` and
  R by the sequence length. EAO: failed runs are zero-filled after the failure, each run contributes
  ``mean(o[1:j+1])`` at ``j < len(run)`` or, if it failed, ``sum(o[1:]) / (j - 1)`` beyond its end (the
  toolkit's ``j - 1``); runs of all sequences are pooled; EAO = mean of the curve at indices ``115..754``.
* ``unsupervised``: one run from frame 0, accuracy = mean overlap per sequence without the init frame
  (burnin 1), unknown frames (``0``) ignored, sequences weighted by their length.

Overlaps are vot-toolkit's rasterised overlaps bounded to the image (:func:`~bench.core.regions.overlap_vottk`).
Realtime uses the same analyses (it only changes how the toolkit runs the tracker).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from bench.core.errors import DataError
from bench.metrics.base import EvalResult, SequenceInput, register_protocol
from bench.core.regions import (SPECIAL_FAILURE, SPECIAL_INIT, SPECIAL_UNKNOWN, Region, overlap_vottk,
                                   parse_region, rectangle)

#: vot2020/shortterm.yaml: multistart_eao_score low/high, multistart_eao_curve high, AR defaults.
EAO_LOW = 115
EAO_HIGH = 755
BURNIN = 10
GRACE = 10
THRESHOLD = 0.1
UNSUPERVISED_BURNIN = 1


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------

def as_regions(values: Any, source: str = "<regions>") -> list[Region]:
    """Regions from region strings, :class:`Region` objects or an (N, 4) / (N, 2k) array (NaN row = unknown)."""
    if values is None:
        return []
    if isinstance(values, np.ndarray) and values.ndim == 2:
        out = []
        for row in values:
            if np.isnan(row).any():
                out.append(Region("special", code=SPECIAL_UNKNOWN))
            elif row.size == 4:
                out.append(rectangle(*row))
            else:
                out.append(parse_region(",".join(repr(float(v)) for v in row), source))
        return out
    out = []
    for i, v in enumerate(values):
        if isinstance(v, Region):
            out.append(v)
        elif isinstance(v, str):
            out.append(parse_region(v, f"{source}:{i + 1}"))
        else:
            arr = np.atleast_1d(np.asarray(v, dtype=np.float64))
            out.append(parse_region(",".join(repr(float(x)) for x in arr), f"{source}:{i + 1}"))
    return out


@dataclass
class MultistartSequence:
    """One sequence of the multistart experiment: ground truth, anchors and one run per anchor.

    ``runs`` maps the anchor frame to the run's regions in run order (backward runs go from the anchor
    down to frame 0); ``size`` is ``(width, height)``.
    """

    name: str
    groundtruth: list[Region]
    size: tuple[int, int] | None
    anchors: np.ndarray
    runs: dict[int, list[Region]]

    @property
    def forward(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.anchors > 0)]

    @property
    def backward(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.anchors < 0)]


@dataclass
class RunResult:
    anchor: int
    reverse: bool
    overlaps: np.ndarray
    progress: int

    @property
    def failed(self) -> bool:
        return self.progress < len(self.overlaps)


@dataclass
class SequenceRuns:
    name: str
    length: int
    runs: list[RunResult] = field(default_factory=list)


def run_frames(anchor: int, reverse: bool, length: int) -> list[int]:
    """Frames a run covers, in run order (the toolkit's proxy sequence)."""
    return list(range(anchor, -1, -1)) if reverse else list(range(anchor, length))


def failure_progress(overlaps: Sequence[float], gt_empty: Sequence[bool], grace: int = GRACE,
                     threshold: float = THRESHOLD) -> int:
    """Frames of a run before the failure (the start of the first ``grace``-long low-overlap streak)."""
    left = grace
    for j, o in enumerate(overlaps):
        if o <= threshold and not gt_empty[j]:
            left -= 1
            if left == 0:
                return j + 1 - grace
        else:
            left = grace
    return len(overlaps)


def analyse_runs(seq: MultistartSequence, burnin: int = BURNIN, grace: int = GRACE,
                 threshold: float = THRESHOLD) -> SequenceRuns:
    """Overlaps and failure point of every run of one sequence (shared by AR and EAO)."""
    n = len(seq.groundtruth)
    forward, backward = seq.forward, seq.backward
    if not forward and not backward:
        raise DataError(f"sequence {seq.name}: no anchors (anchor.value has no non-zero entry)")
    bounds = seq.size if burnin else None  # the toolkit bounds multistart overlaps only when burnin > 0
    empty = [g.is_empty() for g in seq.groundtruth]
    out = SequenceRuns(seq.name, n)
    for a, reverse in [(f, False) for f in forward] + [(b, True) for b in backward]:
        if a not in seq.runs:
            raise DataError(f"sequence {seq.name}: no run for {'backward' if reverse else 'forward'} anchor {a}")
        frames = run_frames(a, reverse, n)
        traj = seq.runs[a]
        if len(traj) != len(frames):
            raise DataError(f"sequence {seq.name}: run from anchor {a} has {len(traj)} regions, "
                            f"expected {len(frames)}")
        ov = np.array([overlap_vottk(traj[k], seq.groundtruth[f], bounds) for k, f in enumerate(frames)],
                      dtype=np.float64)
        progress = failure_progress(ov, [empty[f] for f in frames], grace, threshold)
        out.runs.append(RunResult(a, reverse, ov, progress))
    return out


# ------------------------------------------------------------------------------------------------
# analyses
# ------------------------------------------------------------------------------------------------

def sequence_ar(runs: SequenceRuns) -> dict[str, float]:
    """Per-sequence accuracy/robustness (``multistart`` AccuracyRobustness.subcompute)."""
    robust = sum(r.progress for r in runs.runs)
    total = sum(len(r.overlaps) for r in runs.runs)
    acc = float(sum(float(np.sum(r.overlaps[:r.progress])) for r in runs.runs))
    return {
        "accuracy": acc / robust if robust > 0 else 0.0,
        "robustness": robust / total,
        "robust_frames": robust,
        "length": runs.length,
    }


def eao_partial(runs: SequenceRuns, high: int = EAO_HIGH) -> tuple[np.ndarray, np.ndarray]:
    """Per-sequence EAO curve and active-run counts (``compute_eao_partial``)."""
    phi = np.zeros(high)
    active = np.zeros(high)
    j = np.arange(high)
    for r in runs.runs:
        o = r.overlaps.copy()
        if r.failed:
            o[r.progress:] = 0.0
        n = len(o)
        csum = np.concatenate([[0.0], np.cumsum(o[1:])])  # csum[j] = sum(o[1:j+1])
        inside = (j >= 1) & (j < n)
        with np.errstate(divide="ignore", invalid="ignore"):
            phi[inside] += csum[j[inside]] / j[inside]
            active[inside] += 1
            if r.failed:
                beyond = j >= max(n, 1)
                phi[beyond] += csum[n - 1] / (j[beyond] - 1)
                active[beyond] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        curve = np.where(active > 0, phi / np.where(active > 0, active, 1), 0.0)
    return curve, active


def eao_curve(all_runs: Iterable[SequenceRuns], high: int = EAO_HIGH) -> np.ndarray:
    """The pooled EAO curve (``multistart_eao_curve``), ``high`` entries indexed by frames since init."""
    num = np.zeros(high)
    den = np.zeros(high)
    for runs in all_runs:
        c, a = eao_partial(runs, high)
        num += c * a
        den += a
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def eao_score(curve: np.ndarray, low: int = EAO_LOW, high: int = EAO_HIGH) -> float:
    """``multistart_eao_score``: mean of ``curve[low:high+1]``."""
    return float(np.mean(curve[low:high + 1]))


def multistart(sequences: Sequence[MultistartSequence], *, low: int = EAO_LOW, high: int = EAO_HIGH,
               burnin: int = BURNIN, grace: int = GRACE, threshold: float = THRESHOLD) -> dict[str, Any]:
    """EAO, accuracy and robustness of the multistart (baseline/realtime) experiment."""
    all_runs = [analyse_runs(s, burnin, grace, threshold) for s in sequences]
    per_seq = []
    ta = tr = wa = wr = 0.0
    for runs in all_runs:
        d = sequence_ar(runs)
        d["name"] = runs.name
        per_seq.append(d)
        ta += d["accuracy"] * d["robust_frames"]
        tr += d["robustness"] * d["length"]
        wa += d["robust_frames"]
        wr += d["length"]
    curve = eao_curve(all_runs, high)
    return {
        "eao": eao_score(curve, low, high),
        "eao_curve": curve,
        "accuracy": ta / wa if wa > 0 else 0.0,
        "robustness": tr / wr,
        "ar_weights": {"accuracy_weight_frames": int(wa), "robustness_weight_frames": int(wr)},
        "per_sequence": per_seq,
        "runs": all_runs,
    }


def unsupervised_sequence_accuracy(trajectory: Sequence[Region], groundtruth: Sequence[Region],
                                   size: tuple[int, int] | None, burnin: int = UNSUPERVISED_BURNIN,
                                   name: str = "") -> tuple[float, int]:
    """Mean overlap of one unsupervised run (``SequenceAccuracy`` with ``gather_overlaps``) and its frame count."""
    if len(trajectory) != len(groundtruth):
        raise DataError(f"sequence {name}: trajectory has {len(trajectory)} frames, ground truth {len(groundtruth)}")
    keep = np.ones(len(trajectory), dtype=bool)
    for i, r in enumerate(trajectory):
        if groundtruth[i].is_code(SPECIAL_UNKNOWN):
            keep[i] = False
        elif r.is_code(SPECIAL_UNKNOWN):
            keep[i] = False
        elif r.is_code(SPECIAL_INIT):
            keep[i:i + burnin] = False
        elif r.is_code(SPECIAL_FAILURE):
            keep[i] = False
    ov = np.array([overlap_vottk(trajectory[i], groundtruth[i], size) for i in np.flatnonzero(keep)])
    return (float(np.mean(ov)) if ov.size else 0.0), int(ov.size)


def unsupervised(items: Sequence[tuple[str, list[Region], list[Region], tuple[int, int]]],
                 burnin: int = UNSUPERVISED_BURNIN) -> dict[str, Any]:
    """Length-weighted unsupervised accuracy (``average_accuracy``, burnin 1) over ``(name, traj, gt, size)``."""
    per_seq = []
    num = den = 0.0
    for name, traj, gt, size in items:
        acc, n = unsupervised_sequence_accuracy(traj, gt, size, burnin, name)
        per_seq.append({"name": name, "accuracy": acc, "frames": n, "length": len(gt)})
        num += acc * len(gt)
        den += len(gt)
    return {"accuracy": num / den if den else 0.0, "per_sequence": per_seq}


# ------------------------------------------------------------------------------------------------
# protocol entry points
# ------------------------------------------------------------------------------------------------

def _size(s: SequenceInput) -> tuple[int, int] | None:
    """``(W, H)`` from ``image_size`` or the ``width``/``height`` attributes; None when unknown (the
    overlaps are then not clipped to the image, and the result says so)."""
    if s.image_size is not None:
        return (int(s.image_size[0]), int(s.image_size[1]))
    a = s.attributes or {}
    if "width" in a and "height" in a:
        return (int(a["width"]), int(a["height"]))
    return None


def _groundtruth(s: SequenceInput) -> list[Region]:
    """The VOT regions (polygons, masks) where the dataset adapter provides them, else the boxes."""
    regions = (s.extra or {}).get("regions")
    return as_regions(regions if regions is not None else s.gt, f"{s.name}/groundtruth")


def _unsized_note(names: list[str]) -> list[str]:
    if not names:
        return []
    return [f"image size unknown for {len(names)} sequence(s) (e.g. {names[0]}): overlaps are not clipped "
            "to the image, unlike vot-toolkit (pass image_size)"]


def multistart_sequence(s: SequenceInput) -> MultistartSequence:
    """A :class:`MultistartSequence` from a :class:`SequenceInput` whose ``extra`` holds ``anchors`` and
    ``runs`` (anchor frame -> regions; string keys accepted)."""
    gt = _groundtruth(s)
    anchors = s.extra.get("anchors")
    if anchors is None:
        anchors = s.flags.get("anchor")
    if anchors is None:
        raise DataError(f"sequence {s.name}: the multistart experiment needs anchors (anchor.value)")
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1)
    if len(anchors) != len(gt):
        raise DataError(f"sequence {s.name}: {len(anchors)} anchor values for {len(gt)} frames")
    raw = s.extra.get("runs") or s.extra.get("trajectories") or {}
    runs = {int(k): as_regions(v, f"{s.name}/run{k}") for k, v in dict(raw).items()}
    return MultistartSequence(s.name, gt, _size(s), anchors, runs)


def unsupervised_item(s: SequenceInput) -> tuple[str, list[Region], list[Region], tuple[int, int]]:
    """``(name, trajectory, groundtruth, size)``; a plain box prediction gets ``1`` on frame 0."""
    gt = _groundtruth(s)
    traj = s.extra.get("trajectory")
    if traj is not None:
        regions = as_regions(traj, f"{s.name}/trajectory")
    else:
        if s.pred is None:
            raise DataError(f"sequence {s.name}: no prediction")
        regions = as_regions(np.asarray(s.pred, dtype=np.float64), f"{s.name}/prediction")
        if regions:
            regions[0] = Region("special", code=SPECIAL_INIT)
    return s.name, regions, gt, _size(s)


def _result(name: str, mode: str, metrics: dict, per_seq: list[dict], settings: dict, notes: list[str],
            curve: np.ndarray | None = None, seq_keys: Mapping[str, str] = {}) -> EvalResult:
    res = EvalResult(protocol=name, dataset_mode=mode, metrics=metrics,
                     sequence_names=[d["name"] for d in per_seq], per_sequence=per_seq,
                     settings=settings, notes=notes)
    if curve is not None:
        res.curves["eao"] = (np.arange(len(curve), dtype=np.float64), curve)
    for key, (val, w) in seq_keys.items():
        res.seq_values[key] = np.array([d[val] for d in per_seq], dtype=np.float64)
        res.seq_weights[key] = np.array([d[w] for d in per_seq], dtype=np.float64)
    return res


def evaluate_vot2020(sequences: Sequence[SequenceInput], dataset_mode: str = "vot2020",
                     experiment: str | None = None, **_: Any) -> EvalResult:
    """VOT2020: multistart EAO/A/R where anchor runs are given (``extra['runs']``), otherwise the
    unsupervised accuracy of one run from frame 0."""
    has_runs = all(s.extra.get("runs") or s.extra.get("trajectories") for s in sequences)
    exp = experiment or ("baseline" if has_runs else "unsupervised")
    if exp in ("baseline", "realtime", "multistart"):
        r = multistart([multistart_sequence(s) for s in sequences])
        metrics = {"eao": r["eao"], "accuracy": r["accuracy"], "robustness": r["robustness"]}
        return _result("vot2020", dataset_mode, metrics, r["per_sequence"],
                       {"experiment": exp, "eao_low": EAO_LOW, "eao_high": EAO_HIGH, "grace": GRACE,
                        "threshold": THRESHOLD, "bounded": True, "source": "vot-toolkit 0.9.0 multistart"},
                       ["A weighted by frames before failure, R by sequence length (vot-toolkit)"]
                       + _unsized_note([s.name for s in sequences if _size(s) is None]),
                       r["eao_curve"], {"accuracy": ("accuracy", "robust_frames"),
                                        "robustness": ("robustness", "length")})
    if exp == "unsupervised":
        r = unsupervised([unsupervised_item(s) for s in sequences])
        return _result("vot2020", dataset_mode, {"accuracy": r["accuracy"]}, r["per_sequence"],
                       {"experiment": "unsupervised", "burnin": UNSUPERVISED_BURNIN, "bounded": True,
                        "source": "vot-toolkit 0.9.0 average_accuracy"},
                       ["unsupervised: only accuracy is defined (no EAO/robustness without anchor runs)"]
                       + _unsized_note([s.name for s in sequences if _size(s) is None]),
                       None, {"accuracy": ("accuracy", "length")})
    raise DataError(f"protocol vot2020: unknown experiment {exp!r}; known: baseline, realtime, unsupervised")


register_protocol(
    "vot2020", kind="vot", metrics=("eao", "accuracy", "robustness"),
    # `bench evaluate` scores the unsupervised experiment: the first run of the VOT result files (region per
    # line; plain one-pass boxes read the same way), whose only score is accuracy (the multistart EAO needs
    # anchor runs from a vot-toolkit workspace: `bench vot analyse`)
    needs=("vot_trajectories",), main_metric="accuracy",
    source="PyPI vot-toolkit 0.9.0 (stack vot2020/shortterm.yaml)",
    description="VOT2020 anchor-based multistart EAO/A/R (baseline, realtime) or unsupervised accuracy, "
                "as vot-toolkit 0.9.0 computes them",
)(evaluate_vot2020)

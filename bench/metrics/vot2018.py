"""VOT2018-style reset-based (supervised) analyses, as vot-toolkit and as pysot compute them.

A supervised run re-initialises the tracker 5 frames after each failure; its trajectory holds VOT codes:
``1`` initialisation, ``2`` failure, ``0`` skipped frame, otherwise the predicted region. The two
toolkits score the same trajectories differently (SPEC.md section 5.3):

* vot-toolkit 0.9.0 (stack ``vot2018/shortterm.yaml``, protocol ``vot2018``): accuracy per trajectory
  over frames that are not unknown/failure and not within 10 frames of an initialisation, averaged over
  repetitions and then length-weighted over sequences; "Robustness" is the length-weighted mean failure
  count, the AR-plot robustness ``exp(-30 * failures / mean length)``; EAO fragments run from each
  initialisation to the next failure, computed in float32, EAO = mean of the curve at 100..356.
  Overlaps: :func:`~bench.core.regions.overlap_vottk` bounded to ``(W, H)``.
* pysot (``EAOBenchmark``/``AccuracyRobustnessBenchmark``, protocols ``vot2018-pysot`` and the year
  variants): accuracy = nanmean over all frames of the per-frame mean over repetitions, burn-in 10 from
  each init; robustness printed = failures per 100 frames; lost number = mean over repetitions of the
  total failures; EAO fragments start at 0 and at ``failure + 5``, end at the next re-init frame and are
  zero padded, interval [100, 356] (VOT2016 [108, 371], VOT2019 [46, 291]).
  Overlaps: :func:`~bench.core.regions.overlap_pysot`, AR bounded to ``(W, H)``, EAO to ``(W-1, H-1)``.

pysot silently truncates a trajectory longer or shorter than the ground truth; here a length mismatch
is an error unless ``length_mismatch="truncate"`` asks for pysot's behaviour.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.core.errors import DataError
from bench.metrics.base import PROTOCOLS, EvalResult, SequenceInput, missing_inputs, register_protocol
from bench.core.regions import (SPECIAL_FAILURE, SPECIAL_INIT, SPECIAL_UNKNOWN, Region, overlap_pysot,
                                   overlap_vottk, read_regions)
from bench.metrics.vot2020 import _groundtruth, _size, _unsized_note, as_regions

SKIP_INITIALIZE = 5
BURNIN = 10
SENSITIVITY = 30.0
#: pysot's EAO intervals (1-based, inclusive) by dataset name
PYSOT_INTERVALS = {"vot2016": (108, 371), "vot2017": (100, 356), "vot2018": (100, 356), "vot2019": (46, 291)}
VOTTK_LOW, VOTTK_HIGH = 100, 356


@dataclass
class SupervisedSequence:
    """Ground truth, image size ``(W, H)`` and the repetitions (one region list each) of one sequence."""

    name: str
    groundtruth: list[Region]
    size: tuple[int, int] | None
    trajectories: list[list[Region]]


def failures_of(traj: Sequence[Region]) -> list[int]:
    return [i for i, r in enumerate(traj) if r.is_code(SPECIAL_FAILURE)]


def inits_of(traj: Sequence[Region]) -> list[int]:
    return [i for i, r in enumerate(traj) if r.is_code(SPECIAL_INIT)]


def _check_length(seq: SupervisedSequence, traj: list[Region], k: int, mismatch: str) -> list[Region]:
    if len(traj) == len(seq.groundtruth):
        return traj
    if mismatch == "truncate":
        return traj[:len(seq.groundtruth)]
    raise DataError(f"sequence {seq.name}: repetition {k + 1} has {len(traj)} frames but the ground truth "
                    f"has {len(seq.groundtruth)} (results from a different sequence version?)")


# ------------------------------------------------------------------------------------------------
# vot-toolkit 0.9.0
# ------------------------------------------------------------------------------------------------

def _vottk_overlaps(seq: SupervisedSequence, k: int, traj: list[Region], bounds, memo: dict | None) -> list[float]:
    key = (seq.name, k, bounds)
    if memo is not None and key in memo:
        return memo[key]
    ov = [overlap_vottk(a, b, bounds) for a, b in zip(traj, seq.groundtruth)]
    if memo is not None:
        memo[key] = ov
    return ov


def vottk_sequence_ar(seq: SupervisedSequence, burnin: int = BURNIN, sensitivity: float = SENSITIVITY,
                      bounded: bool = True, memo: dict | None = None) -> dict[str, Any]:
    """``supervised.AccuracyRobustness.subcompute`` for one sequence."""
    if not seq.trajectories:
        raise DataError(f"sequence {seq.name}: no trajectories")
    bounds = seq.size if bounded else None
    acc_total = 0.0
    fail_total = 0.0
    for k, traj in enumerate(seq.trajectories):
        traj = _check_length(seq, traj, k, "error")
        fail_total += len(failures_of(traj))
        ov = np.array(_vottk_overlaps(seq, k, traj, bounds, memo))
        keep = np.ones(len(ov), dtype=bool)
        for i, r in enumerate(traj):
            if r.is_code(SPECIAL_UNKNOWN):
                keep[i] = False
            elif r.is_code(SPECIAL_INIT):
                keep[i:i + burnin] = False
            elif r.is_code(SPECIAL_FAILURE):
                keep[i] = False
        acc_total += float(np.mean(ov[keep])) if keep.any() else 0.0
    n = len(seq.trajectories)
    failures = fail_total / n
    accuracy = acc_total / n
    length = len(seq.groundtruth)
    return {"name": seq.name, "accuracy": accuracy, "failures": failures,
            "robustness_exp": math.exp(-(failures / length) * sensitivity), "length": length}


def vottk_eao_curve(seqs: Sequence[SupervisedSequence], bounded: bool = True, memo: dict | None = None) -> np.ndarray:
    """``supervised.EAOCurve``: float32 fragments from each init to the next failure, pooled."""
    fragments: list[np.ndarray] = []
    success: list[bool] = []
    for seq in seqs:
        bounds = seq.size if bounded else None
        for k, traj in enumerate(seq.trajectories):
            traj = _check_length(seq, traj, k, "error")
            ov = _vottk_overlaps(seq, k, traj, bounds, memo)
            fails, inits = failures_of(traj), inits_of(traj)
            if fails:
                for i in range(len(fails)):
                    start = inits[i] if i < len(inits) else 0
                    fragments.append(np.asarray(ov[start:fails[i]], dtype=np.float64))
                    success.append(False)
                if len(inits) > len(fails):
                    fragments.append(np.asarray(ov[inits[-1]:], dtype=np.float64))
                    success.append(True)
            else:
                fragments.append(np.asarray(ov, dtype=np.float64))
                success.append(True)
    if not fragments:
        raise DataError("vot2018: no trajectories to build the EAO curve from")
    width = max(len(f) for f in fragments)
    o = np.zeros((len(fragments), width), dtype=np.float32)
    m = np.zeros((len(fragments), width), dtype=np.float32)
    for i, (f, ok) in enumerate(zip(fragments, success)):
        o[i, :len(f)] = f
        if ok:
            m[i, :len(f)] = 1
        else:
            m[i, :] = 1
    w = np.ones((len(fragments), 1), dtype=np.float32)
    avg = o.copy()
    for j in range(1, width):  # the toolkit's float32 running means, same reduction as np.mean
        avg[:, j] = np.mean(o[:, 1:j + 1], axis=1)
    num = np.sum(w * avg * m, axis=0)
    den = np.sum(m * w, axis=0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _mean_or_nan(v: np.ndarray) -> float:
    """``np.mean`` as the toolkit takes it (NaN for an empty interval), without the warning."""
    return float(np.mean(v)) if len(v) else float("nan")


def vottk_supervised(seqs: Sequence[SupervisedSequence], *, low: int = VOTTK_LOW, high: int = VOTTK_HIGH,
                     burnin: int = BURNIN, sensitivity: float = SENSITIVITY) -> dict[str, Any]:
    memo: dict = {}  # AR and EAO use the same bounded overlaps
    per_seq = [vottk_sequence_ar(s, burnin, sensitivity, memo=memo) for s in seqs]
    wt = sum(d["length"] for d in per_seq)
    failures = sum(d["failures"] * d["length"] for d in per_seq) / wt
    accuracy = sum(d["accuracy"] * d["length"] for d in per_seq) / wt
    length = wt / len(per_seq)
    curve = vottk_eao_curve(seqs, memo=memo)
    return {
        "accuracy": accuracy, "failures": failures,
        "ar_point": {"robustness_exp": math.exp(-(failures / length) * sensitivity), "accuracy": accuracy},
        "length_weight": length, "eao": _mean_or_nan(curve[low:high + 1]), "eao_curve": curve,
        "per_sequence": per_seq,
    }


# ------------------------------------------------------------------------------------------------
# pysot
# ------------------------------------------------------------------------------------------------

class _OverlapCache:
    """pysot computes the overlaps of every trajectory twice (AR bounded to (W, H), EAO to (W-1, H-1));
    when both bounds coincide (image size unknown) the second pass reuses the first."""

    def __init__(self):
        self._memo: dict = {}

    def raw(self, key, traj: list[Region], gt: list[Region], bounds) -> list[float]:
        k = (key, bounds)
        if k not in self._memo:
            n = min(len(traj), len(gt))
            self._memo[k] = [overlap_pysot(a, b, bounds) for a, b in zip(traj[:n], gt[:n])]
        return self._memo[k]


def _pysot_overlaps(traj: list[Region], gt: list[Region], bounds, burnin: int,
                    cache: _OverlapCache | None = None, key=None) -> list[float]:
    """pysot ``calculate_accuracy(...)[1]``: frames within ``burnin`` of an init become unknown (NaN)."""
    raw = (cache or _OverlapCache()).raw(key if key is not None else id(traj), traj, gt, bounds)
    out = list(raw)
    if burnin > 0:
        for i in [i for i, r in enumerate(traj[:len(out)]) if r.is_code(SPECIAL_INIT)]:
            for j in range(i, min(i + burnin, len(out))):
                out[j] = float("nan")
    return out


def pysot_ar(seqs: Sequence[SupervisedSequence], burnin: int = BURNIN, mismatch: str = "error",
             cache: _OverlapCache | None = None) -> dict[str, Any]:
    """``AccuracyRobustnessBenchmark`` + ``show_result`` (accuracy, robustness per 100 frames, lost number)."""
    per_seq = []
    all_overlaps: list[float] = []
    failures_table = []
    length = 0
    for seq in seqs:
        group, fails = [], []
        for k, traj in enumerate(seq.trajectories):
            traj = _check_length(seq, traj, k, mismatch)
            fails.append(len(failures_of(traj)))
            bounds = None if seq.size is None else (seq.size[0], seq.size[1])
            group.append(_pysot_overlaps(traj, seq.groundtruth, bounds, burnin, cache, (seq.name, k)))
        if len({len(g) for g in group}) > 1:
            raise DataError(f"sequence {seq.name}: repetitions differ in length "
                            f"({sorted({len(g) for g in group})}); pysot cannot average them frame by frame")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            per_frame = np.nanmean(np.asarray(group, dtype=np.float64), axis=0)
            seq_acc = float(np.nanmean(per_frame)) if per_frame.size else float("nan")
        all_overlaps.extend(per_frame.tolist())
        length += len(per_frame)
        failures_table.append(fails)
        per_seq.append({"name": seq.name, "accuracy": seq_acc, "failures": fails, "length": len(per_frame),
                        "lost_number": float(np.mean(fails))})
    reps = {len(f) for f in failures_table}
    if len(reps) != 1:
        raise DataError(f"pysot AR needs the same number of repetitions for every sequence, found {sorted(reps)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        accuracy = float(np.nanmean(all_overlaps))
    totals = np.sum(np.asarray(failures_table, dtype=np.float64), axis=0)
    return {"accuracy": accuracy, "robustness_per100": float(np.mean(totals / length) * 100),
            "lost_number": float(np.mean(totals)), "length": length, "per_sequence": per_seq}


def pysot_expected_overlaps(fragments: np.ndarray, fweights: np.ndarray) -> np.ndarray:
    """pysot ``calculate_expected_overlap`` (float32 output, NaN-padded fragments)."""
    n = fragments.shape[1]
    out = np.zeros(n, np.float32)
    out[0] = 1
    valid = ~np.isnan(fragments)
    for i in range(1, n):
        mask = valid[:, i]
        if mask.any():
            f = fragments[mask, 1:i + 1]
            seq_mean = np.sum(f, 1) / f.shape[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[i] = np.sum(seq_mean * fweights[mask]) / np.sum(fweights[mask])
    return out


def pysot_eao(seqs: Sequence[SupervisedSequence], low: int = 100, high: int = 356, skipping: int = SKIP_INITIALIZE,
              mismatch: str = "error", cache: _OverlapCache | None = None) -> dict[str, Any]:
    """``EAOBenchmark._calculate_eao`` for the tag ``all``."""
    items = []
    last_reps = 0
    for seq in seqs:
        bounds = None if seq.size is None else (seq.size[0] - 1, seq.size[1] - 1)
        for k, traj in enumerate(seq.trajectories):
            traj = _check_length(seq, traj, k, mismatch)
            ov = _pysot_overlaps(traj, seq.groundtruth, bounds, 0, cache, (seq.name, k))
            items.append((len(seq.groundtruth), failures_of(traj[:len(ov)]), ov))
        last_reps = len(seq.trajectories)
    if not items:
        raise DataError("pysot EAO: no trajectories")
    n_frag = sum(len(f) + 1 for _, f, _ in items)
    max_len = max(len(o) for _, _, o in items)
    seq_weight = 1 / (last_reps + 1e-10)  # pysot uses the repetition count of the last sequence
    fweights = np.full(n_frag, np.nan)
    fragments = np.full((n_frag, max_len), np.nan)
    c = 0
    for traj_len, fails, ov in items:
        n = len(ov)
        if fails:
            points = [0] + [x + skipping for x in fails if x + skipping <= n]
            for i, p in enumerate(points):
                last = i == len(points) - 1
                frag = np.array(ov[p:] if last else ov[p:points[i + 1] + 1], dtype=np.float64)
                if not last:
                    fragments[c, :] = 0
                frag[np.isnan(frag)] = 0
                fragments[c, :len(frag)] = frag
                if not last:
                    tagged = len(range(traj_len)[p:points[i + 1] + 1])
                    fweights[c] = seq_weight * (tagged / (points[i + 1] - p + 1))
                else:
                    tagged = len(range(traj_len)[p:n])
                    fweights[c] = seq_weight * (tagged / (traj_len - p + 1e-16))
                c += 1
        else:
            k = min(n, max_len)
            fragments[c, :k] = ov[:k]
            fweights[c] = seq_weight * (len(range(traj_len)[0:k]) / k)
            c += 1
    expected = pysot_expected_overlaps(fragments, fweights)
    weight = np.zeros(len(expected))
    weight[low - 1:high - 1 + 1] = 1
    ok = ~np.isnan(expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        eao = float(np.sum(expected[ok] * weight[ok]) / np.sum(weight[ok]))
    return {"eao": eao, "eao_curve": expected, "interval": (low, high)}


# ------------------------------------------------------------------------------------------------
# inputs and protocol entry points
# ------------------------------------------------------------------------------------------------

def supervised_sequence(s: SequenceInput, protocol: str = "reset-based VOT") -> SupervisedSequence:
    """From a :class:`SequenceInput` with ``extra['trajectories']`` (one region list per repetition) or
    ``pred`` holding one trajectory (region strings / code rows)."""
    gt = _groundtruth(s)
    trajs = s.extra.get("trajectories")
    if trajs is None:
        if s.pred is None:
            raise DataError(f"sequence {s.name}: no trajectories")
        trajs = [s.pred] + list(s.extra_preds)
    regions = [as_regions(t, f"{s.name}/repetition{k + 1}") for k, t in enumerate(trajs)]
    for k, traj in enumerate(regions):
        # a reset-based run starts with the initialisation marker ``1``; a box there means one-pass (OPE)
        # results, whose failures were never reset: an EAO computed from them would be meaningless. The rule
        # is the protocol's ``needs`` (bench.metrics.check_inputs); this states it for direct callers too.
        if traj and not (traj[0].kind == "special" and traj[0].code == SPECIAL_INIT):
            why = missing_inputs(protocol, {"boxes"}) if protocol in PROTOCOLS else None
            raise DataError(f"sequence {s.name} (repetition {k + 1}): frame 1 holds a box, not the initialisation "
                            f"marker 1; " + (why or f"{protocol} needs the results of a reset-based run "
                                             "(`bench vot run`); score one-pass results with an OPE protocol"))
    return SupervisedSequence(s.name, gt, _size(s), regions)


def read_reset_trajectory(path: str | Path) -> list[Region]:
    """A reset-based result file (``<seq>_001.txt``: ``1``/``2``/``0`` codes or regions, one per line)."""
    return read_regions(path)


def evaluate_vottk(sequences: Sequence[SequenceInput], dataset_mode: str = "vot2018", **opts: Any) -> EvalResult:
    """Reset-based A/R/EAO as vot-toolkit 0.9.0 computes them (stack vot2018/shortterm.yaml baseline)."""
    seqs = [supervised_sequence(s, "vot2018") for s in sequences]
    r = vottk_supervised(seqs, low=int(opts.get("low", VOTTK_LOW)), high=int(opts.get("high", VOTTK_HIGH)))
    metrics = {"eao": r["eao"], "accuracy": r["accuracy"], "robustness": r["failures"],
               "failures": r["failures"], "ar_robustness": r["ar_point"]["robustness_exp"]}
    res = EvalResult(protocol="vot2018", dataset_mode=dataset_mode, metrics=metrics,
                     sequence_names=[s.name for s in seqs], per_sequence=r["per_sequence"],
                     settings={"experiment": "baseline (supervised)", "eao_low": VOTTK_LOW, "eao_high": VOTTK_HIGH,
                               "burnin": BURNIN, "sensitivity": SENSITIVITY, "length_weight": r["length_weight"],
                               "source": "vot-toolkit 0.9.0 supervised analyses"},
                     notes=["robustness = the toolkit's 'Robustness' measure: length-weighted mean failure count "
                            "per sequence (ar_robustness = exp(-30*failures/length))"]
                     + _unsized_note([s.name for s in seqs if s.size is None]))
    res.curves["eao"] = (np.arange(len(r["eao_curve"]), dtype=np.float64), np.asarray(r["eao_curve"], np.float64))
    lengths = np.array([d["length"] for d in r["per_sequence"]], dtype=np.float64)
    for key in ("accuracy", "failures"):
        res.seq_values[key] = np.array([d[key] for d in r["per_sequence"]], dtype=np.float64)
        res.seq_weights[key] = lengths
    return res


def _pysot_factory(year: str):
    low, high = PYSOT_INTERVALS[year]

    def evaluate_pysot(sequences: Sequence[SequenceInput], dataset_mode: str = year,
                       length_mismatch: str = "error", **_: Any) -> EvalResult:
        seqs = [supervised_sequence(s, f"{year}-pysot") for s in sequences]
        if length_mismatch not in ("error", "truncate"):
            raise DataError(f"length_mismatch must be 'error' or 'truncate', not {length_mismatch!r}")
        cache = _OverlapCache()
        ar = pysot_ar(seqs, mismatch=length_mismatch, cache=cache)
        eao = pysot_eao(seqs, low, high, mismatch=length_mismatch, cache=cache)
        metrics = {"eao": eao["eao"], "accuracy": ar["accuracy"], "robustness": ar["robustness_per100"],
                   "robustness_per100": ar["robustness_per100"], "lost_number": ar["lost_number"]}
        name = f"{year}-pysot"
        res = EvalResult(protocol=name, dataset_mode=dataset_mode, metrics=metrics,
                         sequence_names=[s.name for s in seqs], per_sequence=ar["per_sequence"],
                         settings={"eao_interval": [low, high], "skipping": SKIP_INITIALIZE, "burnin": BURNIN,
                                   "length_mismatch": length_mismatch,
                                   "source": "pysot-toolkit EAOBenchmark / AccuracyRobustnessBenchmark"},
                         notes=["robustness = pysot's printed Robustness: failures per 100 frames (lower is better)"])
        res.curves["eao"] = (np.arange(len(eao["eao_curve"]), dtype=np.float64),
                             np.asarray(eao["eao_curve"], np.float64))
        unsized = [s.name for s in seqs if s.size is None]
        if unsized:
            res.notes.append(f"image size unknown for {len(unsized)} sequence(s) (e.g. {unsized[0]}): their overlaps "
                             "are not clipped to the image, unlike pysot which reads the size from frame 1")
        return res

    evaluate_pysot.__doc__ = f"Reset-based EAO ([{low}, {high}]) and A/R as pysot computes them for {year.upper()}."
    return evaluate_pysot


register_protocol(
    "vot2018", kind="vot", metrics=("eao", "accuracy", "robustness", "failures"),
    needs=("vot_trajectories",), main_metric="eao",
    source="PyPI vot-toolkit 0.9.0 (stack vot2018/shortterm.yaml)",
    description="VOT2018 reset-based EAO [100,356], accuracy and failures as vot-toolkit 0.9.0 computes them",
)(evaluate_vottk)

for _year in ("vot2018", "vot2016", "vot2017", "vot2019"):
    _lo, _hi = PYSOT_INTERVALS[_year]
    register_protocol(
        f"{_year}-pysot", kind="vot", metrics=("eao", "accuracy", "robustness", "lost_number"),
        needs=("vot_trajectories",), main_metric="eao",
        source="pysot-toolkit (GXNU-ZhongLab/SSTrack a0fbfa1 pysot_toolkit)",
        description=f"{_year.upper()} reset-based EAO [{_lo},{_hi}], accuracy and robustness per 100 frames "
                    "as pysot computes them",
    )(_pysot_factory(_year))

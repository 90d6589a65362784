"""Bootstrap confidence intervals over sequences, and paired comparisons of two trackers.

Benchmarks have a few hundred sequences of very different difficulty, so a 0.3-point AUC gap can be
noise. Resampling *sequences* (with replacement) estimates how much a score would move on another draw of
sequences from the same population; resampling the same sequences for two trackers (paired) removes the
shared difficulty and tests the difference itself.

Each protocol exposes, per metric, per-sequence values and weights whose weighted mean is the metric
(``EvalResult.per_sequence_metric``): mean of per-sequence curves for most toolkits, frame-pooled for
GOT-10k (weight = frames), all-zero sequences weighted 0 for the LaSOT MATLAB toolkit. The point estimate
reported is always the protocol's own figure; the interval is the percentile interval of the resampled
weighted means.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.core.errors import DataError
from bench.metrics.base import EvalResult


def _resampled_means(values: np.ndarray, weights: np.ndarray, idx: np.ndarray) -> np.ndarray:
    w = weights[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (values[idx] * w).sum(1) / w.sum(1)


def _indices(n_seq: int, n: int, seed: int) -> np.ndarray:
    if n < 1:
        raise DataError(f"bootstrap: number of resamples must be >= 1, got {n}")
    return np.random.default_rng(seed).integers(0, n_seq, size=(n, n_seq))


def bootstrap_ci(values: Any, weights: Any = None, n: int = 1000, seed: int = 0, level: float = 0.95,
                 estimate: float | None = None) -> dict[str, float]:
    """Percentile interval of the weighted mean of ``values`` over ``n`` resamples of sequences."""
    v = np.asarray(values, dtype=np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    ok = ~np.isnan(v)
    v, w = v[ok], w[ok]
    if v.size == 0:
        raise DataError("bootstrap: no sequences with a value")
    stats = _resampled_means(v, w, _indices(v.size, n, seed))
    alpha = (1 - level) / 2
    point = float((v * w).sum() / w.sum()) if estimate is None else float(estimate)
    return {"estimate": point, "low": float(np.nanquantile(stats, alpha)), "high": float(np.nanquantile(stats, 1 - alpha)),
            "std": float(np.nanstd(stats)), "level": level, "n_resamples": n, "n_sequences": int(v.size)}


def bootstrap_result(result: EvalResult, keys: list[str] | None = None, n: int = 1000, seed: int = 0,
                     level: float = 0.95) -> dict[str, dict[str, float]]:
    """Intervals for each metric of ``result`` that has per-sequence values (AUC, AO, EAO, ...)."""
    keys = keys or [k for k in result.metrics if k in result.seq_values]
    out = {}
    for k in keys:
        v, w = result.per_sequence_metric(k)
        out[k] = bootstrap_ci(v, w, n=n, seed=seed, level=level, estimate=result.metrics.get(k))
    return out


def paired_comparison(a: EvalResult, b: EvalResult, key: str = "auc", n: int = 1000, seed: int = 0,
                      level: float = 0.95) -> dict[str, Any]:
    """Difference ``a - b`` in metric ``key`` with a paired bootstrap interval over the shared sequences.

    Both results must cover the same sequences (same protocol); each resample draws one set of sequences
    and scores both trackers on it. ``p_value`` is the two-sided bootstrap p-value of "no difference".
    """
    if a.protocol != b.protocol:
        raise DataError(f"paired comparison needs one protocol, got {a.protocol} and {b.protocol}")
    if sorted(a.sequence_names) != sorted(b.sequence_names):
        only = sorted(set(a.sequence_names) ^ set(b.sequence_names))
        raise DataError(f"paired comparison needs the same sequences; differing: {', '.join(only[:5])}")
    va, wa = a.per_sequence_metric(key)
    vb, wb = b.per_sequence_metric(key)
    order = {name: i for i, name in enumerate(b.sequence_names)}
    perm = np.array([order[name] for name in a.sequence_names])
    vb, wb = vb[perm], wb[perm]
    idx = _indices(len(va), n, seed)
    diffs = _resampled_means(va, wa, idx) - _resampled_means(vb, wb, idx)
    diffs = diffs[~np.isnan(diffs)]
    alpha = (1 - level) / 2
    diff = float(a.metrics[key] - b.metrics[key])
    low, high = float(np.quantile(diffs, alpha)), float(np.quantile(diffs, 1 - alpha))
    p = float(min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))))
    return {"metric": key, "difference": diff, "low": low, "high": high, "level": level, "p_value": p,
            "significant": bool(low > 0 or high < 0), "n_resamples": n, "n_sequences": len(va),
            "a_wins": int(np.sum(va > vb)), "b_wins": int(np.sum(va < vb))}

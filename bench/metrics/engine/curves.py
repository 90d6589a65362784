"""Threshold grids, ranks and per-sequence curves: the counting half of the OPE engine.

A curve point is "how many frames of a sequence have value OP threshold" (OP one of ``>``, ``>=``, ``<=``).
Each value's rank among a grid's thresholds is taken once with the toolkits' own float comparisons
(:func:`ranks_of`), and a protocol's per-sequence curves are one ``bincount`` of those ranks
(:func:`hist_curves`). :func:`shared_frames` opens a cache that several protocols scoring the same
sequences share (``bench evaluate --protocol all``).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import numpy as np

# --- threshold grids (SPEC §1.3), built exactly as each toolkit builds them ---------------------------------

#: torch.arange(0, 1.05, 0.05, dtype=float64) on torch 2.x CPU (not exactly i * 0.05).
PT_OVERLAP_THR = np.array([
    0.0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.25, 0.30000000000000004, 0.35000000000000003, 0.4, 0.45,
    0.5, 0.55, 0.6000000000000001, 0.6500000000000001, 0.7000000000000001, 0.7500000000000001, 0.8,
    0.8500000000000001, 0.9, 0.9500000000000001, 1.0])
CENTER_THR = np.arange(0, 51, dtype=np.float64)
NORM_THR = np.arange(0, 51, dtype=np.float64) / 100.0
PYSOT_OVERLAP_THR = np.arange(0, 1.05, 0.05)
G10K_OVERLAP_THR = np.linspace(0, 1, 21)
G10K_VAL_THR = np.linspace(0, 1, 101)
assert G10K_VAL_THR[50] == 0.5 and G10K_VAL_THR[75] == 0.75   # SR0.5 / SR0.75 are counts against these
MATLAB_OVERLAP_THR = np.arange(21) * 0.05          # Octave/MATLAB 0:0.05:1 (base + i * increment)
TNET_SUCCESS_THR = np.linspace(0, 1, 21)
TNET_PRECISION_THR = np.linspace(0, 50, 21)
TNET_NORM_THR = np.linspace(0, 0.5, 21)
MATLAB_EPS = float(np.finfo(float).eps)


# --- ranks and curves -------------------------------------------------------------------------------------

def count_curves(values: np.ndarray, seg: np.ndarray, n_seg: int, thr: np.ndarray, op: str) -> np.ndarray:
    """Per-segment counts of ``values OP thr[j]`` for every threshold: (n_seg, len(thr)) int64.

    Exact: each value's rank among the thresholds comes from ``searchsorted`` (the same float
    comparisons as the toolkits' loops; for the integer pixel grid 0..50, ``ceil`` gives it directly).
    NaN never satisfies a comparison (as in numpy/torch/MATLAB).
    """
    return hist_curves(ranks_of(values, thr, op), seg, n_seg, len(thr), op)


def ranks_of(values: np.ndarray, thr: np.ndarray, op: str) -> np.ndarray:
    """Each value's rank among the thresholds, as :func:`count_curves` counts it (elementwise)."""
    t = len(thr)
    nan = np.isnan(values)
    if nan.any():
        values = np.where(nan, -np.inf if op in (">", ">=") else np.inf, values)
    if op in (">", ">="):
        k = _searchsorted(thr, values, side="left" if op == ">" else "right")  # v OP thr[j] iff j < k
    elif op == "<=":
        if thr is CENTER_THR:   # number of integers 0..50 below v
            k = np.clip(np.ceil(values), 0, t).astype(np.intp)
        else:
            k = _searchsorted(thr, values, side="left")  # v <= thr[j] iff j >= k
    else:
        raise ValueError(op)
    return k


def _searchsorted(thr: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted(thr, values, side)`` for an evenly spaced grid (every grid here), without the
    binary search: the position from arithmetic, off by at most one near a threshold, then corrected by
    the exact comparisons (left: count of thr < v; right: count of thr <= v). Other grids: searchsorted.

    Where every threshold is ``i * step`` (or ``i / d``) as a float, the two neighbours compared with come
    from the same arithmetic; otherwise from a table. Past either end the correction may step out of the
    grid, and the final clip brings the count back (no threshold lies beyond)."""
    t = len(thr)
    grid = _GRIDS.get(id(thr))
    if grid is None or grid[0] is not thr or len(values) < 1024:
        return np.searchsorted(thr, values, side=side)
    _, lo, step, below, above, formula = grid
    with np.errstate(all="ignore"):
        k = values - lo          # in place: the same operations, one temporary instead of three
        k /= step
        np.ceil(k, out=k)
        np.clip(k, 0, t, out=k)
        if formula is not None:
            op, c = formula
            nb = k - 1.0
            op(nb, c, out=nb)            # thr[k - 1]
            np.subtract(k, (nb >= values) if side == "left" else (nb > values), out=k)
            op(k, c, out=nb)             # thr[k]
            np.add(k, (nb < values) if side == "left" else (nb <= values), out=k)
            np.clip(k, 0, t, out=k)
            return k.astype(np.intp)
    k = k.astype(np.intp)
    if side == "left":
        k -= below[k] >= values    # thr[k-1] >= v: one too many
        k += above[k] < values     # thr[k] < v: one too few
    else:
        k -= below[k] > values
        k += above[k] <= values
    np.clip(k, 0, t, out=k)   # the +-inf sentinels step past the ends for v = +-inf
    return k


def _grid(thr: np.ndarray) -> tuple | None:
    lo, step = float(thr[0]), (float(thr[-1]) - float(thr[0])) / (len(thr) - 1)
    if not (step > 0 and np.all(np.diff(thr) > 0)
            and np.abs(thr - (lo + step * np.arange(len(thr)))).max() < 1e-6 * step):
        return None
    i = np.arange(len(thr), dtype=np.float64)
    formula = None
    if lo == 0.0 and np.array_equal(i * step, thr):
        formula = (np.multiply, step)
    elif lo == 0.0 and np.array_equal(i / round(1 / step), thr):
        formula = (np.divide, float(round(1 / step)))
    # below[k] = thr[k-1] (-inf for k = 0), above[k] = thr[k] (+inf for k = t)
    return thr, lo, step, np.concatenate(([-np.inf], thr)), np.concatenate((thr, [np.inf])), formula


_GRIDS = {id(t): g for t in (PT_OVERLAP_THR, NORM_THR, PYSOT_OVERLAP_THR, G10K_OVERLAP_THR, G10K_VAL_THR,
                             MATLAB_OVERLAP_THR, TNET_SUCCESS_THR, TNET_PRECISION_THR, TNET_NORM_THR)
          if (g := _grid(t)) is not None}


def with_ranks(k: np.ndarray, thr: np.ndarray, op: str, assign: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Ranks of the values after ``values[mask] = v`` for each ``(mask, v)`` in order, from the unmasked ranks."""
    k = k.copy()
    for mask, v in assign:
        k[mask] = ranks_of(np.array([v], dtype=np.float64), thr, op)[0]
    return k


def _bin_index(k: np.ndarray, seg: np.ndarray, t: int) -> np.ndarray:
    """``seg * (t + 1) + k``. Inside :func:`shared_frames` the protocols bin against the same segment array
    many times: ``seg * (t + 1)`` and the output buffer are then kept for the block (fresh memory for a
    whole-dataset temporary costs more than the arithmetic)."""
    cache = shared_cache()
    if cache is None:
        idx = seg * (t + 1)
        idx += k
        return idx
    bases = cache.setdefault("seg_bases", {})
    hit = bases.get((id(seg), t))
    if hit is None or hit[0] is not seg:   # the entry keeps seg alive: its id is not reused meanwhile
        if len(bases) >= 16:
            bases.clear()
        hit = bases[id(seg), t] = (seg, seg * (t + 1))
    bufs = cache.setdefault("bin_buffers", {})
    dtype = np.result_type(hit[1], k)
    buf = bufs.get((len(seg), dtype))
    if buf is None:
        if len(bufs) >= 4:
            bufs.clear()
        buf = bufs[len(seg), dtype] = np.empty(len(seg), dtype=dtype)
    return np.add(hit[1], k, out=buf)


def hist_curves(k: np.ndarray, seg: np.ndarray, n_seg: int, t: int, op: str) -> np.ndarray:
    """Per-segment curves from ranks (see :func:`count_curves`)."""
    idx = _bin_index(k, seg, t)
    hist = np.bincount(idx, minlength=n_seg * (t + 1)).reshape(n_seg, t + 1)
    if op == "<=":
        return np.cumsum(hist, axis=1)[:, :t]
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]


CHUNK = 1 << 15   # frames per block: the temporaries of a block stay small and their memory is reused


def chunked_ranks(n: int, values: Any, specs: list[tuple[np.ndarray, str]]) -> list[np.ndarray]:
    """Ranks (uint8) of the per-frame arrays ``values(a, b)`` returns for frames ``a:b``, block by block.

    The arrays are elementwise functions of the frames, so blocks give the same ranks as one pass, without
    holding a dozen whole-dataset temporaries (allocating fresh memory is most of the cost here).
    """
    out: list[list[np.ndarray]] = [[] for _ in specs]
    for a in range(0, n, CHUNK):
        arrays = values(a, min(a + CHUNK, n))
        for acc, v, (thr, op) in zip(out, arrays, specs):
            acc.append(ranks_of(v, thr, op).astype(np.uint8))
    return [np.concatenate(acc) if acc else np.zeros(0, np.uint8) for acc in out]


_SHARED = threading.local()   # per thread: a stack of caches, one per open shared_frames() block


@contextlib.contextmanager
def shared_frames() -> Iterator[None]:
    """Within this block, protocols scoring the same list of SequenceInputs share one
    :class:`bench.metrics.engine.Frames` (``bench.evaluation.evaluate_many`` scores every protocol this
    way). The inputs must not change inside the block."""
    stack = getattr(_SHARED, "stack", None)
    if stack is None:
        stack = _SHARED.stack = []
    stack.append({})
    try:
        yield
    finally:
        stack.pop()


def shared_cache() -> dict | None:
    """The cache of the innermost open :func:`shared_frames` block of this thread, None outside one."""
    stack = getattr(_SHARED, "stack", None)
    return stack[-1] if stack else None

"""Bit-exact float32 reductions as torch 2.x computes them on CPU.

pytracking stores per-sequence curves as float32 tensors and averages them with ``Tensor.mean``; torch
sums float32 with a fixed cascade (4 interleaved accumulators, then levels of 16), so a plain numpy
``mean`` differs in the last bits. Replicating the order gives the official numbers exactly without
importing torch.
"""
from __future__ import annotations

import numpy as np

_LEVELS = 4
_ILP = 4
_VEC = 8  # float32 lanes of the vectorised inner reduction


def _ceil_log2(n: int) -> int:
    return 0 if n <= 1 else int(n - 1).bit_length()


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """Cascade sum over axis 0 of ``rows`` (size, k, ...) -> (k, ...), torch's ``multi_row_sum``."""
    size = rows.shape[0]
    power = max(4, _ceil_log2(size) // _LEVELS)
    step = 1 << power
    mask = step - 1
    acc = np.zeros((_LEVELS,) + rows.shape[1:], dtype=np.float32)
    i = 0
    while i + step <= size:
        for r in rows[i:i + step]:
            acc[0] += r
        i += step
        for j in range(1, _LEVELS):
            acc[j] += acc[j - 1]
            acc[j - 1] = 0
            if i & (mask << (j * power)):
                break
    for r in rows[i:]:
        acc[0] += r
    for j in range(1, _LEVELS):
        acc[0] += acc[j]
    return acc[0]


def _ilp_row_sum(x: np.ndarray) -> np.ndarray:
    """torch's ``row_sum``: rows split over 4 interleaved accumulators, each a cascade."""
    n = x.shape[0] // _ILP
    if n:
        part = _multi_row_sum(x[:n * _ILP].reshape((n, _ILP) + x.shape[1:])).copy()
    else:
        part = np.zeros((_ILP,) + x.shape[1:], dtype=np.float32)
    for r in x[n * _ILP:]:
        part[0] += r
    out = part[0].copy()
    for k in range(1, _ILP):
        out += part[k]
    return out


def sum_rows(x: np.ndarray) -> np.ndarray:
    """``torch.tensor(x).sum(0)`` for float32 ``x`` of shape (S, T).

    torch's vectorised outer reduction takes columns in blocks of 4 vectors (32 floats), each summed by
    one cascade, then the remaining columns with ``row_sum`` (4 interleaved cascades).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        return _ilp_row_sum(x)
    block = _ILP * _VEC
    out = np.empty(x.shape[1:], dtype=np.float32)
    j = 0
    while j + block <= x.shape[1]:
        out[j:j + block] = _multi_row_sum(x[:, j:j + block])
        j += block
    if j < x.shape[1]:
        out[j:] = _ilp_row_sum(x[:, j:])
    return out


def mean_rows(x: np.ndarray) -> np.ndarray:
    """``torch.tensor(x).mean(0)`` for float32 ``x``."""
    x = np.asarray(x, dtype=np.float32)
    return (sum_rows(x) / np.float32(x.shape[0])).astype(np.float32)


def mean_vector(v: np.ndarray) -> np.float32:
    """``torch.tensor(v).mean()`` for a 1-D float32 ``v`` (contiguous inner reduction)."""
    v = np.asarray(v, dtype=np.float32)
    n = v.shape[0] // _VEC
    vec = _ilp_row_sum(v[:n * _VEC].reshape(n, _VEC)) if n else np.zeros(_VEC, np.float32)
    total = np.float32(0)
    for x in v[n * _VEC:]:
        total = np.float32(total + x)
    for x in vec:
        total = np.float32(total + x)
    return np.float32(total / np.float32(v.shape[0]))

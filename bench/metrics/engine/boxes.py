"""Per-frame building blocks of the OPE protocols: box checks, visibility flags, IoU forms, centres,
carry-forward, and the :class:`EvalResult` every OPE protocol returns.

Each expression keeps the operation order of the toolkit it comes from (the protocols' modules say which),
so the same inputs give the same floats.
"""
from __future__ import annotations

from typing import Any, Sequence as Seq

import numpy as np

from bench.core.errors import DataError
from bench.metrics.base import EvalResult, SequenceInput

#: dataset modes whose visibility flags (full_occlusion / out_of_view / absent) the toolkits read.
LASOT_MODES = ("lasot", "lasot_extension_subset")


def check_boxes(a: Any, protocol: str, seq: str, what: str) -> np.ndarray:
    if a is None:
        raise DataError(f"{protocol}: sequence {seq}: no {what} boxes")
    arr = np.asarray(a, dtype=np.float64)   # callers copy before they write
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise DataError(f"{protocol}: sequence {seq}: {what} boxes must be (N, 4) x,y,w,h, got shape {arr.shape}")
    return arr


def visible_flags(s: SequenceInput, n: int) -> np.ndarray | None:
    """Per-frame visibility: the sequence's own ``target_visible`` (1 = visible) where its loader gives it,
    as pytracking's do; else LaSOT's rule, not full_occlusion and not out_of_view (else not ``absent``);
    None if unknown."""
    tv = s.flag("target_visible")
    if tv is not None:
        return fit_flag(tv, n) != 0
    fo, ov, ab = s.flag("full_occlusion"), s.flag("out_of_view"), s.flag("absent")
    if fo is not None or ov is not None:
        vis = np.ones(n, bool)
        for f in (fo, ov):
            if f is not None:
                vis &= fit_flag(f, n) == 0
        return vis
    if ab is not None:
        return fit_flag(ab, n) == 0
    return None


def absent_flags(s: SequenceInput, n: int) -> np.ndarray:
    """What the MATLAB toolkits read from ``annos/absent/<seq>.txt`` (SPEC §2.4 / README)."""
    ab = s.flag("absent")
    if ab is not None:
        return fit_flag(ab, n) == 1
    vis = visible_flags(s, n)
    if vis is not None:
        return ~vis
    ab = s.flag("absence")
    if ab is not None:
        return fit_flag(ab, n) == 1
    return np.zeros(n, bool)


def fit_flag(flag: np.ndarray, n: int) -> np.ndarray:
    """A per-frame flag cut or zero-padded to ``n`` frames (TNL2K has a 929-row GT with 930 flags)."""
    flag = np.asarray(flag, dtype=np.float64).reshape(-1)
    if len(flag) >= n:
        return flag[:n]
    return np.concatenate([flag, np.zeros(n - len(flag))])


def segments_of(lengths: Seq[int]) -> np.ndarray:
    return np.repeat(np.arange(len(lengths)), np.asarray(lengths, dtype=np.int64))


def carry_forward(pred: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Replace each bad row (from frame 1 on) by the previous, already repaired row."""
    bad = bad.copy()
    bad[:1] = False
    if not bad.any():
        return pred
    idx = np.where(bad, 0, np.arange(len(pred)))
    np.maximum.accumulate(idx, out=idx)
    return pred[idx]


def stack_cols(boxes: list[np.ndarray]) -> np.ndarray:
    """Concatenate (n_i, 4) box arrays into one (4, N) array: each coordinate contiguous (fast ops)."""
    if not boxes:
        return np.zeros((4, 0))
    return np.concatenate([b.T for b in boxes], axis=1)


def iou_pixel(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """+1/-1 "pixel-inclusive" IoU (pytracking, LaSOT MATLAB) of (4, N) boxes: same operation order as
    the toolkits (``(min(br) - max(tl)) + 1``, clamped at 0; ``(wp*hp + wg*hg) - inter``), no eps."""
    iw = np.minimum(p[0] + p[2] - 1.0, g[0] + g[2] - 1.0)
    iw -= np.maximum(p[0], g[0])
    iw += 1.0
    np.maximum(iw, 0.0, out=iw)
    ih = np.minimum(p[1] + p[3] - 1.0, g[1] + g[3] - 1.0)
    ih -= np.maximum(p[1], g[1])
    ih += 1.0
    np.maximum(ih, 0.0, out=ih)
    inter = iw * ih
    union = p[2] * p[3]
    union += g[2] * g[3]
    union -= inter
    return inter / union


def iou_continuous(p: np.ndarray, g: np.ndarray, eps: float = 0.0, union_out: dict | None = None,
                   tag: str = "") -> np.ndarray:
    """Continuous IoU of (4, N) boxes (pysot ``overlap_ratio``; got10k ``rect_iou`` with ``eps``).
    ``union_out[tag]`` receives the union before ``eps`` is added."""
    w = np.minimum(p[0] + p[2], g[0] + g[2])
    w -= np.maximum(p[0], g[0])
    np.maximum(w, 0, out=w)
    h = np.minimum(p[1] + p[3], g[1] + g[3])
    h -= np.maximum(p[1], g[1])
    np.maximum(h, 0, out=h)
    inter = w * h
    union = p[2] * p[3]
    union += g[2] * g[3]
    union -= inter
    if union_out is not None:
        union_out[tag] = union.copy() if eps else union
    if eps:
        union += eps
    iou = inter / union
    return np.clip(iou, 0.0, 1.0, out=iou)


def centers(b: np.ndarray) -> np.ndarray:
    """(2, N) centres ``x + (w - 1) / 2`` of (4, N) boxes."""
    return b[:2] + (b[2:] - 1) / 2


def _curve(thr: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(thr, dtype=np.float64), np.asarray(values, dtype=np.float64)


def seq_error(protocol: str, seq: str, msg: str) -> DataError:
    return DataError(f"{protocol}: sequence {seq}: {msg}")


def joined_cols(boxes: list[np.ndarray]) -> np.ndarray:
    """(4, N) columns of the concatenated (n_i, 4) arrays. Arrays that already lie back to back in one
    buffer (``load_many_boxes`` parses all files into one) are viewed, not copied."""
    base = boxes[0].base
    if not (isinstance(base, np.ndarray) and base.ndim == 2 and base.dtype == np.float64
            and base.flags.c_contiguous and all(b.base is base for b in boxes)):
        return stack_cols(boxes)
    item = base.itemsize
    origin = base.__array_interface__["data"][0]
    ptr = boxes[0].__array_interface__["data"][0]
    if base.shape[1] == 4:     # rows x,y,w,h: each array a block of rows
        step, view = base.strides[0], lambda a, n: base[a:a + n].T
        ok = all(b.strides == (step, item) for b in boxes)
    elif base.shape[0] == 4:   # columns (pandas' layout): each array the transpose of a block of columns
        step, view = item, lambda a, n: base[:, a:a + n]
        ok = all(b.strides == (item, base.strides[0]) for b in boxes)
    else:
        return stack_cols(boxes)
    if not ok or (ptr - origin) % step:
        return stack_cols(boxes)
    start, n = (ptr - origin) // step, 0
    for b in boxes:
        if b.__array_interface__["data"][0] != ptr:
            return stack_cols(boxes)
        ptr += len(b) * step
        n += len(b)
    return view(start, n)


def visible_or_all(s: SequenceInput, n: int) -> np.ndarray:
    vis = visible_flags(s, n)
    return np.ones(n, bool) if vis is None else vis


def make_result(proto: str, mode: str, metrics: dict, seqs: list[SequenceInput], per_seq: list[dict],
                curves: dict, seq_values: dict, settings: dict, seq_weights: dict | None = None,
                notes: list[str] | None = None) -> EvalResult:
    return EvalResult(
        protocol=proto, dataset_mode=mode, metrics={k: float(v) for k, v in metrics.items()},
        sequence_names=[s.name for s in seqs],
        curves={k: _curve(t, v) for k, (t, v) in curves.items()},
        per_sequence=per_seq,
        seq_values={k: np.asarray(v, dtype=np.float64) for k, v in seq_values.items()},
        seq_weights={k: np.asarray(v, dtype=np.float64) for k, v in (seq_weights or {}).items()},
        settings=settings, notes=list(notes or []))



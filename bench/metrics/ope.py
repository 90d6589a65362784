"""One-pass evaluation (OPE): success / precision / normalized precision as each official toolkit computes it.

The toolkits agree on the idea and disagree on the details (first frame, ``>`` vs ``>=``, +1/-1 pixel
arithmetic, invalid and absent frames, how sequences are averaged); ../shared/reference/metrics/SPEC.md and
docs/protocols.md list them. Each protocol below reproduces one toolkit, rule for rule, and raises
:class:`DataError` where that toolkit raises.

Speed: when every sequence is "clean" (float64 boxes, equal lengths, no NaN, no negative predicted size:
nothing for a toolkit to pad, reject or repair beyond carrying zero-size rows forward) the per-sequence rules
become whole-array operations on all frames concatenated (:class:`_Frames`); anything else takes the
per-sequence path, which raises the toolkits' errors. Per-frame values (overlaps, centre errors) are computed
block by block (small temporaries, reused memory) on the boxes as written, once; the variants the toolkits
use (first frame replaced by the ground truth, zero-size rows carried forward, got10k's eps in the union,
pysot's 1e-16 in the normalisation) differ from those on few frames, which are computed again with the
toolkit's own expression (TrackingNet's rounding changes nothing on integer boxes, the usual case). Each value's rank among a protocol's thresholds
is taken once (exact comparisons), and per-sequence curves are one ``bincount`` of those ranks. Inside
:func:`shared_frames` (``bench.evaluation.evaluate_many``, i.e. ``bench evaluate --protocol all``) the
protocols share all of this. Results are bit-identical to the per-sequence path (tests/test_metrics_fast_path.py).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Sequence as Seq

import numpy as np

from bench.errors import DataError
from bench.metrics import _float32 as f32
from bench.metrics.base import EvalResult, SequenceInput, register_protocol

# --- threshold grids (SPEC §1.3) -------------------------------------------------------------------------

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

LASOT_MODES = ("lasot", "lasot_extension_subset")


# --- shared helpers --------------------------------------------------------------------------------------

def _boxes(a: Any, protocol: str, seq: str, what: str) -> np.ndarray:
    if a is None:
        raise DataError(f"{protocol}: sequence {seq}: no {what} boxes")
    arr = np.asarray(a, dtype=np.float64)   # callers copy before they write
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise DataError(f"{protocol}: sequence {seq}: {what} boxes must be (N, 4) x,y,w,h, got shape {arr.shape}")
    return arr


def _visible(s: SequenceInput, n: int) -> np.ndarray | None:
    """LaSOT visibility: not full_occlusion and not out_of_view (else not ``absent``), None if unknown."""
    fo, ov, ab = s.flag("full_occlusion"), s.flag("out_of_view"), s.flag("absent")
    if fo is not None or ov is not None:
        vis = np.ones(n, bool)
        for f in (fo, ov):
            if f is not None:
                vis &= _fit(f, n) == 0
        return vis
    if ab is not None:
        return _fit(ab, n) == 0
    return None


def _absent_flags(s: SequenceInput, n: int) -> np.ndarray:
    """What the MATLAB toolkits read from ``annos/absent/<seq>.txt`` (SPEC §2.4 / README)."""
    ab = s.flag("absent")
    if ab is not None:
        return _fit(ab, n) == 1
    vis = _visible(s, n)
    if vis is not None:
        return ~vis
    ab = s.flag("absence")
    if ab is not None:
        return _fit(ab, n) == 1
    return np.zeros(n, bool)


def _fit(flag: np.ndarray, n: int) -> np.ndarray:
    """A per-frame flag cut or zero-padded to ``n`` frames (TNL2K has a 929-row GT with 930 flags)."""
    flag = np.asarray(flag, dtype=np.float64).reshape(-1)
    if len(flag) >= n:
        return flag[:n]
    return np.concatenate([flag, np.zeros(n - len(flag))])


def _segments(lengths: Seq[int]) -> np.ndarray:
    return np.repeat(np.arange(len(lengths)), np.asarray(lengths, dtype=np.int64))


def _count_curves(values: np.ndarray, seg: np.ndarray, n_seg: int, thr: np.ndarray, op: str) -> np.ndarray:
    """Per-segment counts of ``values OP thr[j]`` for every threshold: (n_seg, len(thr)) int64.

    Exact: each value's rank among the thresholds comes from ``searchsorted`` (the same float
    comparisons as the toolkits' loops; for the integer pixel grid 0..50, ``ceil`` gives it directly).
    NaN never satisfies a comparison (as in numpy/torch/MATLAB).
    """
    return _hist_curves(_ranks(values, thr, op), seg, n_seg, len(thr), op)


def _ranks(values: np.ndarray, thr: np.ndarray, op: str) -> np.ndarray:
    """Each value's rank among the thresholds, as :func:`_count_curves` counts it (elementwise)."""
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


def _with_ranks(k: np.ndarray, thr: np.ndarray, op: str, assign: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Ranks of the values after ``values[mask] = v`` for each ``(mask, v)`` in order, from the unmasked ranks."""
    k = k.copy()
    for mask, v in assign:
        k[mask] = _ranks(np.array([v], dtype=np.float64), thr, op)[0]
    return k


def _bin_index(k: np.ndarray, seg: np.ndarray, t: int) -> np.ndarray:
    """``seg * (t + 1) + k``. Inside :func:`shared_frames` the protocols bin against the same segment array
    many times: ``seg * (t + 1)`` and the output buffer are then kept for the block (fresh memory for a
    whole-dataset temporary costs more than the arithmetic)."""
    stack = getattr(_SHARED, "stack", None)
    if not stack:
        idx = seg * (t + 1)
        idx += k
        return idx
    bases = stack[-1].setdefault("seg_bases", {})
    hit = bases.get((id(seg), t))
    if hit is None or hit[0] is not seg:   # the entry keeps seg alive: its id is not reused meanwhile
        if len(bases) >= 16:
            bases.clear()
        hit = bases[id(seg), t] = (seg, seg * (t + 1))
    bufs = stack[-1].setdefault("bin_buffers", {})
    dtype = np.result_type(hit[1], k)
    buf = bufs.get((len(seg), dtype))
    if buf is None:
        if len(bufs) >= 4:
            bufs.clear()
        buf = bufs[len(seg), dtype] = np.empty(len(seg), dtype=dtype)
    return np.add(hit[1], k, out=buf)


def _hist_curves(k: np.ndarray, seg: np.ndarray, n_seg: int, t: int, op: str) -> np.ndarray:
    """Per-segment curves from ranks (see :func:`_count_curves`)."""
    idx = _bin_index(k, seg, t)
    hist = np.bincount(idx, minlength=n_seg * (t + 1)).reshape(n_seg, t + 1)
    if op == "<=":
        return np.cumsum(hist, axis=1)[:, :t]
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]


_CHUNK = 1 << 15   # frames per block: the temporaries of a block stay small and their memory is reused


def _chunked_ranks(n: int, values: Any, specs: list[tuple[np.ndarray, str]]) -> list[np.ndarray]:
    """Ranks (uint8) of the per-frame arrays ``values(a, b)`` returns for frames ``a:b``, block by block.

    The arrays are elementwise functions of the frames, so blocks give the same ranks as one pass, without
    holding a dozen whole-dataset temporaries (allocating fresh memory is most of the cost here).
    """
    out: list[list[np.ndarray]] = [[] for _ in specs]
    for a in range(0, n, _CHUNK):
        arrays = values(a, min(a + _CHUNK, n))
        for acc, v, (thr, op) in zip(out, arrays, specs):
            acc.append(_ranks(v, thr, op).astype(np.uint8))
    return [np.concatenate(acc) if acc else np.zeros(0, np.uint8) for acc in out]


def _carry_forward(pred: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Replace each bad row (from frame 1 on) by the previous, already repaired row."""
    bad = bad.copy()
    bad[:1] = False
    if not bad.any():
        return pred
    idx = np.where(bad, 0, np.arange(len(pred)))
    np.maximum.accumulate(idx, out=idx)
    return pred[idx]


def _cols(boxes: list[np.ndarray]) -> np.ndarray:
    """Concatenate (n_i, 4) box arrays into one (4, N) array: each coordinate contiguous (fast ops)."""
    if not boxes:
        return np.zeros((4, 0))
    return np.concatenate([b.T for b in boxes], axis=1)


def _iou_pixel(p: np.ndarray, g: np.ndarray) -> np.ndarray:
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


def _iou_continuous(p: np.ndarray, g: np.ndarray, eps: float = 0.0, union_out: dict | None = None,
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


def _centers(b: np.ndarray) -> np.ndarray:
    """(2, N) centres ``x + (w - 1) / 2`` of (4, N) boxes."""
    return b[:2] + (b[2:] - 1) / 2


def _curve(thr: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(thr, dtype=np.float64), np.asarray(values, dtype=np.float64)


def _seq_error(protocol: str, seq: str, msg: str) -> DataError:
    return DataError(f"{protocol}: sequence {seq}: {msg}")


# --- all sequences at once, shared by protocols ------------------------------------------------------------

def _integral(x: np.ndarray) -> bool:
    """All values integers of magnitude below 2^31 (anything else, NaN and inf included, fails the round trip)."""
    with np.errstate(invalid="ignore"):
        return bool(np.array_equal(x.astype(np.int32), x))


def _kind_values(kind: str, p: np.ndarray, g: np.ndarray, cache: dict, tag: str) -> np.ndarray:
    """Per-frame ``kind`` of (4, N) predictions ``p`` (read only) against ground truth ``g``, with the
    toolkits' expressions (see the protocols); ``cache`` keeps the centres (the predictions' under ``tag``)."""
    if kind == "iou_pixel":    # +1/-1 IoU (pytracking, MATLAB)
        return _iou_pixel(p, g)
    if kind == "iou_eps":      # got10k rect_iou with eps (got10k, got10k-val)
        return _iou_continuous(p, g, eps=float(np.finfo(float).eps))
    if kind == "iou_cont":     # pysot overlap_ratio(gt, pred): min/max and the sum of areas are symmetric
        return _iou_continuous(p, g, union_out=cache.setdefault("union", {}), tag=tag)
    if kind == "eps_differs":  # frames where got10k's union + eps is not the union itself
        unions = cache.setdefault("union", {})
        if tag not in unions:
            _iou_continuous(p, g, union_out=unions, tag=tag)
        u = unions[tag]
        return u + float(np.finfo(float).eps) != u
    if kind == "tnet_sane":    # the devkit's "sanity" (pw + ph + px + py > 0 of the rounded prediction)
        total = p[3] + p[2]
        total += p[0]
        total += p[1]
        return total > 0
    if "cg" not in cache:
        cache["cg"] = _centers(g)
    cg = cache["cg"]
    if kind == "gt_centre_positive":   # pysot's precision validity (gc > 0 in x and y)
        return (cg[0] > 0) & (cg[1] > 0)
    if kind in ("pysot_norm_valid", "pysot_norm_differs"):
        if "pysot_norm_valid" not in cache:   # gc / (gt wh + 1e-16) > 0 in x and y
            cache["pysot_norm_valid"] = (cg[0] / (g[2] + 1e-16) > 0) & (cg[1] / (g[3] + 1e-16) > 0)
        if kind == "pysot_norm_valid":
            return cache["pysot_norm_valid"]
        # valid frames where + 1e-16 changes the size (sizes below 1): there pysot's normalised error is
        # not the shared 'nerr' (elsewhere gc / (wh + 1e-16) is gc / wh, and (a - b)^2 = (b - a)^2)
        return cache["pysot_norm_valid"] & ((g[2] + 1e-16 != g[2]) | (g[3] + 1e-16 != g[3]))
    if ("cp", tag) not in cache:
        cache["cp", tag] = _centers(p)
    cp = cache["cp", tag]
    if kind == "tnet_ndist":   # TrackingNet's sqrt(dx / gw * dx / gw + dy / gh * dy / gh), on integer boxes
        d = cp - cg            # -dx, exactly: (px + (pw - 1) / 2) - (gx + (gw - 1) / 2) on small integers
        n = d / g[2:]
        n *= d
        n /= g[2:]
        return np.sqrt(n[0] + n[1])
    if kind == "err":          # centre error (pytracking, MATLAB, got10k; pysot's (gc - pc)^2 is the same)
        d = (cp - cg) ** 2
    elif kind == "nerr":       # normalised centre error (pytracking, MATLAB)
        d = (cp / g[2:] - cg / g[2:]) ** 2
    else:
        raise ValueError(kind)
    return np.sqrt(d[0] + d[1])


class _Frames:
    """The boxes of all sequences concatenated once, for inputs every OPE toolkit takes as they are.

    ``clean``: every sequence has float64 (N, 4) ground truth and predictions of the same length (>= 2),
    without NaN and without negative predicted sizes. Then no toolkit pads or rejects anything, and the
    per-sequence preparation of each protocol reduces to whole-array operations on these columns (frame 0
    replaced by the ground truth at the segment starts, zero-size rows carried forward, flags concatenated).
    Anything else takes the protocols' per-sequence path, which raises the toolkits' errors. Per-frame arrays
    (overlaps, centre errors, masks) and their ranks are computed once (:meth:`prepare`) and shared by the
    protocols that use the same expression; callers copy before they write.
    """

    def __init__(self, seqs: list[SequenceInput], shared: bool = False):
        self.seqs = seqs
        self.shared = shared   # several protocols will ask: keep every array, check integers on the way
        self.clean = False
        self._memo: dict[str, Any] = {}
        gts, preds = [], []
        for s in seqs:
            g, p = s.gt, s.pred
            if not (isinstance(g, np.ndarray) and isinstance(p, np.ndarray) and g.dtype == np.float64
                    and p.dtype == np.float64 and g.ndim == 2 and g.shape[1] == 4 and p.shape == g.shape
                    and len(g) >= 2):
                return
            gts.append(g)
            preds.append(p)
        if not gts:
            return
        self.lengths = np.array([len(g) for g in gts], dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(self.lengths)[:-1]))
        self.seg = _segments(self.lengths)
        self.G = _joined_cols(gts)
        self.P = _joined_cols(preds)
        if np.isnan(self.G).any() or np.isnan(self.P).any() or (self.P[2:] < 0).any():
            return
        self.clean = True

    def get(self, key: str) -> Any:
        if key not in self._memo:
            self._memo[key] = getattr(self, "_make_" + key)()
        return self._memo[key]

    # Boxes: 'P' as written, 'Pc' with zero-size rows carried forward (pytracking; the MATLAB toolkits,
    # whose w<=0 / h<=0 / NaN rule is the same on clean inputs), and 'P0' / 'Pc0': the same with each
    # sequence's first frame replaced by its ground truth. Kinds are computed over all frames of 'P' only;
    # the other arrays are the 'P' array with the carried rows and first frames computed again, and
    # got10k's 'iou_eps' is pysot's 'iou_cont' with the frames where adding eps changes the union computed
    # again (elsewhere the two expressions give the same number). Same expressions, so the same values.

    def _canon(self, boxes: str) -> str:
        """'Pc' is 'P' (and 'Pc0' is 'P0') when nothing is carried forward: its arrays are computed once."""
        return boxes.replace("Pc", "P") if boxes.startswith("Pc") and self.get("carry") is None else boxes

    def _key(self, kind: str, boxes: str, thr: np.ndarray | None, op: str | None) -> str:
        base = f"{kind}@{self._canon(boxes)}"
        return base if thr is None else f"rank:{base}:{op}:{thr.tobytes().hex()}:{thr is CENTER_THR}"

    @staticmethod
    def _source(kind: str, boxes: str) -> tuple[str, str] | None:
        """The 'P' array ``(kind, boxes)`` is patched from, or None for one computed over all frames."""
        if kind == "iou_eps":
            return "iou_cont", "P"
        return None if boxes == "P" else (kind, "P")

    def prepare(self, wanted: list[tuple[str, str, np.ndarray | None, str | None]]) -> None:
        """Compute every ``(kind, boxes, thr, op)`` not yet known: the per-frame values of ``kind`` (kept when
        asked for, or when shared: other grids rank them later without computing them again) and, for a
        ``thr``, their :func:`_ranks` as uint8. Arrays over all frames are computed in one pass over blocks of frames (elementwise, so
        blocks give the values of one whole-array pass; a block's centres are shared by the kinds)."""
        full: dict[tuple[str, str], list] = {}
        derived = []
        for kind, boxes, thr, op in wanted:
            boxes = self._canon(boxes)
            if self._key(kind, boxes, thr, op) in self._memo:
                continue
            src = self._source(kind, boxes)
            full.setdefault(src or (kind, boxes), []).append((thr, op))
            if src is not None:
                derived.append((kind, boxes, thr, op))
        if ("iou_cont", "P") in full:   # where got10k's eps matters: its union is at hand in the same pass
            full.setdefault(("eps_differs", "P"), []).append((None, None))
        self._compute_full(full)
        for item in derived:
            self._patch(*item)

    def _compute_full(self, todo: dict[tuple[str, str], list]) -> None:
        values: dict[str, tuple[str, str]] = {}
        ranks: dict[str, tuple[str, np.ndarray, str]] = {}
        keep: list[str] = []
        n = self.G.shape[1]
        for (kind, boxes), grids in todo.items():
            vkey = self._key(kind, boxes, None, None)
            for thr, op in grids:
                rkey = self._key(kind, boxes, thr, op)
                if thr is None or rkey in self._memo:
                    continue
                known = self._memo.get(vkey)
                if known is not None:   # values known: rank them (by blocks, small temporaries)
                    self._memo[rkey] = np.concatenate([_ranks(known[a:a + _CHUNK], thr, op).astype(np.uint8)
                                                       for a in range(0, n, _CHUNK)])
                else:
                    ranks[rkey] = (vkey, thr, op)
            if vkey not in self._memo:
                values[vkey] = (kind, boxes)
                if self.shared or any(thr is None for thr, _ in grids):
                    keep.append(vkey)
        if not values:
            return
        acc: dict[str, list[np.ndarray]] = {k: [] for k in [*keep, *ranks]}
        integral = self.shared and "integral" not in self._memo   # checked on the way, blocks in cache
        for a in range(0, n, _CHUNK):
            b, cache = min(a + _CHUNK, n), {}
            block = {}
            for vkey, (kind, boxes) in values.items():   # boxes: 'P' (see _source)
                with np.errstate(all="ignore"):
                    block[vkey] = _kind_values(kind, self.P[:, a:b], self.G[:, a:b], cache, boxes)
                if vkey in acc:
                    acc[vkey].append(block[vkey])
            for rkey, (vkey, thr, op) in ranks.items():
                acc[rkey].append(_ranks(block[vkey], thr, op).astype(np.uint8))
            integral = integral and _integral(self.P[:, a:b]) and _integral(self.G[:, a:b])
        if self.shared and "integral" not in self._memo:
            self._memo["integral"] = integral
        for key, parts in acc.items():
            self._memo[key] = np.concatenate(parts)

    def _patch(self, kind: str, boxes: str, thr: np.ndarray | None, op: str | None) -> None:
        """``(kind, boxes)`` (its ranks if ``thr``) from its 'P' source array, the frames where they may
        differ computed again with ``kind``'s own expression on ``boxes``. Whole value arrays are made
        only when asked for (``thr`` None): a rank array is the source's ranks with those frames replaced."""
        src_kind, src_boxes = self._source(kind, boxes)
        cols = self._patched_frames(kind, boxes)
        at_key = f"at:{kind}@{boxes}"
        if at_key not in self._memo:   # the values on the patched frames
            with np.errstate(all="ignore"):
                self._memo[at_key] = _kind_values(kind, self._boxes_at(boxes, cols), self.G[:, cols], {}, boxes)
        if thr is None:
            v = self._memo[self._key(src_kind, src_boxes, None, None)].copy()
            v[cols] = self._memo[at_key]
            self._memo[self._key(kind, boxes, None, None)] = v
        else:
            k = self._memo[self._key(src_kind, src_boxes, thr, op)].copy()
            k[cols] = _ranks(self._memo[at_key], thr, op).astype(np.uint8)
            self._memo[self._key(kind, boxes, thr, op)] = k

    def _patched_frames(self, kind: str, boxes: str) -> np.ndarray:
        """Frames where ``(kind, boxes)`` may differ from its 'P' source: first frames ('...0'), carried rows
        ('Pc...'), and for 'iou_eps' those where eps changes the union."""
        key = f"patched:{kind}@{boxes}"
        if key not in self._memo:
            parts = []
            if boxes.endswith("0"):
                parts.append(self.starts)
            if boxes.startswith("Pc"):
                parts.append(self.get("carried"))
            if kind == "iou_eps":
                parts.append(np.flatnonzero(self._memo[self._key("eps_differs", "P", None, None)]))
            self._memo[key] = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.intp)
        return self._memo[key]

    def _boxes_at(self, boxes: str, cols: np.ndarray) -> np.ndarray:
        """Columns ``cols`` of the predictions ``boxes`` (see above), as a new array."""
        carry = self.get("carry") if boxes.startswith("Pc") else None
        p = self.P[:, cols] if carry is None else self.P[:, carry[cols]]
        if boxes.endswith("0"):
            first = self.get("first_frame")[cols]
            p[:, first] = self.G[:, cols[first]]
        return p

    def of(self, kind: str, boxes: str) -> np.ndarray:
        """Per-frame array ``kind`` of the predictions ``boxes`` (see above), computed once (read only)."""
        self.prepare([(kind, boxes, None, None)])
        return self._memo[self._key(kind, boxes, None, None)]

    def ranks(self, kind: str, boxes: str, thr: np.ndarray, op: str) -> np.ndarray:
        """:func:`_ranks` (uint8) of ``of(kind, boxes)`` against ``thr``, computed once (callers copy to mask)."""
        self.prepare([(kind, boxes, thr, op)])
        return self._memo[self._key(kind, boxes, thr, op)]

    def _make_integral(self) -> bool:
        """Every coordinate of predictions and ground truth an integer of magnitude below 2^31 (usually
        found out by the first pass of :meth:`_compute_full`)."""
        return all(_integral(x[:, a:a + _CHUNK]) for x in (self.G, self.P) for a in range(0, x.shape[1], _CHUNK))

    def _make_carried(self) -> np.ndarray:
        """Rows that 'Pc' takes from an earlier row."""
        carry = self.get("carry")
        return np.zeros(0, np.intp) if carry is None else np.flatnonzero(carry != np.arange(len(carry)))

    def _make_first_frame(self) -> np.ndarray:
        first = np.zeros(self.G.shape[1], bool)
        first[self.starts] = True
        return first

    def _make_gt_positive(self) -> np.ndarray:
        """Frames whose ground truth has x, y, w, h all > 0 (pytracking-visionml's and MATLAB's validity)."""
        g = self.G
        return (g[0] > 0) & (g[1] > 0) & (g[2] > 0) & (g[3] > 0)

    def _make_carry(self) -> np.ndarray | None:
        """Source row of every row after carrying zero-size rows forward; None if there are none."""
        zero = (self.P[2] == 0) | (self.P[3] == 0)
        zero[self.starts] = False
        if not zero.any():
            return None
        idx = np.where(zero, 0, np.arange(len(zero)))
        np.maximum.accumulate(idx, out=idx)   # a segment's first row is never carried: stays in its sequence
        return idx

    def _make_gt_wh_positive(self) -> np.ndarray:
        """Frames whose ground truth has w > 0 and h > 0 (pytracking's and pysot's overlap validity)."""
        return (self.G[2] > 0) & (self.G[3] > 0)

    def _absent_only(self) -> np.ndarray | None:
        """All sequences' ``absent`` flags as one float64 array when that is their only visibility flag
        and it has one value per frame (LaSOT toolkit annotations); else None."""
        if "absent_only" not in self._memo:
            flags = []
            for s, n in zip(self.seqs, self.lengths.tolist()):
                f = s.flags
                ab = f.get("absent")
                if ab is None or f.get("full_occlusion") is not None or f.get("out_of_view") is not None:
                    flags = None
                    break
                ab = np.asarray(ab)
                if ab.ndim != 1 or len(ab) != n:
                    flags = None
                    break
                flags.append(ab)
            self._memo["absent_only"] = None if flags is None else np.concatenate(flags, dtype=np.float64)
        return self._memo["absent_only"]

    def _make_visible(self) -> np.ndarray:
        ab = self._absent_only()
        if ab is not None:   # _visible: _fit(absent, n) == 0, per sequence
            return ab == 0
        return np.concatenate([_visible_or_all(s, int(n)) for s, n in zip(self.seqs, self.lengths)])

    def _make_absent(self) -> np.ndarray:
        ab = self._absent_only()
        if ab is not None:   # _absent_flags: _fit(absent, n) == 1, per sequence
            return ab == 1
        return np.concatenate([_absent_flags(s, int(n)) for s, n in zip(self.seqs, self.lengths)])


def _joined_cols(boxes: list[np.ndarray]) -> np.ndarray:
    """(4, N) columns of the concatenated (n_i, 4) arrays. Arrays that already lie back to back in one
    buffer (``load_many_boxes`` parses all files into one) are viewed, not copied."""
    base = boxes[0].base
    if not (isinstance(base, np.ndarray) and base.ndim == 2 and base.dtype == np.float64
            and base.flags.c_contiguous and all(b.base is base for b in boxes)):
        return _cols(boxes)
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
        return _cols(boxes)
    if not ok or (ptr - origin) % step:
        return _cols(boxes)
    start, n = (ptr - origin) // step, 0
    for b in boxes:
        if b.__array_interface__["data"][0] != ptr:
            return _cols(boxes)
        ptr += len(b) * step
        n += len(b)
    return view(start, n)


def _visible_or_all(s: SequenceInput, n: int) -> np.ndarray:
    vis = _visible(s, n)
    return np.ones(n, bool) if vis is None else vis


_SHARED = threading.local()   # per thread: a stack of caches, one per open shared_frames() block


@contextlib.contextmanager
def shared_frames() -> Iterator[None]:
    """Within this block, protocols scoring the same list of SequenceInputs share one :class:`_Frames`
    (``bench.evaluation.evaluate_many`` scores every protocol this way). The inputs must not change
    inside the block."""
    stack = getattr(_SHARED, "stack", None)
    if stack is None:
        stack = _SHARED.stack = []
    stack.append({})
    try:
        yield
    finally:
        stack.pop()


def _frames(seqs: list[SequenceInput]) -> _Frames:
    stack = getattr(_SHARED, "stack", None)
    if not stack:
        return _Frames(seqs)
    cache = stack[-1]
    key = tuple(id(s) for s in seqs)
    hit = cache.get(key)
    if hit is None or any(a is not b for a, b in zip(hit.seqs, seqs)):
        hit = cache[key] = _Frames(list(seqs), shared=True)   # keeps the inputs alive: their ids stay theirs
    return hit


# --- pytracking (PT-lib and PT-vml) ---------------------------------------------------------------------

def _pytracking(seqs: list[SequenceInput], dataset_mode: str, variant: str) -> EvalResult:
    proto = "pytracking" if variant == "lib" else "pytracking-visionml"
    F = _frames(seqs)
    if F.clean:
        return _pytracking_scores(seqs, dataset_mode, variant, proto, F)
    preds, gts, valids, vis_all, lengths = [], [], [], [], []
    for s in seqs:
        gt = _boxes(s.gt, proto, s.name, "ground-truth")
        pred = _boxes(s.pred, proto, s.name, "predicted")
        if len(pred) < 2 or len(gt) < 2:
            raise _seq_error(proto, s.name, f"{min(len(pred), len(gt))} frame(s); the official toolkit "
                             "cannot read single-row files (np.loadtxt gives a 1-D array) and crashes")
        bad = np.isnan(pred).any(1) | (pred[:, 2:] < 0).any(1)
        if bad.any():
            i = int(np.argmax(bad))
            raise _seq_error(proto, s.name, f"frame {i + 1}: prediction {pred[i].tolist()} is NaN or has a "
                             "negative size; the official toolkit rejects such results ('Error: Invalid results')")
        gt_nan = np.isnan(gt).any(1)
        if gt_nan.any() and dataset_mode != "uav":
            i = int(np.argmax(gt_nan))
            raise _seq_error(proto, s.name, f"frame {i + 1}: NaN in the annotation; the official toolkit "
                             "only accepts that for dataset 'uav' ('NaNs in annotation')")
        zero = (pred[:, 2] == 0) | (pred[:, 3] == 0)
        if zero[len(gt):].any():
            raise _seq_error(proto, s.name, f"zero-size prediction after the last annotated frame {len(gt)}; "
                             "the official toolkit crashes (index out of range)")
        pad_gt_nan = np.zeros(len(pred), bool)
        pad_gt_nan[:min(len(pred), len(gt))] = gt_nan[:len(pred)]
        pred = _carry_forward(pred, zero & ~pad_gt_nan)
        if len(pred) > len(gt):
            pred = pred[:len(gt)].copy()
        elif len(pred) < len(gt):
            if dataset_mode == "lasot":
                raise _seq_error(proto, s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                                 "the official toolkit rejects shorter results for LaSOT")
            pred = np.concatenate([pred, np.zeros((len(gt) - len(pred), 4))])
        else:
            pred = pred.copy()
        pred[0] = gt[0]
        vis = _visible(s, len(gt)) if dataset_mode in LASOT_MODES else None
        if variant == "lib":
            valid = (gt[:, 2] > 0) & (gt[:, 3] > 0)
        else:
            valid = (gt > 0).sum(1) == 4
        if vis is not None:
            valid &= vis
        preds.append(pred)
        gts.append(gt)
        valids.append(valid)
        vis_all.append(np.ones(len(gt), bool) if vis is None else vis)
        lengths.append(len(gt))

    seg = _segments(lengths)
    p, g = _cols(preds), _cols(gts)
    valid, vis = np.concatenate(valids), np.concatenate(vis_all)
    with np.errstate(all="ignore"):
        pc = p[:2] + 0.5 * (p[2:] - 1.0)
        gc = g[:2] + 0.5 * (g[2:] - 1.0)
        d = (pc - gc) ** 2
        err_center = np.sqrt(d[0] + d[1])
        d = (pc / g[2:] - gc / g[2:]) ** 2
        err_norm = np.sqrt(d[0] + d[1])
        overlap = _iou_pixel(p, g)
    return _pytracking_curves(seqs, dataset_mode, variant, proto, lengths, seg, valid, vis, err_center, err_norm,
                              overlap)[0]


def _pytracking_scores(seqs: list[SequenceInput], dataset_mode: str, variant: str, proto: str,
                       F: _Frames) -> EvalResult:
    """The per-sequence preparation of :func:`_pytracking` on clean inputs, as whole-array operations."""
    g = F.G
    valid = ((g[2] > 0) & (g[3] > 0)) if variant == "lib" else F.get("gt_positive").copy()  # (g > 0).sum(0) == 4
    if dataset_mode in LASOT_MODES:
        vis = F.get("visible")
        valid &= vis
    else:
        vis = np.ones(g.shape[1], bool)
    # pc = p + 0.5 * (w - 1.0) is bit-identical to _centers' p + (w - 1) / 2 (both exact halvings)
    F.prepare([("iou_pixel", "Pc0", None, None), ("iou_pixel", "Pc0", PT_OVERLAP_THR, ">"),
               ("err", "Pc0", CENTER_THR, "<="), ("nerr", "Pc0", NORM_THR, "<=")])
    overlap = F.of("iou_pixel", "Pc0")   # the values too: NaN check and per-sequence average (read only)
    ranks = (F.ranks("iou_pixel", "Pc0", PT_OVERLAP_THR, ">"), F.ranks("err", "Pc0", CENTER_THR, "<="),
             F.ranks("nerr", "Pc0", NORM_THR, "<="))
    # the two variants differ only in which frames are valid: where that is the same set (no annotation
    # at x <= 0 or y <= 0), the other variant's counts are these counts
    known = F._memo.setdefault(f"pytracking_counts:{dataset_mode}", [])
    counts = next((c for v, c in known if np.array_equal(v, valid)), None)
    res, made = _pytracking_curves(seqs, dataset_mode, variant, proto, F.lengths.tolist(), F.seg, valid, vis,
                                   None, None, overlap, ranks, counts)
    if counts is None:
        known.append((valid, made))
    return res


def _pytracking_curves(seqs: list[SequenceInput], dataset_mode: str, variant: str, proto: str, lengths: list[int],
                       seg: np.ndarray, valid: np.ndarray, vis: np.ndarray, err_center: np.ndarray | None,
                       err_norm: np.ndarray | None, overlap: np.ndarray, ranks: tuple | None = None,
                       counts: tuple | None = None) -> tuple[EvalResult, tuple]:
    """Masks and curves of :func:`_pytracking`, and the per-sequence counts behind them; ``ranks`` = the
    unmasked errors' ranks (shared, clean inputs), ``counts`` = counts already made for the same valid frames."""
    n = len(seqs)
    center_invalid = -1.0 if dataset_mode == "uav" else np.inf
    if ranks is None:   # fresh arrays: masked in place (the shared ranks path leaves ``overlap`` as it is)
        err_center[~valid] = center_invalid
        err_norm[~valid] = -1.0
        overlap[~valid] = -1.0
    if dataset_mode == "lasot" and ranks is None:
        err_norm[~vis] = np.inf
        err_center[~vis] = np.inf
    nan_overlap = np.isnan(overlap) & valid   # invalid frames hold -1.0 (masked), never NaN
    if nan_overlap.any():
        i = int(np.argmax(nan_overlap))
        raise _seq_error(proto, seqs[seg[i]].name, "NaN overlap (the official toolkit raises "
                         "'Nans in calculated overlap')")

    lens32 = np.asarray(lengths, dtype=np.float32)[:, None]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    if counts is not None:
        succ_n, prec_n, nprec_n, ov_sum, ov_cnt = counts
    elif ranks is None:
        succ_n = _count_curves(overlap, seg, n, PT_OVERLAP_THR, ">")
        prec_n = _count_curves(err_center, seg, n, CENTER_THR, "<=")
        nprec_n = _count_curves(err_norm, seg, n, NORM_THR, "<=")
    else:
        invisible = [(~vis, np.inf)] if dataset_mode == "lasot" else []
        k_ov = _with_ranks(ranks[0], PT_OVERLAP_THR, ">", [(~valid, -1.0)])
        k_c = _with_ranks(ranks[1], CENTER_THR, "<=", [(~valid, center_invalid)] + invisible)
        k_n = _with_ranks(ranks[2], NORM_THR, "<=", [(~valid, -1.0)] + invisible)
        succ_n = _hist_curves(k_ov, seg, n, len(PT_OVERLAP_THR), ">")
        prec_n = _hist_curves(k_c, seg, n, len(CENTER_THR), "<=")
        nprec_n = _hist_curves(k_n, seg, n, len(NORM_THR), "<=")
    succ = succ_n.astype(np.float32) / lens32
    prec = prec_n.astype(np.float32) / lens32
    nprec = nprec_n.astype(np.float32) / lens32

    with np.errstate(all="ignore"):
        if counts is None:   # invalid frames add 0.0 instead of being indexed out: no subset copies
            ov_sum = np.add.reduceat(np.where(valid, overlap, 0.0), starts)
            ov_cnt = np.add.reduceat(valid, starts, dtype=np.int64)
        avg_overlap = ov_sum / ov_cnt

    # Aggregate exactly as plot_results.get_auc_curve / get_prec_curve do (float32 torch reductions).
    succ_curve = (f32.mean_rows(succ) * np.float32(100.0)).astype(np.float32)
    prec_curve = (f32.mean_rows(prec) * np.float32(100.0)).astype(np.float32)
    nprec_curve = (f32.mean_rows(nprec) * np.float32(100.0)).astype(np.float32)
    auc = f32.mean_vector(succ_curve)
    metrics = {
        "auc": float(auc) / 100.0,
        "op50": float(succ_curve[10]) / 100.0,
        "op75": float(succ_curve[15]) / 100.0,
        "precision": float(prec_curve[20]) / 100.0,
        "norm_precision": float(nprec_curve[20]) / 100.0,
    }
    seq_auc = succ.astype(np.float64).mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "avg_overlap": float(avg_overlap[i]),
                "auc": float(seq_auc[i]), "op50": float(succ[i, 10]), "op75": float(succ[i, 15]),
                "precision": float(prec[i, 20]), "norm_precision": float(nprec[i, 20])}
               for i, s in enumerate(seqs)]
    return _result(proto, dataset_mode, metrics, seqs, per_seq,
                   {"success": (PT_OVERLAP_THR, succ_curve.astype(np.float64) / 100.0),
                    "precision": (CENTER_THR, prec_curve.astype(np.float64) / 100.0),
                    "norm_precision": (NORM_THR, nprec_curve.astype(np.float64) / 100.0)},
                   {"auc": seq_auc, "op50": succ[:, 10], "op75": succ[:, 15],
                    "precision": prec[:, 20], "norm_precision": nprec[:, 20]},
                   {"first_frame": "replaced by ground truth", "iou": "pixel-inclusive (+1/-1)",
                    "success": "iou > t, t = torch.arange(0, 1.05, 0.05)",
                    "precision": "centre error <= 20 px", "norm_precision": "<= 0.20",
                    "valid_frames": ("gt w>0 & h>0" if variant == "lib" else "gt x>0 & y>0 & w>0 & h>0")
                    + (" & visible" if dataset_mode in LASOT_MODES else ""),
                    "invalid_frames": "failure in success; precision: " + (
                        "success" if dataset_mode == "uav" else "failure") + "; norm. precision: success"
                    + (" (invisible frames: failure in all, LaSOT branch)" if dataset_mode == "lasot" else ""),
                    "denominator": "all annotated frames", "accumulation": "float32 (as torch)",
                    "sequence_average": "mean of per-sequence curves"}), (succ_n, prec_n, nprec_n, ov_sum, ov_cnt)


def _result(proto: str, mode: str, metrics: dict, seqs: list[SequenceInput], per_seq: list[dict],
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


@register_protocol("pytracking", kind="ope", default_for=[],
                   metrics=["auc", "op50", "op75", "precision", "norm_precision"],
                   source="OSTrack/STARK-family lib/test/analysis (SpikeTrack @1537db5)",
                   description="pytracking analysis as shipped with OSTrack/STARK/SpikeTrack (lib/test/analysis): "
                               "frame 0 = GT, +1/-1 IoU, float32 curves")
def pytracking(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return _pytracking(sequences, dataset_mode, "lib")


@register_protocol("pytracking-visionml", kind="ope", default_for=[],
                   metrics=["auc", "op50", "op75", "precision", "norm_precision"],
                   source="visionml/pytracking @7eb9e74 pytracking/analysis",
                   description="upstream visionml pytracking analysis: as 'pytracking' but GT frames with "
                               "x<=0 or y<=0 are invalid (since 2022-08)")
def pytracking_visionml(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return _pytracking(sequences, dataset_mode, "vml")


# --- pysot-toolkit OPEBenchmark ---------------------------------------------------------------------------

@register_protocol("pysot", kind="ope", default_for=[],
                   metrics=["auc", "precision", "norm_precision"],
                   source="pysot-toolkit OPEBenchmark (SSTrack @a0fbfa1 pysot_toolkit/)",
                   description="pysot-toolkit OPE: tracker's own frame 0, continuous IoU, precision valid where "
                               "the GT centre is > 0, LaSOT absent frames count as failures")
def pysot(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    proto = "pysot"
    ps, gs, lengths, kept_len = [], [], [], []
    F = _frames(sequences)
    for s in (() if F.clean else sequences):
        gt = _boxes(s.gt, proto, s.name, "ground-truth")
        pred = _boxes(s.pred, proto, s.name, "predicted")
        if len(pred) != len(gt):
            raise _seq_error(proto, s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                             "the official toolkit fails on a length mismatch (IndexError)")
        n_frame = len(gt)
        if dataset_mode in LASOT_MODES:
            vis = _visible(s, n_frame)
            if vis is not None:
                gt, pred = gt[vis], pred[vis]
        ps.append(pred)
        gs.append(gt)
        lengths.append(n_frame)
        kept_len.append(len(gt))
    n = len(sequences)
    specs = [(PYSOT_OVERLAP_THR, ">"), (CENTER_THR, "<="), (NORM_THR, "<=")]
    if F.clean:   # every frame at once, then the invisible ones dropped (all elementwise)
        lengths, seg = F.lengths.tolist(), F.seg
        # pysot's overlap, centre distance and normalised distance are the shared arrays of the boxes as
        # written (see _kind_values), its -1 for invalid frames a rank where no threshold counts them
        kinds = ("iou_cont", "err", "nerr")
        masks = ("gt_centre_positive", "pysot_norm_valid", "pysot_norm_differs")
        F.prepare([(kind, "P", thr, op) for kind, (thr, op) in zip(kinds, specs)]
                  + [(m, "P", None, None) for m in masks])
        valid = (F.get("gt_wh_positive"), F.of("gt_centre_positive", "P"), F.of("pysot_norm_valid", "P"))
        ranks = [_with_ranks(F.ranks(kind, "P", thr, op), thr, op, [(~ok, -1.0)])
                 for kind, ok, (thr, op) in zip(kinds, valid, specs)]
        odd = np.flatnonzero(F.of("pysot_norm_differs", "P"))
        if len(odd):   # sizes below 1: pysot's own expression on those frames
            ranks[2][odd] = _ranks(_pysot_frames(F.G[:, odd], F.P[:, odd])[2], NORM_THR, "<=")
        if dataset_mode in LASOT_MODES:
            vis = F.get("visible")
            if not vis.all():   # invisible frames dropped = ranked where no threshold counts them (same counts)
                ranks = [_with_ranks(k, thr, op, [(~vis, -np.inf if op == ">" else np.inf)])
                         for k, (thr, op) in zip(ranks, specs)]
    else:
        seg = _segments(kept_len)
        ranks = [_ranks(v, thr, op) for v, (thr, op) in zip(_pysot_frames(_cols(gs), _cols(ps)), specs)]
    denom = np.asarray(lengths, dtype=np.float64)[:, None]
    succ, prec, nprec = (_hist_curves(k, seg, n, len(thr), op) / denom for k, (thr, op) in zip(ranks, specs))
    succ_curve, prec_curve, nprec_curve = succ.mean(0), prec.mean(0), nprec.mean(0)
    metrics = {"auc": np.mean(succ), "precision": prec_curve[20], "norm_precision": nprec_curve[20],
               "op50": succ_curve[10], "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(prec[i, 20]),
                "norm_precision": float(nprec[i, 20])} for i, s in enumerate(sequences)]
    return _result(proto, dataset_mode, metrics, sequences, per_seq,
                   {"success": (PYSOT_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve),
                    "norm_precision": (NORM_THR, nprec_curve)},
                   {"auc": seq_auc, "precision": prec[:, 20], "norm_precision": nprec[:, 20],
                    "op50": succ[:, 10], "op75": succ[:, 15]},
                   {"first_frame": "tracker's own box (not replaced)", "iou": "continuous, clipped to [0, 1]",
                    "success": "iou > t, t = np.arange(0, 1.05, 0.05)", "precision": "centre error <= 20 px",
                    "norm_precision": "<= 0.20 (centres / (gt wh + 1e-16))",
                    "valid_frames": "success: gt w>0 & h>0 (else failure); precision: gt centre > 0 (else success)",
                    "absent_frames": ("removed, counted as failures (LaSOT)" if dataset_mode in LASOT_MODES
                                      else "not used"),
                    "denominator": "all annotated frames", "sequence_average": "mean of per-sequence curves",
                    "op50_op75": "success curve at 0.5 / 0.75 (not printed by pysot)"})


def _pysot_frames(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pysot's per-frame overlap, centre distance and normalised distance of (4, N) boxes."""
    with np.errstate(all="ignore"):
        mask = (g[2] > 0) & (g[3] > 0)
        iou = np.where(mask, _iou_continuous(g, p), -1.0)
        gc, pc = _centers(g), _centers(p)
        d = (gc - pc) ** 2
        dist = np.where((gc[0] > 0) & (gc[1] > 0), np.sqrt(d[0] + d[1]), -1.0)
        gwh = g[2:4] + 1e-16
        gcn, pcn = gc / gwh, pc / gwh
        d = (gcn - pcn) ** 2
        ndist = np.where((gcn[0] > 0) & (gcn[1] > 0), np.sqrt(d[0] + d[1]), -1.0)
    return iou, dist, ndist


# --- got10k toolkit, OTB/UAV123/NfS experiments ----------------------------------------------------------

@register_protocol("got10k", kind="ope", default_for=[],
                   metrics=["auc", "precision", "op50"],
                   source="PyPI got10k 0.1.3 ExperimentOTB / ExperimentUAV123 / ExperimentNfS",
                   description="got10k toolkit OTB-style report: frame 0 = GT, continuous IoU (+eps), no "
                               "validity rules; dataset 'uav' drops NaN-GT frames")
def got10k(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    proto = "got10k"
    ps, gs, lengths = [], [], []
    F = _frames(sequences)
    for s in (() if F.clean else sequences):
        gt = _boxes(s.gt, proto, s.name, "ground-truth")
        pred = _boxes(s.pred, proto, s.name, "predicted")
        if len(pred) < 2:
            raise _seq_error(proto, s.name, f"{len(pred)} predicted row(s); the official toolkit cannot read "
                             "single-row files (np.loadtxt gives a 1-D array) and crashes")
        if len(pred) != len(gt):
            raise _seq_error(proto, s.name, f"{len(pred)} predicted boxes for {len(gt)} annotated frames; "
                             "the official toolkit asserts equal lengths")
        pred = pred.copy()
        pred[0] = gt[0]
        if dataset_mode == "uav":
            keep = ~np.isnan(gt).any(1)
            gt, pred = gt[keep], pred[keep]
        ps.append(pred)
        gs.append(gt)
        lengths.append(len(gt))
    n = len(sequences)
    if F.clean:   # no NaN ground truth: the 'uav' branch keeps every frame too
        lengths, seg, p, g = F.lengths.tolist(), F.seg, None, None
        # the IoU values too, in the same pass: got10k-val pools them (computed once, not again there)
        F.prepare([("iou_eps", "P0", None, None), ("iou_eps", "P0", G10K_OVERLAP_THR, ">"),
                   ("err", "P0", CENTER_THR, "<=")])
    else:
        seg = _segments(lengths)
        p, g = _cols(ps), _cols(gs)
    with np.errstate(all="ignore"):
        denom = np.asarray(lengths, dtype=np.float64)[:, None]
        if F.clean:
            succ = _hist_curves(F.ranks("iou_eps", "P0", G10K_OVERLAP_THR, ">"), seg, n, len(G10K_OVERLAP_THR),
                                ">") / denom
        else:
            iou = _iou_continuous(p, g, eps=float(np.finfo(float).eps))
            succ = _count_curves(iou, seg, n, G10K_OVERLAP_THR, ">") / denom
        if F.clean:   # the same centre errors as pytracking / MATLAB on the same boxes: shared ranks
            prec = _hist_curves(F.ranks("err", "P0", CENTER_THR, "<="), seg, n, len(CENTER_THR), "<=") / denom
        else:
            d = (_centers(p) - _centers(g)) ** 2
            ce = np.sqrt(d[0] + d[1])
            prec = _count_curves(ce, seg, n, CENTER_THR, "<=") / denom
    succ_curve, prec_curve = succ.mean(0), prec.mean(0)
    metrics = {"auc": np.mean(succ_curve), "precision": prec_curve[20], "op50": succ_curve[10],
               "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(prec[i, 20]),
                "op50": float(succ[i, 10])} for i, s in enumerate(sequences)]
    # ExperimentNfS scores exactly like ExperimentOTB; only the UAV123 experiment differs.
    variant = "ExperimentUAV123" if dataset_mode == "uav" else "ExperimentOTB"
    return _result(proto, dataset_mode, metrics, sequences, per_seq,
                   {"success": (G10K_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve)},
                   {"auc": seq_auc, "precision": prec[:, 20], "op50": succ[:, 10], "op75": succ[:, 15]},
                   {"variant": variant, "first_frame": "replaced by ground truth",
                    "iou": "continuous, inter / (union + eps), clipped to [0, 1]",
                    "success": "iou > t, t = np.linspace(0, 1, 21)", "precision": "centre error <= 20 px",
                    "valid_frames": ("frames with NaN GT removed from numerator and denominator"
                                     if dataset_mode == "uav" else "all frames count (no validity rule)"),
                    "sequence_average": "mean of per-sequence curves"})


# --- got10k toolkit, GOT-10k val -------------------------------------------------------------------------

def _clip_to_image(b: np.ndarray, w: float, h: float) -> None:
    """got10k ``rect_iou(bound=...)`` clipping, in place and in the same order (x first, then w from x)."""
    b[:, 0] = np.clip(b[:, 0], 0, w)
    b[:, 1] = np.clip(b[:, 1], 0, h)
    b[:, 2] = np.clip(b[:, 2], 0, w - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, h - b[:, 1])


@register_protocol("got10k-val", kind="ope", default_for=["got10k"],
                   metrics=["ao", "sr50", "sr75"],
                   source="PyPI got10k 0.1.3 ExperimentGOT10k(subset='val').report",
                   description="GOT-10k toolkit (val): frame 0 excluded, boxes clipped to the image, cover>0 "
                               "frames only, frames of all sequences and repetitions pooled; AO/SR0.5/SR0.75")
def got10k_val(sequences: list[SequenceInput], dataset_mode: str = "got10k") -> EvalResult:
    proto = "got10k-val"
    all_ious, per_seq, notes = [], [], []
    seq_ao, seq_n = [], []
    pooled_all = None   # the pooled IoUs when the fast path made them
    F = _frames(sequences)
    if F.clean and all(not s.extra_preds and s.flag("cover") is None and s.image_size is None for s in sequences):
        # one run per sequence, no cover labels, no image size: every frame after the first, unclipped
        later = ~F.get("first_frame")
        pooled = F.of("iou_eps", "P0")[later]   # P0 is P after frame 0 (elementwise: same values)
        notes = ["no cover labels: all frames after the first are scored",
                 "no image size: boxes are not clipped to the image"]
        bounds_arr = np.concatenate(([0], np.cumsum(F.lengths - 1)))
        bounds = bounds_arr.tolist()
        # exact counts of iou > thr[j] per sequence, from the ranks, less each sequence's first frame
        k = F.ranks("iou_eps", "P0", G10K_VAL_THR, ">")
        above = _hist_curves(k, F.seg, len(sequences), len(G10K_VAL_THR), ">")
        above -= k[F.starts][:, None] > np.arange(len(G10K_VAL_THR))[None, :]
        n_later = F.lengths - 1   # np.mean(x > t) of a sequence's frames: exact count / n, as np.mean gives
        sr_seq = {0.5: (above[:, 50] / n_later).tolist(), 0.75: (above[:, 75] / n_later).tolist()}
        pooled_above = above.sum(0)
        for i, (s, a, b) in enumerate(zip(sequences, bounds[:-1], bounds[1:])):
            seq_ious = pooled[a:b]
            all_ious.append(seq_ious)
            ao = float(np.mean(seq_ious))
            sr = sr_seq[0.5][i]
            per_seq.append({"name": s.name, "ao": ao, "sr50": sr, "length": b - a, "repetitions": 1})
            seq_ao.append(ao)
            seq_n.append(b - a)
        sequences_left: Seq[SequenceInput] = ()
        pooled_all, sr75_seq = pooled, sr_seq[0.75]   # the sequences' slices back to back: their concatenation
    else:
        sequences_left = sequences
    for s in sequences_left:
        gt = _boxes(s.gt, proto, s.name, "ground-truth").copy()
        runs = [_boxes(s.pred, proto, s.name, "predicted")] + [
            _boxes(r, proto, s.name, f"repetition {k + 2}") for k, r in enumerate(s.extra_preds)]
        for k, r in enumerate(runs):
            if r.shape != gt.shape:
                raise _seq_error(proto, s.name, f"repetition {k + 1} has {len(r)} boxes for {len(gt)} annotated "
                                 "frames; the official toolkit asserts equal shapes")
        cover = s.flag("cover")
        keep = (_fit(cover, len(gt))[1:] > 0) if cover is not None else np.ones(len(gt) - 1, bool)
        if cover is None and "no cover labels" not in " ".join(notes):
            notes.append("no cover labels: all frames after the first are scored")
        if s.image_size is None and "no image size" not in " ".join(notes):
            notes.append("no image size: boxes are not clipped to the image")
        anno = gt[1:]
        ious = []
        with np.errstate(all="ignore"):
            for r in runs:
                b = r[1:].copy()
                if s.image_size is not None:
                    w, h = float(s.image_size[0]), float(s.image_size[1])
                    _clip_to_image(b, w, h)
                    _clip_to_image(anno, w, h)  # the toolkit clips the annotation in place too
                ious.append(_iou_continuous(b.T, anno.T, eps=float(np.finfo(float).eps))[keep])
        seq_ious = np.concatenate(ious)
        all_ious.append(seq_ious)
        ao = float(np.mean(seq_ious)) if len(seq_ious) else float("nan")
        sr = float(np.mean(seq_ious > 0.5)) if len(seq_ious) else float("nan")
        per_seq.append({"name": s.name, "ao": ao, "sr50": sr, "length": len(gt) - 1,
                        "repetitions": len(runs)})
        seq_ao.append(ao)
        seq_n.append(len(seq_ious))
    if pooled_all is not None:
        ious = pooled_all
        curve = pooled_above.astype(np.float64) / len(ious)   # np.mean(ious > thr[j]): count / n
        sr50 = curve[50]
    else:
        ious = np.concatenate(all_ious)
        sr75_seq = [float(np.mean(x > 0.75)) if len(x) else float("nan") for x in all_ious]
        if len(ious):   # np.mean(ious[:, None] > thr, axis=0): exact integer counts over the same divisor
            with np.errstate(all="ignore"):
                counts = _count_curves(ious, np.zeros(len(ious), np.intp), 1, G10K_VAL_THR, ">")[0]
            curve = counts.astype(np.float64) / len(ious)
        else:
            curve = np.mean(ious[:, None] > G10K_VAL_THR[None, :], axis=0)
        sr50 = np.mean(ious > 0.5)
    metrics = {"ao": np.mean(ious), "sr50": sr50, "sr75": curve[75]}
    sr50_seq = [d["sr50"] for d in per_seq]
    return _result(proto, dataset_mode, metrics, sequences, per_seq, {"success": (G10K_VAL_THR, curve)},
                   {"ao": seq_ao, "sr50": sr50_seq, "sr75": sr75_seq},
                   {"first_frame": "excluded", "iou": "continuous, inter / (union + eps), boxes clipped to image",
                    "visible_frames": "cover > 0", "sr75": "success curve at index 75 (iou > 0.75)",
                    "sequence_average": "frames of all sequences and repetitions pooled"},
                   seq_weights={"ao": seq_n, "sr50": seq_n, "sr75": seq_n}, notes=notes)


# --- LaSOT / TNL2K / OTB MATLAB toolkits -----------------------------------------------------------------

def _matlab(sequences: list[SequenceInput], dataset_mode: str, proto: str, use_absent: bool) -> EvalResult:
    F = _frames(sequences)
    if F.clean:
        return _matlab_scores(sequences, dataset_mode, proto, use_absent, *_matlab_frames(F, use_absent))
    rects, annos, seg_lens, full_lens, seq_absent = [], [], [], [], []
    for s in sequences:
        gt = _boxes(s.gt, proto, s.name, "ground-truth")
        res = _boxes(s.pred, proto, s.name, "predicted")
        n = len(gt)
        if len(res) < n:
            raise _seq_error(proto, s.name, f"{len(res)} result rows for {n} annotated frames; the official "
                             f"toolkit fails (results({len(res) + 1},:) out of bound)")
        res = res[:n]
        gt_ok = ~np.isnan(gt).any(1)
        bad = np.isnan(res).any(1) | (res[:, 2] <= 0) | (res[:, 3] <= 0)
        res = _carry_forward(res, bad & gt_ok).copy()
        res[0] = gt[0]
        absent = _absent_flags(s, n) if use_absent else np.zeros(n, bool)
        keep = ~absent
        rects.append(res[keep])
        annos.append(gt[keep])
        seg_lens.append(int(keep.sum()))
        full_lens.append(n)
        seq_absent.append(int(absent.sum()))
    n_seq = len(sequences)
    seg = _segments(seg_lens)
    r, g = _cols(rects), _cols(annos)
    with np.errstate(all="ignore"):
        cg, cr = _centers(g), _centers(r)
        d = (cr - cg) ** 2
        err = np.sqrt(d[0] + d[1])
        d = (cr / g[2:] - cg / g[2:]) ** 2
        err_n = np.sqrt(d[0] + d[1])
        idx = (g[0] > 0) & (g[1] > 0) & (g[2] > 0) & (g[3] > 0)
        cov = np.where(idx, _iou_pixel(r, g), -1.0)
    err[~idx] = -1.0
    err_n[~idx] = -1.0
    counts = (_count_curves(cov, seg, n_seq, MATLAB_OVERLAP_THR, ">"), _count_curves(err, seg, n_seq, CENTER_THR, "<="),
              _count_curves(err_n, seg, n_seq, NORM_THR, "<="))
    return _matlab_scores(sequences, dataset_mode, proto, use_absent, full_lens, seq_absent, counts)


def _matlab_frames(F: _Frames, use_absent: bool) -> tuple:
    """:func:`_matlab`'s per-sequence preparation on clean inputs (nothing to carry forward)."""
    n_seq = len(F.lengths)
    F.prepare([("iou_pixel", "Pc0", MATLAB_OVERLAP_THR, ">"), ("err", "Pc0", CENTER_THR, "<="),
               ("nerr", "Pc0", NORM_THR, "<=")])
    k_cov = F.ranks("iou_pixel", "Pc0", MATLAB_OVERLAP_THR, ">")
    k_err = F.ranks("err", "Pc0", CENTER_THR, "<=")
    k_nerr = F.ranks("nerr", "Pc0", NORM_THR, "<=")
    seg, idx = F.seg, F.get("gt_positive")   # (g[0] > 0) & (g[1] > 0) & (g[2] > 0) & (g[3] > 0)
    if use_absent:
        absent = F.get("absent")
        seq_absent = np.add.reduceat(absent, F.starts, dtype=np.int64).tolist()
    else:
        absent = None
        seq_absent = [0] * n_seq
    invalid = [(~idx, -1.0)]
    # absent frames removed: ranked (after the invalid rule) where no threshold counts them; same counts as
    # dropping them, and the segment array stays the shared one
    drop = absent is not None and absent.any()
    gone = (lambda op: [(absent, -np.inf if op == ">" else np.inf)]) if drop else (lambda op: [])
    counts = (_hist_curves(_with_ranks(k_cov, MATLAB_OVERLAP_THR, ">", invalid + gone(">")), seg, n_seq,
                           len(MATLAB_OVERLAP_THR), ">"),
              _hist_curves(_with_ranks(k_err, CENTER_THR, "<=", invalid + gone("<=")), seg, n_seq,
                           len(CENTER_THR), "<="),
              _hist_curves(_with_ranks(k_nerr, NORM_THR, "<=", invalid + gone("<=")), seg, n_seq,
                           len(NORM_THR), "<="))
    return F.lengths.tolist(), seq_absent, counts


def _matlab_scores(sequences: list[SequenceInput], dataset_mode: str, proto: str, use_absent: bool,
                   full_lens: list[int], seq_absent: list[int], counts: tuple) -> EvalResult:
    denom = np.asarray(full_lens, dtype=np.float64)[:, None] + MATLAB_EPS
    succ, prec, nprec = (c / denom for c in counts)

    def kept_mean(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kept = curves.sum(1) > MATLAB_EPS     # plot_draw_save.m drops all-zero curves
        with np.errstate(all="ignore"):
            return (curves[kept].mean(0) if kept.any() else np.full(curves.shape[1], np.nan)), kept

    succ_curve, k_s = kept_mean(succ)
    prec_curve, k_p = kept_mean(prec)
    nprec_curve, k_n = kept_mean(nprec)
    metrics = {"auc": np.mean(succ_curve), "precision": prec_curve[20], "norm_precision": nprec_curve[20],
               "op50": succ_curve[10], "op75": succ_curve[15]}
    seq_auc = succ.mean(1)
    per_seq = [{"name": s.name, "length": full_lens[i], "absent_frames": seq_absent[i],
                "auc": float(seq_auc[i]), "precision": float(prec[i, 20]), "norm_precision": float(nprec[i, 20]),
                "kept": bool(k_s[i])} for i, s in enumerate(sequences)]
    notes = []
    dropped = [s.name for s, k in zip(sequences, k_s) if not k]
    if dropped:
        notes.append(f"{len(dropped)} sequence(s) with an all-zero success curve left out of the average, as "
                     f"the toolkit does: {', '.join(dropped[:5])}{' ...' if len(dropped) > 5 else ''}")
    res = _result(proto, dataset_mode, metrics, sequences, per_seq,
                  {"success": (MATLAB_OVERLAP_THR, succ_curve), "precision": (CENTER_THR, prec_curve),
                   "norm_precision": (NORM_THR, nprec_curve)},
                  {"auc": seq_auc, "precision": prec[:, 20], "norm_precision": nprec[:, 20],
                   "op50": succ[:, 10], "op75": succ[:, 15]},
                  {"first_frame": "replaced by ground truth",
                   "invalid_results": "NaN / w<=0 / h<=0 rows carry the previous box forward",
                   "iou": "pixel-inclusive (+1/-1)", "success": "iou > t, t = 0:0.05:1",
                   "precision": "centre error <= 20 px", "norm_precision": "<= 0.20 (norm_dst = true run)",
                   "valid_frames": "gt x>0 & y>0 & w>0 & h>0 (else failure in success, success in precision)",
                   "absent_frames": ("removed, denominator = all frames (absent = failure)" if use_absent
                                     else "none"),
                   "sequence_average": "mean of per-sequence curves, all-zero curves dropped"},
                  seq_weights={"auc": k_s, "op50": k_s, "op75": k_s, "precision": k_p, "norm_precision": k_n},
                  notes=notes)
    res.settings["n_sequences_kept"] = {"success": int(k_s.sum()), "precision": int(k_p.sum()),
                                        "norm_precision": int(k_n.sum())}
    return res


@register_protocol("lasot-toolkit", kind="ope", default_for=["lasot", "lasot_ext", "tnl2k"],
                   metrics=["auc", "precision", "norm_precision", "op50"],
                   source="HengLan/LaSOT_Evaluation_Toolkit @95bf38a utils/*.m (TNL2K toolkit: same code)",
                   description="official LaSOT / TNL2K MATLAB toolkit: frame 0 = GT, invalid results carried "
                               "forward, absent frames failures, all-zero sequences dropped")
def lasot_toolkit(sequences: list[SequenceInput], dataset_mode: str = "lasot") -> EvalResult:
    return _matlab(sequences, dataset_mode, "lasot-toolkit", use_absent=True)


@register_protocol("otb-toolkit", kind="ope", default_for=["otb100", "otb50", "otb2013", "uav123", "uav20l", "nfs", "demo"],
                   metrics=["auc", "precision", "norm_precision", "op50"],
                   source="OTB MATLAB toolkit calcSeqErrRobust/calcRectInt (the code LaSOT's utils/*.m copy)",
                   description="OTB MATLAB toolkit rules (the lasot-toolkit code without absent flags); "
                               "no normalized precision in the original, reported as LaSOT computes it")
def otb_toolkit(sequences: list[SequenceInput], dataset_mode: str = "otb") -> EvalResult:
    return _matlab(sequences, dataset_mode, "otb-toolkit", use_absent=False)


# --- TrackingNet devkit ----------------------------------------------------------------------------------

def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    fn = getattr(np, "trapezoid", None) or getattr(np, "trapz")
    return float(fn(y, x=x))


def _trapezoid_rows(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:func:`_trapezoid` of every row of ``y`` in one call (the same per-row reduction, bit for bit)."""
    fn = getattr(np, "trapezoid", None) or getattr(np, "trapz")
    y = np.asarray(y, dtype=np.float64)
    return fn(y, x=x, axis=-1) if len(y) else np.zeros(0)


@register_protocol("trackingnet-devkit", kind="ope", default_for=["trackingnet"],
                   metrics=["auc", "precision", "norm_precision", "coverage"],
                   source="SilvioGiancola/TrackingNet-devkit @79783f2 metrics.py",
                   description="TrackingNet devkit: coordinates rounded, frame 0 = GT, iou >= t, scores are "
                               "trapezoid AUCs of the success / precision / normalized precision curves")
def trackingnet_devkit(sequences: list[SequenceInput], dataset_mode: str = "trackingnet") -> EvalResult:
    proto = "trackingnet-devkit"
    gs, ps, lengths, submitted = [], [], [], []
    F = _frames(sequences)
    for s in (() if F.clean else sequences):
        gt = np.round(_boxes(s.gt, proto, s.name, "ground-truth"))
        n = len(gt)
        if s.pred is None:       # no file in the submission: zeros, coverage 0
            pred = np.zeros((n, 4))
            submitted.append(False)
        else:
            raw = _boxes(s.pred, proto, s.name, "predicted")[:n]
            pred = np.full((n, 4), np.nan)   # pandas index alignment: missing rows are NaN
            pred[:len(raw)] = raw
            submitted.append(True)
        pred = np.round(pred)
        if n:
            pred[0] = gt[0]
        gs.append(gt)
        ps.append(pred)
        lengths.append(n)
    n_seq = len(sequences)
    specs = [(TNET_SUCCESS_THR, ">="), (TNET_PRECISION_THR, "<="), (TNET_NORM_THR, "<=")]
    if F.clean and F.get("integral"):
        # integer boxes (most result files): np.round changes nothing, and on small integers the devkit's
        # iou and distance are the shared 'iou_pixel' and 'err' values (+1/-1 and half-pixel sums are exact)
        lengths, submitted, seg = F.lengths.tolist(), [True] * n_seq, F.seg
        kinds = ("iou_pixel", "err", "tnet_ndist")
        F.prepare([(kind, "P0", thr, op) for kind, (thr, op) in zip(kinds, specs)] + [("tnet_sane", "P0", None, None)])
        ranks = [F.ranks(kind, "P0", thr, op) for kind, (thr, op) in zip(kinds, specs)]
        n_frames = len(seg)   # np.mean(bool) = exact count / n
        coverage = float(np.float64(np.count_nonzero(F.of("tnet_sane", "P0"))) / n_frames) if n_frames else float("nan")
    elif F.clean:   # every file complete: the rounded inputs with frame 0 = rounded ground truth, by blocks
        lengths, submitted = F.lengths.tolist(), [True] * n_seq
        seg, n_sane = F.seg, []

        def block(a: int, b: int) -> tuple:
            p = F._boxes_at("P0", np.arange(a, b))   # a copy: rounded in place below
            iou, dist, ndist, sanity = _tnet_frames(np.round(F.G[:, a:b]).T, np.round(p, out=p).T)
            n_sane.append(int(np.count_nonzero(sanity)))
            return iou, dist, ndist

        ranks = _chunked_ranks(len(seg), block, specs)
        n_frames = len(seg)   # np.mean(bool) = exact count / n
        coverage = float(np.float64(sum(n_sane)) / n_frames) if n_frames else float("nan")
    else:
        seg = _segments(lengths)
        iou, dist, ndist, sanity = _tnet_frames(_cols(gs).T, _cols(ps).T)
        with np.errstate(all="ignore"):
            ranks = [_ranks(v, thr, op) for v, (thr, op) in zip((iou, dist, ndist), specs)]
        coverage = float(np.mean(sanity)) if len(sanity) else float("nan")
    denom = np.asarray(lengths, dtype=np.float64)[:, None]
    with np.errstate(all="ignore"):
        succ, prec, nprec = (_hist_curves(k, seg, n_seq, len(thr), op) / denom
                             for k, (thr, op) in zip(ranks, specs))
    succ_curve = np.zeros(21)
    prec_curve = np.zeros(21)
    nprec_curve = np.zeros(21)
    for i in range(n_seq):   # the devkit accumulates sequence by sequence, then divides
        succ_curve += succ[i]
        prec_curve += prec[i]
        nprec_curve += nprec[i]
    succ_curve, prec_curve, nprec_curve = succ_curve / n_seq, prec_curve / n_seq, nprec_curve / n_seq
    metrics = {"auc": _trapezoid(succ_curve, TNET_SUCCESS_THR),
               "precision": _trapezoid(prec_curve, TNET_SUCCESS_THR),
               "norm_precision": _trapezoid(nprec_curve, TNET_SUCCESS_THR),
               "coverage": coverage}
    return _tnet_result(sequences, dataset_mode, proto, metrics, lengths, submitted, succ, prec, nprec,
                        succ_curve, prec_curve, nprec_curve)


def _tnet_frames(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The devkit's per-frame iou, distance, normalised distance and sanity of rounded (N, 4) boxes."""
    # The devkit's expressions, evaluated in the same order, in place where a temporary is not read again:
    # ax2 = gx + gw - 1; acx = gx + (gw + 1) / 2; iw = round(min(ax2, sx2) - max(gx, px) + 1), 0 if < 0;
    # iou = inter / (gh * gw + ph * pw - inter); ndist = sqrt(dx / gw * dx / gw + dy / gh * dy / gh).
    g0, g1, g2, g3 = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
    p0, p1, p2, p3 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    with np.errstate(all="ignore"):
        def corner(x: np.ndarray, w: np.ndarray) -> np.ndarray:   # x + w - 1.0
            c = x + w
            c -= 1.0
            return c

        def centre(x: np.ndarray, w: np.ndarray) -> np.ndarray:   # x + (w + 1.0) / 2.0
            c = w + 1.0
            c /= 2.0
            return np.add(x, c, out=c)

        def side(g_lo: np.ndarray, p_lo: np.ndarray, g_hi: np.ndarray, p_hi: np.ndarray) -> np.ndarray:
            # pandas max/min(axis=1) skip NaN: fmax / fmin
            v = np.fmin(g_hi, p_hi, out=g_hi)
            v -= np.fmax(g_lo, p_lo)
            v += 1
            np.round(v, out=v)
            np.copyto(v, 0.0, where=v < 0)
            return v

        iw = side(g0, p0, corner(g0, g2), corner(p0, p2))
        ih = side(g1, p1, corner(g1, g3), corner(p1, p3))
        inter = np.multiply(iw, ih, out=iw)
        union = g3 * g2
        union += p3 * p2
        union -= inter
        iou = np.divide(inter, union, out=union)
        dx = centre(g0, g2)
        dx -= centre(p0, p2)
        dy = centre(g1, g3)
        dy -= centre(p1, p3)
        dist = dx * dx
        dist += dy * dy
        np.sqrt(dist, out=dist)
        nx = dx / g2
        nx *= dx
        nx /= g2
        ny = dy / g3
        ny *= dy
        ny /= g3
        nx += ny
        ndist = np.sqrt(nx, out=nx)
        total = p3 + p2
        total += p0
        total += p1
        sanity = total > 0
    return iou, dist, ndist, sanity


def _tnet_result(sequences: list[SequenceInput], dataset_mode: str, proto: str, metrics: dict, lengths: list[int],
                 submitted: list[bool], succ: np.ndarray, prec: np.ndarray, nprec: np.ndarray,
                 succ_curve: np.ndarray, prec_curve: np.ndarray, nprec_curve: np.ndarray) -> EvalResult:
    seq_auc, seq_p, seq_np = (_trapezoid_rows(c, TNET_SUCCESS_THR) for c in (succ, prec, nprec))
    per_seq = [{"name": s.name, "length": lengths[i], "auc": float(seq_auc[i]), "precision": float(seq_p[i]),
                "norm_precision": float(seq_np[i]), "submitted": submitted[i]} for i, s in enumerate(sequences)]
    notes = [] if all(submitted) else [f"{submitted.count(False)} sequence(s) without results scored as zeros"]
    return _result(proto, dataset_mode, metrics, sequences, per_seq,
                   {"success": (TNET_SUCCESS_THR, succ_curve), "precision": (TNET_PRECISION_THR, prec_curve),
                    "norm_precision": (TNET_NORM_THR, nprec_curve)},
                   {"auc": seq_auc, "precision": seq_p, "norm_precision": seq_np},
                   {"rounding": "np.round (half to even) on every coordinate", "first_frame": "replaced by GT",
                    "iou": "pixel-inclusive (+1/-1) on rounded boxes", "success": "iou >= t, 21 steps",
                    "precision": "trapezoid AUC over 0..50 px in 2.5 px steps",
                    "norm_precision": "trapezoid AUC over 0..0.5 in 0.025 steps",
                    "coverage": "fraction of frames whose x+y+w+h > 0",
                    "sequence_average": "mean of per-sequence curves"}, notes=notes)

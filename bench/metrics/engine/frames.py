"""All sequences' frames at once, shared by the OPE protocols: the speed half of the engine.

When every sequence is "clean" (float64 boxes, equal lengths, no NaN, no negative predicted size: nothing
for a toolkit to pad, reject or repair beyond carrying zero-size rows forward) a protocol's per-sequence
rules become whole-array operations on all frames concatenated (:class:`Frames`); anything else is first
prepared sequence by sequence by the protocol (:meth:`Frames.prepared_by`: the toolkit's checks raise its
errors), then scored by the same code. Per-frame values (overlaps, centre errors)
are computed block by block (small temporaries, reused memory) on the boxes as written, once; the variants
the toolkits use (first frame replaced by the ground truth, zero-size rows carried forward, got10k's eps in
the union, pysot's 1e-16 in the normalisation) differ from those on few frames, which are computed again
with the toolkit's own expression. Each value's rank among a protocol's thresholds is taken once (exact
comparisons). Inside :func:`shared_frames` the protocols share all of this. Results are bit-identical to
scoring the prepared boxes (tests/test_metrics_fast_path.py).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bench.metrics.base import SequenceInput
from bench.metrics.engine.boxes import (absent_flags, centers, iou_continuous, iou_pixel, joined_cols, segments_of,
                                        stack_cols, visible_or_all)
from bench.metrics.engine.curves import CENTER_THR, CHUNK, ranks_of, shared_cache

#: a protocol's per-sequence preparation: ``seq -> (gt, pred)`` (N, 4) float64 boxes, its toolkit's rules applied.
Prepare = Callable[[SequenceInput], tuple[np.ndarray, np.ndarray]]

def _integral(x: np.ndarray) -> bool:
    """All values integers of magnitude below 2^31 (anything else, NaN and inf included, fails the round trip)."""
    with np.errstate(invalid="ignore"):
        return bool(np.array_equal(x.astype(np.int32), x))


def _kind_values(kind: str, p: np.ndarray, g: np.ndarray, cache: dict, tag: str) -> np.ndarray:
    """Per-frame ``kind`` of (4, N) predictions ``p`` (read only) against ground truth ``g``, with the
    toolkits' expressions (see the protocols); ``cache`` keeps the centres (the predictions' under ``tag``)."""
    if kind == "iou_pixel":    # +1/-1 IoU (pytracking, MATLAB)
        return iou_pixel(p, g)
    if kind == "iou_eps":      # got10k rect_iou with eps (got10k, got10k-val)
        return iou_continuous(p, g, eps=float(np.finfo(float).eps))
    if kind == "iou_cont":     # pysot overlap_ratio(gt, pred): min/max and the sum of areas are symmetric
        return iou_continuous(p, g, union_out=cache.setdefault("union", {}), tag=tag)
    if kind == "eps_differs":  # frames where got10k's union + eps is not the union itself
        unions = cache.setdefault("union", {})
        if tag not in unions:
            iou_continuous(p, g, union_out=unions, tag=tag)
        u = unions[tag]
        return u + float(np.finfo(float).eps) != u
    if kind == "tnet_sane":    # the devkit's "sanity" (pw + ph + px + py > 0 of the rounded prediction)
        total = p[3] + p[2]
        total += p[0]
        total += p[1]
        return total > 0
    if "cg" not in cache:
        cache["cg"] = centers(g)
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
        cache["cp", tag] = centers(p)
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


class Frames:
    """The boxes of all sequences concatenated once, for inputs every OPE toolkit takes as they are.

    ``clean``: every sequence has float64 (N, 4) ground truth and predictions of the same length (>= 2),
    without NaN and without negative predicted sizes. Then no toolkit pads or rejects anything, and the
    per-sequence preparation of each protocol reduces to whole-array operations on these columns (frame 0
    replaced by the ground truth at the segment starts, zero-size rows carried forward, flags concatenated).
    Anything else is scored on the boxes a protocol prepares itself (:meth:`prepared_by`, whose checks raise
    the toolkits' errors). Per-frame arrays (overlaps, centre errors, masks) and their ranks are computed once
    (:meth:`prepare`) and shared by the protocols that use the same expression; callers copy before they write.
    """

    def __init__(self, seqs: list[SequenceInput], shared: bool = False):
        self.seqs = seqs
        self.shared = shared   # several protocols will ask: keep every array, check integers on the way
        self.clean = False
        self.prepared = False  # see prepared_by
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
        self.seg = segments_of(self.lengths)
        self.G = joined_cols(gts)
        self.P = joined_cols(preds)
        if np.isnan(self.G).any() or np.isnan(self.P).any() or (self.P[2:] < 0).any():
            return
        self.clean = True

    @classmethod
    def prepared_by(cls, seqs: list[SequenceInput], prepare: Prepare) -> Frames:
        """Frames of the boxes ``prepare(seq) -> (gt, pred)`` returns for each sequence: a protocol's own
        per-sequence rules (its checks and errors, padding, cuts, repairs, first frame, dropped frames), for
        inputs that are not clean. Those boxes are final: every box form ('Pc0', 'P0', ...) is 'P' here."""
        F = cls.__new__(cls)   # not __init__: nothing here is shared with other protocols
        F.seqs, F.shared, F.clean, F.prepared, F._memo = seqs, False, False, True, {}
        pairs = [prepare(s) for s in seqs]
        F.lengths = np.array([len(g) for g, _ in pairs], dtype=np.int64)
        F.starts = np.concatenate(([0], np.cumsum(F.lengths)[:-1])).astype(np.int64)
        F.seg = segments_of(F.lengths)
        F.G = stack_cols([g for g, _ in pairs])
        F.P = stack_cols([p for _, p in pairs])
        return F

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
        """'Pc' is 'P' (and 'Pc0' is 'P0') when nothing is carried forward: its arrays are computed once.
        Prepared boxes (:meth:`prepared_by`) are the protocol's final boxes: every form is 'P'."""
        if self.prepared:
            return "P"
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
        ``thr``, their :func:`ranks_of` as uint8. Arrays over all frames are computed in one pass over blocks
        of frames (elementwise, so blocks give the values of one whole-array pass; a block's centres are shared
        by the kinds)."""
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
                    self._memo[rkey] = np.concatenate([ranks_of(known[a:a + CHUNK], thr, op).astype(np.uint8)
                                                       for a in range(0, n, CHUNK)])
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
        for a in range(0, max(n, 1), CHUNK):   # one empty block for no frames: arrays of length 0
            b, cache = min(a + CHUNK, n), {}
            block = {}
            for vkey, (kind, boxes) in values.items():   # boxes: 'P' (see _source)
                with np.errstate(all="ignore"):
                    block[vkey] = _kind_values(kind, self.P[:, a:b], self.G[:, a:b], cache, boxes)
                if vkey in acc:
                    acc[vkey].append(block[vkey])
            for rkey, (vkey, thr, op) in ranks.items():
                acc[rkey].append(ranks_of(block[vkey], thr, op).astype(np.uint8))
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
                self._memo[at_key] = _kind_values(kind, self.boxes_at(boxes, cols), self.G[:, cols], {}, boxes)
        if thr is None:
            v = self._memo[self._key(src_kind, src_boxes, None, None)].copy()
            v[cols] = self._memo[at_key]
            self._memo[self._key(kind, boxes, None, None)] = v
        else:
            k = self._memo[self._key(src_kind, src_boxes, thr, op)].copy()
            k[cols] = ranks_of(self._memo[at_key], thr, op).astype(np.uint8)
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
            self._memo[key] = _sorted_unique(np.concatenate(parts)) if parts else np.zeros(0, np.intp)
        return self._memo[key]

    def boxes_at(self, boxes: str, cols: np.ndarray) -> np.ndarray:
        """Columns ``cols`` of the predictions ``boxes`` (see above), as a new array."""
        boxes = self._canon(boxes)
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
        """:func:`ranks_of` (uint8) of ``of(kind, boxes)`` against ``thr``, computed once (callers copy to mask)."""
        self.prepare([(kind, boxes, thr, op)])
        return self._memo[self._key(kind, boxes, thr, op)]

    def _make_integral(self) -> bool:
        """Every coordinate of predictions and ground truth an integer of magnitude below 2^31 (usually
        found out by the first pass of :meth:`_compute_full`)."""
        return all(_integral(x[:, a:a + CHUNK]) for x in (self.G, self.P) for a in range(0, x.shape[1], CHUNK))

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
                if ab is None or any(f.get(k) is not None for k in ("full_occlusion", "out_of_view", "target_visible")):
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
        if ab is not None:   # visible_flags: fit_flag(absent, n) == 0, per sequence
            return ab == 0
        return np.concatenate([visible_or_all(s, int(n)) for s, n in zip(self.seqs, self.lengths)])

    def _make_absent(self) -> np.ndarray:
        ab = self._absent_only()
        if ab is not None:   # absent_flags: fit_flag(absent, n) == 1, per sequence
            return ab == 1
        return np.concatenate([absent_flags(s, int(n)) for s, n in zip(self.seqs, self.lengths)])


def frames_of(seqs: list[SequenceInput], prepare: Prepare | None = None) -> Frames:
    """The :class:`Frames` of ``seqs``: a fresh one, or inside :func:`shared_frames` the one every protocol
    scoring this same list shares. Where the inputs are not clean and ``prepare`` is given, the frames of
    the boxes it prepares sequence by sequence (:meth:`Frames.prepared_by`): one scoring code for both."""
    cache = shared_cache()
    if cache is None:
        hit = Frames(seqs)
    else:
        key = tuple(id(s) for s in seqs)
        hit = cache.get(key)
        if hit is None or any(a is not b for a, b in zip(hit.seqs, seqs)):
            hit = cache[key] = Frames(list(seqs), shared=True)   # keeps the inputs alive: their ids stay theirs
    if hit.clean or prepare is None:
        return hit
    return Frames.prepared_by(list(seqs), prepare)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` of a 1-D integer array (``np.unique`` imports ``numpy.ma``, 20 ms of a process)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]

"""VOT regions: parsing, conversion, and the two rasterised overlaps the VOT toolkits compute.

A VOT region is one line of a ``groundtruth.txt`` or a result file:

* ``x,y,w,h`` -- axis-aligned rectangle,
* ``x1,y1,...,xn,yn`` (n >= 3) -- polygon,
* ``m<x0>,<y0>,<w>,<h>,<r1>,<r2>,...`` -- binary mask (VOT2020): run lengths alternating 0s and 1s
  (starting with 0s) row-major inside the ``w x h`` box at offset ``(x0, y0)``,
* ``1`` / ``2`` / ``0`` -- special codes: initialisation, failure, unknown (skipped) frame.

Two overlap functions mirror the two official implementations, because their numbers differ:

* :func:`overlap_vottk` -- vot-toolkit 0.9.0 (``vot.region.raster``): coordinates stored as float32 and
  rounded half-to-even, rectangles cover pixels ``x .. x+w-1``, pixel IoU inside the image when bounded,
  two empty regions overlap 1, a special region is empty.
* :func:`overlap_pysot` -- the legacy VOT C code that pysot compiles (``region.c``, non-legacy raster
  mode): rectangles become polygons ``(x, y) .. (x+w, y+h)`` rasterised inclusively (``w+1`` pixels),
  coordinates rounded half away from zero, bounds given as ``(W, H)`` clip to ``[0, W] x [0, H]``,
  float32 result, NaN when either region is special.

SPEC.md section 5.1 gives the example ``[0,0,10,10]`` vs ``[5,5,10,10]``: 0.142857 (vot-toolkit) and
0.174757 (pysot). Both functions are written with numpy only (no numba, no compiled extension).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from bench.core.errors import DataError

SPECIAL_UNKNOWN = 0
SPECIAL_INIT = 1
SPECIAL_FAILURE = 2

_F32 = np.float32


@dataclass(frozen=True, eq=False)
class Region:
    """One parsed VOT region.

    ``kind`` is ``"special"``, ``"rectangle"``, ``"polygon"`` or ``"mask"``. Rectangles keep
    ``values = [x, y, w, h]`` and polygons ``points`` (n x 2), both float64 exactly as written (each
    overlap function applies its own toolkit's float32 storage). Masks keep a uint8 ``mask`` and its
    ``offset = (x0, y0)``, cropped to the set pixels like vot-toolkit's reader does.
    """

    kind: str
    code: int = 0
    values: np.ndarray | None = None
    points: np.ndarray | None = None
    mask: np.ndarray | None = None
    offset: tuple[int, int] = (0, 0)
    text: str = field(default="", repr=False)

    # -- predicates ----------------------------------------------------------------------------
    @property
    def is_special(self) -> bool:
        return self.kind == "special"

    def is_code(self, code: int) -> bool:
        return self.kind == "special" and self.code == code

    def is_empty(self) -> bool:
        """vot-toolkit's ``Region.is_empty`` (decides whether a low overlap counts as a failure)."""
        if self.kind == "special":
            return True
        if self.kind == "rectangle":
            v = self.values.astype(_F32)
            return not (v[2] > 0 and v[3] > 0)
        if self.kind == "polygon":
            p = self.points.astype(_F32)
            return bool(p[:, 1].min() == p[:, 1].max() or p[:, 0].min() == p[:, 0].max())
        left, top, right, bottom = _mask_bounds(self.mask)
        return right == 0 or bottom == 0

    def __str__(self) -> str:
        return format_region(self)


# ------------------------------------------------------------------------------------------------
# parsing and formatting
# ------------------------------------------------------------------------------------------------

def parse_region(text: str, source: str = "<region>") -> Region:
    """Parse one VOT region string; a malformed one raises :class:`DataError` naming ``source``."""
    s = text.strip()
    if not s:
        raise DataError(f"{source}: empty region")
    try:
        if s[0] in "mM":
            vals = [int(float(t)) for t in s[1:].split(",")]
            if len(vals) < 5:
                raise ValueError("a mask needs x0,y0,w,h and at least one run length")
            x0, y0, w, h = vals[:4]
            if w < 0 or h < 0:
                raise ValueError("negative mask size")
            runs = np.asarray(vals[4:], dtype=np.int64)
            if (runs < 0).any() or runs.sum() > w * h:
                raise ValueError(f"run lengths sum to {int(runs.sum())} > {w}x{h}")
            return _optimised_mask(rle_to_mask(runs, w, h), (x0, y0), s)
        tokens = [float(t) for t in s.replace("\t", ",").split(",") if t.strip() != ""]
    except ValueError as e:
        raise DataError(f"{source}: not a VOT region ({e}): {s[:60]!r}") from None
    n = len(tokens)
    if n == 1:
        if not math.isfinite(tokens[0]):
            return Region("special", code=SPECIAL_UNKNOWN, text=s)
        return Region("special", code=int(tokens[0]), text=s)
    if any(math.isnan(t) for t in tokens) and (n == 4 or (n > 4 and n % 2 == 0)):
        return Region("special", code=SPECIAL_UNKNOWN, text=s)  # vot-toolkit reads NaN boxes as unknown
    if n == 4:
        return Region("rectangle", values=np.asarray(tokens, dtype=np.float64), text=s)
    if n >= 6 and n % 2 == 0:
        return Region("polygon", points=np.asarray(tokens, dtype=np.float64).reshape(-1, 2), text=s)
    raise DataError(f"{source}: not a VOT region ({n} values): {s[:60]!r}")


def parse_regions(lines: Iterable[str], source: str = "<regions>") -> list[Region]:
    """Parse region lines (blank trailing lines ignored); errors name ``source:line``."""
    out = []
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    for i, line in enumerate(lines, 1):
        out.append(parse_region(line, f"{source}:{i}"))
    return out


def read_regions(path) -> list[Region]:
    """Read a VOT region file (``groundtruth.txt`` or a text trajectory)."""
    from pathlib import Path

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{p}: file not found") from None
    return parse_regions(text.splitlines(), str(p))


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else f"{float(v):.1f}"


def format_region(region: Region) -> str:
    """The VOT text form of ``region`` (rectangles/polygons with full float precision)."""
    if region.kind == "special":
        return str(int(region.code))
    if region.kind == "rectangle":
        return ",".join(_fmt(v) for v in region.values)
    if region.kind == "polygon":
        return ",".join(_fmt(v) for v in region.points.reshape(-1))
    m = region.mask
    runs = mask_to_rle(m)
    return "m%d,%d,%d,%d,%s" % (region.offset[0], region.offset[1], m.shape[1], m.shape[0], ",".join(map(str, runs)))


def rectangle(x: float, y: float, w: float, h: float) -> Region:
    return Region("rectangle", values=np.asarray([x, y, w, h], dtype=np.float64))


def polygon(points) -> Region:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3:
        raise DataError(f"a polygon needs at least 3 points, got {len(pts)}")
    return Region("polygon", points=pts)


def special(code: int) -> Region:
    return Region("special", code=int(code))


def mask_region(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> Region:
    """A mask region from a full or partial binary mask (cropped to its set pixels)."""
    return _optimised_mask(np.asarray(mask) > 0, (int(offset[0]), int(offset[1])), "")


# ------------------------------------------------------------------------------------------------
# RLE masks
# ------------------------------------------------------------------------------------------------

def rle_to_mask(runs: Sequence[int], width: int, height: int) -> np.ndarray:
    """Decode VOT run lengths (0s first) into a ``height x width`` uint8 mask."""
    runs = np.asarray(runs, dtype=np.int64)
    v = np.zeros(width * height, dtype=np.uint8)
    ends = np.cumsum(runs)
    starts = ends - runs
    for s, e in zip(starts[1::2], ends[1::2]):
        v[s:e] = 1
    return v.reshape(height, width)


def mask_to_rle(mask: np.ndarray) -> list[int]:
    """Encode a binary mask as VOT run lengths (a leading 0 when the first pixel is set)."""
    v = (np.asarray(mask).reshape(-1) > 0).astype(np.int8)
    if v.size == 0:
        return [0]
    change = np.flatnonzero(np.diff(v)) + 1
    bounds = np.concatenate([[0], change, [v.size]])
    runs = np.diff(bounds).tolist()
    if v[0]:
        runs = [0] + runs
    return [int(r) for r in runs]


def _mask_bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the set pixels, inclusive; (0, 0, 0, 0) when none are set."""
    if mask.size == 0:
        return (0, 0, 0, 0)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return (0, 0, 0, 0)
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1]))


def _optimised_mask(mask: np.ndarray, offset: tuple[int, int], text: str) -> Region:
    # vot-toolkit reads masks with ``optimize=True``: crop to the set pixels; a mask whose right bound is
    # column 0 of the given array is treated as empty (the toolkit's test is ``bounds[2] == 0``).
    m = (np.asarray(mask) > 0).astype(np.uint8)
    left, top, right, bottom = _mask_bounds(m)
    if right == 0:
        return Region("mask", mask=np.zeros((0, 0), dtype=np.uint8), offset=(0, 0), text=text)
    return Region("mask", mask=m[top:bottom + 1, left:right + 1].copy(),
                  offset=(offset[0] + left, offset[1] + top), text=text)


# ------------------------------------------------------------------------------------------------
# conversions
# ------------------------------------------------------------------------------------------------

def region_to_box(region: Region) -> np.ndarray:
    """Axis-aligned ``[x, y, w, h]`` of a region (NaN for special regions).

    Polygons give their min/max bounds (vot-toolkit's conversion to a rectangle); masks give the bounds
    of the set pixels with ``w = right - left + 1``; an empty mask gives ``[0, 0, 0, 0]``.
    """
    if region.kind == "special":
        return np.full(4, np.nan)
    if region.kind == "rectangle":
        return region.values.astype(np.float64).copy()
    if region.kind == "polygon":
        p = region.points
        x0, y0 = p[:, 0].min(), p[:, 1].min()
        return np.array([x0, y0, p[:, 0].max() - x0, p[:, 1].max() - y0], dtype=np.float64)
    if region.mask.size == 0 or not region.mask.any():
        return np.zeros(4)
    left, top, right, bottom = _mask_bounds(region.mask)
    return np.array([region.offset[0] + left, region.offset[1] + top, right - left + 1, bottom - top + 1],
                    dtype=np.float64)


def polygon_to_box_area_preserving(points) -> np.ndarray:
    """pysot/DaSiamRPN ``get_axis_aligned_bbox``: a box centred on the polygon's mean with the area of the
    rotated rectangle (how pysot-style trackers turn a VOT polygon into an init box), as ``[x, y, w, h]``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1)
    if p.size == 4:
        return p.copy()
    cx, cy = np.mean(p[0::2]), np.mean(p[1::2])
    x1, x2 = p[0::2].min(), p[0::2].max()
    y1, y2 = p[1::2].min(), p[1::2].max()
    a1 = np.linalg.norm(p[0:2] - p[2:4]) * np.linalg.norm(p[2:4] - p[4:6])
    a2 = (x2 - x1) * (y2 - y1)
    s = np.sqrt(a1 / a2) if a2 > 0 else 1.0
    w = s * (x2 - x1) + 1
    h = s * (y2 - y1) + 1
    return np.array([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h])


def box_to_polygon(box) -> np.ndarray:
    """The 4 corners of ``[x, y, w, h]`` as a 4x2 array (clockwise from the top-left)."""
    x, y, w, h = (float(v) for v in box)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)


def region_to_mask(region: Region, width: int, height: int) -> np.ndarray:
    """Rasterise ``region`` into a ``height x width`` uint8 mask the way vot-toolkit does."""
    data, offset, kind = _vottk_meta(region)
    return _vottk_raster(data, kind, offset, (0, 0, int(width) - 1, int(height) - 1))


# ------------------------------------------------------------------------------------------------
# rasters: per-row spans (the fast, common case) or a full mask, over a raster window
# ------------------------------------------------------------------------------------------------

class _Raster:
    """A binary raster over a ``height x width`` window: per-row inclusive spans ``lo..hi`` (``lo > hi`` =
    empty row) when every row is one run of pixels, else a full uint8 mask."""

    __slots__ = ("width", "height", "lo", "hi", "mask")

    def __init__(self, width: int, height: int, lo=None, hi=None, mask=None):
        self.width, self.height = width, height
        self.lo, self.hi, self.mask = lo, hi, mask

    @classmethod
    def empty(cls, width: int, height: int) -> "_Raster":
        return cls(width, height, np.ones(max(height, 0), np.int64), np.zeros(max(height, 0), np.int64))

    def to_mask(self) -> np.ndarray:
        if self.mask is not None:
            return self.mask
        m = np.zeros((self.height, self.width), dtype=np.uint8)
        for r in np.flatnonzero(self.hi >= self.lo):
            m[r, self.lo[r]:self.hi[r] + 1] = 1
        return m


def _intersection_union(r1: _Raster, r2: _Raster, ignore: _Raster | None = None) -> tuple[int, int]:
    if ignore is None and r1.mask is None and r2.mask is None:
        a1 = np.maximum(r1.hi - r1.lo + 1, 0).sum()
        a2 = np.maximum(r2.hi - r2.lo + 1, 0).sum()
        inter = np.maximum(np.minimum(r1.hi, r2.hi) - np.maximum(r1.lo, r2.lo) + 1, 0)
        inter = inter[(r1.hi >= r1.lo) & (r2.hi >= r2.lo)].sum()
        return int(inter), int(a1 + a2 - inter)
    m1, m2 = r1.to_mask().astype(bool), r2.to_mask().astype(bool)
    if ignore is not None:
        keep = ignore.to_mask() == 0
        m1, m2 = m1 & keep, m2 & keep
    return int(np.count_nonzero(m1 & m2)), int(np.count_nonzero(m1 | m2))


def _scanline_nodes(pts: np.ndarray, rows: np.ndarray, *, horizontal_node: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted crossing x positions (int, padded with a sentinel) and their count for each row in ``rows``.

    vot-toolkit adds a node ``x_i`` for a horizontal edge lying on the row; the C code skips such edges.
    Crossing positions are truncated towards zero like the toolkits' float-to-int conversions.
    """
    n = len(pts)
    prev = np.arange(-1, n - 1) % n
    y = rows.astype(np.float64)[:, None]
    xi, yi = pts[:, 0], pts[:, 1]
    xj, yj = xi[prev], yi[prev]
    # the toolkits' five-part edge test reduces to: the row lies within the edge's (closed) y-range
    cond = (np.minimum(yi, yj) <= y) & (y <= np.maximum(yi, yj))
    r = yj - yi
    k = xj - xi
    flat = r == 0
    xs = xi + (y - yi) / np.where(flat, 1.0, r) * k
    if horizontal_node:
        xs = np.where(flat, xi, xs)
    else:
        cond &= ~flat
    big = float(2 ** 40)
    nodes = np.where(cond, np.trunc(np.clip(xs, -big, big)), big).astype(np.int64)
    nodes.sort(axis=1)
    return nodes, cond.sum(axis=1)


def _fill_row(nx: list[int], width: int, vottk: bool) -> list[tuple[int, int]]:
    """The toolkits' fill loop over one row's sorted nodes; returns the painted inclusive spans."""
    spans = []
    nodes = len(nx)
    i = 0
    while i < nodes - 1:
        if vottk:
            if nx[i] >= width:
                break
            if nx[i] == nx[i + 1] and i < nodes - 2:
                i += 1
                continue
        else:
            if nx[i] == nx[i + 1]:
                i += 1
                continue
            if nx[i] >= width:
                break
        if nx[i + 1] >= 0:
            spans.append((max(nx[i], 0), min(nx[i + 1], width - 1)))
        i += 2
    return spans


def _polygon_raster(pts: np.ndarray, width: int, height: int, *, vottk: bool) -> _Raster:
    """Scan-line fill of a polygon already rounded and shifted into window coordinates."""
    out = _Raster.empty(width, height)
    if height <= 0 or width <= 0:
        return out
    y0 = max(0, int(math.floor(pts[:, 1].min())))
    y1 = min(height - 1, int(math.ceil(pts[:, 1].max())))
    if y1 < y0:
        return out
    rows = np.arange(y0, y1 + 1)
    nodes, counts = _scanline_nodes(pts, rows, horizontal_node=vottk)
    if nodes.shape[1] >= 2:
        a, b = nodes[:, 0], nodes[:, 1]
        ok = (counts == 2) & (a < width) & (b >= 0)
        if not vottk:
            ok &= a != b
        out.lo[rows[ok]] = np.maximum(a[ok], 0)
        out.hi[rows[ok]] = np.minimum(b[ok], width - 1)
    for idx in np.flatnonzero(counts > 2):
        spans = _fill_row(nodes[idx, :counts[idx]].tolist(), width, vottk)
        if not spans:
            continue
        spans.sort()
        lo, hi = spans[0]
        for s_lo, s_hi in spans[1:]:
            if s_lo > hi + 1:  # two separate runs in one row: fall back to a full mask
                return _polygon_mask(nodes, counts, rows, width, height, vottk)
            hi = max(hi, s_hi)
        out.lo[rows[idx]], out.hi[rows[idx]] = lo, hi
    return out


def _polygon_mask(nodes, counts, rows, width, height, vottk) -> _Raster:
    m = np.zeros((height, width), dtype=np.uint8)
    for idx, row in enumerate(rows):
        for lo, hi in _fill_row(nodes[idx, :counts[idx]].tolist(), width, vottk):
            m[row, lo:hi + 1] = 1
    return _Raster(width, height, mask=m)


# ------------------------------------------------------------------------------------------------
# vot-toolkit 0.9.0 overlap
# ------------------------------------------------------------------------------------------------

_T_EMPTY, _T_RECT, _T_POLY, _T_MASK = 0, 1, 2, 3


def _vottk_meta(region: Region):
    if region.kind == "rectangle":
        return np.round(region.values.astype(_F32)).astype(np.float64), (0, 0), _T_RECT
    if region.kind == "polygon":
        return np.round(region.points.astype(_F32)).astype(np.float64), (0, 0), _T_POLY
    if region.kind == "mask":
        return region.mask, region.offset, _T_MASK
    return None, (0, 0), _T_EMPTY


def _vottk_bounds(data, kind, offset) -> tuple[int, int, int, int]:
    if kind == _T_RECT:
        x, y, w, h = data.tolist()
        return (int(round(x)), int(round(y)), int(round(x + w - 1)), int(round(y + h - 1)))
    if kind == _T_POLY:
        return (int(round(float(data[:, 0].min()))), int(round(float(data[:, 1].min()))),
                int(round(float(data[:, 0].max()))), int(round(float(data[:, 1].max()))))
    if kind == _T_MASK:
        b = _mask_bounds(data)
        return (b[0] + offset[0], b[1] + offset[1], b[2] + offset[0], b[3] + offset[1])
    return (0, 0, 0, 0)


def _vottk_raster_obj(data, kind, offset, bounds) -> _Raster:
    width = bounds[2] - bounds[0] + 1
    height = bounds[3] - bounds[1] + 1
    if kind == _T_RECT:
        out = _Raster.empty(width, height)
        x, y, w, h = data.tolist()
        if x > bounds[2] or x + w - 1 < bounds[0] or y > bounds[3] or y + h - 1 < bounds[1]:
            return out
        left = int(max(0, x - bounds[0]))
        top = int(max(0, y - bounds[1]))
        # the toolkit clamps the relative right/bottom edge with the absolute bound and then slices
        # ``mask[top:bottom+1, left:right+1]``; range() slicing reproduces numpy's slice semantics exactly
        right = int(min(bounds[2], x + w - 1 - bounds[0]))
        bottom = int(min(bounds[3], y + h - 1 - bounds[1]))
        rr = range(height)[top:bottom + 1]
        cc = range(width)[left:right + 1]
        if len(rr) and len(cc):
            out.lo[rr.start:rr.stop] = cc.start
            out.hi[rr.start:rr.stop] = cc.stop - 1
        return out
    if kind == _T_POLY:
        pts = data - np.array([[bounds[0], bounds[1]]], dtype=np.float64)
        return _polygon_raster(pts, width, height, vottk=True)
    if kind == _T_MASK:
        copy = np.zeros((height, width), dtype=np.uint8)
        tx, ty = max(offset[0], bounds[0]), max(offset[1], bounds[1])
        ox, oy = tx - bounds[0], ty - bounds[1]
        gx, gy = tx - offset[0], ty - offset[1]
        tw = min(bounds[2] + 1, offset[0] + data.shape[1]) - tx
        th = min(bounds[3] + 1, offset[1] + data.shape[0]) - ty
        if tw > 0 and th > 0:
            copy[oy:oy + th, ox:ox + tw] = data[gy:gy + th, gx:gx + tw]
        return _Raster(width, height, mask=copy)
    return _Raster.empty(width, height)


def _vottk_raster(data, kind, offset, bounds) -> np.ndarray:
    return _vottk_raster_obj(data, kind, offset, bounds).to_mask()


def overlap_vottk(a: Region, b: Region, bounds: tuple[int, int] | None = None,
                  ignore: Region | None = None) -> float:
    """Pixel IoU of two regions as vot-toolkit 0.9.0 computes it (``bounds = (width, height)``)."""
    da, oa, ta = _vottk_meta(a)
    db, ob, tb = _vottk_meta(b)
    b1 = _vottk_bounds(da, ta, oa)
    b2 = _vottk_bounds(db, tb, ob)
    union = (min(b1[0], b2[0]), min(b1[1], b2[1]), max(b1[2], b2[2]), max(b1[3], b2[3]))
    if union[0] >= union[2] or union[1] >= union[3]:
        return 1.0  # "two empty regions are identical" (also any union one pixel wide or tall)
    if bounds is not None:
        rb = (max(0, union[0]), max(0, union[1]), min(int(bounds[0]) - 1, union[2]), min(int(bounds[1]) - 1, union[3]))
    else:
        rb = union
    if rb[0] >= rb[2] or rb[1] >= rb[3]:
        return 0.0
    r1 = _vottk_raster_obj(da, ta, oa, rb)
    r2 = _vottk_raster_obj(db, tb, ob, rb)
    ri = None
    if ignore is not None and ignore.kind != "special":
        di, oi, ti = _vottk_meta(ignore)
        ri = _vottk_raster_obj(di, ti, oi, rb)
    inter, union_px = _intersection_union(r1, r2, ri)
    return float(inter) / float(union_px) if union_px > 0 else 0.0


def overlaps_vottk(first: Sequence[Region], second: Sequence[Region], bounds: tuple[int, int] | None = None) -> list[float]:
    """Frame-wise :func:`overlap_vottk` of two equally long region lists."""
    if len(first) != len(second):
        raise DataError(f"region lists differ in length: {len(first)} != {len(second)}")
    return [overlap_vottk(a, b, bounds) for a, b in zip(first, second)]


# ------------------------------------------------------------------------------------------------
# pysot (legacy VOT C region code) overlap
# ------------------------------------------------------------------------------------------------

def _pysot_points(region: Region) -> np.ndarray:
    if region.kind == "rectangle":
        x, y, w, h = region.values.tolist()
        pts = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]  # sums in float64, stored as C float
        return np.asarray(pts, dtype=np.float64).astype(_F32)
    if region.kind == "polygon":
        return region.points.astype(_F32)
    if region.kind == "mask":
        raise DataError("pysot's VOT overlap takes rectangles and polygons, not masks")
    raise AssertionError


def _c_round(v: np.ndarray) -> np.ndarray:
    v64 = v.astype(np.float64)  # C round(): half away from zero, exact for float32 inputs in float64
    return np.sign(v64) * np.floor(np.abs(v64) + 0.5)


def _pysot_raster(pts32: np.ndarray, width: int, height: int, is_rect: bool) -> _Raster:
    pts = _c_round(pts32)
    if not is_rect:
        return _polygon_raster(pts, width, height, vottk=False)
    # a rectangle's polygon: two vertical edges give nodes x_a, x_b on every row from y_a to y_b inclusive
    # (horizontal edges are skipped by the C code); equal nodes paint nothing
    out = _Raster.empty(width, height)
    xa, xb = sorted((pts[0, 0], pts[1, 0]))
    ya, yb = sorted((pts[0, 1], pts[2, 1]))
    if ya == yb or xa == xb or xa >= width or xb < 0:
        return out
    r0, r1 = max(int(ya), 0), min(int(yb), height - 1)
    if r1 >= r0:
        out.lo[r0:r1 + 1] = max(int(xa), 0)
        out.hi[r0:r1 + 1] = min(int(xb), width - 1)
    return out


def overlap_pysot(a: Region, b: Region, bounds: tuple[float, float] | None = None) -> float:
    """Overlap of two regions as pysot's ``region.vot_overlap`` computes it (``bounds = (W, H)``).

    Returns NaN when either region is special (pysot's convention for init/failure/skipped frames) and a
    float32-rounded value otherwise.
    """
    if a.kind == "special" or b.kind == "special":
        return float("nan")
    p1, p2 = _pysot_points(a), _pysot_points(b)
    if bounds is None:
        lim = (-math.inf, -math.inf, math.inf, math.inf)  # left, top, right, bottom
    else:
        lim = (0.0, 0.0, float(_F32(bounds[0])), float(_F32(bounds[1])))

    def rounded_bounds(p):
        xs, ys = p[:, 0].tolist(), p[:, 1].tolist()
        return (max(math.floor(min(xs)), lim[0]), max(math.floor(min(ys)), lim[1]),
                min(math.ceil(max(xs)), lim[2]), min(math.ceil(max(ys)), lim[3]))

    b1, b2 = rounded_bounds(p1), rounded_bounds(p2)
    x = min(b1[0], b2[0])
    y = min(b1[1], b2[1])
    width = int(max(b1[2], b2[2]) - x) + 1
    height = int(max(b1[3], b2[3]) - y) + 1
    a1 = (b1[2] - b1[0]) * (b1[3] - b1[1])
    a2 = (b2[2] - b2[0]) * (b2[3] - b2[1])
    r12 = a1 / a2 if a2 != 0 else (math.copysign(math.inf, a1) if a1 != 0 else math.nan)
    r21 = a2 / a1 if a1 != 0 else (math.copysign(math.inf, a2) if a2 != 0 else math.nan)
    if r12 < 1e-10 or r21 < 1e-10 or width < 1 or height < 1:
        return 0.0
    # bounds_overlap() == 0 short-cut; MAX(0, ratio) keeps NaN
    il, it = max(b1[0], b2[0]), max(b1[1], b2[1])
    ir, ib = min(b1[2], b2[2]), min(b1[3], b2[3])
    inter = (ir - il) * (ib - it)
    den = a1 + a2 - inter
    ratio = inter / den if den != 0 else (math.copysign(math.inf, inter) if inter != 0 else math.nan)
    if 0 > ratio:
        ratio = 0.0
    if ratio == 0:
        return 0.0
    off = np.array([[x, y]], dtype=_F32)
    r1 = _pysot_raster((p1 - off).astype(_F32), width, height, a.kind == "rectangle")
    r2 = _pysot_raster((p2 - off).astype(_F32), width, height, b.kind == "rectangle")
    inter_px, union_px = _intersection_union(r1, r2)
    return float(np.float32(inter_px) / np.float32(union_px)) if union_px else float("nan")


def overlaps_pysot(first: Sequence[Region], second: Sequence[Region], bounds: tuple[float, float] | None = None) -> list[float]:
    """Frame-wise :func:`overlap_pysot` (pysot's ``vot_overlap_traj``)."""
    if len(first) != len(second):
        raise DataError(f"region lists differ in length: {len(first)} != {len(second)}")
    return [overlap_pysot(a, b, bounds) for a, b in zip(first, second)]

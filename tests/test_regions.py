"""VOT regions: parsing, RLE masks, conversions and the two toolkits' rasterised overlaps."""
from __future__ import annotations

import numpy as np
import pytest

from bench.core.errors import DataError
from bench.core.regions import (format_region, mask_region, mask_to_rle, overlap_pysot, overlap_vottk,
                                   parse_region, parse_regions, polygon_to_box_area_preserving, region_to_box,
                                   region_to_mask, rle_to_mask)

R = parse_region


def test_parse_kinds():
    assert R("1").is_code(1) and R("2.0").is_code(2) and R("0").is_code(0)
    r = R("1.5,2,3,4")
    assert r.kind == "rectangle" and r.values.tolist() == [1.5, 2, 3, 4]
    p = R("0,0,10,0,10,5,0,5")
    assert p.kind == "polygon" and p.points.shape == (4, 2)
    m = R("m3,4,3,2,1,2,3")  # 3x2 box at (3,4): runs 0x1, 1x2, 0x3 -> row 0 = 0 1 1, row 1 = 0 0 0
    assert m.kind == "mask" and m.offset == (4, 4) and m.mask.tolist() == [[1, 1]]
    assert R("nan,nan,nan,nan").is_code(0)  # vot-toolkit reads NaN boxes as unknown


@pytest.mark.parametrize("text", ["", "1,2,3", "a,b,c,d", "m1,2,3", "m0,0,2,2,1,9", "1,2,3,4,5"])
def test_bad_regions_raise_with_source(text):
    with pytest.raises(DataError, match="gt.txt:3"):
        parse_region(text, "gt.txt:3")


def test_parse_regions_names_the_line():
    with pytest.raises(DataError, match="f.txt:2"):
        parse_regions(["1,2,3,4", "oops"], "f.txt")


def test_rle_round_trip():
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = (rng.random((rng.integers(1, 9), rng.integers(1, 9))) < 0.4).astype(np.uint8)
        runs = mask_to_rle(m)
        assert sum(runs) == m.size
        assert np.array_equal(rle_to_mask(runs, m.shape[1], m.shape[0]), m)
    assert mask_to_rle(np.array([[1, 0]])) == [0, 1, 1]  # a leading 0 when the first pixel is set


def test_format_round_trip():
    for s in ["1", "10.5,20.0,30.25,40.0", "1.0,2.0,3.0,4.0,5.0,6.0"]:
        assert format_region(R(s)) == s
    m = R("m2,3,4,3,5,2,5")
    again = R(format_region(m))
    assert again.offset == m.offset and np.array_equal(again.mask, m.mask)


def test_boxes():
    assert region_to_box(R("1,2,3,4")).tolist() == [1, 2, 3, 4]
    assert region_to_box(R("0,0,10,2,8,12,-2,10")).tolist() == [-2, 0, 12, 12]
    assert region_to_box(R("m10,20,3,2,1,2,3")).tolist() == [11, 20, 2, 1]
    assert np.isnan(region_to_box(R("1"))).all()
    # pysot's area-preserving box of an axis-aligned square is the square itself (+1 px convention)
    assert np.allclose(polygon_to_box_area_preserving([0, 0, 10, 0, 10, 10, 0, 10]), [0, 0, 11, 11])


def test_empty_rules():
    assert R("0,0,0,5").is_empty() and R("1").is_empty() and not R("0,0,1,1").is_empty()
    assert R("m0,0,0,0,0").is_empty()
    assert R("m0,0,3,1,0,3").is_empty()  # one row tall: vot-toolkit's test is right/bottom bound == 0


def test_spec_examples():
    """SPEC.md 5.1: [0,0,10,10] vs [5,5,10,10]."""
    a, b = R("0,0,10,10"), R("5,5,10,10")
    assert overlap_vottk(a, b) == pytest.approx(25 / 175)
    assert overlap_vottk(a, b, (7, 7)) == pytest.approx(4 / 49)
    assert overlap_pysot(a, b) == pytest.approx(36 / 206, abs=1e-7)  # 11x11 px each, 6x6 shared
    assert overlap_pysot(a, b, (7, 7)) == pytest.approx(9 / 64, abs=1e-7)


def test_special_and_empty_conventions():
    a = R("10,10,20,20")
    assert overlap_vottk(R("1"), a) == 0.0
    assert overlap_vottk(R("1"), R("m0,0,0,0,0")) == 1.0  # two empty regions are identical
    assert np.isnan(overlap_pysot(R("1"), a))
    assert overlap_vottk(a, a, (100, 100)) == 1.0
    assert overlap_vottk(R("200,200,5,5"), a, (100, 100)) == 0.0  # outside the image


def test_vottk_rounds_half_to_even_pysot_half_away():
    # x = 0.5 rounds to 0 in vot-toolkit (numpy) and to 1 in the C code
    a, b = R("0.5,0,10,10"), R("0,0,10,10")
    assert overlap_vottk(a, b) == 1.0
    assert overlap_pysot(a, b) < 1.0


def test_mask_overlap_matches_hand_count():
    full = np.zeros((20, 20), np.uint8)
    full[2:8, 3:9] = 1  # 36 px
    m = mask_region(full)
    assert overlap_vottk(m, R("3,2,6,6"), (20, 20)) == 1.0
    assert overlap_vottk(m, R("3,2,3,6"), (20, 20)) == pytest.approx(18 / 36)
    assert region_to_mask(m, 20, 20).sum() == 36


def test_polygon_raster_area():
    # a diamond: the toolkit's scan-line fill gives a symmetric pixel count
    d = R("10,0,20,10,10,20,0,10")
    mask = region_to_mask(d, 30, 30)
    sub = mask[:21, :21]
    assert mask.sum() == sub.sum() > 0
    assert np.array_equal(sub, sub[::-1]) and np.array_equal(sub, sub.T)


def _random_region(rng) -> str:
    t = rng.integers(0, 4)
    if t == 0:
        x, y = rng.uniform(-30, 150, 2)
        w, h = rng.uniform(-5, 80, 2)
        if rng.random() < 0.3:
            x, y, w, h = np.round([x, y, w, h]) + rng.choice([0, 0.5])
        return f"{x},{y},{w},{h}"
    if t == 1:
        n = rng.integers(3, 7)
        pts = rng.uniform(-20, 150, 2) + rng.uniform(-40, 40, (n, 2))
        return ",".join(str(v) for v in pts.reshape(-1))
    if t == 2:
        w, h = rng.integers(1, 30, 2)
        x0, y0 = rng.integers(-20, 140, 2)
        m = (rng.random((h, w)) < 0.5).astype(np.uint8)
        return "m%d,%d,%d,%d,%s" % (x0, y0, w, h, ",".join(map(str, mask_to_rle(m))))
    return str(rng.integers(0, 3))


def test_overlap_equals_vot_toolkit_on_random_regions():
    """Cross-check against the installed vot-toolkit's own rasteriser (skipped where it is absent)."""
    pytest.importorskip("vot", reason="vot-toolkit not installed")
    from vot.region import calculate_overlap
    from vot.region.io import parse_region as vot_parse

    rng = np.random.default_rng(7)
    for _ in range(300):
        a, b = _random_region(rng), _random_region(rng)
        for bounds in (None, (120, 100)):
            assert overlap_vottk(R(a), R(b), bounds) == calculate_overlap(vot_parse(a), vot_parse(b), bounds), (a, b, bounds)

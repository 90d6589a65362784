"""Property-based tests (hypothesis) of the box parser and the results-store round trip.

Raw-results and annotation files come with commas, tabs, semicolons or spaces, NaN rows, CRLF endings
and trailing blank lines: any such rendering of an array must parse back to exactly that array, and any
malformed row must be reported with the file and its 1-based line.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bench.core.errors import DataError, ResultsError  # noqa: E402
from bench.core.io import format_boxes, format_number, load_boxes, parse_boxes  # noqa: E402
from bench.results import RunFolder  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
coords = st.one_of(finite, st.integers(-5000, 5000).map(float),
                   st.floats(-5000, 5000, allow_nan=False).map(lambda v: round(v, 2)))


@st.composite
def box_arrays(draw, min_rows=1, max_rows=30):
    n = draw(st.integers(min_rows, max_rows))
    rows = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 0:
            rows.append([math.nan] * 4)  # out-of-view rows, as UAV123 writes them
        else:
            rows.append([draw(coords) for _ in range(4)])
    return np.array(rows, dtype=np.float64)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


DELIMS = [",", "\t", " ", ";", ", ", " \t", "  "]


@st.composite
def renderings(draw, arr):
    """``arr`` as text with a random delimiter per row, random number spellings and line endings."""
    lines = []
    for row in arr:
        delim = draw(st.sampled_from(DELIMS))
        toks = []
        for v in row:
            if math.isnan(v):
                toks.append(draw(st.sampled_from(["nan", "NaN", "NAN"])))
            else:
                toks.append(draw(st.sampled_from([format_number(v), repr(float(v))])))
        lead = draw(st.sampled_from(["", " ", "\t"]))
        trail = draw(st.sampled_from(["", " ", "  ", "\t"]))
        lines.append(lead + delim.join(toks) + trail)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    tail = draw(st.sampled_from(["", eol, eol * 2, eol + "  " + eol]))
    return eol.join(lines) + tail


@SETTINGS
@given(box_arrays())
def test_format_then_parse_is_exact(arr):
    assert same(parse_boxes(format_boxes(arr)), arr)


@SETTINGS
@given(st.data())
def test_any_delimiter_spacing_and_line_ending_parse_the_same(data):
    arr = data.draw(box_arrays())
    text = data.draw(renderings(arr))
    assert same(parse_boxes(text, "x.txt"), arr)


@SETTINGS
@given(st.data())
def test_load_boxes_reads_files_like_parse_boxes(data):
    arr = data.draw(box_arrays())
    text = data.draw(renderings(arr))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "gt.txt"
        p.write_bytes(text.encode())
        assert same(load_boxes(p), arr)


BAD_TOKENS = ["abc", "1.2.3", "--4", "0x", "1e", "N/A", "", "[1]", "1,5e"]


@SETTINGS
@given(st.data())
def test_a_non_number_is_reported_with_its_line(data):
    arr = data.draw(box_arrays())
    i = data.draw(st.integers(0, len(arr) - 1))
    j = data.draw(st.integers(0, 3))
    bad = data.draw(st.sampled_from(["abc", "1.2.3", "--4", "N/A", "[1]", "x7", "1e"]))
    delim = data.draw(st.sampled_from([",", "\t", " "]))
    rows = [[format_number(v) for v in r] for r in arr]
    rows[i][j] = bad
    text = "\n".join(delim.join(r) for r in rows) + "\n"
    with pytest.raises(DataError) as e:
        parse_boxes(text, "res/seq.txt")
    assert f"res/seq.txt:{i + 1}:" in str(e.value)
    assert "\n" not in str(e.value)


@SETTINGS
@given(st.data())
def test_a_row_of_the_wrong_width_is_reported_with_its_line(data):
    arr = data.draw(box_arrays())
    i = data.draw(st.integers(0, len(arr) - 1))
    width = data.draw(st.sampled_from([1, 2, 3, 5, 6, 8]))
    delim = data.draw(st.sampled_from([",", "\t", " ", ";"]))
    rows = [[format_number(v) for v in r] for r in arr]
    rows[i] = (rows[i] * 2)[:width]
    text = "\n".join(delim.join(r) for r in rows) + "\n"
    with pytest.raises(DataError) as e:
        parse_boxes(text, "gt.txt")
    assert f"gt.txt:{i + 1}: expected 4 values, found {width}" in str(e.value)


@pytest.mark.parametrize("delim", [",", "\t", ";", " "])
def test_two_compensating_bad_rows_are_caught(delim):
    """A short row followed by a long one keeps the total a multiple of 4: the fast path must not hide it."""
    text = f"1{delim}2{delim}3\n4{delim}5{delim}6{delim}7{delim}8\n"
    with pytest.raises(DataError, match="gt.txt:1: expected 4 values, found 3"):
        parse_boxes(text, "gt.txt")


@SETTINGS
@given(st.data())
def test_blank_line_inside_is_an_error_at_that_line(data):
    arr = data.draw(box_arrays(min_rows=2))
    i = data.draw(st.integers(1, len(arr) - 1))
    lines = format_boxes(arr).splitlines()
    lines.insert(i, data.draw(st.sampled_from(["", "  ", "\t"])))
    with pytest.raises(DataError) as e:
        parse_boxes("\n".join(lines) + "\n", "f.txt")
    assert f"f.txt:{i + 1}:" in str(e.value)


# --- the results store round trip -------------------------------------------------------------------

seq_names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_."),
                    min_size=1, max_size=24).filter(lambda s: s not in (".", "..") and not s.startswith("."))
json_scalars = st.one_of(st.integers(-10**9, 10**9), finite, st.text(max_size=12), st.booleans(), st.none())
stats_dicts = st.dictionaries(st.text(min_size=1, max_size=10), st.one_of(json_scalars, st.lists(finite, max_size=5)),
                              max_size=5)


@SETTINGS
@given(name=seq_names, arr=box_arrays(), stats=stats_dicts, data=st.data())
def test_results_round_trip(name, arr, stats, data):
    times = np.array(data.draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=len(arr), max_size=len(arr))))
    with tempfile.TemporaryDirectory() as d:
        folder = RunFolder(Path(d) / "run" / "ds")
        folder.write_sequence(name, arr, times, stats)
        assert folder.is_done(name)
        rec = folder.read_sequence(name)
        assert same(rec.boxes, arr)
        np.testing.assert_allclose(rec.times, times, rtol=0, atol=5e-7)  # stored with 6 decimals
        assert rec.stats == (stats or None)
        assert not list(folder.path.glob(".*.tmp"))
        # writing the same thing again gives the same bytes (what byte-identical reruns rely on)
        before = folder.box_path(name).read_bytes()
        folder.write_sequence(name, rec.boxes, rec.times, rec.stats)
        assert folder.box_path(name).read_bytes() == before


@pytest.mark.parametrize("name", ["a/b", "..", ".", "", "x\\y", "nul\0"])
def test_sequence_names_that_are_not_file_names_are_refused(name, tmp_path):
    with pytest.raises(ResultsError):
        RunFolder(tmp_path).write_sequence(name, np.zeros((1, 4)))

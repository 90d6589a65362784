"""The box-file parser (``bench.core.io``): its fast paths accept exactly what the line parser accepts, with
bit-identical float64 values (sign of zero and of NaN included) and the same one-line ``file:line`` errors.

The oracle below is the line parser as it stood before the numpy-only fast path replaced pandas' reader:
each line split on runs of ``, ; whitespace``, every token read by ``float()``, blank lines at the end
dropped. Every text here is parsed both ways and the outcomes compared: the array's shape and bytes, or
the error's text.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bench.core.errors import DataError  # noqa: E402
from bench.core.io import load_boxes, load_many_boxes, parse_boxes  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()

# --- the oracle: the line parser, as it was --------------------------------------------------------------

_SPLIT = re.compile(r"[,\s;]+")


def oracle(data: bytes, source: str, columns: int | None = 4) -> np.ndarray:
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{source}: not a text file") from None
    while lines and not lines[-1].strip():
        lines.pop()
    rows = []
    width = columns
    for i, line in enumerate(lines, 1):
        tokens = [t for t in _SPLIT.split(line.strip()) if t]
        if not tokens:
            raise DataError(f"{source}:{i}: empty line")
        if width is None:
            width = len(tokens)
        if len(tokens) != width:
            raise DataError(f"{source}:{i}: expected {width} values, found {len(tokens)}: {line.strip()[:60]!r}")
        values = []
        for t in tokens:
            try:
                values.append(float(t))
            except ValueError:
                raise DataError(f"{source}:{i}: not a number: {t[:40]!r}") from None
        rows.append(values)
    if not rows:
        return np.zeros((0, columns or 0))
    return np.asarray(rows, dtype=np.float64).reshape(-1, width)


def outcome(fn, *args) -> tuple:
    """``("ok", shape, bytes)`` or ``("error", message)``: equal outcomes mean equal bits or equal text."""
    try:
        a = fn(*args)
    except DataError as e:
        return ("error", str(e))
    assert a.dtype == np.float64
    return ("ok", a.shape, np.ascontiguousarray(a).tobytes())


def check(data: bytes, columns: int | None = 4) -> None:
    want = outcome(oracle, data, "f.txt", columns)
    assert outcome(parse_boxes, data, "f.txt", columns) == want, data[:200]
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        assert outcome(parse_boxes, text, "f.txt", columns) == want


# --- fixed cases: the formats in the wild and the corners of the grammar ---------------------------------

CASES = [
    b"1,2,3,4\n5,6,7,8\n", b"1\t2\t3\t4\r\n5\t6\t7\t8\r\n", b"1 2  3 4 \n\n\n", b"1;2;3;4\n", b"1, 2, 3, 4\n",
    b"-0,1,2,3\n4,-0,6,7\n", b"-1,-2,3,4\n", b"007,0,00,12345678\n", b"123456789,1,2,3\n",
    b"1234567890123456789,1,2,3\n", b"9007199254740993,1,2,3\n", b"1,2,3,4\n" * 3 + b"1.5,2,3,4\n",
    b"NaN,NaN,NaN,NaN\n1.5,2,3,4", b"nan,NAN,nAn,1\n", b"inf,-inf,+inf,infinity\n", b"-nan,1,2,3\n",
    b"+nan,1,2,3\n", b"nan(1),2,3,4\n", b"nan(),2,3,4\n", b"+5,2,3,4\n", b".5,5.,1e3,1E-3\n", b"1_0,2,3,4\n",
    b"1e999,-1e999,1e-400,-1e-400\n", b"0x10,1,2,3\n", b"1-2,3,4,5\n6,7,8,9\n", b"--4,1,2,3\n", b"4-,1,2,3\n",
    b"-,1,2,3\n", b"1,2,3,-\n", b"- 4,1,2,3\n", b"1,2,3,4,\n", b",1,2,3,4\n", b",,1,,2,,3,,4,,\n",
    b"1,2,3,4\n,,,\n5,6,7,8\n", b"1,2,3,4\n,,,\n", b"1,2,3,4\n\n5,6,7,8\n", b"1,2,3,4\n \n5,6,7,8\n",
    b"1,2,3,4\n\r\n5,6,7,8\n", b"1,2,3,4\r5,6,7,8\r", b"1,2,3,4\r\n5,6,7,8", b"1,2,3,4\r\r\n5,6,7,8\n",
    b"1,2,3,4\x0c5,6,7,8\n", b"1,2,3,4\x0b5,6,7,8\n", b"1,2,3,4\x1c5,6,7,8\n", b"1\x1f2,3,4\n",
    b"1,2,3,4\n\x1c\n", b"1\xc2\xa02,3,4\n", b"1,2,3,4\xe2\x80\xa85,6,7,8\n", b"\xef\xbb\xbf1,2,3,4\n",
    b"\xd9\xa1,2,3,4\n", b"1,2,3,4\n\xff\n", b'"1",2,3,4\n5,6,7,8\n', b"1,2,3\n4,5,6,7,8\n",
    b"1,2,3,4\n5,6,7\n", b"1,2,3,4\n1,2,3,4,5\n", b"1,2,3,4\n1,abc,3,4\n", b"1\x002,3,4\n", b"", b"\n\n",
    b"   \n\t\n", b"\x1c\n", b"\xc2\xa0", b",", b"1", b"1,2", b"12,34,56", b"1,2,3,4", b"-1,-2,-3,-4",
    b"1 2 3 4 5 6 7 8",
    b"1,2,3,4\n" * 100000, b"-12345678,-1,0,99999999\n" * 30000 + b"1,2,3,4",
]


@pytest.mark.parametrize("columns", [4, None, 2, 8])
@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_fixed_cases_agree_with_the_line_parser(data, columns):
    check(data, columns)


def test_the_corners_the_old_fast_path_got_wrong():
    """pandas-free numpy reads these differently from ``float()``; the line parser's reading stands."""
    assert np.signbit(parse_boxes(b"-nan,1,2,3\n")[0, 0])        # float("-nan") carries the sign
    with pytest.raises(DataError, match=r"f.txt:1: not a number: 'nan\(1\)'"):
        parse_boxes(b"nan(1),2,3,4\n", "f.txt")                  # numpy would read NaN
    assert parse_boxes(b"1 2 3 4\r5 6 7 8", columns=None).shape == (2, 4)   # a lone CR ends a line


def test_minus_zero_and_long_integers_are_exact():
    a = parse_boxes(b"-0,0,123456789,-99999999\n" * 3)
    assert np.signbit(a[:, 0]).all() and not np.signbit(a[:, 1]).any()
    assert a[0, 2] == 123456789.0 and a[0, 3] == -99999999.0
    assert parse_boxes(b"9007199254740993,1,2,3\n")[0, 0] == float("9007199254740993")


# --- generated texts ----------------------------------------------------------------------------------------

INTS = st.integers(-10**9, 10**9).map(str)
FLOATS = st.floats(allow_nan=False, width=64).map(repr)
ODD = st.sampled_from(["nan", "NaN", "-nan", "+nan", "inf", "-Infinity", "nan(2)", "1_0", "-0", "+3", ".5", "5.",
                       "1e5", "1E-5", "1-2", "--4", "4-", "-", "abc", "0x1", "", "\ufeff1", "\u0661", "1.2.3",
                       "00012", "123456789012345678901"])
TOKENS = st.one_of(INTS, INTS, INTS, FLOATS, ODD)
SEPS = st.sampled_from([",", ",", ",", "\t", " ", ";", ", ", " ,", ",,", "\xa0", "\x1c", "\x0c"])
EOLS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\x0b", "\n\n", "\n \n"])


@st.composite
def texts(draw) -> bytes:
    n = draw(st.integers(0, 12))
    lines = []
    for _ in range(n):
        k = draw(st.sampled_from([4, 4, 4, 4, 3, 5, 0, 1]))
        toks = [draw(TOKENS) for _ in range(k)]
        line = draw(st.sampled_from(["", " ", ","])) + draw(SEPS).join(toks) + draw(st.sampled_from(["", " ", ","]))
        lines.append(line)
    eol = draw(EOLS)
    body = "".join(line + (eol if draw(st.integers(0, 9)) else draw(EOLS)) for line in lines)
    return (body + draw(st.sampled_from(["", "\n", "\n\n", " \t\n"]))).encode("utf-8")


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts(), st.sampled_from([4, 4, None, 3]))
def test_generated_texts_agree_with_the_line_parser(data, columns):
    check(data, columns)


@SETTINGS
@given(st.lists(st.integers(-10**8 + 1, 10**8 - 1), min_size=1, max_size=400), st.integers(1, 6),
       st.sampled_from([",", ", ", "\t", " ", ";"]), st.sampled_from(["\n", "\r\n"]), st.integers(1, 64))
def test_integer_files_of_any_size_agree(values, width, sep, eol, chunk):
    """The integer path reads in chunks of whole lines: every chunk size gives the same array."""
    import bench.core.io as io

    rows = [sep.join(str(v) for v in values[i:i + width]) for i in range(0, len(values), width)]
    data = (eol.join(rows) + eol).encode()
    old = io._CHUNK
    io._CHUNK = chunk
    try:
        check(data, width)
        check(data, None)
    finally:
        io._CHUNK = old


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80).map(lambda b: bytes(c for c in b if c in b"0123456789-,;\t \r\n.enaNI+x")))
def test_byte_soup_agrees_with_the_line_parser(data):
    check(data, 4)
    check(data, None)


# --- many files at once -------------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts(), min_size=1, max_size=6))
def test_many_files_read_as_each_alone(tmp_path_factory, datas):
    d = tmp_path_factory.mktemp("many")
    paths = []
    for i, data in enumerate(datas):
        (d / f"s{i}.txt").write_bytes(data)
        paths.append(d / f"s{i}.txt")
    first_error = None
    want = []
    for p, data in zip(paths, datas):
        o = outcome(oracle, data, str(p), 4)
        if o[0] == "error" and first_error is None:
            first_error = o
        want.append(o)
    if first_error is not None:
        assert outcome(load_many_boxes, paths) == first_error
        return
    got = load_many_boxes(paths)
    assert [("ok", a.shape, a.tobytes()) for a in got] == want
    assert all(outcome(load_boxes, p) == w for p, w in zip(paths, want))


def test_many_files_missing_one_names_it(tmp_path):
    (tmp_path / "a.txt").write_text("1,2,3,4\n")
    with pytest.raises(DataError, match=r"b\.txt: file not found"):
        load_many_boxes([tmp_path / "a.txt", tmp_path / "b.txt"])


# --- the real files -----------------------------------------------------------------------------------------

LASOT = SHARED / "data" / "lasot"
ATOM = SHARED / "data" / "raw_results" / "LaSOT" / "ATOM"


@pytest.mark.skipif(not (LASOT / "annos").is_dir() or not ATOM.is_dir(), reason=f"LaSOT data absent under {SHARED}")
def test_lasot_annotations_and_results_read_as_loadtxt_reads_them():
    names = (LASOT / "testing_set.txt").read_text().split()
    for folder in (LASOT / "annos", ATOM):
        paths = [folder / f"{n}.txt" for n in names]
        for a, p in zip(load_many_boxes(paths), paths):
            want = np.loadtxt(p, delimiter=",", ndmin=2)
            assert a.shape == want.shape and a.tobytes() == want.tobytes(), p


# --- what `bench evaluate` imports --------------------------------------------------------------------------

HEAVY = ("pandas", "torch", "matplotlib", "cv2", "openpyxl", "scipy", "PIL")


def _fake_lasot(root: Path) -> tuple[Path, Path]:
    annos, res = root / "toolkit" / "annos", root / "res" / "T"
    (annos / "absent").mkdir(parents=True)
    res.mkdir(parents=True)
    names = ["airplane-1", "bird-2"]
    for k, n in enumerate(names):
        gt = np.array([[10 + i, 20 + k, 30, 40] for i in range(20)])
        np.savetxt(annos / f"{n}.txt", gt, fmt="%d", delimiter=",")
        np.savetxt(annos / "absent" / f"{n}.txt", np.zeros(20), fmt="%d")
        np.savetxt(res / f"{n}.txt", gt + 1, fmt="%d", delimiter=",")
    (root / "toolkit" / "testing_set.txt").write_text("\n".join(names) + "\n")
    return root / "toolkit", res


def _imports_of(argv: list[str], watched: tuple[str, ...] = HEAVY) -> list[str]:
    code = ("import sys; from bench.cli import main; rc = main(sys.argv[1:]); "
            f"print(sorted(m for m in {watched!r} if m in sys.modules)); sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return eval(r.stdout.strip().splitlines()[-1])


def test_evaluate_and_list_import_no_heavy_library(tmp_path):
    toolkit, res = _fake_lasot(tmp_path)
    assert _imports_of(["evaluate", "--results", str(res), "--dataset", "lasot", "--annotations", str(toolkit),
                        "--protocol", "lasot-toolkit", "--json", str(tmp_path / "f.json")]) == []
    assert _imports_of(["list", "datasets"]) == [] and _imports_of(["list", "protocols"]) == []


def test_evaluate_of_builtin_names_reads_no_plugin_metadata(tmp_path):
    """Each is 10-30 ms of a 0.35 s process: the installed distributions' metadata (read only when a name is
    not a built-in one: here the results folder is named after neither a dataset nor a tracker),
    ``numpy.ma`` (which ``np.unique`` imports) and ``zipfile`` (only zip-reading adapters need it)."""
    toolkit, res = _fake_lasot(tmp_path)
    argv = ["evaluate", "--results", str(res), "--dataset", "lasot", "--annotations", str(toolkit),
            "--protocol", "lasot-toolkit", "--json", str(tmp_path / "f.json")]
    assert _imports_of(argv, ("importlib.metadata", "numpy.ma", "zipfile")) == []


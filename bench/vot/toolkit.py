"""Drive the real vot-toolkit (``vot evaluate`` / ``vot analysis``) in a child process and parse its answers.

The toolkit runs as ``python -m bench.vot.cli_main`` (the ``vot`` CLI with :mod:`bench.vot.patches`
applied), with text result files (``VOT_RESULTS_BINARY=false``) and no persistent analysis cache
(``VOT_PERSISTENT_CACHE=false``, so re-run results are never shadowed by a stale cache). The toolkit logs
errors and still exits with status 0, so success is judged from what it wrote: every expected result
file for ``evaluate``, the analysis JSON for ``analysis``; otherwise :class:`VOTToolkitError` carries the
last line of its log.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from bench.core.errors import BenchError

REQUIRED = "vot-toolkit==0.9.0 attributee==0.1.9"


class VOTToolkitError(BenchError):
    """vot-toolkit is missing, failed, or timed out."""


def toolkit_version() -> str | None:
    """The installed vot-toolkit version, or None (without importing the toolkit into this process)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version("vot-toolkit")
    except PackageNotFoundError:
        return None


def require_toolkit() -> str:
    v = toolkit_version()
    if v is None:
        raise VOTToolkitError(f"vot-toolkit is not installed; pip install {REQUIRED} (or the suite's 'vot' extra)")
    return v


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["VOT_RESULTS_BINARY"] = "false"
    env["VOT_PERSISTENT_CACHE"] = "false"
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_vot(args: Sequence[str], workspace: str | os.PathLike, timeout: float | None = None,
            log_path: str | os.PathLike | None = None) -> str:
    """Run one toolkit command; returns its combined output (also appended to ``log_path``)."""
    require_toolkit()
    cmd = [sys.executable, "-m", "bench.vot.cli_main", *args]
    try:
        proc = subprocess.run(cmd, cwd=str(workspace), env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        raise VOTToolkitError(f"vot {args[0]} timed out after {timeout:.0f} s in {workspace} "
                              f"(raise --toolkit-timeout)") from None
    out = proc.stdout or ""
    if log_path:
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(f"$ vot {' '.join(args)}\n{out}\n")
    if proc.returncode != 0:
        raise VOTToolkitError(f"vot {args[0]} failed with status {proc.returncode}: {_last_line(out)}")
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _last_line(out: str) -> str:
    lines = [ln.strip() for ln in _ANSI.sub("", out).splitlines() if ln.strip() and "%" not in ln[-2:]]
    bad = [ln for ln in lines if "rror" in ln or "xception" in ln or "ailed" in ln]
    return (bad[-1] if bad else (lines[-1] if lines else "no output"))[:300]


def expected_result_files(workspace: Path, tracker_id: str, experiment: dict, exp_name: str) -> list[Path]:
    """Result files the toolkit must have written for ``exp_name`` (from the stack and the sequences)."""
    from bench.vot.workspace_files import read_anchors, read_sequence_list

    seq_root = workspace / "sequences"
    names = read_sequence_list(seq_root / "list.txt")
    base = workspace / "results" / tracker_id / exp_name
    files = []
    for n in names:
        if experiment.get("type") == "multistart":
            anchors = read_anchors(seq_root / n / "anchor.value")
            files += [base / n / f"{n}_{i:08d}.txt" for i, a in enumerate(anchors) if a != 0]
        else:  # deterministic trackers stop early after 3 identical repetitions: require the first one
            files.append(base / n / f"{n}_001.txt")
    return files


def evaluate(workspace: str | os.PathLike, tracker_id: str, experiments: Sequence[str], *, force: bool = False,
             timeout: float | None = None, stack: dict | None = None) -> str:
    """``vot evaluate`` for ``experiments``; raises unless every expected result file exists afterwards."""
    ws = Path(workspace)
    args = ["evaluate", "--workspace", str(ws), "--experiments", ",".join(experiments)]
    if force:
        args.append("--force")
    out = run_vot(args + [tracker_id], ws, timeout, ws / "bench_vot.log")
    if stack is not None:
        missing = [p for e in experiments for p in expected_result_files(ws, tracker_id, stack[e], e) if not p.is_file()]
        if missing:
            raise VOTToolkitError(f"vot evaluate left {len(missing)} result file(s) missing, e.g. {missing[0]}: "
                                  f"{_last_line(out)}")
    return out


def analyse(workspace: str | os.PathLike, tracker_id: str, experiments: Sequence[str], *, name: str = "bench",
            timeout: float | None = None) -> dict[str, Any]:
    """``vot analysis --format json``; returns the parsed analysis (see :func:`parse_analysis`)."""
    ws = Path(workspace)
    target = ws / "analysis" / f"{name}.json"
    if target.exists():
        target.unlink()
    out = run_vot(["analysis", "--workspace", str(ws), "--format", "json", "--name", name,
                   "--experiments", ",".join(experiments), tracker_id], ws, timeout, ws / "bench_vot.log")
    if not target.is_file():
        raise VOTToolkitError(f"vot analysis wrote no {target}: {_last_line(out)}")
    from bench.core.io import read_json

    doc = read_json(target)
    if not isinstance(doc, dict):
        raise VOTToolkitError(f"{target}: the toolkit's analysis is not a JSON object")
    try:
        return parse_analysis(doc)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as e:
        raise VOTToolkitError(f"{target}: unexpected layout of the toolkit's analysis "
                              f"({type(e).__name__})") from None


def parse_analysis(doc: dict[str, Any]) -> dict[str, Any]:
    """Label the toolkit's analysis JSON: ``{tracker_id: {experiment: {metric: value}}}``.

    The JSON stores, per experiment, one result list per analysis (in stack order) and within it one entry
    per tracker (in the order of ``doc['trackers']``); the entries are unlabelled tuples. Known analyses are
    labelled: multistart ``eao``, ``eao_curve``, ``accuracy``/``robustness`` (+ weights); supervised
    ``accuracy``, ``failures``, ``ar_robustness``, ``eao``, ``eao_curve``; unsupervised ``accuracy``.
    """
    trackers = list(doc.get("trackers", {}))
    out: dict[str, Any] = {t: {} for t in trackers}
    for exp, body in doc.get("results", {}).items():
        analyses = body.get("parameters", {}).get("analyses", [])
        results = body.get("results", [])
        for ti, t in enumerate(trackers):
            m: dict[str, Any] = {}
            for spec, res in zip(analyses, results):
                if res is None or ti >= len(res) or res[ti] is None:
                    continue
                val = res[ti]
                kind = spec.get("type", "").rsplit(".", 1)[-1]
                mod = spec.get("type", "")
                if kind == "EAOScore":
                    m["eao"] = float(_first(val))
                elif kind == "EAOCurve":
                    m["eao_curve"] = [float(v) for v in val[0]]
                elif kind == "AverageAccuracyRobustness" and "multistart" in mod:
                    m["accuracy"], m["robustness"] = float(val[0]), float(val[1])
                    m["accuracy_weight_frames"], m["robustness_weight_frames"] = val[3], val[4]
                elif kind == "AverageAccuracyRobustness":
                    m["accuracy"], m["failures"] = float(val[0]), float(val[1])
                    m["ar_robustness"], m["length_weight"] = float(val[2][0]), float(val[3])
                elif kind == "AverageAccuracy":
                    m["accuracy"] = float(_first(val))
                else:
                    m[spec.get("name") or kind] = val
            out[t][exp] = m
    return out


def _first(v: Any) -> Any:
    while isinstance(v, (list, tuple)):
        v = v[0]
    return v


def stack_experiments(workspace: str | os.PathLike) -> dict[str, dict]:
    """The experiments of the workspace's stack file (as dicts), without importing the toolkit; a config or
    stack file that is not UTF-8 YAML of the right shape is a one-line error naming it."""
    from bench.vot.workspace_files import stack_experiments as read_stack

    return read_stack(workspace)

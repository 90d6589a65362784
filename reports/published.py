"""Published results (papers, official READMEs) to show beside measured ones, always marked as such.

The data file is CSV (or JSON: a list of objects with the same keys), one number per row::

    tracker,benchmark,metric,value,unit,source,note
    OSTrack-256,LaSOT,auc,69.1,%,"OSTrack README, github.com/botaoye/OSTrack",

``metric`` is a :data:`reports.model.METRICS` key (``auc``, ``precision``, ``ao``, ``eao``, ...) or an
efficiency key (``params``, ``gmacs``, ``gsops``, ``energy_mj``, ``fps``). ``unit`` converts the number
as printed into the report's units: ``%`` divides by 100, ``M`` / ``G`` multiply a parameter count by
1e6 / 1e9; empty means the value is already in report units. ``source`` is required: a number without a
citation does not belong in a report. An optional ``type`` column (``SNN``/``ANN``) marks spiking trackers;
without it, the tracker registry decides (``SpikeTrack-B256-T3`` is ``spiketrack_b256_t3``), else ANN.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from bench.core.errors import DataError
from reports.model import METRICS, PublishedValue

DEFAULT_FILE = Path(__file__).with_name("data") / "published.csv"
EFFICIENCY_METRICS = ("params", "gmacs", "gsops", "energy_mj", "fps")
_FIELDS = ("tracker", "benchmark", "metric", "value", "source")


def load_published(path: str | os.PathLike = DEFAULT_FILE) -> list[PublishedValue]:
    """Read a published-results file (CSV or JSON); a bad row raises DataError naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: published-results file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file") from None
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{e.lineno}: not valid JSON") from None
        if not isinstance(rows, list):
            raise DataError(f"{path}: expected a JSON list of objects with keys {', '.join(_FIELDS)}")
        numbered = [(f"entry {i}", r) for i, r in enumerate(rows, 1)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [f for f in _FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
        numbered = []
        for row in reader:
            numbered.append((f"line {reader.line_num}", row))
    return [_parse_row(path, where, row) for where, row in numbered if not _is_blank(row)]


def _is_blank(row) -> bool:
    return isinstance(row, dict) and not any(str(v or "").strip() for v in row.values())


def _parse_row(path: Path, where: str, row) -> PublishedValue:
    loc = f"{path}:{where.split()[-1]}" if where.startswith("line") else f"{path} ({where})"
    if not isinstance(row, dict):
        raise DataError(f"{loc}: expected an object with keys {', '.join(_FIELDS)}")
    get = {k: str(row.get(k) if row.get(k) is not None else "").strip() for k in
           (*_FIELDS, "unit", "note")}
    for k in _FIELDS:
        if not get[k] and k != "benchmark":
            raise DataError(f"{loc}: empty {k!r}")
    metric = get["metric"].lower()
    if metric not in METRICS and metric not in EFFICIENCY_METRICS:
        raise DataError(f"{loc}: unknown metric {get['metric']!r}; known: "
                        f"{', '.join([*METRICS, *EFFICIENCY_METRICS])}")
    try:
        value = float(get["value"])
    except ValueError:
        raise DataError(f"{loc}: value is not a number: {get['value'][:40]!r}") from None
    unit = get["unit"]
    if unit == "%":
        value /= 100.0
    elif unit in ("M", "G") and metric == "params":
        value *= 1e6 if unit == "M" else 1e9
    elif unit not in ("", "mJ", "G", "fps", "GMACs", "frames/s"):
        raise DataError(f"{loc}: unknown unit {unit!r} (use %, M, G, mJ, fps or leave empty)")
    if metric in METRICS and METRICS[metric][3] == "fraction" and not 0.0 <= value <= 1.0:
        raise DataError(f"{loc}: {metric} = {get['value']} is not a fraction; write unit % for percentages")
    if not get["benchmark"] and metric in METRICS:
        raise DataError(f"{loc}: accuracy metric {metric!r} needs a benchmark")
    kind = str(row.get("type") or "").strip().upper()
    if kind not in ("", "SNN", "ANN"):
        raise DataError(f"{loc}: type must be SNN or ANN, not {kind!r}")
    return PublishedValue(tracker=get["tracker"], benchmark=get["benchmark"], metric=metric, value=value,
                          source=get["source"], note=get["note"],
                          spiking=None if not kind else kind == "SNN")


def relevant_published(published: list[PublishedValue], benchmarks: list[str]) -> list[PublishedValue]:
    """Published numbers for the benchmarks a report shows, plus efficiency figures of those trackers."""
    from reports.model import benchmark_key

    keys = {benchmark_key(b) for b in benchmarks}
    acc = [p for p in published if p.metric in METRICS and benchmark_key(p.benchmark) in keys]
    trackers = {p.tracker for p in acc}
    return [p for p in published if p in acc or (p.metric in EFFICIENCY_METRICS and p.tracker in trackers)]

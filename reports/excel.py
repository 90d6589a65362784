"""The Excel workbook (openpyxl): one leaderboard, then the detail behind it, sheet by sheet.

Sheets: ``Leaderboard`` (trackers x benchmarks, protocol under every metric, efficiency columns),
``<Bench> sequences`` (per-sequence scores), ``<Bench> attributes`` (attribute subsets),
``Firing rates`` (layers x time steps per branch, colour scale), ``Energy`` (breakdown per component),
``Energy models`` (every energy model's figure per tracker, search and amortised template parts),
``NeuroBench`` (NeuroBench's metric set in its leaderboard's column order), ``Efficiency metrics`` (every
registered efficiency metric of ``profile.json["metrics"]``, read generically), ``Published`` (every
published number with its source), ``About`` (what produced the report).

A profile made with random weights is marked wherever it appears, and its weight-dependent figures
(SOPs, energy, sparsity, reports.model.WEIGHT_DEPENDENT) are left out.

Numbers are stored as numbers (accuracy as fractions with a percentage format, so a cell's value is
exactly the stored result); headers carry units; header rows and the name column are frozen.
"""
from __future__ import annotations

import datetime as _dt
import io
import math
import os
from pathlib import Path
from typing import Any, Iterable

from bench.core.io import atomic_write_bytes
from reports.model import EFFICIENCY, METRICS, NEUROBENCH, ReportData, benchmark_label, metric_label

#: the Source cell of a measured row whose profile was made without trained weights
RANDOM_SOURCE = "measured (RANDOM weights: SOPs, energy, sparsity left out)"

HEADER_FILL = "DDE4EE"
PUBLISHED_FONT_COLOR = "7F7F7F"

#: sheet names openpyxl/Excel refuse
_BAD_SHEET_CHARS = set('[]:*?/\\')


def sheet_title(name: str, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name (31 characters at most, no ``[]:*?/\\``)."""
    title = "".join("_" if c in _BAD_SHEET_CHARS else c for c in name)[:31] or "Sheet"
    if used is not None:
        base, i = title, 2
        while title.lower() in {u.lower() for u in used}:
            suffix = f" ({i})"
            title = base[:31 - len(suffix)] + suffix
            i += 1
        used.add(title)
    return title


def _cell_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


class _Sheet:
    """A worksheet with bold, filled, frozen header rows and auto-sized columns."""

    def __init__(self, wb, title: str, used: set[str]):
        self.ws = wb.create_sheet(sheet_title(title, used))
        self.widths: dict[int, int] = {}

    def header(self, row: int, values: Iterable[Any], italic: bool = False) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        for c, v in enumerate(values, 1):
            cell = self.ws.cell(row=row, column=c, value=v)
            cell.font = Font(bold=not italic, italic=italic)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            self._width(c, v)

    def row(self, row: int, values: Iterable[Any], formats: Iterable[str | None] | None = None,
            font=None) -> None:
        formats = list(formats) if formats is not None else []
        for c, v in enumerate(values, 1):
            cell = self.ws.cell(row=row, column=c, value=_cell_value(v))
            fmt = formats[c - 1] if c - 1 < len(formats) else None
            if fmt and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
            if font is not None:
                cell.font = font
            self._width(c, v if not isinstance(v, float) else "0.0000")

    def _width(self, col: int, v: Any) -> None:
        n = max((len(s) for s in str(v if v is not None else "").split("\n")), default=0)
        self.widths[col] = min(max(self.widths.get(col, 8), n + 2), 48)

    def finish(self, freeze: str) -> None:
        from openpyxl.utils import get_column_letter

        self.ws.freeze_panes = freeze
        for c, w in self.widths.items():
            self.ws.column_dimensions[get_column_letter(c)].width = w


def leaderboard_columns(data: ReportData) -> list[tuple[str, str | None, str]]:
    """``(kind, benchmark, key)`` per leaderboard column after Tracker/Type/Source.

    ``kind`` is ``"metric"`` or ``"efficiency"`` or ``"device"``; benchmarks that only have published
    numbers get columns too, so published rows have somewhere to go.
    """
    cols: list[tuple[str, str | None, str]] = []
    for b in data.benchmarks(include_published=True):
        for m in data.metrics_for(b, include_published=True):
            cols.append(("metric", b, m))
    pub_keys = {{"params": "params_m"}.get(p.metric, p.metric) for p in data.published}
    for k in EFFICIENCY:  # only the efficiency figures someone has
        if k in pub_keys or any(prof.value(k) is not None for prof in data.profiles.values()):
            cols.append(("efficiency", None, k))
    if any(prof.device for prof in data.profiles.values()):
        cols.append(("device", None, "device"))
    return cols


def ranked_trackers(data: ReportData, published: bool = False) -> list[str]:
    """Trackers best first: by the main score (AUC, else AO, else EAO) of each benchmark in turn."""
    benches = data.benchmarks(include_published=True)
    names = data.published_trackers() if published else data.trackers()

    def score(t: str, b: str) -> float | None:
        for m in ("auc", "ao", "eao"):
            if published:
                p = data.published_value(t, b, m)
                if p is not None:
                    return p.value
            else:
                r = data.result(t, b)
                if r is not None and m in r.metrics:
                    return r.metrics[m]
        return None

    def key(t: str):
        scores = [score(t, b) for b in benches]
        return tuple((1, 0.0) if v is None else (0, -v) for v in scores)

    return sorted(names, key=key)


def leaderboard_rows(data: ReportData) -> list[dict[str, Any]]:
    """One dict per leaderboard row: measured trackers first, then published ones."""
    cols = leaderboard_columns(data)
    rows = []
    for t in ranked_trackers(data):
        prof = data.profiles.get(t)
        vals: list[Any] = []
        for kind, b, k in cols:
            if kind == "metric":
                r = data.result(t, b)
                vals.append(r.metrics.get(k) if r else None)
            elif kind == "efficiency":
                vals.append(prof.value(k) if prof else None)
            else:
                vals.append(prof.device if prof else None)
        random = bool(prof is not None and prof.random_weights)
        rows.append({"tracker": t, "type": data.tracker_type(t), "source": RANDOM_SOURCE if random else "measured",
                     "values": vals, "random_weights": random})
    eff_key = {"params_m": "params", "gmacs": "gmacs", "gsops": "gsops", "energy_mj": "energy_mj", "fps": "fps"}
    for t in ranked_trackers(data, published=True):
        vals = []
        for kind, b, k in cols:
            if kind == "metric":
                p = data.published_value(t, b, k)
                vals.append(p.value if p else None)
            elif kind == "efficiency":
                p = next((p for p in data.published if p.tracker == t and p.metric == eff_key[k]), None)
                vals.append(None if p is None else (p.value / 1e6 if k == "params_m" else p.value))
            else:
                vals.append(None)
        rows.append({"tracker": t, "type": "SNN" if data.is_spiking(t) else "ANN", "source": "published",
                     "values": vals})
    return rows


def write_workbook(data: ReportData, path: str | os.PathLike) -> Path:
    """Write the report workbook to ``path`` (atomically) and return the path."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    _leaderboard(wb, data, used)
    for b in data.benchmarks():
        _sequences(wb, data, b, used)
    for b in data.benchmarks():
        _attributes(wb, data, b, used)
    _firing_rates(wb, data, used)
    _energy(wb, data, used)
    _energy_models(wb, data, used)
    _neurobench(wb, data, used)
    _efficiency_metrics(wb, data, used)
    _published(wb, data, used)
    _about(wb, data, used)
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _leaderboard(wb, data: ReportData, used: set[str]) -> None:
    from openpyxl.styles import Font

    sh = _Sheet(wb, "Leaderboard", used)
    cols = leaderboard_columns(data)
    head = ["Tracker", "Type", "Source"]
    protos = ["protocol / basis", "", ""]
    formats: list[str | None] = [None, None, None]
    for kind, b, k in cols:
        if kind == "metric":
            head.append(f"{benchmark_label(b)} {metric_label(k)}")
            protos.append(data.protocol_for(b) or "published only")
            formats.append(METRICS[k][2])
        elif kind == "efficiency":
            head.append(EFFICIENCY[k][0])
            protos.append(_efficiency_note(k, data))
            formats.append(EFFICIENCY[k][1])
        else:
            head.append("Device")
            protos.append("FPS measured on")
            formats.append(None)
    sh.header(1, head)
    sh.header(2, protos, italic=True)
    grey = Font(italic=True, color=PUBLISHED_FONT_COLOR)
    for i, row in enumerate(leaderboard_rows(data), 3):
        sh.row(i, [row["tracker"], row["type"], row["source"], *row["values"]], formats,
               font=grey if row["source"] == "published" else None)
    sh.finish("B3")


def _efficiency_note(key: str, data: ReportData | None = None) -> str:
    if key == "energy_mj" and data is not None:
        models = sorted({str(p.energy_model.get("model")) for p in data.profiles.values()
                         if p.energy_model.get("model")})
        if models:
            return f"theoretical, model {' / '.join(models)} (see Energy models / About)"
    return {"params_m": "all parameters", "gmacs": "per tracked frame, template amortised",
            "gsops": "synaptic ops per tracked frame", "energy_mj": "theoretical (see Energy / About)",
            "fps": "init frame excluded"}.get(key, "")


def _sequences(wb, data: ReportData, bench: str, used: set[str]) -> None:
    results = data.results_for(bench)
    if not results or not any(r.per_sequence for r in results):
        return
    sh = _Sheet(wb, f"{benchmark_label(bench)} sequences", used)
    keys = [k for k in METRICS if any(k in row for r in results for row in r.per_sequence)]
    head, protos, formats = _metric_columns(["Sequence"], ["protocol"], [None], keys, results)
    sh.header(1, head)
    sh.header(2, protos, italic=True)
    names: dict[str, None] = {}
    lookup: dict[tuple[str, str], dict] = {}
    for r in results:
        for row in r.per_sequence:
            names.setdefault(row["sequence"])
            lookup[(r.tracker, row["sequence"])] = row
    for i, name in enumerate(names, 3):
        vals = [name]
        for k in keys:
            for r in results:
                vals.append(lookup.get((r.tracker, name), {}).get(k))
        sh.row(i, vals, formats)
    sh.finish("B3")


def _metric_columns(head: list, protos: list, formats: list, keys: list[str], results: list) -> tuple[list, list, list]:
    """Header, protocol row and number formats: one column per (metric, tracker) after the lead columns."""
    for k in keys:
        for r in results:
            head.append(f"{r.tracker} {metric_label(k)}")
            protos.append(r.protocol)
            formats.append(METRICS[k][2])
    return head, protos, formats


def _attributes(wb, data: ReportData, bench: str, used: set[str]) -> None:
    results = [r for r in data.results_for(bench) if r.attributes]
    if not results:
        return
    sh = _Sheet(wb, f"{benchmark_label(bench)} attributes", used)
    keys = [k for k in METRICS if any(k in a for r in results for a in r.attributes.values())]
    head, protos, formats = _metric_columns(["Attribute", "Name", "Sequences"], ["protocol", "", ""],
                                            [None, None, "0"], keys, results)
    sh.header(1, head)
    sh.header(2, protos, italic=True)
    attrs: dict[str, tuple[str, int]] = {}
    for r in results:
        for a, v in r.attributes.items():
            attrs.setdefault(a, (str(v.get("name", "")), int(v.get("sequences", 0))))
    for i, a in enumerate(attrs, 3):
        vals: list[Any] = [a, *attrs[a]]
        for k in keys:
            for r in results:
                vals.append(r.attributes.get(a, {}).get(k))
        sh.row(i, vals, formats)
    sh.finish("D3")


def firing_rate_table(data: ReportData) -> tuple[int, list[tuple[str, str, str, list[float]]]]:
    """``(max time steps, rows (tracker, branch, layer, rates))`` over every profile with firing rates."""
    rows = []
    steps = 0
    for t, prof in data.profiles.items():
        for branch in sorted(prof.firing_rates, key=lambda b: (b != "template", b)):
            for layer, rates in prof.firing_rates[branch].items():
                rows.append((t, branch, layer, list(rates)))
                steps = max(steps, len(rates))
    return steps, rows


def _firing_rates(wb, data: ReportData, used: set[str]) -> None:
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    steps, rows = firing_rate_table(data)
    if not rows:
        return
    from openpyxl.comments import Comment

    sh = _Sheet(wb, "Firing rates", used)
    sh.header(1, ["Tracker", "Branch", "Layer", *[f"t={i + 1} (spikes/neuron)" for i in range(steps)]])
    units = sorted({p.rate_unit for p in data.profiles.values() if p.firing_rates})
    for c in range(4, 4 + steps):
        sh.ws.cell(row=1, column=c).comment = Comment(
            "; ".join(units) + " (a spike of k counts k; not the binary-equivalent rate, which is the "
            "fraction of neurons that fire)", "bench")
    for i, (t, branch, layer, rates) in enumerate(rows, 2):
        prof = data.profiles.get(t)
        label = f"{t} (RANDOM weights)" if prof is not None and prof.random_weights else t
        sh.row(i, [label, branch, layer, *rates], [None, None, None, *["0.000"] * steps])
    rng = f"D2:{get_column_letter(3 + steps)}{len(rows) + 1}"
    sh.ws.conditional_formatting.add(rng, ColorScaleRule(start_type="min", start_color="F8F8FF",
                                                         mid_type="percentile", mid_value=50, mid_color="FFD966",
                                                         end_type="max", end_color="C00000"))
    sh.finish("D2")


def _energy(wb, data: ReportData, used: set[str]) -> None:
    """One row per (branch, component): cost per call of its branch, then its share of a tracked frame."""
    from openpyxl.styles import Font

    profs = [p for p in data.profiles.values() if p.energy_breakdown or p.energy_mj is not None]
    if not profs:
        return
    sh = _Sheet(wb, "Energy", used)
    sh.header(1, ["Tracker", "Branch", "Component", "Per", "MACs (G)", "SOPs (G)", "MAC energy (mJ)",
                  "AC energy (mJ)", "Energy (mJ)", "Energy per frame (mJ/frame)", "Share of frame (%)"])
    fmts = [None, None, None, None, "0.000", "0.000", "0.0000", "0.0000", "0.0000", "0.0000", "0.0%"]
    r = 2
    for p in profs:
        if p.random_weights:   # every figure of this sheet depends on the spike counts
            sh.row(r, [p.tracker, "", "RANDOM weights: energy not valid, left out", "frame"], fmts,
                   font=Font(italic=True))
            r += 1
            continue
        rows = []
        for comp in p.energy_breakdown:
            e = comp.get("total_mj")
            if e is None and (comp.get("mac_mj") is not None or comp.get("ac_mj") is not None):
                e = float(comp.get("mac_mj") or 0.0) + float(comp.get("ac_mj") or 0.0)
            w = float(comp.get("weight", 1.0))
            rows.append((comp, e, None if e is None else e * w))
        # the breakdown is costed with one compute-only model's constants: total under that same model
        bm = p.energy_model.get("breakdown_model")
        total = p.energy_by_model.get(bm, p.energy_mj) if p.energy_by_model and bm else p.energy_mj
        if total is None:
            total = sum(pf for _, _, pf in rows if pf is not None) or None
        for comp, e, pf in rows:
            share = pf / total if (pf is not None and total) else None
            sh.row(r, [p.tracker, comp.get("branch", ""), comp.get("component", comp.get("layer", "")),
                       comp.get("per", "frame"), comp.get("gmacs"), comp.get("gsops"), comp.get("mac_mj"),
                       comp.get("ac_mj"), e, pf, share], fmts)
            r += 1
        sh.row(r, [p.tracker, "", "total per frame", "frame", p.gmacs, p.gsops, None, None, None, total,
                   1.0 if total else None], fmts, font=Font(bold=True))
        r += 1
    sh.finish("D2")


def energy_model_rows(data: ReportData) -> list[dict[str, Any]]:
    """One row per (tracker, energy model) of the profiles that hold several models."""
    rows = []
    for t, p in data.profiles.items():
        for name, mj in p.energy_by_model.items():
            rows.append({"tracker": t, "model": name, "per_frame_mJ": p.value(f"energy:{name}"),
                         "random_weights": bool(p.random_weights), "quoted": name == p.energy_model.get("model")})
    return rows


def _energy_models(wb, data: ReportData, used: set[str]) -> None:
    """Every energy model's per-frame figure, side by side; random-weights profiles marked, figures out."""
    from openpyxl.styles import Font

    rows = energy_model_rows(data)
    if not rows:
        return
    sh = _Sheet(wb, "Energy models", used)
    sh.header(1, ["Tracker", "Energy model", "Energy (mJ/frame)", "Quoted in the leaderboard", "Weights"])
    for i, r in enumerate(rows, 2):
        sh.row(i, [r["tracker"], r["model"], r["per_frame_mJ"], "yes" if r["quoted"] else "",
                   "RANDOM: energy not valid, left out" if r["random_weights"] else "checkpoint"],
               [None, None, "0.0000", None, None], font=Font(bold=True) if r["quoted"] else None)
    sh.finish("C2")


def neurobench_rows(data: ReportData) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """``(accuracy columns (benchmark, metric), rows)`` of the NeuroBench sheet, best accuracy first."""
    acc_cols = []
    for b in data.benchmarks():
        m = next((m for m in ("auc", "ao", "eao") if m in data.metrics_for(b)), None)
        if m is not None:
            acc_cols.append((b, m))
    rows = []
    for t in ranked_trackers(data):
        p = data.profiles.get(t)
        if p is None or not p.neurobench:
            continue
        accs = [(data.result(t, b).metrics.get(m) if data.result(t, b) else None) for b, m in acc_cols]
        rows.append({"tracker": t, "accuracy": accs, "values": [p.value(k) for k in NEUROBENCH],
                     "random_weights": bool(p.random_weights)})
    return acc_cols, rows


def _neurobench(wb, data: ReportData, used: set[str]) -> None:
    """NeuroBench's leaderboard columns, in its order: correctness, Footprint, Model Exec. Rate, Connection
    Sparsity, Activation Sparsity, Dense, Eff_MACs, Eff_ACs (NeuroBench leaderboard.md)."""
    acc_cols, rows = neurobench_rows(data)
    if not rows:
        return
    labels = list(NEUROBENCH.values())
    sh = _Sheet(wb, "NeuroBench", used)
    sh.header(1, ["Rank", "Tracker", *[f"{benchmark_label(b)} {metric_label(m)}" for b, m in acc_cols],
                  *labels, "Weights"])
    sh.header(2, ["", "NeuroBench 2.3.0 definitions", *[data.protocol_for(b) for b, _ in acc_cols],
                  "params + buffers", "search + template encodings", "zero weights", "zero neuron outputs",
                  "all MACs", "real-valued input", "spike-fed; a spike of k = k ACs", ""], italic=True)
    fmts = [None, None, *[METRICS[m][2] for _, m in acc_cols], "#,##0", "0.000", "0.0000", "0.0000",
            "0.000E+00", "0.000E+00", "0.000E+00", None]
    for i, r in enumerate(rows, 3):
        sh.row(i, [i - 2, r["tracker"], *r["accuracy"], *r["values"],
                   "RANDOM: weight-dependent figures left out" if r["random_weights"] else "checkpoint"], fmts)
    sh.finish("C3")


def efficiency_metric_columns(data: ReportData) -> list[tuple[str, str, str, str]]:
    """``(name, unit, label, description)`` per column of the Efficiency metrics sheet: every metric of
    every profile's ``profile.json["metrics"]``, first-seen order; one name stored with two units (files
    of two suite versions) gets a column per unit, so a header never names the wrong unit."""
    cols: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for p in data.profiles.values():
        for name, m in p.metrics.items():
            cols.setdefault((name, m["unit"]), (name, m["unit"], m["label"], m["description"]))
    return list(cols.values())


def _efficiency_metrics(wb, data: ReportData, used: set[str]) -> None:
    """Tracker x efficiency metric, unit in the header; a metric without a value says why in a cell
    comment; weight-dependent metrics of random-weights profiles are left out (EfficiencyProfile.metric)."""
    from openpyxl.comments import Comment

    cols = efficiency_metric_columns(data)
    if not cols:
        return
    sh = _Sheet(wb, "Efficiency metrics", used)
    sh.header(1, ["Tracker", *[f"{label} ({unit})" if unit else label for _, unit, label, _ in cols], "Weights"])
    sh.header(2, ["profile.json['metrics'] key", *[name for name, *_ in cols], ""], italic=True)
    for c, (_, _, _, desc) in enumerate(cols, 2):
        if desc:
            sh.ws.cell(row=1, column=c).comment = Comment(desc, "bench")
    for i, (t, p) in enumerate(((t, p) for t, p in data.profiles.items() if p.metrics), 3):
        vals = []
        for c, (name, unit, _, _) in enumerate(cols, 2):
            m = p.metrics.get(name) if (p.metrics.get(name) or {}).get("unit") == unit else None
            vals.append(None if m is None else p.metric(name))
            why = None if m is None else ("RANDOM weights: weight-dependent, left out"
                                          if m["value"] is not None and vals[-1] is None else m.get("reason"))
            if why:
                sh.ws.cell(row=i, column=c).comment = Comment(str(why), "bench")
        sh.row(i, [t, *vals, "RANDOM: weight-dependent metrics left out" if p.random_weights else "checkpoint"])
    sh.finish("B3")


def _published(wb, data: ReportData, used: set[str]) -> None:
    if not data.published:
        return
    sh = _Sheet(wb, "Published", used)
    sh.header(1, ["Tracker", "Benchmark", "Metric", "Value", "Source", "Note"])
    for i, p in enumerate(data.published, 2):
        fmt = METRICS[p.metric][2] if p.metric in METRICS else "0.00"
        label = metric_label(p.metric) if p.metric in METRICS else p.metric
        sh.row(i, [p.tracker, benchmark_label(p.benchmark) if p.benchmark else "", label, p.value, p.source,
                   p.note], [None, None, None, fmt, None, None])
    sh.finish("A2")


def _about(wb, data: ReportData, used: set[str]) -> None:
    sh = _Sheet(wb, "About", used)
    sh.header(1, ["Item", "Value"])
    rows: list[tuple[str, Any]] = [
        ("generated (UTC)", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")),
        ("results read", data.source or "-"),
        ("accuracy", "fractions shown as %; EAO/A/R as printed by the VOT toolkit"),
        ("published rows", "grey italics; copied from the cited source, not measured here"),
    ]
    for b in data.benchmarks():
        rows.append((f"protocol {benchmark_label(b)}", data.protocol_for(b)))
    models = {str(p.energy_model) for p in data.profiles.values() if p.energy_model}
    for m in sorted(models):
        rows.append(("energy model", m))
    for u in sorted({p.rate_unit for p in data.profiles.values() if p.firing_rates}):
        rows.append(("firing rates", f"{u}; the binary-equivalent rate is 1 - activation sparsity"))
    for t, p in data.profiles.items():
        if p.random_weights:
            rows.append(("RANDOM weights", f"{t}: profiled without a checkpoint; SOPs, energy, sparsity and "
                                           f"firing rates are not valid and are left out or marked"))
    for n in data.notes:
        rows.append(("note", n))
    for i, (k, v) in enumerate(rows, 2):
        sh.row(i, [k, v])
    sh.finish("A2")

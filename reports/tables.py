"""The leaderboard as a Markdown table (README, issues) and a LaTeX booktabs table (papers).

Same rows and columns as the workbook's leaderboard (:func:`reports.excel.leaderboard_rows`), so the
three never disagree. Accuracy is printed in percent with one decimal (EAO/A/R with three); the best
measured accuracy in each column is bold; published rows carry a dagger and the footnote says so.
"""
from __future__ import annotations

import math
from typing import Any

from reports.excel import leaderboard_columns, leaderboard_rows
from reports.model import EFFICIENCY, METRICS, ReportData, benchmark_label, metric_label

DAGGER_MD = "†"
DAGGER_TEX = r"$^\dagger$"
#: a measured row profiled with random weights (its SOPs and energy are left out)
RANDOM_MD = "§"
RANDOM_TEX = r"$^\S$"
RANDOM_NOTE = "random weights (no checkpoint): SOPs and energy depend on the weights and are left out"


def _fmt(kind: str, key: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if kind == "metric":
        return f"{100 * v:.1f}" if METRICS[key][3] == "fraction" else f"{v:.3f}"
    if kind == "efficiency":
        return f"{v:.1f}" if key in ("fps", "params_m") else f"{v:.2f}"
    return str(v).split(" (")[0]  # the device without its CPU model (the workbook keeps it)


#: metrics papers print in a leaderboard (the workbook keeps every metric)
TABLE_METRICS = ("auc", "norm_precision", "precision", "ao", "sr50", "sr75", "eao")


def _table(data: ReportData, groups: list | None = None
           ) -> tuple[list[str], list[str], list[list[str]], list[list[bool]], list[bool]]:
    """(headers, protocol row, cells, bold flags, published flags) with empty columns dropped.

    ``groups``, when a list, receives ``(label, first column, last column)`` per benchmark.
    """
    cols = leaderboard_columns(data)
    rows = leaderboard_rows(data)
    keep = [i for i in range(len(cols)) if any(r["values"][i] is not None for r in rows)
            and (cols[i][0] != "metric" or cols[i][2] in TABLE_METRICS)]
    cols = [cols[i] for i in keep]
    for r in rows:
        r["values"] = [r["values"][i] for i in keep]
    heads, protos = ["Tracker", "Type"], ["", ""]
    for j, (kind, b, k) in enumerate(cols):
        if groups is not None and kind == "metric":
            if groups and groups[-1][0] == benchmark_label(b):
                groups[-1] = (groups[-1][0], groups[-1][1], j + 2)
            else:
                groups.append((benchmark_label(b), j + 2, j + 2))
        if kind == "metric":
            heads.append(f"{benchmark_label(b)} {metric_label(k)}")
            protos.append(data.protocol_for(b) or "published")
        elif kind == "efficiency":
            heads.append(EFFICIENCY[k][0])
            protos.append("")
        else:
            heads.append("Device")
            protos.append("")
    best: list[Any] = []
    for j, (kind, _, k) in enumerate(cols):
        vals = [r["values"][j] for r in rows
                if r["source"] == "measured" and isinstance(r["values"][j], (int, float))]
        if kind == "metric" and vals:
            best.append(max(vals))
        elif kind == "efficiency" and k == "energy_mj" and vals:
            best.append(min(vals))
        else:
            best.append(None)
    cells, bold, pub = [], [], []
    for r in rows:
        name = r["tracker"] + (RANDOM_MD if r.get("random_weights") else "")
        cells.append([name, r["type"]] + [_fmt(kind, k, v) for (kind, _, k), v in zip(cols, r["values"])])
        bold.append([False, False] + [r["source"] == "measured" and best[j] is not None
                                      and r["values"][j] == best[j] for j in range(len(cols))])
        pub.append(r["source"] == "published")
    return heads, protos, cells, bold, pub


def _energy_note(data: ReportData) -> str:
    """Which energy model the energy column quotes ('' when no profile names one)."""
    models = sorted({str(p.energy_model["model"]) for p in data.profiles.values() if p.energy_model.get("model")})
    if not models:
        return ""
    return (f"Energy per tracked frame under energy model {' / '.join(models)} (every model: the workbook's "
            f"Energy models sheet).")


def leaderboard_markdown(data: ReportData) -> str:
    heads, protos, cells, bold, pub = _table(data)
    lines = ["| " + " | ".join(heads) + " |",
             "|" + "|".join(":---" if i < 2 else "---:" for i in range(len(heads))) + "|"]
    if any(protos):
        lines.append("| *protocol* | | " + " | ".join(f"*{p}*" if p else "" for p in protos[2:]) + " |")
    for row, b, p in zip(cells, bold, pub):
        vals = [f"**{v}**" if bb and v != "-" else v for v, bb in zip(row, b)]
        if p:
            vals[0] += DAGGER_MD
        lines.append("| " + " | ".join(vals) + " |")
    notes = ["Accuracy in %; EAO as printed by the VOT toolkit. Best measured accuracy (and lowest energy) per column in bold."]
    if any(pub):
        notes.append(f"{DAGGER_MD} published number, copied from the cited source (see the workbook's "
                     f"Published sheet); not measured here.")
    if any(c[0].endswith(RANDOM_MD) for c in cells):
        notes.append(f"{RANDOM_MD} {RANDOM_NOTE}.")
    if _energy_note(data):
        notes.append(_energy_note(data))
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


_TEX_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def tex_escape(s: str) -> str:
    return "".join(_TEX_ESC.get(c, c) for c in s)


def leaderboard_latex(data: ReportData, caption: str = "Accuracy and efficiency of the evaluated trackers.",
                      label: str = "tab:leaderboard") -> str:
    groups: list = []
    heads, protos, cells, bold, pub = _table(data, groups)
    spec = "ll" + "r" * (len(heads) - 2)
    out = [r"% requires \usepackage{booktabs}", r"\begin{table}[t]", r"\centering", r"\small",
           rf"\caption{{{tex_escape(caption)}}}", rf"\label{{{label}}}",
           rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if groups:  # benchmark names over their metric columns
        top, rules, col = ["", ""], [], 2
        for name, first, last in groups:
            top += [""] * (first - col)
            top.append(rf"\multicolumn{{{last - first + 1}}}{{c}}{{{tex_escape(name)}}}")
            rules.append(rf"\cmidrule(lr){{{first + 1}-{last + 1}}}")
            col = last + 1
        top += [""] * (len(heads) - col)
        out.append(" & ".join(top) + r" \\")
        out.append(" ".join(rules))
        labels = list(heads)
        for name, first, last in groups:
            for j in range(first, last + 1):
                labels[j] = labels[j][len(name) + 1:] if labels[j].startswith(name + " ") else labels[j]
    else:
        labels = heads
    out.append(" & ".join(tex_escape(h) for h in labels) + r" \\")
    if any(protos):
        out.append(" & ".join(r"\textit{\scriptsize " + tex_escape(p) + "}" if p else "" for p in protos) + r" \\")
    out.append(r"\midrule")
    split_done = False
    for row, b, p in zip(cells, bold, pub):
        if p and not split_done:
            out.append(r"\midrule")
            split_done = True
        vals = [r"\textbf{" + tex_escape(v) + "}" if bb and v != "-" else tex_escape(v) for v, bb in zip(row, b)]
        if row[0].endswith(RANDOM_MD):
            vals[0] = tex_escape(row[0][:-len(RANDOM_MD)]) + RANDOM_TEX
        if p:
            vals[0] += DAGGER_TEX
        out.append(" & ".join(vals) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    note = r"Accuracy in \%. Best measured accuracy (and lowest energy) per column in bold."
    if any(pub):
        note += r" $^\dagger$Published number, copied from its source; not measured here."
    if any(c[0].endswith(RANDOM_MD) for c in cells):
        note += " " + RANDOM_TEX + tex_escape(RANDOM_NOTE) + "."
    if _energy_note(data):
        note += " " + tex_escape(_energy_note(data))
    out += [r"\par\smallskip{\footnotesize " + note + "}", r"\end{table}"]
    return "\n".join(out) + "\n"

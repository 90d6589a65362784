"""Figures for papers and slides (matplotlib, Agg backend; each figure saved as PNG and/or PDF).

* ``<bench>_success`` / ``_precision`` / ``_norm_precision``: OPE curves in the OTB/LaSOT toolkit style,
  the score in the legend (``[0.696] SiamRPN++``), legend sorted best first.
* ``<bench>_attributes``: radar chart of the success score (AUC) per attribute subset.
* ``leaderboard_<bench>_vs_<x>``: accuracy against energy, GMACs or FPS; marker size follows parameters,
  spiking trackers are triangles, ANN trackers circles, published numbers hollow.
* ``leaderboard_<bench>_vs_energy_<model>``: accuracy against energy under one energy model (every model
  the profiles hold: compute-only presets, the memory-aware ``lemaire2022``, device presets), measured
  trackers only (a published energy is under its paper's own model). Profiles made with random weights
  are left out of every energy chart: their spike counts describe no trained tracker.
* ``firing_rates_<tracker>``: heat map of firing rate per layer and time step, template and search branch.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from reports.collect import safe_file_name
from reports.model import ENERGY_PREFIX, ReportData, benchmark_label, metric_label, sorted_by

DPI = 150
CURVE_SIZE = (6.4, 4.8)        # inches: 960 x 720 pixels at DPI
SCATTER_SIZE = (7.2, 5.4)
RADAR_SIZE = (7.6, 6.4)

_STYLE = {
    "success": dict(title="Success plots of OPE on {b}", x="Overlap threshold", y="Success rate",
                    legend="lower left", metric="auc"),
    "precision": dict(title="Precision plots of OPE on {b}", x="Location error threshold (pixels)",
                      y="Precision", legend="lower right", metric="precision"),
    "norm_precision": dict(title="Normalized precision plots of OPE on {b}",
                           x="Normalized location error threshold", y="Normalized precision",
                           legend="lower right", metric="norm_precision"),
}
_LINESTYLES = ["-", "--", "-.", ":"]
SNN_COLOR, ANN_COLOR = "#C0392B", "#1F5F99"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    from bench.core.io import atomic_write_bytes
    import io

    written = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI)
        p = out / f"{stem}.{fmt}"
        atomic_write_bytes(p, buf.getvalue())
        written.append(p)
    _plt().close(fig)
    return written


def tracker_colors(data: ReportData) -> dict[str, Any]:
    """One colour per tracker, the same in every figure of a report."""
    plt = _plt()
    names = data.trackers()
    cmap = plt.get_cmap("tab10") if len(names) <= 10 else plt.get_cmap("tab20")
    return {t: cmap(i % cmap.N) for i, t in enumerate(names)}


def _subtitle(ax, text: str) -> None:
    ax.text(0.5, 1.012, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=7.5, color="0.35")


def plot_curves(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Success / precision / normalized-precision curves, one figure per benchmark and curve."""
    out = Path(out)
    plt = _plt()
    written: list[Path] = []
    for bench in data.benchmarks():
        results = data.results_for(bench)
        for curve, st in _STYLE.items():
            have = [r for r in results if curve in r.curves and st["metric"] in r.metrics]
            if not have:
                continue
            have = sorted_by(have, lambda r: r.metrics[st["metric"]])
            fig, ax = plt.subplots(figsize=CURVE_SIZE)
            colors = tracker_colors(data)
            for i, r in enumerate(have):
                c = r.curves[curve]
                ax.plot(c.thresholds, c.values, color=colors[r.tracker], linestyle=_LINESTYLES[i // 10 % 4],
                        linewidth=2.0 if i == 0 else 1.5,
                        label=f"[{r.metrics[st['metric']]:.3f}] {r.tracker}")
            xmax = max(float(np.nanmax(r.curves[curve].thresholds)) for r in have)
            ax.set_xlim(0, xmax)
            ax.set_ylim(0, 1.0)
            ax.set_xlabel(st["x"], fontsize=11)
            ax.set_ylabel(st["y"], fontsize=11)
            ax.set_title(st["title"].format(b=benchmark_label(bench)), fontsize=12, fontweight="bold", pad=16)
            ax.grid(True, linestyle=":", linewidth=0.7, alpha=0.8)
            protos = sorted({r.protocol for r in have})
            n = sorted({r.n_sequences for r in have})
            _subtitle(ax, f"protocol: {', '.join(protos)}; {'/'.join(map(str, n))} sequences; "
                          f"legend: {metric_label(st['metric'], False)}"
                          + (" at 20 px" if curve == "precision" else " at 0.2" if curve == "norm_precision" else ""))
            ax.legend(loc=st["legend"], fontsize=8, framealpha=0.9)
            fig.tight_layout()
            written += _save(fig, out, f"{safe_file_name(benchmark_label(bench))}_{curve}", formats)
    return written


def plot_radar(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf"),
               metric: str = "auc") -> list[Path]:
    """Radar chart per benchmark: one axis per attribute, one polygon per tracker (``metric``)."""
    out = Path(out)
    plt = _plt()
    written: list[Path] = []
    for bench in data.benchmarks():
        results = [r for r in data.results_for(bench) if r.attributes]
        if not results:
            continue
        attrs = list(dict.fromkeys(a for r in results for a in r.attributes))
        if len(attrs) < 3:
            continue
        results = sorted_by(results, lambda r: r.metrics.get(metric))
        vals = np.array([[r.attributes.get(a, {}).get(metric, np.nan) for a in attrs] for r in results], float)
        finite = vals[np.isfinite(vals)]
        if finite.size == 0:
            continue
        lo = max(0.0, math.floor(finite.min() * 10 - 1) / 10)
        hi = min(1.0, math.ceil(finite.max() * 10 + 0.5) / 10)
        angles = np.linspace(0, 2 * np.pi, len(attrs), endpoint=False)
        fig = plt.figure(figsize=RADAR_SIZE)
        ax = fig.add_axes([0.06, 0.08, 0.6, 0.78], projection="polar")
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        colors = tracker_colors(data)
        for i, r in enumerate(results):
            v = np.append(vals[i], vals[i][0])
            a = np.append(angles, angles[0])
            ax.plot(a, v, color=colors[r.tracker], linewidth=2.0 if i == 0 else 1.3, linestyle=_LINESTYLES[i // 10 % 4],
                    label=f"[{r.metrics.get(metric, float('nan')):.3f}] {r.tracker}")
            if i == 0:
                ax.fill(a, v, color=colors[r.tracker], alpha=0.08)
        n = {a: max(int(r.attributes.get(a, {}).get("sequences", 0)) for r in results) for a in attrs}
        ax.set_xticks(angles)
        ax.set_xticklabels([f"{a}\n({n[a]})" for a in attrs], fontsize=8)
        ax.set_ylim(lo, hi)
        step = 0.2 if hi - lo > 0.55 else 0.1 if hi - lo > 0.25 else 0.05
        ticks = np.round(np.arange(lo, hi + 1e-9, step), 2)
        ax.set_yticks(ticks)
        # the outer ring is the border, its label would sit on an attribute name: leave it out
        ax.set_yticklabels([f"{t:.2f}" if t < hi - 1e-9 else "" for t in ticks], fontsize=7, color="0.4")
        ax.set_rlabel_position(180.0 / len(attrs))
        ax.grid(True, linestyle=":", alpha=0.8)
        fig.suptitle(f"{'Success (AUC)' if metric == 'auc' else metric_label(metric, False)} per attribute on {benchmark_label(bench)}", fontsize=12,
                     fontweight="bold", x=0.36)
        protos = sorted({r.protocol for r in results})
        fig.text(0.36, 0.02, f"(n) = sequences with the attribute; radius {lo:.2f} (centre) to {hi:.2f} (outer "
                 f"ring); protocol: " + ", ".join(protos), ha="center", fontsize=7, color="0.35")
        ax.legend(loc="center left", bbox_to_anchor=(1.12, 0.5), fontsize=8, frameon=False,
                  title=f"overall {metric_label(metric, False)}", title_fontsize=8)
        written += _save(fig, out, f"{safe_file_name(benchmark_label(bench))}_attributes", formats)
    return written


_X_AXES = {
    "energy_mj": ("Energy per frame (mJ, log scale)", True),
    "gmacs": ("GMACs per frame (log scale)", True),
    "fps": ("Speed (FPS, log scale)", True),
}


def efficiency_points(data: ReportData, bench: str, metric: str, xkey: str) -> list[dict[str, Any]]:
    """Points of an accuracy-vs-efficiency chart: measured first, then published (never merged)."""
    pts = []
    for t in data.trackers():
        r, prof = data.result(t, bench), data.profiles.get(t)
        x = prof.value(xkey) if prof else None
        if r is None or metric not in r.metrics or x is None or not x > 0:
            continue
        pts.append({"tracker": t, "x": float(x), "y": r.metrics[metric], "params_m": prof.params_m,
                    "spiking": data.is_spiking(t), "published": False,
                    "device": prof.device if xkey == "fps" else None, "random_weights": bool(prof.random_weights)})
    if xkey.startswith(ENERGY_PREFIX):   # one energy model: published figures are under their own
        return pts
    for t in data.published_trackers():
        acc = data.published_value(t, bench, metric)
        xv = next((p for p in data.published if p.tracker == t and p.metric == xkey), None)
        pv = next((p for p in data.published if p.tracker == t and p.metric == "params"), None)
        if acc is None or xv is None or not xv.value > 0:
            continue
        pts.append({"tracker": t, "x": xv.value, "y": acc.value, "params_m": pv.value / 1e6 if pv else None,
                    "spiking": data.is_spiking(t), "published": True, "device": None})
    return pts


def energy_models(data: ReportData) -> list[str]:
    """Names of the energy models the profiles hold, in first-seen order."""
    seen: dict[str, None] = {}
    for p in data.profiles.values():
        for name in p.energy_by_model:
            seen.setdefault(name)
    return list(seen)


def _x_axes(data: ReportData) -> dict[str, tuple[str, bool]]:
    axes = dict(_X_AXES)
    quoted = sorted({str(p.energy_model["model"]) for p in data.profiles.values() if p.energy_model.get("model")})
    if quoted:
        axes["energy_mj"] = (f"Energy per frame (mJ, log scale), model {' / '.join(quoted)}", True)
    for name in energy_models(data):
        axes[ENERGY_PREFIX + name] = (f"Energy per frame (mJ, log scale), energy model {name}", True)
    return axes


def _x_title(xkey: str) -> str:
    if xkey.startswith(ENERGY_PREFIX):
        return f"energy [{xkey[len(ENERGY_PREFIX):]}]"
    return {"energy_mj": "energy", "gmacs": "GMACs", "fps": "speed"}[xkey]


def _x_stem(xkey: str) -> str:
    return "energy_" + safe_file_name(xkey[len(ENERGY_PREFIX):]) if xkey.startswith(ENERGY_PREFIX) else xkey


def plot_efficiency(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf"),
                    benchmarks: Sequence[str] | None = None) -> list[Path]:
    """Accuracy (AUC, else AO, else EAO) against energy, GMACs and FPS, and against energy under each
    energy model, per benchmark with >= 2 points."""
    out = Path(out)
    plt = _plt()
    written: list[Path] = []
    for bench in (benchmarks or data.benchmarks(include_published=True)):
        avail = data.metrics_for(bench, include_published=True)
        metric = next((m for m in ("auc", "ao", "eao") if m in avail), None)
        if metric is None:
            continue
        for xkey, (xlabel, logx) in _x_axes(data).items():
            pts = efficiency_points(data, bench, metric, xkey)
            if len(pts) < 2:  # one tracker is not a leaderboard
                continue
            fig, ax = plt.subplots(figsize=SCATTER_SIZE)
            pmax = max((p["params_m"] or 0.0) for p in pts) or 1.0
            for p in pts:
                size = 40 + 560 * ((p["params_m"] or 0.0) / pmax) if p["params_m"] else 60
                p["size"] = size
                color = SNN_COLOR if p["spiking"] else ANN_COLOR
                ax.scatter(p["x"], p["y"], s=size, marker="^" if p["spiking"] else "o",
                           facecolors="none" if p["published"] else color, edgecolors=color,
                           linewidths=1.6, alpha=0.85, zorder=3)
            if logx:
                from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

                ax.set_xscale("log")
                span = max(p["x"] for p in pts) / min(p["x"] for p in pts)
                subs = (1.0, 2.0, 5.0) if span > 8 else (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
                ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.xaxis.set_minor_formatter(NullFormatter())
            if xkey == "fps" and len({p["device"] for p in pts if p.get("device")}) > 1:
                for p in pts:  # speeds from different devices: say which, at every point
                    if p.get("device"):
                        p["tracker_label"] = f"{p['tracker']} @ {p['device']}"
            xs = [p["x"] for p in pts]
            ys = [p["y"] for p in pts]
            ax.set_xlim(min(xs) / 1.8, max(xs) * 2.5)
            yr = max(ys) - min(ys)
            ax.set_ylim(max(0.0, min(ys) - max(0.05, 0.25 * yr)), min(1.0, max(ys) + max(0.05, 0.25 * yr)))
            _label_points(fig, ax, pts)
            ax.yaxis.set_major_formatter(_percent())
            ax.set_xlabel(xlabel + (_devices(pts) if xkey == "fps" else ""), fontsize=10)
            ax.set_ylabel(f"{benchmark_label(bench)} {metric_label(metric)}", fontsize=10)
            better = "upper left" if xkey != "fps" else "upper right"
            ax.set_title(f"{benchmark_label(bench)}: {metric_label(metric, False)} vs {_x_title(xkey)} "
                         f"(better: {better.replace('upper ', 'up-')})", fontsize=11, fontweight="bold")
            ax.grid(True, which="both", linestyle=":", alpha=0.6)
            ax.legend(handles=_legend_handles(pts), loc="lower right" if xkey != "fps" else "lower left",
                      fontsize=7, framealpha=0.9, labelspacing=1.2, borderpad=0.9)
            fig.tight_layout()
            written += _save(fig, out, f"leaderboard_{safe_file_name(benchmark_label(bench))}_vs_{_x_stem(xkey)}",
                             formats)
    return written


def _label_points(fig, ax, pts: list[dict]) -> None:
    """Name every point, moving a label to another side of its marker where it would overlap one placed."""
    fig.canvas.draw()
    placed: list[tuple[float, float, float, float]] = []
    offsets = [(8, 4, "left"), (8, -20, "left"), (-8, 4, "right"), (-8, -20, "right"), (8, 22, "left"),
               (-8, 22, "right"), (8, -38, "left"), (-8, -38, "right")]
    scale = fig.dpi / 72.0
    for p in sorted(pts, key=lambda q: (-q["y"], q["x"])):
        label = p.get("tracker_label", p["tracker"]) + (" (published)" if p["published"] else "") + \
            (" (RANDOM weights)" if p.get("random_weights") else "")
        if p["params_m"]:
            label += f"\n{p['params_m']:.1f} M params"
        px, py = ax.transData.transform((p["x"], p["y"]))
        w = 5.0 * scale * max(len(s) for s in label.split("\n"))
        h = 9.0 * scale * (label.count("\n") + 1)
        r = math.sqrt(p.get("size", 60.0)) / 2.0  # marker radius in points
        for dx, dy, ha in offsets:
            dx = dx + (r - 4 if dx > 0 else -(r - 4)) if r > 4 else dx
            x0 = px + dx * scale - (w if ha == "right" else 0)
            y0 = py + dy * scale
            box = (x0, y0, x0 + w, y0 + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        placed.append(box)
        ax.annotate(label, (p["x"], p["y"]), xytext=(dx, dy), textcoords="offset points", fontsize=7, ha=ha,
                    va="bottom", color="0.15")


def _devices(pts: list[dict]) -> str:
    devs = sorted({p["device"] for p in pts if p.get("device")})
    return f" on {', '.join(devs)}" if devs else ""


def _percent():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{100 * v:.0f}%")


def _legend_handles(pts: list[dict]) -> list:
    from matplotlib.lines import Line2D

    h = []
    if any(p["spiking"] for p in pts):
        h.append(Line2D([], [], marker="^", color=SNN_COLOR, linestyle="", markersize=8, label="spiking (SNN)"))
    if any(not p["spiking"] for p in pts):
        h.append(Line2D([], [], marker="o", color=ANN_COLOR, linestyle="", markersize=8, label="ANN"))
    if any(p["published"] for p in pts):
        h.append(Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="0.3", color="0.3",
                        linestyle="", markersize=8, label="published (hollow)"))
    if any(p["params_m"] for p in pts):
        h.append(Line2D([], [], marker="o", color="0.6", linestyle="", markersize=5, label="size: parameters"))
    return h


def plot_firing_rates(data: ReportData, out: str | os.PathLike,
                      formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Heat map per spiking tracker: layers (rows) x time steps (columns), template and search side by side."""
    out = Path(out)
    plt = _plt()
    written: list[Path] = []
    for t, prof in data.profiles.items():
        branches = [b for b in sorted(prof.firing_rates, key=lambda b: (b != "template", b))
                    if prof.firing_rates[b]]
        if not branches:
            continue
        rates = {b: prof.firing_rates[b] for b in branches}
        grouped = max(len(v) for v in rates.values()) > MAX_HEATMAP_ROWS
        if grouped:
            rates = {b: group_by_block(v) for b, v in rates.items()}
        nlayers = max(len(rates[b]) for b in branches)
        steps = max(len(r) for b in branches for r in rates[b].values())
        height = min(40.0, max(4.0, 0.22 * nlayers + 1.6))
        width = 0.5 * sum(max(len(r) for r in rates[b].values()) for b in branches) + 2.9 * len(branches) + 1.4
        ratios = [max(len(r) for r in rates[b].values()) + 1.5 for b in branches]
        fig, axes = plt.subplots(1, len(branches), figsize=(width, height), squeeze=False,
                                 gridspec_kw={"width_ratios": ratios})
        allv = np.array([v for b in branches for r in rates[b].values() for v in r], float)
        vmax = float(np.nanmax(allv)) if np.isfinite(allv).any() else 1.0
        im = None
        for ax, b in zip(axes[0], branches):
            layers = list(rates[b])
            steps = max(len(r) for r in rates[b].values())  # each branch has its own number of steps
            mat = np.full((len(layers), steps), np.nan)
            for i, l in enumerate(layers):
                r = rates[b][l]
                mat[i, :len(r)] = r
            im = ax.imshow(mat, aspect="auto", cmap="magma_r", vmin=0.0, vmax=vmax or 1.0,
                           interpolation="nearest")
            ax.set_xticks(range(steps))
            ax.set_xticklabels([f"t={i + 1}" for i in range(steps)], fontsize=8)
            fs = 7 if len(layers) <= 60 else 5
            ax.set_yticks(range(len(layers)))
            ax.set_yticklabels(layers, fontsize=fs)
            ax.set_title(f"{b} branch", fontsize=10)
            if len(layers) * steps <= 240:
                for i in range(len(layers)):
                    for j in range(steps):
                        if np.isfinite(mat[i, j]):
                            ax.text(j, i, "0" if mat[i, j] == 0 else f"{mat[i, j]:.2f}", ha="center",
                                    va="center", fontsize=6,
                                    color="white" if mat[i, j] > 0.6 * vmax else "black")
        random = " (RANDOM weights: rates not valid)" if prof.random_weights else ""
        fig.suptitle(f"Firing rate per {'block' if grouped else 'layer'} and time step: {t}{random}", fontsize=11,
                     fontweight="bold")
        if grouped:
            fig.text(0.5, 0.005, "each row: unweighted mean over the spiking layers of one block "
                     "(per-layer values: workbook sheet 'Firing rates');\na module run twice per frame "
                     "lists its calls one after the other",
                     ha="center", va="bottom", fontsize=7, color="0.35", wrap=True)
        fig.tight_layout(rect=(0, 0.02 if grouped else 0, 0.9, 0.97))
        cax = fig.add_axes([0.91, 0.15, 0.02, 0.7])
        cb = fig.colorbar(im, cax=cax)
        cb.set_label("mean integer spike count per neuron and step", fontsize=8)
        written += _save(fig, out, f"firing_rates_{safe_file_name(t)}", formats)
    return written


MAX_HEATMAP_ROWS = 40


def group_by_block(layers: dict[str, list[float]]) -> dict[str, list[float]]:
    """Layers grouped by block (``encoder.block3.5.attn.q_spike`` -> ``encoder.block3.5``), mean per step."""
    groups: dict[str, list[list[float]]] = {}
    for name, r in layers.items():
        parts = name.split(".")
        depth = 3 if len(parts) > 3 and parts[2].isdigit() else 2
        groups.setdefault(".".join(parts[:depth]), []).append(list(r))
    out = {}
    for g, rows in groups.items():
        steps = max(len(r) for r in rows)
        with np.errstate(all="ignore"):
            mat = np.full((len(rows), steps), np.nan)
            for i, r in enumerate(rows):
                mat[i, :len(r)] = r
            out[g] = [float(np.nanmean(mat[:, j])) if np.isfinite(mat[:, j]).any() else float("nan")
                      for j in range(steps)]
    return out


def plot_all(data: ReportData, out: str | os.PathLike, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return (plot_curves(data, out, formats) + plot_radar(data, out, formats)
            + plot_efficiency(data, out, formats) + plot_firing_rates(data, out, formats))

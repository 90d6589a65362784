"""`bench evaluate` speed: all 280 LaSOT test sequences, every OPE protocol, files on disk -> final numbers.

The suite side is the command itself, ``bench evaluate --protocol <the 8 OPE protocols> --json FILE``, run
in-process (its tables discarded, its numbers read back from the JSON). It is compared in the same run with
a straightforward per-sequence evaluator: a plain loop over sequences that reads each file with
``np.loadtxt`` and scores it the way the toolkits' own code does (one comparison per threshold, Python
loops for the sequential rules, torch for pytracking's float32 curves). All give identical numbers
(asserted). Target: the suite at least 10x faster.

Run: ``pytest benchmarks/bench_evaluate.py -s`` (pytest-benchmark) or ``python benchmarks/bench_evaluate.py``.
The sides are timed in alternating rounds (the machine is shared; drift hits all of them); the figure is
the median over rounds of the per-round ratio baseline time / suite time.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()
ANNOS = SHARED / "data" / "lasot"
RESULTS = SHARED / "data" / "raw_results" / "LaSOT" / "ATOM"
PROTOCOLS = ["pytracking", "pytracking-visionml", "pysot", "got10k", "got10k-val", "lasot-toolkit",
             "otb-toolkit", "trackingnet-devkit"]
ROUNDS = 5


# --- the suite ------------------------------------------------------------------------------------------

def suite() -> dict:
    """``bench evaluate --protocol <the 8> --json FILE``, run in-process (tables discarded); the numbers
    read back from its JSON (floats round-trip exactly)."""
    from bench.cli import main

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        out = Path(tmp) / "figures.json"
        rc = main(["evaluate", "--results", str(RESULTS), "--dataset", "lasot", "--annotations", str(ANNOS),
                   "--protocol", ",".join(PROTOCOLS), "--json", str(out)])
        assert rc == 0, rc
        figures = json.loads(out.read_text())["trackers"]["ATOM"]["lasot"]
    return {p: figures[p]["metrics"] for p in PROTOCOLS}


# --- straightforward per-sequence evaluator -------------------------------------------------------------

PT_THR = None


def _pt_iou(p, g):
    tl = np.maximum(p[:, :2], g[:, :2])
    br = np.minimum(p[:, :2] + p[:, 2:] - 1.0, g[:, :2] + g[:, 2:] - 1.0)
    sz = np.maximum(br - tl + 1.0, 0.0)
    inter = sz[:, 0] * sz[:, 1]
    return inter / (p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter)


def _cont_iou(p, g, eps=0.0):
    left = np.maximum(p[:, 0], g[:, 0])
    right = np.minimum(p[:, 0] + p[:, 2], g[:, 0] + g[:, 2])
    top = np.maximum(p[:, 1], g[:, 1])
    bottom = np.minimum(p[:, 1] + p[:, 3], g[:, 1] + g[:, 3])
    inter = np.maximum(0, right - left) * np.maximum(0, bottom - top)
    union = p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter
    return np.clip(inter / (union + eps) if eps else inter / union, 0.0, 1.0)


def _curve(values, thr, op, n):
    if op == ">":
        return np.array([np.sum(values > t) for t in thr]) / n
    if op == ">=":
        return np.array([np.sum(values >= t) for t in thr]) / n
    return np.array([np.sum(values <= t) for t in thr]) / n


def seq_pytracking(gt, pred, visible, vml):
    import torch

    pred = pred.copy()
    for i in np.flatnonzero((pred[:, 2] == 0) | (pred[:, 3] == 0)):  # in order: sequential carry-forward
        if i > 0 and not np.isnan(gt[i]).any():
            pred[i] = pred[i - 1]
    pred = pred[:len(gt)]
    pred[0] = gt[0]
    valid = ((gt > 0).sum(1) == 4) if vml else ((gt[:, 2:] > 0).sum(1) == 2)
    valid &= visible
    c = lambda b: b[:, :2] + 0.5 * (b[:, 2:] - 1.0)
    err = np.sqrt(((c(pred) - c(gt)) ** 2).sum(1))
    errn = np.sqrt(((c(pred) / gt[:, 2:] - c(gt) / gt[:, 2:]) ** 2).sum(1))
    ov = _pt_iou(pred, gt)
    err[~valid] = np.inf
    errn[~valid] = -1.0
    ov[~valid] = -1.0
    errn[~visible] = np.inf
    err[~visible] = np.inf
    n = len(gt)
    curves = []
    for v, thr, op in ((ov, PT_THR, ">"), (err, np.arange(51.0), "<="), (errn, np.arange(51.0) / 100, "<=")):
        t = torch.tensor(v).view(-1, 1)
        th = torch.tensor(thr).view(1, -1)
        curves.append(((t > th) if op == ">" else (t <= th)).sum(0).float() / n)
    return curves


def agg_pytracking(curves):
    import torch

    out = []
    for k in range(3):
        out.append(torch.stack([c[k] for c in curves]).mean(0) * 100.0)
    auc = out[0].mean(-1).item()
    return {"auc": auc / 100.0, "op50": out[0][10].item() / 100.0, "op75": out[0][15].item() / 100.0,
            "precision": out[1][20].item() / 100.0, "norm_precision": out[2][20].item() / 100.0}


def seq_pysot(gt, pred, visible):
    n = len(gt)
    gt, pred = gt[visible], pred[visible]
    mask = (gt[:, 2] > 0) & (gt[:, 3] > 0)
    iou = np.full(len(gt), -1.0)
    iou[mask] = _cont_iou(gt[mask], pred[mask])
    c = lambda b: b[:, :2] + (b[:, 2:] - 1) / 2
    gc, pc = c(gt), c(pred)
    dist = np.where((gc > 0).sum(1) == 2, np.sqrt(((gc - pc) ** 2).sum(1)), -1.0)
    gcn, pcn = gc / (gt[:, 2:] + 1e-16), pc / (gt[:, 2:] + 1e-16)
    ndist = np.where((gcn > 0).sum(1) == 2, np.sqrt(((gcn - pcn) ** 2).sum(1)), -1.0)
    return (_curve(iou, np.arange(0, 1.05, 0.05), ">", n), _curve(dist, np.arange(51.0), "<=", n),
            _curve(ndist, np.arange(51.0) / 100, "<=", n))


def seq_got10k(gt, pred):
    pred = pred.copy()
    pred[0] = gt[0]
    iou = _cont_iou(pred, gt, float(np.finfo(float).eps))
    c = lambda b: b[:, :2] + (b[:, 2:] - 1) / 2
    ce = np.sqrt(((c(pred) - c(gt)) ** 2).sum(-1))
    n = len(gt)
    return _curve(iou, np.linspace(0, 1, 21), ">", n), _curve(ce, np.arange(51.0), "<=", n)


def seq_got10k_val(gt, pred):
    iou = _cont_iou(pred[1:], gt[1:], float(np.finfo(float).eps))  # no cover labels / image size on LaSOT
    return iou


def seq_matlab(gt, pred, absent):
    n = len(gt)
    res = pred[:n].copy()
    for i in np.flatnonzero(np.isnan(res).any(1) | (res[:, 2] <= 0) | (res[:, 3] <= 0)):
        if i > 0 and not np.isnan(gt[i]).any():
            res[i] = res[i - 1]
    res[0] = gt[0]
    keep = absent == 0
    r, g = res[keep], gt[keep]
    c = lambda b: b[:, :2] + (b[:, 2:] - 1) / 2
    err = np.sqrt(((c(r) - c(g)) ** 2).sum(1))
    errn = np.sqrt(((c(r) / g[:, 2:] - c(g) / g[:, 2:]) ** 2).sum(1))
    idx = (g > 0).sum(1) == 4
    cov = np.full(len(g), -1.0)
    cov[idx] = _pt_iou(r[idx], g[idx])
    err[~idx] = -1
    errn[~idx] = -1
    d = n + np.finfo(float).eps
    return (_curve(cov, np.arange(21) * 0.05, ">", d), _curve(err, np.arange(51.0), "<=", d),
            _curve(errn, np.arange(51.0) / 100, "<=", d))


def agg_matlab(curves):
    out = []
    for k in range(3):
        a = np.array([c[k] for c in curves])
        out.append(a[a.sum(1) > np.finfo(float).eps].mean(0))
    return {"auc": np.mean(out[0]), "precision": out[1][20], "norm_precision": out[2][20], "op50": out[0][10],
            "op75": out[0][15]}


def seq_tnet(gt, pred):
    g, p = np.round(gt), np.round(pred[:len(gt)])
    p[0] = g[0]
    ax2, ay2, sx2, sy2 = g[:, 0] + g[:, 2] - 1.0, g[:, 1] + g[:, 3] - 1.0, p[:, 0] + p[:, 2] - 1.0, p[:, 1] + p[:, 3] - 1.0
    iw = np.round(np.fmin(ax2, sx2) - np.fmax(g[:, 0], p[:, 0]) + 1)
    ih = np.round(np.fmin(ay2, sy2) - np.fmax(g[:, 1], p[:, 1]) + 1)
    iw, ih = np.where(iw < 0, 0.0, iw), np.where(ih < 0, 0.0, ih)
    inter = iw * ih
    iou = inter / (g[:, 3] * g[:, 2] + p[:, 3] * p[:, 2] - inter)
    dx = (g[:, 0] + (g[:, 2] + 1.0) / 2.0) - (p[:, 0] + (p[:, 2] + 1.0) / 2.0)
    dy = (g[:, 1] + (g[:, 3] + 1.0) / 2.0) - (p[:, 1] + (p[:, 3] + 1.0) / 2.0)
    dist = np.sqrt(dx * dx + dy * dy)
    ndist = np.sqrt(dx / g[:, 2] * dx / g[:, 2] + dy / g[:, 3] * dy / g[:, 3])
    sanity = (p[:, 3] + p[:, 2] + p[:, 0] + p[:, 1]) > 0
    n = len(g)
    return (_curve(iou, np.linspace(0, 1, 21), ">=", n), _curve(dist, np.linspace(0, 50, 21), "<=", n),
            _curve(ndist, np.linspace(0, 0.5, 21), "<=", n), sanity)


def _seq_scores(protocol: str, gt: np.ndarray, pred: np.ndarray, absent: np.ndarray):
    visible = absent == 0
    with np.errstate(all="ignore"):
        if protocol == "pytracking":
            return seq_pytracking(gt, pred, visible, False)
        if protocol == "pytracking-visionml":
            return seq_pytracking(gt, pred, visible, True)
        if protocol == "pysot":
            return seq_pysot(gt, pred, visible)
        if protocol == "got10k":
            return seq_got10k(gt, pred)
        if protocol == "got10k-val":
            return seq_got10k_val(gt, pred)
        if protocol == "lasot-toolkit":
            return seq_matlab(gt, pred, absent)
        if protocol == "otb-toolkit":
            return seq_matlab(gt, pred, np.zeros(len(gt)))
        return seq_tnet(gt, pred)


def _aggregate(protocol: str, acc: list) -> dict:
    if protocol.startswith("pytracking"):
        out = agg_pytracking(acc)
    elif protocol == "pysot":
        s, p, n = (np.array([c[k] for c in acc]) for k in range(3))
        out = {"auc": np.mean(s), "precision": p.mean(0)[20], "norm_precision": n.mean(0)[20],
               "op50": s.mean(0)[10], "op75": s.mean(0)[15]}
    elif protocol == "got10k":
        s, p = (np.array([c[k] for c in acc]) for k in range(2))
        out = {"auc": np.mean(s.mean(0)), "precision": p.mean(0)[20], "op50": s.mean(0)[10], "op75": s.mean(0)[15]}
    elif protocol == "got10k-val":
        ious = np.concatenate(acc)
        out = {"ao": np.mean(ious), "sr50": np.mean(ious > 0.5),
               "sr75": np.mean(ious[:, None] > np.linspace(0, 1, 101)[None, :], axis=0)[75]}
    elif protocol in ("lasot-toolkit", "otb-toolkit"):
        out = agg_matlab(acc)
    else:
        curves = [np.zeros(21), np.zeros(21), np.zeros(21)]
        for c in acc:
            for k in range(3):
                curves[k] = curves[k] + c[k]
        x = np.linspace(0, 1, 21)
        trap = getattr(np, "trapezoid", None) or np.trapz
        m = len(acc)
        out = {"auc": float(trap(curves[0] / m, x=x)), "precision": float(trap(curves[1] / m, x=x)),
               "norm_precision": float(trap(curves[2] / m, x=x)),
               "coverage": float(np.mean(np.concatenate([c[3] for c in acc])))}
    return {k: float(v) for k, v in out.items()}


def _setup() -> list[str]:
    global PT_THR
    import torch

    torch.set_num_threads(1)  # tiny per-sequence tensors: extra threads only add overhead
    PT_THR = torch.arange(0, 1.05, 0.05, dtype=torch.float64).numpy()
    return (ANNOS / "testing_set.txt").read_text().split()


def _load(name: str):
    gt = np.loadtxt(ANNOS / "annos" / f"{name}.txt", delimiter=",")
    absent = np.loadtxt(ANNOS / "annos" / "absent" / f"{name}.txt")
    pred = np.loadtxt(RESULTS / f"{name}.txt", delimiter=",")
    return gt, pred, absent


def baseline() -> dict:
    """The plain shape: for each protocol, loop over the sequences, read their files, score them."""
    names = _setup()
    out = {}
    for protocol in PROTOCOLS:
        acc = []
        for name in names:
            gt, pred, absent = _load(name)
            acc.append(_seq_scores(protocol, gt, pred, absent))
        out[protocol] = _aggregate(protocol, acc)
    return out


def baseline_shared_io() -> dict:
    """A tighter plain evaluator: each sequence's files read once, scored for every protocol."""
    names = _setup()
    acc: dict = {p: [] for p in PROTOCOLS}
    for name in names:
        gt, pred, absent = _load(name)
        for protocol in PROTOCOLS:
            acc[protocol].append(_seq_scores(protocol, gt, pred, absent))
    return {p: _aggregate(p, acc[p]) for p in PROTOCOLS}


# --- measurement ----------------------------------------------------------------------------------------

def measure(rounds: int = ROUNDS) -> dict:
    times: dict = {"suite": [], "baseline": [], "baseline_shared_io": []}
    ratios, ratios_io = [], []
    for _ in range(rounds):  # alternate, so load drift on the machine hits all sides alike
        results = {}
        for name, fn in (("baseline", baseline), ("suite", suite), ("baseline_shared_io", baseline_shared_io)):
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
        ratios.append(times["baseline"][-1] / times["suite"][-1])
        ratios_io.append(times["baseline_shared_io"][-1] / times["suite"][-1])
        for p in PROTOCOLS:  # identical numbers, bit for bit
            assert results["suite"][p] == results["baseline"][p] == results["baseline_shared_io"][p], p
    return {"ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "ratio_shared_io_median": statistics.median(ratios_io),
            **{f"{k}_s_median": statistics.median(v) for k, v in times.items()},
            "rounds": rounds, "protocols": len(PROTOCOLS), "sequences": 280}


def summary(m: dict) -> str:
    return (f"{m['sequences']} sequences x {m['protocols']} protocols, {m['rounds']} rounds: suite "
            f"{m['suite_s_median']:.3f} s, per-protocol baseline {m['baseline_s_median']:.2f} s -> "
            f"{m['ratio_median']:.1f}x (rounds {m['ratio_min']:.1f}-{m['ratio_max']:.1f}x; target >= 10x); "
            f"shared-I/O baseline {m['baseline_shared_io_s_median']:.2f} s -> {m['ratio_shared_io_median']:.1f}x")


requires_data = pytest.mark.skipif(not (ANNOS / "annos").is_dir() or not RESULTS.is_dir(),
                                   reason=f"LaSOT annotations / raw results absent under {SHARED}")


@requires_data
def test_evaluate_speed(benchmark):
    m = benchmark.pedantic(measure, kwargs={"rounds": 5}, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    print("\n" + summary(m))
    assert m["ratio_median"] >= 10.0


if __name__ == "__main__":
    print(summary(measure()))

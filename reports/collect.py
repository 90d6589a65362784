"""Gather stored results into a :class:`reports.model.ReportData`; nothing here runs a tracker.

Finding the (tracker, dataset) folders is :func:`bench.evaluation.discover` and scoring them is
:func:`bench.evaluation.evaluate` -- the walk and the scoring path ``bench evaluate`` runs -- so a report
and ``bench evaluate`` can never disagree on a file or a number. This module turns their typed output
(:class:`bench.evaluation.TrackerScore`) into the report's model, and reads what describes each run:
``profile.json`` (:mod:`reports.profiles`), the firing rates of ``<seq>_stats.json``
(:func:`bench.efficiency.firing.stats_firing_rates`) and the tracker registry's ``spiking``/``family``
(:func:`bench.evaluation.tracker_meta`).

Accuracy is each benchmark's official protocol unless one is given; attribute scores are the same protocol
on the attribute's subset of sequences (what every toolkit's attribute plot does). A run made with
``bench run --max-frames N`` (``config.max_frames`` in its ``run.json``) is scored on the first N frames of
each sequence, as ``bench run``'s own summary is. Sequences without results are left out and noted.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Any, Iterable

import numpy as np

from bench.core.errors import BenchError, ConfigError, ResultsError
from bench.evaluation import (EvaluationRequest, TrackerResults, TrackerScore, discover, evaluate, known_dataset,
                              tracker_meta)
from reports.model import BenchmarkResult, Curve, EfficiencyProfile, ReportData, benchmark_key
from reports.profiles import PROFILE_FILE, read_profile

log = logging.getLogger(__name__)

STATS_SUFFIX = "_stats.json"
#: per-sequence keys copied into the per-sequence sheets (in this order), when the protocol gives them
SEQ_KEYS = ("auc", "precision", "norm_precision", "ao", "sr50", "sr75", "op50", "op75")


def collect(results: str | os.PathLike, datasets: Iterable[str] | None = None,
            annotations: dict[str, str] | None = None, protocols: dict[str, str] | None = None,
            roots: dict[str, str] | None = None, attributes: bool = True,
            progress: bool = False) -> ReportData:
    """Score every stored result under ``results`` and read its efficiency profiles.

    ``annotations`` / ``roots`` map a dataset name to the folder its ground truth is read from
    (``datasets.create_dataset(name, annotations=DIR)`` / ``root=DIR``); ``protocols`` maps a dataset
    name (or ``"*"``) to the protocol to use instead of the benchmark's official one (``run.json``
    records no protocol: ``bench run --protocol`` only chooses the summary it prints).
    """
    wanted = [d for d in (datasets or []) if d]
    found = discover(results, wanted)
    if not found:
        raise ResultsError(f"{results}: no results found" + (f" for {', '.join(wanted)}" if wanted else "")
                           + " (expected <run>/<dataset>/<seq>.txt or <DATASET>/<Tracker>/<seq>.txt)")
    data = ReportData(source=str(results))
    scores = _score_all(found, data, results, bool(wanted),
                        {benchmark_key(k): v for k, v in (annotations or {}).items()},
                        {benchmark_key(k): v for k, v in (roots or {}).items()},
                        {("*" if k == "*" else benchmark_key(k)): v for k, v in (protocols or {}).items()},
                        attributes, progress)
    for tr in found:
        if tr.profile is not None:
            _add_profile(data, tr)
        meta = tracker_meta(tr.config.get("tracker") or "")
        if meta:
            data.spiking.setdefault(tr.name, bool(meta.get("spiking", False)))
        if meta.get("family"):
            data.families.setdefault(tr.name, meta["family"])
        sc = scores.get(id(tr))
        if sc is not None:
            data.results.append(benchmark_result(sc, tr))
            if sc.fps is not None and tr.name not in data.profiles:
                data.profiles[tr.name] = EfficiencyProfile(
                    tracker=tr.name, fps=sc.fps, device=sc.device,
                    source=f"{tr.folder} (<seq>_time.txt, init frames excluded)")
        _add_stats_firing_rates(data, tr)
    return data


def _score_all(found: list[TrackerResults], data: ReportData, results: Any, named: bool, annotations: dict,
               roots: dict, protocols: dict, attributes: bool, progress: bool) -> dict[int, TrackerScore]:
    """One :func:`bench.evaluation.evaluate` per dataset over its tracker folders; scores by folder entry."""
    groups: dict[str, list[TrackerResults]] = {}
    for tr in found:
        if tr.has_boxes:
            groups.setdefault(benchmark_key(tr.dataset or ""), []).append(tr)
    items: Iterable = groups.items()
    if progress:
        from tqdm import tqdm
        items = tqdm(list(items), desc="scoring", unit="dataset", disable=None)
    out: dict[int, TrackerScore] = {}
    for bkey, trs in items:
        name = trs[0].dataset or ""
        try:
            ds = _open_dataset(name, annotations.get(bkey), roots.get(bkey))
        except BenchError as e:
            if named:  # asked for by name: its ground truth must be there
                raise
            data.notes.append(f"{name}: skipped, no ground truth: {e}")
            continue
        protocol = protocols.get(bkey) or protocols.get("*")
        (report,) = evaluate(EvaluationRequest(results, name, (protocol,), dataset_obj=ds, found=trs,
                                               attributes=attributes, lenient=True, timing=True))
        data.notes.extend(report.notes)
        by_folder = {sc.folder: sc for sc in report.scores}
        for tr in trs:
            sc = by_folder.get(tr.folder)
            if sc is not None:
                data.notes.extend(sc.notes)
                out[id(tr)] = sc
            elif tr.name in report.failures:   # one tracker's bad file must not sink the whole report
                data.notes.append(f"{tr.name} on {tr.dataset}: not scored: {report.failures[tr.name]}")
    return out


def _open_dataset(name: str, annotations: str | None, root: str | None) -> Any:
    import datasets

    try:
        return datasets.create_dataset(known_dataset(name) or name, root=root, annotations=annotations)
    except ConfigError as e:
        raise ConfigError(f"{e} (or give its annotations with --annotations {name}=DIR)") from None


def benchmark_result(sc: TrackerScore, tr: TrackerResults) -> BenchmarkResult:
    """The report's view of one :class:`bench.evaluation.TrackerScore` (the same numbers, report units)."""
    res = sc.result
    return BenchmarkResult(
        tracker=sc.tracker, benchmark=tr.dataset or sc.dataset, protocol=res.protocol,
        metrics={k: float(v) for k, v in res.metrics.items() if v is not None},
        curves={k: Curve(t, v) for k, (t, v) in res.curves.items()},
        per_sequence=[_seq_row(d) for d in res.per_sequence], n_sequences=len(res.sequence_names) or
        len(res.per_sequence), source=str(tr.folder),
        attributes={a: {"sequences": int(v["n_sequences"]), **({"name": v["name"]} if "name" in v else {}),
                        **{k: float(x) for k, x in v["metrics"].items() if x is not None}}
                    for a, v in sc.attributes.items()})


def _seq_row(d: dict) -> dict:
    row = {"sequence": d.get("name", d.get("sequence", ""))}
    for k, v in d.items():
        if k in ("name", "sequence"):
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            row[k] = float(v)
    return row



# --- <seq>_stats.json (bench run) -------------------------------------------------------------------

def _add_stats_firing_rates(data: ReportData, tr: TrackerResults) -> None:
    """The fallback for the firing-rate sheet and heat map when no ``profile.json`` gave rates."""
    from bench.efficiency.firing import stats_firing_rates

    prof = data.profiles.get(tr.name)
    if (prof is not None and prof.firing_rates) or not tr.stats_files():
        return
    try:
        rates, n = stats_firing_rates(tr.folder)
    except BenchError as e:
        data.notes.append(f"{tr.name} on {tr.dataset}: firing rates not read: {e}")
        return
    if not rates:
        return
    source = f"{tr.folder} (<seq>{STATS_SUFFIX}, mean over {n} sequence{'s' if n != 1 else ''})"
    if prof is None:
        data.profiles[tr.name] = EfficiencyProfile(tracker=tr.name, firing_rates=rates, source=source)
    else:
        prof.firing_rates = rates
        prof.source = f"{prof.source}; firing rates: {source}" if prof.source else source


# --- profile.json -----------------------------------------------------------------------------------

def _add_profile(data: ReportData, tr: TrackerResults) -> None:
    prof = read_profile(tr.profile, tracker=tr.name)
    old = data.profiles.get(tr.name)
    if old is not None and old.source.endswith(PROFILE_FILE):
        data.notes.append(f"{tr.name}: several profiles; the report uses {old.source}")
        return
    if old is not None and old.firing_rates and not prof.firing_rates:   # rates from <seq>_stats.json stay
        prof.firing_rates = old.firing_rates
    data.profiles[tr.name] = prof
    if prof.spiking is not None:
        data.spiking[tr.name] = prof.spiking


_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


def safe_file_name(name: str) -> str:
    """A tracker or benchmark name as part of a file name."""
    return _SAFE.sub("_", name).strip("_") or "unnamed"


__all__ = ["collect", "benchmark_result", "read_profile",
           "safe_file_name"]

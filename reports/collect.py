"""Gather stored results into a :class:`reports.model.ReportData`; nothing here runs a tracker.

Two layouts are read:

* this suite's results store, ``<results>/<run>/<dataset>/<seq>.txt`` with ``run.json`` (and, from
  ``bench profile``, ``profile.json``; from ``bench run``, ``<seq>_stats.json``) -- see :mod:`bench.results`;
* other toolkits' raw results, one folder of ``<seq>.txt`` per tracker: either ``<dir>/<Tracker>/``
  for one dataset (name it with ``datasets=[...]`` or by the folder's own name, e.g. ``OTB100``), or
  ``<dir>/<DATASET>/<Tracker>/`` (the layout of ``../shared/data/raw_results``); GOT-10k
  ``<seq>/<seq>_001.txt`` folders and VOT workspaces ``<Tracker>/baseline/<seq>/<seq>_001.txt``
  (reset-based runs) are tracker folders too.

This module only finds the (tracker, dataset) folders and reads what describes them (``run.json``,
``profile.json``, ``<seq>_stats.json``). Reading the box files, matching them to the dataset's sequences
and turning both into metric inputs is :mod:`bench.evaluation`'s job (the same code ``bench evaluate``
runs), so a report and ``bench evaluate`` can never disagree on a file. Accuracy comes from
:func:`bench.metrics.evaluate` under each benchmark's official protocol unless one is given; attribute
scores are the same protocol on the attribute's subset of sequences (what every toolkit's attribute
plot does). A run made with ``bench run --max-frames N`` (``config.max_frames`` in its ``run.json``) is
scored on the first N frames of each sequence, as ``bench run``'s own summary is.
"""
from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench import evaluation
from bench.errors import BenchError, ConfigError, DataError, ResultsError
from bench.io import load_boxes, read_json
from bench.metrics import PROTOCOLS, dataset_mode_for, default_protocol, evaluate
from bench.metrics.attributes import attribute_results, family_of
from bench.results import tracking_time
from reports.model import NEUROBENCH, BenchmarkResult, Curve, EfficiencyProfile, ReportData, benchmark_key

log = logging.getLogger(__name__)

PROFILE_FILE = "profile.json"
STATS_SUFFIX = "_stats.json"
#: the sub-folder of a VOT toolkit workspace that holds the reset-based (baseline) experiment
VOT_BASELINE = "baseline"
#: per-sequence keys copied into the per-sequence sheets (in this order), when the protocol gives them
SEQ_KEYS = ("auc", "precision", "norm_precision", "ao", "sr50", "sr75", "op50", "op75")


@dataclass
class RunResults:
    """One tracker's results folder for one dataset, with what describes it.

    ``index`` is :mod:`bench.evaluation`'s view of the folder's box files (sequence name -> files, names
    matched with :func:`bench.registry.normalise_name`); None when the folder holds none (a folder with
    only a ``profile.json``).
    """

    tracker: str
    dataset: str
    folder: Path
    index: evaluation.TrackerResults | None = None
    manifest: dict = field(default_factory=dict)
    profile: Path | None = None

    @property
    def config(self) -> dict:
        """``run.json``'s ``config`` (empty for other toolkits' folders)."""
        cfg = self.manifest.get("config") if isinstance(self.manifest, dict) else None
        return cfg if isinstance(cfg, dict) else {}

    @property
    def max_frames(self) -> int | None:
        """``bench run --max-frames N``: only the first N frames of each sequence were tracked."""
        v = self.config.get("max_frames")
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise DataError(f"{self.folder / 'run.json'}: config.max_frames must be a positive whole number, "
                            f"got {v!r}")
        return v

    def paths_for(self, seq: str) -> list[Path]:
        return self.index.paths_for(seq) if self.index is not None else []


def index_folder(folder: Path, dataset: str) -> evaluation.TrackerResults | None:
    """:func:`bench.evaluation.find_results`'s index of the box files directly in ``folder``."""
    try:
        found = evaluation.find_results(folder, dataset)
    except ResultsError:
        return None
    return next((t for t in found if t.folder == folder), None)


def _has_results(folder: Path) -> bool:
    """A folder of ``<seq>.txt`` files, a store run folder, or a GOT-10k ``<seq>/<seq>_001.txt`` folder."""
    if not folder.is_dir():
        return False
    if (folder / "run.json").is_file():
        return True
    entries = list(folder.iterdir())
    return any(p.suffix == ".txt" and p.is_file() for p in entries) or \
        any(p.is_dir() and (p / f"{p.name}_001.txt").is_file() for p in entries[:50])


def _tracker_folder(folder: Path) -> Path | None:
    """Where a tracker folder keeps its box files: itself, or ``baseline/`` in a VOT workspace."""
    if _has_results(folder):
        return folder
    vot = folder / VOT_BASELINE
    if not (vot / "run.json").is_file() and _has_results(vot):
        return vot
    return None


def _known_dataset(name: str) -> str | None:
    """The registered dataset whose name matches ``name`` (``OTB100`` -> ``otb100``), else None."""
    import datasets

    key = benchmark_key(name)
    for n in datasets.list_datasets():
        if benchmark_key(n) == key:
            return n
    return None


def discover(results: str | os.PathLike, datasets: Iterable[str] | None = None) -> list[RunResults]:
    """Find every (tracker, dataset) results folder under ``results`` (see the module docstring)."""
    root = Path(results)
    if not root.is_dir():
        raise ResultsError(f"{root}: results folder not found")
    wanted = [d for d in (datasets or []) if d]
    wanted_keys = {benchmark_key(d) for d in wanted}
    found: list[RunResults] = []
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def keep(ds: str) -> bool:
        return not wanted_keys or benchmark_key(ds) in wanted_keys

    def add(tracker: str, dataset: str, folder: Path) -> None:
        manifest = read_json(folder / "run.json") if (folder / "run.json").is_file() else {}
        prof = folder / PROFILE_FILE
        found.append(RunResults(tracker, dataset, folder, index_folder(folder, dataset), manifest,
                                prof if prof.is_file() else None))

    def one_dataset(store: bool) -> str:
        dataset = wanted[0] if len(wanted) == 1 else (_known_dataset(root.name) if store else None)
        if dataset is None:
            raise ConfigError(f"{root}: holds the results of one tracker; name their dataset with --datasets NAME")
        return dataset

    # one VOT workspace tracker folder: <Tracker>/baseline/<seq>/<seq>_001.txt
    own = _tracker_folder(root)
    if own is not None and own != root:
        add(root.name, one_dataset(False), own)
        return found

    # the folder of one run: <run>/<dataset>/ of the store, or one toolkit folder of <seq>.txt
    if own is not None and not any(_has_results(p) for p in subdirs):
        store = (root / "run.json").is_file() or (root / PROFILE_FILE).is_file()
        add(root.parent.name if store else root.name, one_dataset(store), root)
        return found

    # <dir>/<Tracker>/<seq>.txt (or <dir>/<Tracker>/baseline/...): one dataset, tracker folders directly below
    folders = {p: _tracker_folder(p) for p in subdirs}
    direct = [p for p in subdirs if folders[p] is not None and not (folders[p] / "run.json").is_file()
              and not any(_has_results(q) for q in p.iterdir() if q.is_dir() and (q / "run.json").is_file())]
    if direct and len(direct) == len([p for p in subdirs if folders[p] is not None]):
        own_ds = _known_dataset(root.name)
        if len(wanted) == 1:
            dataset = wanted[0]
        elif own_ds:
            dataset = own_ds
        else:
            raise ConfigError(f"{root}: holds one folder of results per tracker; name their dataset with "
                              f"--datasets NAME")
        if not keep(dataset) and not (len(wanted) == 1):
            return []
        for p in direct:
            add(p.name, dataset, folders[p])
        return found

    for top in subdirs:
        for sub in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
            folder = _tracker_folder(sub)
            if folder is None and (sub / PROFILE_FILE).is_file():
                folder = sub
            if folder is None:
                continue
            store = (sub / "run.json").is_file() or (sub / PROFILE_FILE).is_file()
            top_ds, sub_ds = _known_dataset(top.name), _known_dataset(sub.name)
            if folder != sub or (not store and top_ds and not sub_ds):
                tracker, dataset = sub.name, top_ds or top.name   # <DATASET>/<Tracker>/ (other toolkits)
            else:
                tracker, dataset = top.name, sub.name             # <run>/<dataset>/ (this suite's store)
            if keep(dataset):
                add(tracker, dataset, folder)
    if not found:
        raise ResultsError(f"{root}: no results found"
                           + (f" for {', '.join(wanted)}" if wanted else "")
                           + " (expected <run>/<dataset>/<seq>.txt or <DATASET>/<Tracker>/<seq>.txt)")
    return found


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
    found = discover(results, datasets)
    data = ReportData(source=str(results))
    annotations = {benchmark_key(k): v for k, v in (annotations or {}).items()}
    roots = {benchmark_key(k): v for k, v in (roots or {}).items()}
    protocols = {("*" if k == "*" else benchmark_key(k)): v for k, v in (protocols or {}).items()}
    opened: dict[str, Any] = {}
    gt_cache: dict[tuple[str, str], Any] = {}

    iterator: Iterable = found
    if progress:
        from tqdm import tqdm
        iterator = tqdm(found, desc="scoring", unit="run", disable=None)

    def score_into(tr: RunResults) -> None:
        bkey = benchmark_key(tr.dataset)
        if bkey not in opened:
            try:
                opened[bkey] = _open_dataset(tr.dataset, annotations.get(bkey), roots.get(bkey))
            except BenchError as e:
                if datasets:  # asked for by name: its ground truth must be there
                    raise
                data.notes.append(f"{tr.dataset}: skipped, no ground truth: {e}")
                opened[bkey] = None
        ds = opened[bkey]
        if ds is None:
            return
        protocol = protocols.get(bkey) or protocols.get("*") or _default_protocol(ds, tr.dataset)
        try:
            res = score(tr, ds, protocol, gt_cache, attributes=attributes, notes=data.notes)
        except (DataError, ResultsError) as e:  # one tracker's bad file must not sink the whole report
            data.notes.append(f"{tr.tracker} on {tr.dataset}: not scored: {e}")
            return
        if res is not None:
            data.results.append(res)
            fps, device = _fps_from_times(tr, res)
            if fps is not None and tr.tracker not in data.profiles:
                data.profiles[tr.tracker] = EfficiencyProfile(
                    tracker=tr.tracker, fps=fps, device=device,
                    source=f"{tr.folder} (<seq>_time.txt, init frames excluded)")

    for tr in iterator:
        if tr.profile is not None:
            _add_profile(data, tr)
        spiking = registry_spiking(tr.config.get("tracker") or "")
        if spiking is not None:
            data.spiking.setdefault(tr.tracker, spiking)
        family = registry_meta(tr.config.get("tracker") or "").get("family")
        if family:
            data.families.setdefault(tr.tracker, family)
        if tr.index is not None:
            score_into(tr)
        _add_stats_firing_rates(data, tr)
    return data


def _open_dataset(name: str, annotations: str | None, root: str | None):
    import datasets

    try:
        return datasets.create_dataset(_known_dataset(name) or name, root=root, annotations=annotations)
    except ConfigError as e:
        raise ConfigError(f"{e} (or give its annotations with --annotations {name}=DIR)") from None


def _default_protocol(ds: Any, name: str) -> str:
    return getattr(ds, "default_protocol", None) or default_protocol(name)


def _dataset_mode(ds: Any, name: str) -> str:
    return getattr(ds, "dataset_mode", None) or dataset_mode_for(name)


def score(tr: RunResults, ds: Any, protocol: str, gt_cache: dict | None = None,
          attributes: bool = True, notes: list[str] | None = None) -> BenchmarkResult | None:
    """Evaluate one tracker's stored results on one dataset (plus per-attribute subsets).

    Inputs come from :mod:`bench.evaluation`: reset-based trajectories for the VOT protocols, boxes
    (GOT-10k repetitions for ``got10k-val``) otherwise, cut to the run's ``max_frames`` when it has one.
    """
    gt_cache = {} if gt_cache is None else gt_cache
    notes = [] if notes is None else notes
    protocol = PROTOCOLS.get(protocol).name   # an unknown name fails before any file is read
    names = list(ds.names())
    present = [n for n in names if tr.paths_for(n)]
    if not present:
        notes.append(f"{tr.tracker} on {tr.dataset}: no result file matches a sequence of the dataset "
                     f"({tr.folder}); skipped")
        return None
    bkey = benchmark_key(tr.dataset)
    need = [n for n in present if (bkey, n) not in gt_cache]
    for n, s in zip(need, evaluation.load_ground_truth(ds, need)):
        gt_cache[(bkey, n)] = s
    seqs = [gt_cache[(bkey, n)] for n in present]
    inputs = metric_inputs(tr, seqs, protocol)
    if len(present) < len(names):
        missing = next(n for n in names if not tr.paths_for(n))
        notes.append(f"{tr.tracker} on {tr.dataset}: {len(names) - len(present)} of {len(names)} sequences have "
                     f"no results (e.g. {missing}); scored on the {len(inputs)} present")
    if tr.max_frames is not None:
        notes.append(f"{tr.tracker} on {tr.dataset}: a --max-frames {tr.max_frames} run, scored on the first "
                     f"{tr.max_frames} frames of each sequence")
    mode = _dataset_mode(ds, tr.dataset)
    result = evaluate(inputs, protocol=protocol, dataset_mode=mode)
    out = BenchmarkResult(
        tracker=tr.tracker, benchmark=tr.dataset, protocol=result.protocol,
        metrics={k: float(v) for k, v in result.metrics.items() if v is not None},
        curves={k: Curve(t, v) for k, (t, v) in result.curves.items()},
        per_sequence=[_seq_row(d) for d in result.per_sequence],
        n_sequences=len(inputs), source=str(tr.folder))
    if attributes:
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(seqs):
            for tag in attribute_tags(s.attributes):
                groups.setdefault(tag, []).append(i)
        out.attributes = _attribute_scores(inputs, protocol, mode, getattr(ds, "name", tr.dataset), groups)
    return out


def metric_inputs(tr: RunResults, seqs: list[Any], protocol: str) -> list:
    """:mod:`bench.evaluation`'s metric inputs for the sequences ``seqs`` (all with result files)."""
    vot = PROTOCOLS.get(protocol).meta.get("kind") == "vot"
    max_frames = tr.max_frames
    if vot:
        if max_frames is not None:
            raise DataError(f"{tr.folder / 'run.json'}: a --max-frames {max_frames} run cannot be scored under the "
                            f"reset-based protocol {protocol}, which needs whole sequences")
        return evaluation.build_vot_inputs(seqs, tr.index, protocol)
    return evaluation.build_inputs(seqs, tr.index, repetitions=protocol == "got10k-val", max_frames=max_frames)


def _attribute_scores(inputs: list, protocol: str, mode: str, benchmark: str,
                      groups: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    """``bench.metrics.attributes`` where it knows the benchmark; else each attribute subset, scored alike."""
    if family_of(benchmark) is not None:
        try:
            res = attribute_results(inputs, protocol, mode, benchmark=benchmark)
        except DataError:
            res = None
        if res is not None:
            return {a: {"sequences": int(v["n_sequences"]), "name": v.get("name", a),
                        **{k: float(x) for k, x in v["metrics"].items() if x is not None}}
                    for a, v in res.items()}
    out: dict[str, dict[str, Any]] = {}
    for attr in attribute_order(groups):
        idx = groups[attr]
        sub = evaluate([inputs[i] for i in idx], protocol=protocol, dataset_mode=mode)
        out[attr] = {"sequences": len(idx), **{k: float(v) for k, v in sub.metrics.items() if v is not None}}
    return out


#: the order each benchmark's toolkit lists its attributes in (plots and sheets follow it)
ATTRIBUTE_ORDERS = (
    ("IV", "SV", "OCC", "DEF", "MB", "FM", "IPR", "OPR", "OV", "BC", "LR"),                  # OTB
    ("IV", "POC", "DEF", "MB", "CM", "ROT", "BC", "VC", "SV", "FOC", "FM", "OV", "LR", "ARC"),  # LaSOT
    ("SV", "ARC", "LR", "FM", "FOC", "POC", "OV", "BC", "IV", "VC", "CM", "SOB"),             # UAV123
)


def attribute_order(names) -> list[str]:
    """Attribute names in their toolkit's order when one order knows them all, else alphabetical."""
    names = list(names)
    for order in ATTRIBUTE_ORDERS:
        if all(n in order for n in names):
            return sorted(names, key=order.index)
    return sorted(names)


def attribute_tags(attrs: dict[str, Any]) -> list[str]:
    """Attribute tags of one sequence for benchmarks :mod:`bench.metrics.attributes` has no table for:
    lists of names (``{"otb": ["IV", "SV"]}``) or 0/1 flags (``{"IV": 1}``)."""
    tags: list[str] = []
    for k, v in (attrs or {}).items():
        if isinstance(v, (list, tuple, set)):
            tags.extend(str(x) for x in v)
        elif isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
            if v:
                tags.append(str(k))
    return tags


def _seq_row(d: dict) -> dict:
    row = {"sequence": d.get("name", d.get("sequence", ""))}
    for k, v in d.items():
        if k in ("name", "sequence"):
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            row[k] = float(v)
    return row


def _time_file(tr: RunResults, seq: str) -> Path | None:
    """``<seq>_time.txt`` beside the sequence's box file (``<seq>.txt`` or GOT-10k ``<seq>/<seq>_001.txt``)."""
    paths = tr.paths_for(seq)
    if not paths:
        return None
    first = paths[0]
    stems = [first.stem] + ([first.stem[:-4]] if re.search(r"_\d{3}$", first.stem) else [])
    return next((p for p in (first.with_name(f"{s}_time.txt") for s in stems) if p.is_file()), None)


def _fps_from_times(tr: RunResults, res: BenchmarkResult) -> tuple[float | None, str | None]:
    """FPS from the run's ``<seq>_time.txt`` files (tracking frames only), with the run's device."""
    frames, seconds = 0, 0.0
    for row in res.per_sequence:
        p = _time_file(tr, row["sequence"])
        if p is None:
            continue
        f, s = tracking_time(load_boxes(p, columns=1)[:, 0])
        frames, seconds = frames + f, seconds + s
    if frames == 0 or seconds <= 0:
        return None, None
    return frames / seconds, tr.config.get("device")


def registry_meta(name: str) -> dict:
    """The tracker registry's metadata for ``name`` (``SpikeTrack-B256-T3`` finds ``spiketrack_b256_t3``)."""
    import trackers

    return dict(trackers.TRACKERS.get(name).meta) if name and name in trackers.TRACKERS else {}


def registry_spiking(name: str) -> bool | None:
    """``spiking`` from the tracker registry, ``None`` for names it does not know."""
    meta = registry_meta(name)
    return bool(meta.get("spiking", False)) if meta else None


# --- <seq>_stats.json (bench run) -------------------------------------------------------------------

def stats_firing_rates(folder: Path) -> tuple[dict[str, dict[str, list[float]]], int]:
    """Firing rates ``{branch: {layer: [mean count per entry]}}`` from a run folder's ``<seq>_stats.json``
    (SpikeTrack trackers record them per sequence), averaged over sequences with each video weighing the
    same (:func:`trackers.spiketrack.sfr.aggregate_stats_files`); and how many sequences had them."""
    from trackers.spiketrack.sfr import BRANCHES, aggregate_stats_files

    agg = aggregate_stats_files(folder)
    rates = {b: {name: [float("nan") if v is None else float(v) for v in layer["mean_count"]]
                 for name, layer in (agg.get(b) or {}).get("layers", {}).items()}
             for b in BRANCHES}
    return {b: layers for b, layers in rates.items() if layers}, int(agg.get("sequences", 0))


def _add_stats_firing_rates(data: ReportData, tr: RunResults) -> None:
    """The fallback for the firing-rate sheet and heat map when no ``profile.json`` gave rates."""
    prof = data.profiles.get(tr.tracker)
    if (prof is not None and prof.firing_rates) or not any(tr.folder.glob(f"*{STATS_SUFFIX}")):
        return
    try:
        rates, n = stats_firing_rates(tr.folder)
    except BenchError as e:
        data.notes.append(f"{tr.tracker} on {tr.dataset}: firing rates not read: {e}")
        return
    if not rates:
        return
    source = f"{tr.folder} (<seq>{STATS_SUFFIX}, mean over {n} sequence{'s' if n != 1 else ''})"
    if prof is None:
        data.profiles[tr.tracker] = EfficiencyProfile(tracker=tr.tracker, firing_rates=rates, source=source)
    else:
        prof.firing_rates = rates
        prof.source = f"{prof.source}; firing rates: {source}" if prof.source else source


# --- profile.json -----------------------------------------------------------------------------------

def _add_profile(data: ReportData, tr: RunResults) -> None:
    prof = read_profile(tr.profile, tracker=tr.tracker)
    old = data.profiles.get(tr.tracker)
    if old is not None and old.source.endswith(PROFILE_FILE):
        data.notes.append(f"{tr.tracker}: several profiles; the report uses {old.source}")
        return
    if old is not None and old.firing_rates and not prof.firing_rates:   # rates from <seq>_stats.json stay
        prof.firing_rates = old.firing_rates
    data.profiles[tr.tracker] = prof
    if prof.spiking is not None:
        data.spiking[tr.tracker] = prof.spiking


def _first(d: dict, *keys: str) -> Any:
    for k in keys:
        cur: Any = d
        for part in k.split("."):
            if not isinstance(cur, dict) or part not in cur:
                cur = None
                break
            cur = cur[part]
        if cur is not None:
            return cur
    return None


def _num(v: Any, source: Path, key: str) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise DataError(f"{source}: {key} is not a number: {str(v)[:40]!r}") from None
    return None if math.isnan(f) else f


def read_profile(path: str | os.PathLike, tracker: str = "") -> EfficiencyProfile:
    """Read a ``profile.json`` from ``bench profile`` into an :class:`EfficiencyProfile`.

    Tolerant of key spellings (``params`` / ``params_total``, ``gmacs`` / ``macs``, ``energy_mj`` /
    ``energy.total_mj`` ...): the writer and this reader are developed in parallel, and old files must
    stay readable.
    """
    path = Path(path)
    d = read_json(path)
    if not isinstance(d, dict):
        raise DataError(f"{path}: expected a JSON object")
    if str(d.get("schema", "")).startswith("bench.efficiency.profile/"):
        return _from_bench_profile(d, path, tracker)
    params = _num(_first(d, "params", "params_total", "parameters", "model.params"), path, "params")
    gmacs = _num(_first(d, "gmacs", "macs_g", "per_frame.gmacs", "macs.per_frame_g"), path, "gmacs")
    if gmacs is None:
        macs = _num(_first(d, "macs", "per_frame.macs"), path, "macs")
        gmacs = None if macs is None else (macs / 1e9 if macs > 1e5 else macs)
    gsops = _num(_first(d, "gsops", "sops_g", "per_frame.gsops"), path, "gsops")
    if gsops is None:
        sops = _num(_first(d, "sops", "per_frame.sops"), path, "sops")
        gsops = None if sops is None else (sops / 1e9 if sops > 1e5 else sops)
    energy = _num(_first(d, "energy_mj", "energy.total_mj", "energy.mj_per_frame", "per_frame.energy_mj"),
                  path, "energy_mj")
    fps = _num(_first(d, "fps", "speed.fps", "latency.fps"), path, "fps")
    device = _first(d, "device", "speed.device", "latency.device")
    spiking = _first(d, "spiking")
    fr = _firing_rates(_first(d, "firing_rates", "sfr") or {}, path)
    breakdown = _first(d, "energy.breakdown", "energy_breakdown") or []
    model = _first(d, "energy.model", "energy_model") or {}
    if not isinstance(breakdown, list):
        breakdown = [{"component": k, **(v if isinstance(v, dict) else {"total_mj": v})}
                     for k, v in breakdown.items()] if isinstance(breakdown, dict) else []
    return EfficiencyProfile(
        tracker=str(d.get("tracker") or tracker), params=params, gmacs=gmacs, gsops=gsops, energy_mj=energy,
        fps=fps, device=None if device is None else str(device),
        spiking=None if spiking is None else bool(spiking), firing_rates=fr,
        energy_breakdown=[dict(r) for r in breakdown if isinstance(r, dict)],
        energy_model=model if isinstance(model, dict) else {"convention": str(model)}, source=str(path))


#: the energy convention the report quotes (bench.efficiency.energy's variant names; the one
#: ``bench profile`` prints)
ENERGY_VARIANT = "exact"
#: The one per-frame energy figure the report quotes. ``bench.efficiency`` exposes no constant for it,
#: so it is named here: ``bench profile`` (``bench.efficiency.profile.format_profile``) prints this key
#: first, and it is what the profiled run actually cost per tracked frame -- the search branch every
#: frame plus the template branch times the template calls per tracked frame *measured* in that run
#: (initialisation + updates). The report must show the number the user saw on the console, so it
#: prefers this key; files without it fall back to :data:`NOMINAL_ENERGY_KEY` (template amortised over
#: the tracker's nominal update interval), and a model without a template branch to
#: :data:`NO_TEMPLATE_ENERGY_KEY` (then the whole per-frame cost).
HEADLINE_ENERGY_KEY = "per_frame_amortised_measured_mJ"
NOMINAL_ENERGY_KEY = "per_frame_amortised_nominal_mJ"
NO_TEMPLATE_ENERGY_KEY = "per_frame_excluding_template_mJ"


def headline_energy(energy: dict, path: Path | str = "profile.json") -> tuple[str | None, float | None]:
    """``(key, mJ per frame)`` of ``bench profile``'s energy block under :data:`ENERGY_VARIANT`, by the rule of
    :data:`HEADLINE_ENERGY_KEY`; ``(None, None)`` when the file gives no per-frame figure."""
    var = ((energy or {}).get("variants") or {}).get(ENERGY_VARIANT) or {}
    tmpl = (energy or {}).get("template_branch", "template")
    has_template = "template_per_update_mJ" in var or tmpl in (var.get("per_branch_mJ") or {})
    for key in (HEADLINE_ENERGY_KEY, NOMINAL_ENERGY_KEY) + (() if has_template else (NO_TEMPLATE_ENERGY_KEY,)):
        if var.get(key) is not None:
            return key, _num(var[key], Path(path), f"energy.variants.{ENERGY_VARIANT}.{key}")
    return None, None


def _from_bench_profile(d: dict, path: Path, tracker: str) -> EfficiencyProfile:
    """``bench profile``'s schema (bench.efficiency.profile/1).

    Per tracked frame: the search branch every frame, plus the template branch weighted as the quoted
    energy (:data:`HEADLINE_ENERGY_KEY`) weighs it -- by the template calls per tracked frame measured in
    the profiled run, or, for files quoting the nominal figure, by ``1 / update_interval`` (a tracker that
    never updates its template then pays it once, at initialisation, so nothing per frame). GMACs, GSOPs
    and energy thus describe the same frames.
    """
    branches = d.get("branches") or {}
    interval = d.get("update_interval")
    energy_doc = d.get("energy") or {}
    var = (energy_doc.get("variants") or {}).get(ENERGY_VARIANT) or {}
    energy_key, energy = headline_energy(energy_doc, path)
    measured = _num(d.get("template_calls_per_frame"), path, "template_calls_per_frame")
    models_doc = d.get("energy_models") if isinstance(d.get("energy_models"), dict) else {}
    by_model = _energy_by_model(models_doc, path)
    head = models_doc.get("headline")
    rate_doc = models_doc.get("template_rate") if isinstance(models_doc.get("template_rate"), dict) else {}
    rate = _num(rate_doc.get("value"), path, "energy_models.template_rate.value")
    if by_model.get(head) is not None:   # the model bench profile quoted (--energy-model), amortised by its rate
        energy_key, energy = f"energy_models.models.{head}.per_frame_mJ", by_model[head]
    if by_model and rate is not None:
        template_share = rate
        template_rule = (f"amortised: {rate:.4g} template encodings per tracked frame "
                         f"({rate_doc.get('source', 'profiled frames')})")
    elif measured is not None and energy_key != NOMINAL_ENERGY_KEY:
        template_share = measured
        template_rule = f"amortised over the profiled run: {measured:.4g} template calls per tracked frame"
    elif interval:
        template_share = 1.0 / interval
        template_rule = f"amortised over the update interval ({interval} frames)"
    else:
        template_share = 0.0
        template_rule = "computed once at initialisation (not per frame)"
    share = {b: (1.0 if b != "template" else template_share) for b in branches}

    def per_frame(key: str) -> float | None:
        vals = [(_num(v.get(key), path, f"branches.{b}.{key}"), share[b]) for b, v in branches.items()]
        vals = [(x, w) for x, w in vals if x is not None]
        return sum(x * w for x, w in vals) / 1e9 if vals else None

    lat = d.get("latency") or {}
    env = lat.get("environment") or {}
    fps = _num(((lat.get("all_frames") or {}).get("end_to_end") or {}).get("fps"), path, "latency fps")
    device = None
    if env:
        where = env.get("gpu") or env.get("cpu") or ""
        device = str(env.get("device", "")) + (f" ({where}" if where else "") + \
            (f", {env['torch_threads']} thread{'s' if env['torch_threads'] != 1 else ''}"
             if where and str(env.get("device", "")).startswith("cpu") and env.get("torch_threads") else "") + \
            (")" if where else "")
    rates: dict[str, dict[str, list[float]]] = {}
    for n in d.get("neurons") or []:
        mc = n.get("mean_count")
        if isinstance(mc, list):
            rates.setdefault(str(n.get("branch", "search")), {})[str(n.get("name"))] = \
                [float("nan") if v is None else float(v) for v in mc]
    consts = (d.get("energy") or {}).get("constants") or {}
    e_mac, e_ac = float(consts.get("e_mac", 4.6)), float(consts.get("e_ac", 0.9))
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for row in d.get("layers") or []:
        parts = str(row.get("path", "")).split(".")
        comp = ".".join(parts[:2]) if len(parts) > 2 else ".".join(parts[:1])
        g = groups.setdefault((str(row.get("branch", "")), comp), {"macs": 0.0, "spike_macs": 0.0, "sops": 0.0})
        for k in g:
            g[k] += float(row.get(k) or 0.0)
    breakdown = []
    for (branch, comp), g in groups.items():
        mac_mj = (g["macs"] - g["spike_macs"]) * e_mac * 1e-9
        ac_mj = g["sops"] * e_ac * 1e-9
        breakdown.append({"branch": branch, "component": comp,
                          "per": "frame" if branch != "template" else "template update",
                          "gmacs": g["macs"] / 1e9, "gsops": g["sops"] / 1e9, "mac_mj": mac_mj, "ac_mj": ac_mj,
                          "total_mj": mac_mj + ac_mj, "weight": share.get(branch, 1.0)})
    model = {"variant": ENERGY_VARIANT, "figure": energy_key, "convention": var.get("convention", ""),
             "E_MAC_pJ": e_mac, "E_AC_pJ": e_ac, "constants": consts.get("source", consts.get("name", "")),
             "template": template_rule, "model": head if by_model.get(head) is not None else consts.get("name", "fp32"),
             "breakdown_model": consts.get("name", "fp32")}
    if by_model.get(head) is not None:
        m = models_doc["models"][head]
        model["convention"] = m.get("convention", model["convention"])
        model["source"] = m.get("source", "")
    random = d.get("random_weights")
    nb = d.get("neurobench") if isinstance(d.get("neurobench"), dict) else {}
    return EfficiencyProfile(
        tracker=str(d.get("tracker") or tracker), params=_num(d.get("params"), path, "params"),
        gmacs=per_frame("macs"), gsops=per_frame("sops"), energy_mj=energy, fps=fps, device=device,
        spiking=None if d.get("spiking") is None else bool(d.get("spiking")), firing_rates=rates,
        energy_breakdown=breakdown, energy_model=model if branches else {}, source=str(path),
        energy_by_model=by_model, random_weights=None if random is None else bool(random),
        neurobench={k: _num(nb.get(k), path, f"neurobench.{k}") for k in NEUROBENCH_KEYS if k in nb},
        rate_unit=str((d.get("rate_convention") or {}).get("mean_count", EfficiencyProfile.rate_unit)))


#: NeuroBench's metrics a report reads from ``profile.json`` (bench.efficiency.neurobench), leaderboard order
NEUROBENCH_KEYS = tuple(NEUROBENCH)


def _energy_by_model(block: dict, path: Path) -> dict[str, float | None]:
    """``energy_models.models[name].per_frame_mJ`` of ``bench profile``'s document, by model name."""
    models = block.get("models") if isinstance(block, dict) else None
    if not isinstance(models, dict):
        return {}
    return {str(name): _num(m.get("per_frame_mJ"), path, f"energy_models.models.{name}.per_frame_mJ")
            for name, m in models.items() if isinstance(m, dict)}


def _firing_rates(fr: Any, path: Path) -> dict[str, dict[str, list[float]]]:
    """Accept ``{branch: {layer: [per step]}}`` or a list of ``{branch, layer, t|step, rate}`` records."""
    out: dict[str, dict[str, list[float]]] = {}
    if isinstance(fr, dict):
        for branch, layers in fr.items():
            if not isinstance(layers, dict):
                raise DataError(f"{path}: firing_rates.{branch} must map layer names to per-step rates")
            out[str(branch)] = {}
            for layer, rates in layers.items():
                if isinstance(rates, dict):  # {"mean_count": [...], ...}
                    rates = rates.get("mean_count", rates.get("rate", rates.get("mean")))
                vals = rates if isinstance(rates, list) else [rates]
                out[str(branch)][str(layer)] = [float("nan") if v is None else float(v) for v in vals]
    elif isinstance(fr, list):
        for r in fr:
            if not isinstance(r, dict) or "layer" not in r:
                raise DataError(f"{path}: firing_rates records need 'layer', 'branch', 't' and 'rate'")
            branch = str(r.get("branch", "search"))
            t = int(r.get("t", r.get("step", 0)))
            rate = r.get("rate", r.get("mean_count"))
            lst = out.setdefault(branch, {}).setdefault(str(r["layer"]), [])
            while len(lst) <= t:
                lst.append(float("nan"))
            lst[t] = float("nan") if rate is None else float(rate)
    return out


_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


def safe_file_name(name: str) -> str:
    """A tracker or benchmark name as part of a file name."""
    return _SAFE.sub("_", name).strip("_") or "unnamed"

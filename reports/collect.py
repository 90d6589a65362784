"""Gather stored results into a :class:`reports.model.ReportData`; nothing here runs a tracker.

Two layouts are read:

* this suite's results store, ``<results>/<run>/<dataset>/<seq>.txt`` with ``run.json`` (and, from
  ``bench profile``, ``profile.json``) -- see :mod:`bench.results`;
* other toolkits' raw results, one folder of ``<seq>.txt`` per tracker: either ``<dir>/<Tracker>/``
  for one dataset (name it with ``datasets=[...]`` or by the folder's own name, e.g. ``OTB100``), or
  ``<dir>/<DATASET>/<Tracker>/`` (the layout of ``../shared/data/raw_results``).

Sequence files are matched to the dataset's names case-insensitively with ``-`` and ``_`` treated as
equal (toolkits write ``Jogging-1``, ``jogging_1`` ...). Accuracy comes from :func:`bench.metrics.evaluate`
under each benchmark's official protocol unless one is given; attribute scores are the same protocol
on the attribute's subset of sequences (what every toolkit's attribute plot does).
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

from bench.errors import BenchError, ConfigError, DataError, ResultsError
from bench.io import load_boxes, read_json
from reports.model import BenchmarkResult, Curve, EfficiencyProfile, ReportData, benchmark_key

log = logging.getLogger(__name__)

PROFILE_FILE = "profile.json"
#: per-sequence keys copied into the per-sequence sheets (in this order), when the protocol gives them
SEQ_KEYS = ("auc", "precision", "norm_precision", "ao", "sr50", "sr75", "op50", "op75")


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass
class TrackerResults:
    """One tracker's raw results on one dataset: sequence key -> box file."""

    tracker: str
    dataset: str
    folder: Path
    files: dict[str, Path]
    manifest: dict = field(default_factory=dict)
    profile: Path | None = None

    def path_for(self, seq: str) -> Path | None:
        return self.files.get(_key(seq))


def _result_files(folder: Path) -> dict[str, Path]:
    """``<seq>.txt`` files of a results folder (not ``_time``), plus GOT-10k style ``<seq>/<seq>_001.txt``."""
    files: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix == ".txt" and not p.stem.endswith("_time"):
            files.setdefault(_key(p.stem), p)
        elif p.is_dir() and (p / f"{p.name}_001.txt").is_file():
            files.setdefault(_key(p.name), p / f"{p.name}_001.txt")
    return files


def _has_results(folder: Path) -> bool:
    """A folder of ``<seq>.txt`` files, a store run folder, or a GOT-10k ``<seq>/<seq>_001.txt`` folder."""
    if not folder.is_dir():
        return False
    if (folder / "run.json").is_file():
        return True
    entries = list(folder.iterdir())
    return any(p.suffix == ".txt" and p.is_file() for p in entries) or \
        any(p.is_dir() and (p / f"{p.name}_001.txt").is_file() for p in entries[:50])


def _known_dataset(name: str) -> str | None:
    """The registered dataset whose name matches ``name`` (``OTB100`` -> ``otb100``), else None."""
    try:
        import datasets
    except Exception:  # pragma: no cover - datasets package always importable in the suite
        return None
    key = benchmark_key(name)
    for n in datasets.list_datasets():
        if benchmark_key(n) == key:
            return n
    return None


def discover(results: str | os.PathLike, datasets: Iterable[str] | None = None) -> list[TrackerResults]:
    """Find every (tracker, dataset) results folder under ``results`` (see the module docstring)."""
    root = Path(results)
    if not root.is_dir():
        raise ResultsError(f"{root}: results folder not found")
    wanted = [d for d in (datasets or []) if d]
    wanted_keys = {benchmark_key(d) for d in wanted}
    found: list[TrackerResults] = []
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def keep(ds: str) -> bool:
        return not wanted_keys or benchmark_key(ds) in wanted_keys

    def add(tracker: str, dataset: str, folder: Path) -> None:
        manifest = read_json(folder / "run.json") if (folder / "run.json").is_file() else {}
        prof = folder / PROFILE_FILE
        found.append(TrackerResults(tracker, dataset, folder, _result_files(folder), manifest,
                                    prof if prof.is_file() else None))

    # the folder of one run: <run>/<dataset>/ of the store, or one toolkit folder of <seq>.txt
    if _has_results(root) and not any(_has_results(p) for p in subdirs):
        store = (root / "run.json").is_file() or (root / PROFILE_FILE).is_file()
        tracker = root.parent.name if store else root.name
        dataset = wanted[0] if len(wanted) == 1 else (_known_dataset(root.name) if store else None)
        if dataset is None:
            raise ConfigError(f"{root}: holds the results of one tracker; name their dataset with --datasets NAME")
        add(tracker, dataset, root)
        return found

    # <dir>/<Tracker>/<seq>.txt: one dataset, tracker folders directly below
    direct = [p for p in subdirs if _has_results(p) and not (p / "run.json").is_file()
              and not any(_has_results(q) for q in p.iterdir() if q.is_dir() and (q / "run.json").is_file())]
    if direct and len(direct) == len([p for p in subdirs if _has_results(p)]):
        own = _known_dataset(root.name)
        if len(wanted) == 1:
            dataset = wanted[0]
        elif own:
            dataset = own
        else:
            raise ConfigError(f"{root}: holds one folder of results per tracker; name their dataset with "
                              f"--datasets NAME")
        if not keep(dataset) and not (len(wanted) == 1):
            return []
        for p in direct:
            add(p.name, dataset, p)
        return found

    for top in subdirs:
        for sub in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (_has_results(sub) or (sub / PROFILE_FILE).is_file()):
                continue
            store = (sub / "run.json").is_file() or (sub / PROFILE_FILE).is_file()
            top_ds, sub_ds = _known_dataset(top.name), _known_dataset(sub.name)
            if not store and top_ds and not sub_ds:
                tracker, dataset = sub.name, top_ds          # <DATASET>/<Tracker>/ (other toolkits)
            else:
                tracker, dataset = top.name, sub.name        # <run>/<dataset>/ (this suite's store)
            if keep(dataset):
                add(tracker, dataset, sub)
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
    name (or ``"*"``) to the protocol to use instead of the benchmark's official one.
    """
    found = discover(results, datasets)
    data = ReportData(source=str(results))
    annotations = {benchmark_key(k): v for k, v in (annotations or {}).items()}
    roots = {benchmark_key(k): v for k, v in (roots or {}).items()}
    protocols = {("*" if k == "*" else benchmark_key(k)): v for k, v in (protocols or {}).items()}
    opened: dict[str, Any] = {}
    gt_cache: dict[tuple[str, str], Any] = {}
    by_dataset: dict[str, list[TrackerResults]] = {}
    for tr in found:
        by_dataset.setdefault(tr.dataset, []).append(tr)

    iterator: Iterable = found
    if progress:
        from tqdm import tqdm
        iterator = tqdm(found, desc="scoring", unit="run", disable=None)
    for tr in iterator:
        if tr.profile is not None:
            _add_profile(data, tr)
        spiking = _spiking_of(tr)
        if spiking is not None:
            data.spiking.setdefault(tr.tracker, spiking)
        if not tr.files:
            continue
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
            continue
        protocol = protocols.get(bkey) or protocols.get("*") or tr.manifest.get("config", {}).get("protocol") \
            or _default_protocol(ds, tr.dataset)
        try:
            res = score(tr, ds, protocol, gt_cache, attributes=attributes, notes=data.notes)
        except DataError as e:  # one tracker's bad file must not sink the whole report: say so instead
            data.notes.append(f"{tr.tracker} on {tr.dataset}: not scored: {e}")
            continue
        if res is not None:
            data.results.append(res)
            fps, device = _fps_from_times(tr, res)
            if fps is not None and tr.tracker not in data.profiles:
                data.profiles[tr.tracker] = EfficiencyProfile(
                    tracker=tr.tracker, fps=fps, device=device,
                    source=f"{tr.folder} (<seq>_time.txt, init frames excluded)")
    return data


def _open_dataset(name: str, annotations: str | None, root: str | None):
    import datasets

    try:
        return datasets.create_dataset(_known_dataset(name) or name, root=root, annotations=annotations)
    except ConfigError as e:
        raise ConfigError(f"{e} (or give its annotations with --annotations {name}=DIR)") from None


def _default_protocol(ds: Any, name: str) -> str:
    proto = getattr(ds, "default_protocol", None)
    if proto:
        return proto
    from bench.metrics import default_protocol

    return default_protocol(name)


def _dataset_mode(ds: Any, name: str) -> str:
    mode = getattr(ds, "dataset_mode", None)
    if mode:
        return mode
    from bench.metrics import dataset_mode_for

    return dataset_mode_for(name)


def score(tr: TrackerResults, ds: Any, protocol: str, gt_cache: dict | None = None,
          attributes: bool = True, notes: list[str] | None = None) -> BenchmarkResult | None:
    """Evaluate one tracker's stored boxes on one dataset (plus per-attribute subsets)."""
    from bench.metrics import SequenceInput, evaluate

    gt_cache = {} if gt_cache is None else gt_cache
    notes = [] if notes is None else notes
    loader = _evaluation_loader(tr)
    present = [n for n in ds.names() if (loader.paths_for(n) if loader is not None else tr.path_for(n))]
    missing = [n for n in ds.names() if n not in set(present)]
    seqs = []
    for name in present:
        ck = (benchmark_key(tr.dataset), name)
        if ck not in gt_cache:
            gt_cache[ck] = ds.load(name)
        seqs.append(gt_cache[ck])
    if loader is not None:  # the OPE helper's loader: one fast parse, GOT-10k repetitions
        from bench.evaluation import build_inputs

        inputs = build_inputs(seqs, loader, repetitions=protocol == "got10k-val")
    else:
        inputs = [SequenceInput(name=s.name, gt=s.ground_truth, pred=load_boxes(tr.path_for(s.name)),
                                flags=dict(s.flags), attributes=dict(s.attributes)) for s in seqs]
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(seqs):
        for attr in sequence_attributes(s.attributes):
            groups.setdefault(attr, []).append(i)
    if not inputs:
        notes.append(f"{tr.tracker} on {tr.dataset}: no result file matches a sequence of the dataset "
                     f"({tr.folder}); skipped")
        return None
    if missing:
        notes.append(f"{tr.tracker} on {tr.dataset}: {len(missing)} of {len(ds.names())} sequences have no "
                     f"results (e.g. {missing[0]}); scored on the {len(inputs)} present")
    mode = _dataset_mode(ds, tr.dataset)
    result = evaluate(inputs, protocol=protocol, dataset_mode=mode)
    out = BenchmarkResult(
        tracker=tr.tracker, benchmark=tr.dataset, protocol=result.protocol,
        metrics={k: float(v) for k, v in result.metrics.items() if v is not None},
        curves={k: Curve(t, v) for k, (t, v) in result.curves.items()},
        per_sequence=[_seq_row(d) for d in result.per_sequence],
        n_sequences=len(inputs), source=str(tr.folder))
    if attributes:
        out.attributes = _attribute_scores(inputs, protocol, mode, getattr(ds, "name", tr.dataset), groups)
    return out


def _attribute_scores(inputs: list, protocol: str, mode: str, benchmark: str,
                      groups: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
    """``bench.metrics.attributes`` where it knows the benchmark; else each attribute subset, scored alike."""
    from bench.metrics import evaluate

    try:
        from bench.metrics.attributes import attribute_results, family_of
    except ImportError:
        family_of = None
    if family_of is not None and family_of(benchmark) is not None:
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


def _evaluation_loader(tr: TrackerResults):
    """``bench.evaluation``'s view of a results folder (None where that module is absent)."""
    try:
        from bench import evaluation
    except ImportError:
        return None
    try:
        return evaluation.find_results(tr.folder, tr.dataset)[0]
    except ResultsError:
        return None


def sequence_attributes(attrs: dict[str, Any]) -> list[str]:
    """Attribute tags of one sequence: lists of names (``{"otb": ["IV", "SV"]}``) or 0/1 flags."""
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


def _fps_from_times(tr: TrackerResults, res: BenchmarkResult) -> tuple[float | None, str | None]:
    """FPS from the run's ``<seq>_time.txt`` files (tracking frames only), with the run's device."""
    frames, seconds = 0, 0.0
    for row in res.per_sequence:
        p = tr.folder / f"{row['sequence']}_time.txt"
        if not p.is_file():
            continue
        t = load_boxes(p, columns=1)[:, 0]
        if len(t) > 1:
            frames += len(t) - 1
            seconds += float(np.sum(t[1:]))
    if frames == 0 or seconds <= 0:
        return None, None
    device = tr.manifest.get("config", {}).get("device")
    return frames / seconds, device


def _spiking_of(tr: TrackerResults) -> bool | None:
    return registry_spiking(tr.manifest.get("config", {}).get("tracker") or "")


def registry_spiking(name: str) -> bool | None:
    """``spiking`` from the tracker registry (``SpikeTrack-B256-T3`` finds ``spiketrack_b256_t3``)."""
    if not name:
        return None
    try:
        import trackers

        if name not in trackers.TRACKERS:
            return None
        return bool(trackers.TRACKERS.get(name).meta.get("spiking", False))
    except Exception:  # an unimportable tracker package: the report says ANN unless a profile says so
        return None


# --- profile.json -----------------------------------------------------------------------------------

def _add_profile(data: ReportData, tr: TrackerResults) -> None:
    prof = read_profile(tr.profile, tracker=tr.tracker)
    old = data.profiles.get(tr.tracker)
    if old is not None and old.source.endswith(PROFILE_FILE):
        data.notes.append(f"{tr.tracker}: several profiles; the report uses {old.source}")
        return
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


#: the energy convention the report quotes (bench.efficiency.energy's variant names)
ENERGY_VARIANT = "exact"


def _from_bench_profile(d: dict, path: Path, tracker: str) -> EfficiencyProfile:
    """``bench profile``'s schema (bench.efficiency.profile/1).

    Per tracked frame: the search branch every frame, plus the template branch amortised over the
    tracker's nominal update interval (a tracker that never updates its template pays it once, at
    initialisation, so nothing per frame). Energy: variant :data:`ENERGY_VARIANT`, the same rule.
    """
    branches = d.get("branches") or {}
    interval = d.get("update_interval")
    share = {b: (1.0 if b != "template" else (1.0 / interval if interval else 0.0)) for b in branches}

    def per_frame(key: str) -> float | None:
        vals = [(_num(v.get(key), path, f"branches.{b}.{key}"), share[b]) for b, v in branches.items()]
        vals = [(x, w) for x, w in vals if x is not None]
        return sum(x * w for x, w in vals) / 1e9 if vals else None

    energy = None
    var = ((d.get("energy") or {}).get("variants") or {}).get(ENERGY_VARIANT) or {}
    for key in ("per_frame_amortised_nominal_mJ", "per_frame_excluding_template_mJ"):
        if key == "per_frame_excluding_template_mJ" and interval:
            continue
        if var.get(key) is not None:
            energy = _num(var[key], path, f"energy.variants.{ENERGY_VARIANT}.{key}")
            break
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
    model = {"variant": ENERGY_VARIANT, "convention": var.get("convention", ""),
             "E_MAC_pJ": e_mac, "E_AC_pJ": e_ac, "constants": consts.get("source", consts.get("name", "")),
             "template": (f"amortised over the update interval ({interval} frames)" if interval
                          else "computed once at initialisation (not per frame)")}
    return EfficiencyProfile(
        tracker=str(d.get("tracker") or tracker), params=_num(d.get("params"), path, "params"),
        gmacs=per_frame("macs"), gsops=per_frame("sops"), energy_mj=energy, fps=fps, device=device,
        spiking=None if d.get("spiking") is None else bool(d.get("spiking")), firing_rates=rates,
        energy_breakdown=breakdown, energy_model=model if branches else {}, source=str(path))


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

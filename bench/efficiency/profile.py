"""One efficiency profile of a tracker on real frames: per-layer MACs/SOPs, firing, energy, latency.

``profile_tracker(tracker, dataset)`` tracks the dataset's sequences (the embedded demo by default)
twice: once under :class:`~bench.efficiency.counter.EfficiencyCounter` (MACs of every executed operator,
SOPs from the spike counts of every frame, firing statistics of every neuron), once unprofiled for the
latency clocks. Beside the exact count it gives the two other conventions papers call "FLOPs", each
named: thop 0.0.31's (:mod:`~bench.efficiency.thop`) and, where fvcore is installed, fvcore's
(:mod:`~bench.efficiency.fvcore_count`), both on the first frame of each kind and, for trackers that
declare profile inputs (the ViT families: their official profiler's), on those (``paper_inputs``). The
tracker is read through :class:`trackers.base.Tracker`'s declared members only. The result is a JSON-able
dict (schema in docs/efficiency.md, ``schema`` key) stored as ``<results>/<tracker>/<dataset>/profile.json``
so reports never need to re-run anything.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from torch import nn

from bench.efficiency import fvcore_count as fvc
from bench.efficiency.accounting import EnergyAccounting, format_lines
from bench.efficiency.counter import EfficiencyCounter
from bench.efficiency.energy import VARIANTS, constants, energy_report
from bench.efficiency.latency import latency_report, model_device, time_sequence
from bench.efficiency.metrics import compute_metrics, metric_lines
from bench.efficiency.neurobench import not_applicable
from bench.efficiency.thop import ThopCounter, thop_profile
from trackers.base import ProfileInputs, Tracker, declared, has_random_weights

SCHEMA = "bench.efficiency.profile/1"

#: the MAC conventions ``counters`` may name; ``exact`` (the engine: MACs, SOPs, energy) is always on
COUNTERS = ("exact", "thop", "fvcore")


def resolve_counters(counters: Iterable[str] | None) -> tuple[str, ...]:
    """The conventions to report: the given ones (fvcore then required) plus ``exact``; by default thop,
    and fvcore where it is installed."""
    from bench.core.errors import ConfigError

    if counters is None:
        return ("exact", "thop") + (("fvcore",) if fvc.available() else ())
    chosen = []
    for c in counters:
        c = c.strip().lower()
        if c not in COUNTERS:
            raise ConfigError(f"--counter {c!r}: unknown convention; choose from {', '.join(COUNTERS)}")
        if c not in chosen:
            chosen.append(c)
    if "fvcore" in chosen:
        fvc.require()
    return ("exact",) + tuple(c for c in COUNTERS[1:] if c in chosen)


def _paper_thop(model: nn.Module, inputs: ProfileInputs) -> dict:
    """thop count with the inputs the tracker declares for profiling (its family's official profiler's)."""
    macs, params = thop_profile(model, inputs.args, kwargs=inputs.kwargs)
    return {"macs": macs, "gmacs": macs / 1e9, "params": params, **inputs.describe, "inputs": inputs.note}


def _fvcore(what, *args) -> dict:
    """An fvcore count as a dict; a model fvcore cannot trace gives ``{"error": ...}``, not a failed profile."""
    try:
        return what(*args).to_dict()
    except Exception as e:  # torch.jit cannot trace everything (data-dependent Python, odd outputs)
        return {"error": f"fvcore could not count this model: {type(e).__name__}: {' '.join(str(e).split())[:200]}"}


def _iter_sequences(dataset, names: Iterable[str] | None):
    if names:
        for n in names:
            yield dataset[n]
    else:
        yield from dataset


def _module_of(model: nn.Module, path: str) -> nn.Module | None:
    if not path:
        return None
    try:
        return model.get_submodule(path)
    except AttributeError:
        return None


def profile_tracker(tracker, dataset, max_frames: int | None = 100, sequences: Iterable[str] | None = None,
                    energy_preset: str = "fp32", e_mac: float | None = None, e_ac: float | None = None,
                    memory: bool = False, latency: bool = True, warmup: int = 5, histogram: bool = False,
                    pair_rule: str = "first", mode: str = "auto", progress: bool = False,
                    counters: Iterable[str] | None = None, energy_model: str | None = None) -> dict:
    """Profile ``tracker`` (a :class:`trackers.base.Tracker`) over at most ``max_frames`` frames of
    ``dataset`` in total (sequence by sequence, each initialised on its first frame).

    ``counters``: MAC conventions beside the exact count (:data:`COUNTERS`); default thop, plus fvcore
    where installed. Naming ``fvcore`` without it installed is a ConfigError. ``energy_model``: the energy
    model quoted first (:mod:`bench.efficiency.energy_models`; every model is in ``energy_models``).
    """
    counters = resolve_counters(counters)
    tracker = declared(tracker)   # the engine asks the tracker only what trackers.base.Tracker declares
    model = tracker.model if isinstance(tracker.model, nn.Module) else None
    doc: dict[str, Any] = {
        "schema": SCHEMA, "tracker": tracker.name or type(tracker).__name__,
        "dataset": getattr(dataset, "name", str(dataset)), "spiking": bool(tracker.spiking),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "conventions": {
            "macs": "multiply-accumulates of conv/matmul/attention operators actually executed "
                    "(torch.utils.flop_counter's FLOPs / 2; bias, norms, element-wise not counted)",
            "sops": "sum over time steps of MACs per step x mean integer spike count of the spike-fed operand",
            "per_call": "branch figures are per call of the branch: per frame for 'search', per "
                        "initialisation/update for 'template'",
            "thop": "thop 0.0.31 module-hook convention (Linear, Conv, eval BatchNorm), what papers print",
            "fvcore": fvc.CONVENTION,
        },
        "counters": list(counters),
        "random_weights": has_random_weights(tracker),
    }
    seqs = []
    budget = max_frames
    for seq in _iter_sequences(dataset, sequences):
        if budget is not None and budget <= 1:
            break
        n = len(seq.frames) if budget is None else min(len(seq.frames), budget)
        seqs.append((seq, n))
        if budget is not None:
            budget -= n
    doc["sequences"] = [{"name": s.name, "frames": n} for s, n in seqs]
    if model is None:
        doc["note"] = "tracker has no torch model: no MACs, SOPs or energy"
        doc["neurobench"] = not_applicable("tracker has no torch model")
    else:
        doc.update(_count(tracker, model, seqs, energy_preset, e_mac, e_ac, memory, histogram, pair_rule,
                          mode, progress, counters, energy_model))
    if latency:
        frames = []
        for seq, n in seqs:
            info = {"dataset": doc["dataset"], "sequence": seq.name}
            frames += time_sequence(tracker, seq, n, warmup=warmup, info=info)
        doc["latency"] = latency_report(frames, model_device(model), warmup)
    # last: a metric may read any figure above; the model is held only now (metrics that need it)
    doc["metrics"] = compute_metrics(doc, model)
    return doc


def _count(tracker: Tracker, model: nn.Module, seqs, energy_preset, e_mac, e_ac, memory, histogram, pair_rule, mode,
           progress, counters=("exact", "thop"), energy_model=None) -> dict:
    scale = tracker.spike_scale if isinstance(tracker.spike_scale, int) and tracker.spike_scale > 0 else None
    # a model without branch labels: the counters call what runs at initialisation the template branch
    branch_of = tracker.current_branch if tracker.current_branch() is not None else None
    counter = EfficiencyCounter(model, branch_of=branch_of, spike_scale=scale, pair_rule=pair_rule,
                                histogram=histogram, mode=mode)
    accounting = EnergyAccounting(model, counter)   # energy models' structure, NeuroBench's activations
    thop_frames: dict[str, int] = {}
    thop_per_kind: dict[str, dict] = {}
    exact_per_kind: dict[str, float] = {}
    captures: dict[str, fvc.CallCapture] = {}
    with_thop, with_fvcore = "thop" in counters, "fvcore" in counters
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(n for _, n in seqs), unit="frame", desc="profile")
    try:
        for seq, n in seqs:
            info = {"dataset": getattr(seq, "dataset", None), "sequence": seq.name}
            for i in range(n):
                img = seq.frames.read(i)
                kind = "init" if i == 0 else "track"
                first = kind not in thop_frames
                # the first frame of each kind is counted in every convention, on the same work
                with contextlib.ExitStack() as stack:
                    thop = stack.enter_context(ThopCounter(model)) if first and with_thop else None
                    if first and with_fvcore:
                        captures[kind] = stack.enter_context(fvc.CallCapture(model))
                    before = sum(counter.macs_per_kind.values())
                    stack.enter_context(accounting.frame(kind, first))
                    with counter.frame(kind):
                        _step(tracker, img, seq, i, info)
                if first:
                    thop_frames[kind] = 1
                    exact_per_kind[kind] = sum(counter.macs_per_kind.values()) - before
                if thop is not None:
                    thop_per_kind[kind] = {"macs": thop.macs(), "params": thop.params()}
                if bar is not None:
                    bar.update(1)
    finally:
        counter.detach()
        accounting.detach()
        if bar is not None:
            bar.close()
    doc = _tables(counter, model, tracker, thop_per_kind, energy_preset, e_mac, e_ac, memory)
    doc.update(accounting.finish(doc, energy_model, constants(energy_preset, e_mac, e_ac)))
    paper = tracker.profile_inputs()
    doc["exact"] = {k: {"macs": v, "gmacs": v / 1e9} for k, v in exact_per_kind.items()}
    if with_thop:
        doc["thop"] = {k: {**v, "gmacs": v["macs"] / 1e9} for k, v in thop_per_kind.items()}
        if paper is not None:
            doc["thop"]["paper_inputs"] = _paper_thop(model, paper)
    if with_fvcore:
        # after the counted frames: tracing runs the model once more, which must not disturb their state
        doc["fvcore"] = {"version": fvc.version()}
        for kind, cap in captures.items():
            doc["fvcore"][kind] = _fvcore(cap.count) if cap.calls else {
                "total": 0, "gtotal": 0.0, "calls": [], "note": "the tracker called no module of its model"}
        if paper is not None:
            doc["fvcore"]["paper_inputs"] = {
                **_fvcore(lambda: fvc.fvcore_count(model, paper.args, paper.kwargs, label="model")),
                **paper.describe, "inputs": paper.note}
    return doc


def _step(tracker: Tracker, img, seq, i, info) -> None:
    if i == 0:
        tracker.initialize(img, seq.ground_truth[0], info)
    else:
        tracker.track(img)


def _tables(counter: EfficiencyCounter, model: nn.Module, tracker: Tracker, thop_per_kind, energy_preset, e_mac, e_ac,
            memory) -> dict:
    segs: dict[str, int] = defaultdict(int)
    for (kind, branch), n in counter.segments_per_kind.items():
        segs[branch] += n
    layers = []
    branch_rows: dict[str, list] = defaultdict(list)
    for st in counter.layers.values():
        n = max(segs.get(st.branch, 0), 1)
        mod = _module_of(model, st.path)
        calls = st.calls / n
        entries = len(st.entry_macs)
        row = {
            "path": st.path or "(outside module forward)", "op": st.op, "branch": st.branch,
            "module": type(mod).__name__ if mod is not None else None,
            "params": sum(p.numel() for p in mod.parameters(recurse=False)) if mod is not None else 0,
            "calls": calls, "steps": max(int(round(entries / calls)) if calls else 1, 1),
            "macs": st.macs / n, "spike_macs": st.spike_macs / n, "sops": st.sops / n,
            "spike_fed": st.spiking, "mean_count": st.mean_count,
            "stale_macs": st.stale_macs / n,
            "weight_numel": st.weight_numel / n, "io_numel": st.io_numel / n,
            "entries": {"macs": [m / f for m, f in zip(st.entry_macs, st.entry_frames)],
                        "sops": [s / f for s, f in zip(st.entry_sops, st.entry_frames)],
                        "mean_count": [c / f for c, f in zip(st.entry_count, st.entry_frames)] if st.spiking else None},
        }
        layers.append(row)
        branch_rows[st.branch].append(row)
    scale = counter.spike_scale
    branches = {}
    for b, rows in branch_rows.items():
        comps: dict[str, dict] = defaultdict(lambda: {"macs": 0.0, "sops": 0.0, "spike_macs": 0.0})
        for r in rows:
            comp = r["path"].split(".")[0]
            for k in ("macs", "sops", "spike_macs"):
                comps[comp][k] += r[k]
        macs = sum(r["macs"] for r in rows)
        sops = sum(r["sops"] for r in rows)
        spike_macs = sum(r["spike_macs"] for r in rows)
        branches[b] = {"calls": segs.get(b, 0), "macs": macs, "gmacs": macs / 1e9, "sops": sops,
                       "gsops": sops / 1e9, "spike_fed_macs": spike_macs, "real_input_macs": macs - spike_macs,
                       "mean_count": sops / spike_macs if spike_macs else None,
                       "stale_macs": sum(r["stale_macs"] for r in rows),
                       "components": {k: {**v, "gmacs": v["macs"] / 1e9} for k, v in comps.items()}}
    track_frames = counter.frames.get("track", 0)
    tmpl_calls = segs.get("template", 0)
    interval = tracker.template_update_interval
    if not (isinstance(interval, int) and interval > 0):
        interval = None   # the template branch runs only at initialisation
    c = constants(energy_preset, e_mac, e_ac)
    energy = energy_report(branch_rows, c, scale, template_per_frame=(tmpl_calls / track_frames) if track_frames else None,
                           update_interval=interval, memory=memory, variants=tuple(VARIANTS))
    neurons = []
    for st in counter.neurons.values():
        kind = counter.kinds.get(st.name)
        row = {"name": st.name, "branch": st.branch, "mean_count": st.mean_count(),
               "nonzero_fraction": st.nonzero_fraction(), "segments": st.segments[0] if st.segments else 0,
               "spike_scale": st.scale or scale,
               "module": type(_module_of(model, st.name)).__name__ if _module_of(model, st.name) else None,
               "recognised_by": (f"class ({kind.library})" if kind.library != "observed" else
                                 "behaviour (real input in, spikes out)") if kind else None}
        if counter.histogram:
            row["histogram"] = [[int(v) for v in h[:(st.scale or scale) + 1]] for h in st.hist]
        neurons.append(row)
    params = sum(p.numel() for p in model.parameters())
    out = {
        "params": params,
        "spike_scale": scale,
        "frames": dict(counter.frames),
        "full_mode_frames": counter.full_frames,
        "uncounted_segments": counter.uncounted_segments,
        "template_calls_per_frame": (tmpl_calls / track_frames) if track_frames else None,
        "update_interval": interval,
        "branches": branches,
        "layers": layers,
        "neurons": neurons,
        "energy": energy,
    }
    return out


def profile_path(results: str | Path, tracker: str, dataset: str) -> Path:
    """``<results>/<tracker>/<dataset>/profile.json`` (the results store's run folder)."""
    try:
        from bench.results import ResultsStore

        return ResultsStore(results).run(tracker, dataset).path / "profile.json"
    except (ImportError, AttributeError, TypeError):
        return Path(results) / tracker / dataset / "profile.json"


def write_profile(doc: dict, results: str | Path) -> Path:
    from bench.core.io import atomic_write_json

    from bench.efficiency.headline import headline

    path = profile_path(results, doc["tracker"], doc["dataset"])
    doc["headline"] = headline(doc, str(path))   # the one figure reports quote, chosen here once
    if isinstance(doc.get("metrics"), dict):
        # the template rate may have changed since profile_tracker (amortise_over_run): per-frame metrics
        # follow it; those that need the model keep their value
        doc["metrics"] = compute_metrics(doc, keep=doc["metrics"])
    atomic_write_json(path, doc)
    return path


def _convention_lines(doc: dict) -> list[str]:
    """The counts papers all call "FLOPs", side by side and named, per frame kind (G = 1e9)."""
    rows = [("exact MACs (every conv/matmul/attention MAC executed)", doc.get("exact") or {}, "gmacs"),
            ("thop 0.0.31 MACs (Linear/Conv/BN module hooks)", doc.get("thop") or {}, "gmacs"),
            (f"fvcore {(doc.get('fvcore') or {}).get('version') or ''} total (jit trace, 1 per MAC + norms)",
             doc.get("fvcore") or {}, "gtotal")]
    kinds = [k for k in ("init", "track", "paper_inputs") if any(k in r[1] for r in rows)]
    if not kinds:
        return []
    out = [f"  {'FLOPs conventions (G per call)':<64}" + "  ".join(f"{k:>13}" for k in kinds)]
    for label, table, key in rows:
        if not table:
            continue
        cells = []
        for k in kinds:
            v = table.get(k)
            cells.append(f"{'-' if v is None else ('error' if 'error' in v else format(v[key], '.4f')):>13}")
        out.append(f"    {label[:62]:<62}" + "  ".join(cells))
        for k in kinds:
            if isinstance(table.get(k), dict) and "error" in table[k]:
                out.append(f"      {k}: {table[k]['error']}")
    return out


def format_profile(doc: dict, top: int = 15) -> str:
    """Human-readable summary: branches, the heaviest layers, energy, latency."""
    lines = [f"tracker {doc['tracker']} on {doc['dataset']} "
             f"({sum(s['frames'] for s in doc.get('sequences', []))} frames)"]
    if "branches" in doc:
        lines.append(f"params {doc['params']:,}  spike scale D={doc['spike_scale']}  "
                     f"frames {doc['frames']}  full-mode frames {doc['full_mode_frames']}")
        for b, v in doc["branches"].items():
            mc = f"  mean count {v['mean_count']:.3f}" if v["mean_count"] is not None else ""
            lines.append(f"  {b:<9} GMACs/call {v['gmacs']:9.4f}  GSOPs/call {v['gsops']:9.4f}{mc}  "
                         f"({v['calls']} calls)")
            for comp, cv in v["components"].items():
                lines.append(f"      {comp or '(root)':<22} GMACs {cv['gmacs']:9.4f}")
        lines += _convention_lines(doc)
        rows = sorted(doc["layers"], key=lambda r: -r["macs"])[:top]
        lines.append(f"  {'layer':<48} {'op':<12} {'branch':<9} {'MMACs':>9} {'MSOPs':>9} {'count':>6}")
        for r in rows:
            cnt = f"{r['mean_count']:.3f}" if r["mean_count"] is not None else "-"
            lines.append(f"  {r['path'][-48:]:<48} {r['op'][:12]:<12} {str(r['branch']):<9} "
                         f"{r['macs'] / 1e6:9.2f} {r['sops'] / 1e6:9.2f} {cnt:>6}")
        e = doc["energy"]["variants"]["exact"]
        lines.append(f"  energy ({doc['energy']['constants']['name']}, {e['convention']}):")
        for b, mj in e["per_branch_mJ"].items():
            lines.append(f"      {b:<9} {mj:.4f} mJ per call")
        for k in ("per_frame_amortised_measured_mJ", "per_frame_amortised_nominal_mJ"):
            if k in e:
                lines.append(f"      {k}: {e[k]:.4f}")
    lines += format_lines(doc)
    lines += metric_lines(doc)
    lat = doc.get("latency")
    if lat:
        a = lat["all_frames"]
        parts = [f"{k} {v['mean_s'] * 1e3:.1f} ms (p90 {v['p90_s'] * 1e3:.1f}, FPS {v['fps']:.1f})"
                 for k, v in a.items() if v.get("n")]
        lines.append("  latency: " + "; ".join(parts))
        env = lat["environment"]
        lines.append(f"  measured on {env['device']} ({env['cpu']}), {env['torch_threads']} threads, "
                     f"torch {env['torch']}, warm-up {lat['warmup_frames']} frames")
    return "\n".join(lines)


__all__ = ["SCHEMA", "profile_tracker", "write_profile", "profile_path", "format_profile"]

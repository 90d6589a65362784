"""``profile.json`` (``bench profile``) read into :class:`reports.model.EfficiencyProfile`.

The energy figure quoted is the document's ``"headline"`` block, chosen once by the efficiency side
(:func:`bench.efficiency.headline.headline`, written by ``write_profile``); :func:`profile_headline` is
also the reader of files written before that block existed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.core.errors import DataError
from bench.core.io import json_number, read_json
from reports.model import NEUROBENCH, EfficiencyProfile

PROFILE_FILE = "profile.json"


def profile_headline(d: dict, path: Path) -> dict[str, Any]:
    """The document's ``"headline"`` block; for FILES WRITTEN BEFORE THE BLOCK EXISTED, the block the
    efficiency side would have written (:func:`bench.efficiency.headline.headline`, the same rule)."""
    block = d.get("headline")
    if isinstance(block, dict):
        return block
    from bench.efficiency.headline import headline

    return headline(d, str(path))


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
    params = json_number(_first(d, "params", "params_total", "parameters", "model.params"), path, "params")
    gmacs = json_number(_first(d, "gmacs", "macs_g", "per_frame.gmacs", "macs.per_frame_g"), path, "gmacs")
    if gmacs is None:
        macs = json_number(_first(d, "macs", "per_frame.macs"), path, "macs")
        gmacs = None if macs is None else (macs / 1e9 if macs > 1e5 else macs)
    gsops = json_number(_first(d, "gsops", "sops_g", "per_frame.gsops"), path, "gsops")
    if gsops is None:
        sops = json_number(_first(d, "sops", "per_frame.sops"), path, "sops")
        gsops = None if sops is None else (sops / 1e9 if sops > 1e5 else sops)
    energy = json_number(_first(d, "energy_mj", "energy.total_mj", "energy.mj_per_frame", "per_frame.energy_mj"),
                  path, "energy_mj")
    fps = json_number(_first(d, "fps", "speed.fps", "latency.fps"), path, "fps")
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


def _from_bench_profile(d: dict, path: Path, tracker: str) -> EfficiencyProfile:
    """``bench profile``'s schema (bench.efficiency.profile/1).

    Per tracked frame: the search branch every frame, plus the template branch weighted by the headline
    block's ``template_rate`` (the weight its energy figure uses), so GMACs, GSOPs and energy describe the
    same frames.
    """
    branches = d.get("branches") or {}
    head = profile_headline(d, path)
    by_model = {str(k): json_number(v, path, f"headline.by_model.{k}") for k, v in (head.get("by_model") or {}).items()}
    template_share = float(head.get("template_rate") or 0.0)
    share = {b: (1.0 if b != "template" else template_share) for b in branches}

    def per_frame(key: str) -> float | None:
        vals = [(json_number(v.get(key), path, f"branches.{b}.{key}"), share[b]) for b, v in branches.items()]
        vals = [(x, w) for x, w in vals if x is not None]
        return sum(x * w for x, w in vals) / 1e9 if vals else None

    lat = d.get("latency") or {}
    env = lat.get("environment") or {}
    fps = json_number(((lat.get("all_frames") or {}).get("end_to_end") or {}).get("fps"), path, "latency fps")
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
    model = {"variant": head.get("variant", ""), "figure": head.get("figure"),
             "convention": head.get("convention", ""), "E_MAC_pJ": e_mac, "E_AC_pJ": e_ac,
             "constants": consts.get("source", consts.get("name", "")), "template": head.get("template_rule", ""),
             "model": head.get("model"), "breakdown_model": consts.get("name", "fp32")}
    if head.get("source"):
        model["source"] = head["source"]
    random = d.get("random_weights")
    nb = d.get("neurobench") if isinstance(d.get("neurobench"), dict) else {}
    return EfficiencyProfile(
        tracker=str(d.get("tracker") or tracker), params=json_number(d.get("params"), path, "params"),
        gmacs=per_frame("macs"), gsops=per_frame("sops"),
        energy_mj=json_number(head.get("energy_mJ"), path, "headline.energy_mJ"), fps=fps, device=device,
        spiking=None if d.get("spiking") is None else bool(d.get("spiking")), firing_rates=rates,
        energy_breakdown=breakdown, energy_model=model if branches else {}, source=str(path),
        energy_by_model=by_model, random_weights=None if random is None else bool(random),
        neurobench={k: json_number(nb.get(k), path, f"neurobench.{k}") for k in NEUROBENCH_KEYS if k in nb},
        rate_unit=str((d.get("rate_convention") or {}).get("mean_count", EfficiencyProfile.rate_unit)),
        metrics=_metrics(d.get("metrics"), path))


def _metrics(block: Any, path: Path) -> dict[str, dict[str, Any]]:
    """``profile.json["metrics"]`` (bench.efficiency.metrics.base.compute_metrics), checked, per metric
    name; read generically: no code here knows any one metric."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise DataError(f"{path}: metrics must map metric names to {{value, unit, label, ...}}")
    out = {}
    for name, m in block.items():
        if not isinstance(m, dict):
            raise DataError(f"{path}: metrics.{name} must be an object with value, unit and label")
        out[str(name)] = {"value": json_number(m.get("value"), path, f"metrics.{name}.value"),
                          "unit": str(m.get("unit") or ""), "label": str(m.get("label") or name),
                          "description": str(m.get("description") or ""),
                          # unknown: treated as weight-dependent (not shown for random weights)
                          "weight_dependent": bool(m.get("weight_dependent", True)),
                          "higher_is_better": m.get("higher_is_better"), "reason": m.get("reason")}
    return out


#: NeuroBench's metrics a report reads from ``profile.json`` (bench.efficiency.neurobench), leaderboard order
NEUROBENCH_KEYS = tuple(NEUROBENCH)


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

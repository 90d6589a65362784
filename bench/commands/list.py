"""``bench list trackers|models|datasets|protocols|metrics``: what exists, from the registries, and where each comes
from (``built-in``, an installed plugin package and its entry point). A plugin that fails to import is
named in one warning line; the rest are listed."""
from __future__ import annotations

import argparse

from bench.commands._common import add_json_option, write_json


def register(sub) -> None:
    p = sub.add_parser("list", help="list trackers, models, datasets, protocols or efficiency metrics")
    p.add_argument("what", choices=["trackers", "models", "datasets", "protocols", "metrics"],
                   help="metrics: the efficiency metrics `bench profile` computes")
    add_json_option(p)
    p.set_defaults(func=main)


def _registry(what: str):
    if what in ("trackers", "models"):
        import trackers

        return trackers.TRACKERS if what == "trackers" else trackers.MODELS
    if what == "datasets":
        import datasets

        return datasets.DATASETS
    if what == "metrics":
        from bench.efficiency.metrics import EFFICIENCY_METRICS

        return EFFICIENCY_METRICS
    from bench.metrics import PROTOCOLS

    return PROTOCOLS


def _benchmark_facts(what: str) -> dict[str, dict]:
    """Per registry name, the facts ``bench list`` shows from the benchmark records: for a dataset its
    display name, default protocol, toolkit mode, attribute family and server submission; for a protocol
    the benchmarks it is the default of."""
    if what not in ("datasets", "protocols"):
        return {}
    import datasets

    records = datasets.benchmarks()
    if what == "datasets":
        return {b.name: {"display_name": b.display_name, "default_protocol": b.default_protocol,
                         "dataset_mode": b.toolkit_mode, "attribute_family": b.attribute_family,
                         "attributes": len(b.attributes), "submission": b.submission, "aliases": list(b.aliases),
                         "results": b.results} for b in records}
    out: dict[str, dict] = {}
    for b in records:
        out.setdefault(b.default_protocol, {"default_for": []})["default_for"].append(b.name)
    return out


def _tags(what: str, meta: dict, facts: dict) -> list[str]:
    tags = []
    if "family" in meta:
        tags.append(meta["family"])
    if meta.get("spiking"):
        tags.append("spiking")
    if what == "datasets" and facts:
        tags.append(f"{facts['display_name']}, default protocol {facts['default_protocol']}")
        if facts["submission"]:
            tags.append("server submission")
    if what == "metrics":
        tags.append(meta.get("unit") or "ratio")
        if meta.get("weight_dependent"):
            tags.append("weight-dependent")
    if what == "protocols" and facts.get("default_for"):
        tags.append("default for " + ", ".join(facts["default_for"]))
    return tags


def main(args: argparse.Namespace) -> int:
    reg = _registry(args.what)
    facts = _benchmark_facts(args.what)
    rows = []
    for e in reg.entries():
        tags = _tags(args.what, e.meta, facts.get(e.name, {}))
        # "plugin dist 1.0 (module:factory)": the distribution in its column, the entry point at the end
        origin, _, where = e.origin.partition(" (")
        rows.append((e.name, origin, ", ".join(tags), e.description, where.rstrip(")")))
    w = max((len(r[0]) for r in rows), default=4)
    ws = max((len(r[1]) for r in rows), default=8)
    for name, origin, tags, desc, where in rows:
        print(f"{name:<{w}}  {origin:<{ws}}  {desc}" + (f"  [{tags}]" if tags else "")
              + (f"  <- {where}" if where else ""))
    write_json(args.json, {"command": "list", "what": args.what,
                           "items": [{"name": e.name, "description": e.description,
                                      **{k: v for k, v in e.meta.items() if k not in ("description", "benchmark")},
                                      **facts.get(e.name, {}), "origin": e.origin}
                                     for e in reg.entries()],
                           "failed_plugins": reg.failed_plugins()})
    return 0

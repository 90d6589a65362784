"""``bench list trackers|models|datasets|protocols``: what exists, from the registries, and where each comes
from (``built-in``, an installed plugin package and its entry point). A plugin that fails to import is
named in one warning line; the rest are listed."""
from __future__ import annotations

import argparse

from bench.commands._common import add_json_option, write_json


def register(sub) -> None:
    p = sub.add_parser("list", help="list trackers, models, datasets or protocols")
    p.add_argument("what", choices=["trackers", "models", "datasets", "protocols"])
    add_json_option(p)
    p.set_defaults(func=main)


def _registry(what: str):
    if what in ("trackers", "models"):
        import trackers

        return trackers.TRACKERS if what == "trackers" else trackers.MODELS
    if what == "datasets":
        import datasets

        return datasets.DATASETS
    from bench.metrics import PROTOCOLS

    return PROTOCOLS


def main(args: argparse.Namespace) -> int:
    reg = _registry(args.what)
    rows = []
    for e in reg.entries():
        tags = []
        if "family" in e.meta:
            tags.append(e.meta["family"])
        if e.meta.get("spiking"):
            tags.append("spiking")
        if "default_for" in e.meta and e.meta["default_for"]:
            tags.append("default for " + ", ".join(e.meta["default_for"]))
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
                                      **{k: v for k, v in e.meta.items() if k != "description"},
                                      "origin": e.origin}
                                     for e in reg.entries()],
                           "failed_plugins": reg.failed_plugins()})
    return 0

"""``bench report``: workbook, plots and paper tables from stored results (never re-runs a tracker)."""
from __future__ import annotations

import argparse
import sys

from pathlib import Path

from bench.commands._common import (add_json_option, add_old_spelling, add_results_option, check_json_output,
                                    check_outputs, results_path, write_json)
from bench.core.errors import ConfigError, ResultsError


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="Excel workbook, plots and leaderboard tables from stored results",
        description="Score stored results (this suite's store or other toolkits' <Tracker>/<seq>.txt folders) "
                    "and write report.xlsx, leaderboard.md/.tex and figures/ under --out.")
    add_results_option(p, "results folder: this suite's store or any toolkit's folder of <seq>.txt files")
    p.add_argument("--out", default="report", help="output folder (default: ./report)")
    p.add_argument("--dataset", "-d", dest="datasets", nargs="+", metavar="NAME",
                   help="only these datasets (default: all found)")
    add_old_spelling(p, "--datasets", "--dataset", "datasets", nargs="+", metavar="NAME")
    p.add_argument("--annotations", nargs="+", default=[], metavar="DATASET=DIR",
                   help="ground truth from an evaluation toolkit's annotation folder, e.g. otb100=../shared/data/otb")
    p.add_argument("--root", nargs="+", default=[], metavar="DATASET=DIR", help="dataset root folders")
    p.add_argument("--protocol", nargs="+", default=[], metavar="[DATASET=]PROTOCOL",
                   help="score with this protocol instead of each benchmark's official one")
    p.add_argument("--published", nargs="?", const="default", metavar="FILE",
                   help="add published results from FILE (CSV/JSON; without FILE: the shipped "
                        "reports/data/published.csv), shown apart and marked as published")
    p.add_argument("--formats", default="png,pdf", help="figure formats, comma separated (default: png,pdf; "
                                                        "'none' for no figures)")
    p.add_argument("--no-attributes", action="store_true", help="skip per-attribute scores")
    add_json_option(p)
    p.set_defaults(func=main)


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for it in items:
        if "=" not in it:
            raise ConfigError(f"--{what} {it!r}: expected DATASET=VALUE")
        k, v = it.split("=", 1)
        if not k or not v:
            raise ConfigError(f"--{what} {it!r}: expected DATASET=VALUE")
        out[k] = v
    return out


def main(args: argparse.Namespace) -> int:
    from bench.table import format_table
    from reports.build import write_report
    from bench.evaluation import tracker_meta
    from reports.collect import collect
    from reports.model import benchmark_label, metric_label
    from reports.published import DEFAULT_FILE, load_published, relevant_published

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {args.out}: is a file; the report is a folder (workbook, tables, figures)")
    check_outputs({"--out": args.out}, {"--results": results_path(args),
                                       **{f"--annotations {k}": v for k, v in _pairs(args.annotations,
                                                                                    "annotations").items()},
                                       **{f"--root {k}": v for k, v in _pairs(args.root, "root").items()}})
    check_json_output(args.json, results_path(args))
    protocols = {}
    for it in args.protocol:
        k, v = it.split("=", 1) if "=" in it else ("*", it)
        protocols[k] = v
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip() and f.strip().lower() != "none"]
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad:
        raise ConfigError(f"--formats: unknown format {bad[0]!r}; use png, pdf or svg")
    data = collect(results_path(args), datasets=args.datasets, annotations=_pairs(args.annotations, "annotations"),
                   roots=_pairs(args.root, "root"), protocols=protocols, attributes=not args.no_attributes,
                   progress=sys.stderr.isatty())
    refused = [n for n in data.notes if ": not scored: " in n]
    if refused and not data.results:  # a report of nothing but refusals would only hide them
        raise ResultsError(f"nothing could be scored ({len(refused)} run(s) refused); first: {refused[0]}")
    if args.published:
        pub = load_published(DEFAULT_FILE if args.published == "default" else args.published)
        data.published = relevant_published(pub, data.benchmarks())
        for p in data.published:
            if p.spiking is None and p.tracker not in data.spiking:
                meta = tracker_meta(p.tracker)
                if meta:
                    data.spiking[p.tracker] = bool(meta.get("spiking", False))
    result = write_report(data, args.out, formats=formats)

    for b in data.benchmarks():
        rs = data.results_for(b)
        keys = data.metrics_for(b)
        rows = sorted(([r.tracker, r.n_sequences, *[100 * r.metrics[k] if k in r.metrics else None for k in keys]]
                       for r in rs), key=lambda row: -(row[2] or 0))
        print(f"{benchmark_label(b)} ({data.protocol_for(b)})")
        print(format_table(["tracker", "seqs", *[metric_label(k) for k in keys]], rows))
        print()
    for n in data.notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"wrote {len(result['files'])} files under {args.out}")
    write_json(args.json, {"command": "report", **result})
    return 0

"""``bench evaluate``: score raw-results folders (this suite's or any toolkit's) under a named protocol."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bench.commands._common import (add_json_option, add_results_option, check_json_output, non_negative_int,
                                    results_path, write_json)
from bench.core.errors import ConfigError

if TYPE_CHECKING:
    from bench.evaluation import EvaluationReport


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score raw-results folders against a dataset's ground truth",
                       description="Score raw results (<results>/<tracker>/<dataset>/<seq>.txt, a toolkit folder of "
                                   "<seq>.txt files, or a folder of tracker folders) under a protocol named in "
                                   "every output. See `bench list protocols` and docs/protocols.md.")
    add_results_option(p, "results folder: this suite's store or any toolkit's folder of <seq>.txt files")
    p.add_argument("--dataset", "-d", required=True, help="dataset name (see `bench list datasets`)")
    p.add_argument("--protocol", "-p", help="protocol, comma-separated protocols, or 'all' (every OPE protocol); "
                                          "default: the one the benchmark's authors use")
    p.add_argument("--annotations", help="official evaluation-toolkit annotation folder (ground truth without "
                                         "frames), e.g. the LaSOT/TNL2K toolkit or OTB anno folder")
    p.add_argument("--root", help="dataset root folder (else BENCH_<NAME>_ROOT or bench.toml)")
    p.add_argument("--split", help="dataset split")
    p.add_argument("--tracker", "-t", action="append", help="only these trackers (repeatable)")
    p.add_argument("--attributes", action="store_true",
                   help="also score each attribute subset (benchmarks with attribute tables: `bench list datasets`)")
    p.add_argument("--bootstrap", type=non_negative_int, default=0, metavar="N",
                   help="bootstrap confidence intervals over sequences with N resamples (e.g. 1000)")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="paired bootstrap comparison of trackers A and B on the same sequences")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed of the bootstrap (default 0)")
    p.add_argument("--per-sequence", action="store_true", help="include per-sequence figures in the JSON")
    add_json_option(p)
    p.set_defaults(func=main)


def _pct(v: Any) -> Any:
    return None if v is None else float(v) * 100.0


def _protocols(value: str | None) -> list[str | None]:
    """``--protocol``: one name, a comma-separated list, or ``all`` (every OPE protocol)."""
    if not value:
        return [None]
    from bench.metrics import PROTOCOLS

    if value.strip().lower() == "all":
        return [e.name for e in PROTOCOLS.entries() if e.meta.get("kind") == "ope"]
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ConfigError(f"--protocol {value!r}: names no protocol (see `bench list protocols`)")
    # unknown names fail here, listing the known ones; a name given twice is scored once
    return list(dict.fromkeys(PROTOCOLS.get(n).name for n in names))


def main(args: argparse.Namespace) -> int:
    from bench.evaluation import EvaluationRequest, evaluate

    protocols = _protocols(args.protocol)
    check_json_output(args.json, results_path(args), annotations=args.annotations, root=args.root)
    trackers = args.tracker
    if args.compare and trackers:
        trackers = list(dict.fromkeys(trackers + list(args.compare)))
    reports = evaluate(EvaluationRequest(
        results_path(args), args.dataset, tuple(protocols), trackers=tuple(trackers) if trackers else None,
        annotations=args.annotations, root=args.root, split=args.split, attributes=args.attributes,
        bootstrap=args.bootstrap, seed=args.seed))
    outputs, failed = [], False
    for i, report in enumerate(reports):
        if i:
            print()
        outputs.append((report, _show(report, args)))
        for name, message in report.failures.items():  # the others were scored; these say why not
            print(f"bench: error: tracker {name} not scored: {message}", file=sys.stderr)
            failed = True
    if args.json:
        if len(outputs) == 1:
            obj = outputs[0][0].to_dict(per_sequence=args.per_sequence, comparison=outputs[0][1])
        else:
            obj = to_json_many(outputs, per_sequence=args.per_sequence)
        if failed:
            obj["failures"] = {report.protocol: report.failures for report, _ in outputs if report.failures}
        write_json(args.json, obj)
    return 1 if failed else 0


def _show(report: "EvaluationReport", args: argparse.Namespace) -> dict | None:
    """Print one protocol's tables; returns the paired comparison (``--compare``) if asked for."""
    from bench.metrics.bootstrap import paired_comparison
    from bench.core.registry import normalise_name
    from bench.table import format_table

    evals = report.scores
    keys = list(evals[0].result.metrics)
    print(f"protocol {report.protocol} | dataset {report.dataset} (mode {report.dataset_mode}) | "
          f"{report.settings['n_sequences']} sequences | figures in %")
    rows = [[ev.tracker, *[_pct(ev.result.metrics.get(k)) for k in keys]] for ev in evals]
    print(format_table(["tracker", *keys], rows, digits=2))
    for ev in evals:
        for note in ev.result.notes:
            print(f"note ({ev.tracker}): {note}")

    if args.bootstrap:
        print(f"\n95% bootstrap intervals over sequences ({args.bootstrap} resamples, seed {args.seed}):")
        brow = [[ev.tracker, *[f"{_pct(ci['estimate']):.2f} [{_pct(ci['low']):.2f}, {_pct(ci['high']):.2f}]"
                               for ci in ev.bootstrap.values()]] for ev in evals]
        print(format_table(["tracker", *evals[0].bootstrap.keys()], brow))

    if args.attributes:
        main_key = evals[0].main_metric
        abbrevs = list(dict.fromkeys(a for ev in evals for a in ev.attributes))
        print(f"\n{main_key} by attribute (number of sequences in the header):")
        head = ["tracker", *[f"{a}({evals[0].attributes[a]['n_sequences']})" if a in evals[0].attributes else a
                             for a in abbrevs]]
        arows = [[ev.tracker, *[_pct(ev.attributes[a]["metrics"].get(main_key)) if a in ev.attributes else None
                                for a in abbrevs]] for ev in evals]
        print(format_table(head, arows, digits=1))

    if not args.compare:
        return None
    by_name = {normalise_name(ev.tracker): ev for ev in evals}
    a, b = (by_name.get(normalise_name(n)) for n in args.compare)
    missing = [n for n, ev in zip(args.compare, (a, b)) if ev is None]
    if missing:
        raise ConfigError(f"--compare: no results of {', '.join(missing)} under {results_path(args)}; "
                          f"found: {', '.join(ev.tracker for ev in evals)}")
    # the protocol's main metric where it has per-sequence values, else the first such of AUC, AO, EAO, A
    main_key = next((k for k in (a.main_metric, "auc", "ao", "eao", "accuracy") if k in a.result.seq_values),
                    None)
    if main_key is None:
        raise ConfigError(f"--compare: protocol {report.protocol} has no per-sequence score to compare")
    n = args.bootstrap or 1000
    comparison = paired_comparison(a.result, b.result, key=main_key, n=n, seed=args.seed)
    comparison.update({"a": a.tracker, "b": b.tracker})
    verdict = "significant" if comparison["significant"] else "not significant"
    print(f"\n{a.tracker} - {b.tracker}: {main_key} {_pct(comparison['difference']):+.2f} points, 95% CI "
          f"[{_pct(comparison['low']):+.2f}, {_pct(comparison['high']):+.2f}], p = {comparison['p_value']:.3f} "
          f"({verdict}; paired bootstrap over {comparison['n_sequences']} sequences, {n} resamples); "
          f"per-sequence wins {comparison['a_wins']}:{comparison['b_wins']}")
    return comparison


def to_json_many(outputs: list, per_sequence: bool = False) -> dict:
    """Several protocols: ``trackers[tracker][dataset][protocol]`` = that protocol's figures."""
    first = outputs[0][0]
    trackers: dict[str, Any] = {}
    comparisons = {}
    for report, comparison in outputs:
        for sc in report.scores:
            trackers.setdefault(sc.tracker, {}).setdefault(report.dataset, {})[report.protocol] = \
                sc.to_dict(per_sequence)
        if comparison is not None:
            comparisons[report.protocol] = comparison
    out = {"command": "evaluate", "protocols": [r.protocol for r, _ in outputs], "dataset": first.dataset,
           "dataset_mode": first.dataset_mode, "units": "fractions in [0, 1]", "settings": first.settings,
           "trackers": trackers}
    if comparisons:
        out["comparisons"] = comparisons
    return out

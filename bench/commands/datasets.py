"""``bench datasets check NAME`` validates a dataset root; ``bench datasets info NAME`` describes one."""
from __future__ import annotations

import argparse
import sys

from bench.commands._common import add_json_option, add_old_spelling, check_json_output, write_json
from bench.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("datasets", help="check or describe a dataset on disk")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, helptext in (("check", "validate a dataset root: report every problem with file and line"),
                             ("info", "describe a dataset: splits, protocol, where its root is, its size")):
        q = dsub.add_parser(action, help=helptext)
        q.add_argument("name", nargs="?", help="dataset name (see `bench list datasets`); or --dataset NAME")
        q.add_argument("--dataset", "-d", dest="dataset_flag", metavar="NAME",
                       help="dataset name, as in every other command")
        q.add_argument("--root", help="dataset root folder (else BENCH_<NAME>_ROOT or bench.toml)")
        q.add_argument("--split", help="dataset split")
        q.add_argument("--annotations", metavar="DIR",
                       help="evaluation-toolkit annotation folder (ground truth without frames)")
        if action == "check":
            q.add_argument("--decode", action="store_true",
                           help="decode every frame (slow); by default frames are checked for presence and "
                                "complete JPEG/PNG markers")
            q.add_argument("--sequences", nargs="+", metavar="SEQ", help="check only these sequences")
            add_old_spelling(q, "--sequence", "--sequences", "sequences", extend=True, metavar="SEQ")
        add_json_option(q)
        q.set_defaults(func=check if action == "check" else info)


def _name(args: argparse.Namespace) -> str:
    """The dataset, named as the positional NAME or as ``--dataset`` (the flag every other command takes)."""
    if args.name and args.dataset_flag and args.name != args.dataset_flag:
        raise ConfigError(f"two datasets named: {args.name} and --dataset {args.dataset_flag}; give one")
    if not (args.name or args.dataset_flag):
        raise ConfigError(f"name the dataset: bench datasets {args.action} NAME (or --dataset NAME)")
    return args.name or args.dataset_flag


def _open(args: argparse.Namespace):
    import datasets

    args.name = _name(args)
    return datasets.create_dataset(args.name, root=args.root, split=args.split, annotations=args.annotations)


def check(args: argparse.Namespace) -> int:
    from datasets.check import check_dataset

    ds = _open(args)
    root = getattr(ds, "root", None) or args.root
    check_json_output(args.json, None, root=str(root) if root else None, annotations=args.annotations)
    names = [ds.resolve_name(s) for s in args.sequences] if args.sequences else None
    try:
        from tqdm import tqdm

        bar = tqdm(total=len(names) if names else len(ds), unit="seq", disable=not sys.stderr.isatty())
    except Exception:  # noqa: BLE001 -- progress is optional
        bar = None

    def on_sequence(name: str, problems: list[str]) -> None:
        for p in problems:
            (bar.write if bar else print)(p)
        if bar:
            bar.update(1)

    report = check_dataset(ds, decode=args.decode, names=names, on_sequence=on_sequence)
    if bar:
        bar.close()
    if not report.sequences and report.problems:  # the sequence list itself failed
        for p in report.problems:
            print(p)
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{ds.name}: {report.sequences} sequences, {report.frames} frames checked: {verdict}")
    write_json(args.json, {"command": "datasets check", "dataset": ds.name, "sequences": report.sequences,
                           "frames": report.frames, "problems": report.problems})
    return 0 if report.ok else 1


def info(args: argparse.Namespace) -> int:
    import datasets
    from bench.core.config import dataset_root, env_var_for
    from bench.core.errors import BenchError

    args.name = _name(args)
    entry = datasets.DATASETS.get(args.name)
    record = datasets.benchmark_info(entry.name)
    root = dataset_root(entry.name, args.root)
    check_json_output(args.json, None, root=str(root) if root else None, annotations=args.annotations)
    out = {"name": entry.name, "display_name": record.display_name, "description": entry.description,
           "splits": entry.meta.get("splits", []), "default_protocol": record.default_protocol,
           "dataset_mode": record.toolkit_mode, "attributes": [code for code, _ in record.attributes],
           "submission": record.submission, "aliases": list(record.aliases),
           "env_var": env_var_for(entry.name), "root": str(root) if root else None}
    if root is not None or args.annotations or not entry.meta.get("needs_root", True):
        try:
            ds = _open(args)
            out["default_protocol"] = ds.default_protocol
            out["dataset_mode"] = ds.dataset_mode
            out["sequences"] = len(ds)
        except BenchError as e:
            out["error"] = str(e)
    for k, v in out.items():
        print(f"{k:17} {', '.join(map(str, v)) if isinstance(v, list) else ('-' if v is None else v)}")
    write_json(args.json, {"command": "datasets info", **out})
    return 0 if "error" not in out else 1

"""Options shared by several subcommands, so they are spelled the same everywhere."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bench.errors import ResultsError


def add_tracker_options(p: argparse.ArgumentParser, required: bool = True, threads: bool = True) -> None:
    p.add_argument("--tracker", "-t", required=required, help="tracker name (see `bench list trackers`)")
    p.add_argument("--checkpoint", help="weights file (.pth/.pth.tar); without it, model trackers use random weights")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="allow full unpickling of the checkpoint (only for files you trust)")
    p.add_argument("--device", default=os.environ.get("BENCH_DEVICE", "cpu"), help="torch device (default: cpu)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16", "float64"],
                   help="model precision; float64 is the bit-exact verification mode")
    if threads:
        p.add_argument("--threads", type=int, metavar="N",
                       help="torch CPU threads (default: torch's own); 1 keeps timings steady on a busy machine")


def apply_threads(args: argparse.Namespace) -> None:
    """``--threads N``: set torch's CPU thread count for this process."""
    if getattr(args, "threads", None):
        if args.threads < 1:
            from bench.errors import ConfigError

            raise ConfigError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)


def add_dataset_options(p: argparse.ArgumentParser, default: str | None = "demo") -> None:
    p.add_argument("--dataset", "-d", default=default,
                   help=f"dataset name (see `bench list datasets`){' (default: ' + default + ', embedded)' if default else ''}")
    p.add_argument("--root", help="dataset root folder (else BENCH_<NAME>_ROOT or bench.toml)")
    p.add_argument("--split", help="dataset split, where the benchmark has several")


def add_results_option(p: argparse.ArgumentParser, help: str = "results store folder") -> None:
    p.add_argument("--results", "-r", help=f"{help} (default: $BENCH_RESULTS, bench.toml, or ./results)")


def results_path(args: argparse.Namespace) -> Path:
    """``--results``, else ``BENCH_RESULTS``, else the config file, else ``./results``."""
    from bench.config import results_dir

    return results_dir(args.results)


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="PATH", help="also write the figures as one JSON object to PATH ('-' = stdout)")


#: where ``--json -`` writes; the CLI sends everything else to stderr while a command runs with it
JSON_STDOUT = None


def write_json(path: str | None, obj: Any) -> None:
    """Write figures for scripts: ``-`` prints to stdout, anything else is written atomically."""
    if not path:
        return
    import json

    from bench.io import _json_default, atomic_write_json

    if path == "-":
        import sys

        print(json.dumps(obj, indent=1, default=_json_default), file=JSON_STDOUT or sys.stdout)
        return
    try:
        atomic_write_json(Path(path), obj)
    except OSError as e:
        raise ResultsError(f"{path}: cannot write JSON ({e.strerror or e})") from None

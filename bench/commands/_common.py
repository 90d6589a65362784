"""Options shared by several subcommands, so they are spelled the same everywhere."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bench.core.errors import ConfigError, ResultsError
from bench.core.paths import check_outputs, check_parent, resolved  # noqa: F401  (commands take them from here)


# --- numeric options: one check per meaning, the same in every command ------------------------------

def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (``--max-frames``, ``--threads``, ``--workers``)."""
    n = _whole_number(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0 (``--warmup``, ``--bootstrap``, ``--seed``)."""
    n = _whole_number(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (timeouts, energies)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (x > 0 and x != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return x


# --- one flag name per concept; old spellings kept hidden for one release -----------------------------

class _OldSpelling(argparse.Action):
    """A flag's previous spelling: stores into the new flag's ``dest``, says once on stderr what it is now."""

    def __init__(self, option_strings: list[str], dest: str, new: str = "", extend: bool = False,
                 **kwargs: Any) -> None:
        self.new, self.extend = new, extend
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if self.extend:   # a repeatable single-value spelling folded into the new list flag
            values = (getattr(namespace, self.dest, None) or []) + [values]
        setattr(namespace, self.dest, values)
        warned = getattr(namespace, "_old_spellings_warned", set())
        if option_string not in warned:
            warned.add(option_string)
            setattr(namespace, "_old_spellings_warned", warned)
            print(f"bench: warning: {option_string} is now {self.new}; the old spelling goes in the next release",
                  file=sys.stderr)


def add_old_spelling(p: argparse.ArgumentParser, old: str, new: str, dest: str, **kwargs: Any) -> None:
    """Accept ``old`` as a hidden alias of ``new`` (same ``dest``, same ``nargs``/``type``), for one release.

    ``extend=True`` for an old repeatable single-value flag (``--sequence A --sequence B``) whose new
    spelling takes a list (``--sequences A B``)."""
    p.add_argument(old, dest=dest, action=_OldSpelling, new=new, help=argparse.SUPPRESS, **kwargs)


# --- outputs never land on inputs (the checks: bench.core.paths) ------------------------------------

def check_json_output(path: str | None, results: str | os.PathLike | None, **inputs: str | None) -> None:
    """``--json PATH``: never one of the inputs, never a file the results store owns (a ``<seq>.txt``,
    ``run.json``, ...), though a summary beside the runs (``results/eval.json``) is fine."""
    if not path or path == "-":
        return
    check_outputs({"--json": path}, {f"--{k.replace('_', '-')}": v for k, v in inputs.items()})
    p = resolved(path)
    if Path(path).is_dir():
        raise ConfigError(f"--json {path}: is a folder; name a file")
    check_parent(p, "--json")
    if results and p.is_file():
        root, real = Path(os.path.realpath(results)), Path(os.path.realpath(p))
        in_run_folder = real.parent != root and (real.parent / "run.json").is_file()
        if root in real.parents and (real.suffix == ".txt" or in_run_folder):
            raise ConfigError(f"--json {path}: would overwrite a file of the results store; choose another path")


def add_tracker_options(p: argparse.ArgumentParser, required: bool = True, threads: bool = True) -> None:
    p.add_argument("--tracker", "-t", required=required, help="tracker name (see `bench list trackers`)")
    p.add_argument("--checkpoint", help="weights file (.pth/.pth.tar); without it, model trackers use random weights")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="allow full unpickling of the checkpoint (only for files you trust)")
    p.add_argument("--device", default=os.environ.get("BENCH_DEVICE", "cpu"), help="torch device (default: cpu)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16", "float64"],
                   help="model precision; float64 is the bit-exact verification mode")
    if threads:
        p.add_argument("--threads", type=positive_int, metavar="N",
                       help="torch CPU threads (default: torch's own); 1 keeps timings steady on a busy machine")


def apply_threads(args: argparse.Namespace) -> None:
    """``--threads N``: set torch's CPU thread count for this process."""
    if getattr(args, "threads", None):
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
    from bench.core.config import results_dir

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

    from bench.core.io import _json_default, atomic_write_json

    if path == "-":
        import sys

        print(json.dumps(obj, indent=1, default=_json_default), file=JSON_STDOUT or sys.stdout)
        return
    try:
        atomic_write_json(Path(path), obj)
    except OSError as e:
        raise ResultsError(f"{path}: cannot write JSON ({e.strerror or e})") from None

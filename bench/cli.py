"""The ``bench`` command: one CLI over registries of trackers, datasets and protocols.

Subcommands live in ``bench/commands/``, one module each with ``register(subparsers)``; they are found
automatically, so adding a command never means editing this file.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import pkgutil
import sys
import warnings
from typing import Sequence

from bench import __version__
from bench.errors import BenchError


def build_parser() -> argparse.ArgumentParser:
    import bench.commands as commands

    parser = argparse.ArgumentParser(
        prog="bench", description="Accuracy and efficiency evaluation of spiking and conventional visual "
                                  "object trackers.")
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (and show tracebacks)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"bench.commands.{mod.name}").register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"bench: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = _show_warning  # one readable line per warning, no source location
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if getattr(args, "json", None) == "-":  # stdout carries the JSON object alone; tables go to stderr
            from bench.commands import _common

            _common.JSON_STDOUT = sys.stdout
            with contextlib.redirect_stdout(sys.stderr):
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except BenchError as e:
        if args.verbose:
            raise
        print(f"bench: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("bench: interrupted; finished sequences are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

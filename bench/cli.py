"""The ``bench`` command: one CLI over registries of trackers, datasets and protocols.

Subcommands live in ``bench/commands/``, one module each with ``register(subparsers)``; they are found
automatically, so adding a command never means editing this file.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import warnings
from typing import Sequence

from bench import __version__
from bench.core.errors import BenchError
from bench.core.registry import package_modules


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors as the suite's one line (``bench: error: ...``), exit code 2.

    argparse prints the usage block before its message; a user who mistyped one flag needs only the
    message, and scripts parse the one-line form. ``bench COMMAND --help`` still shows the usage.
    """

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("argument ") and ": " in message:  # "argument --threads: must be ..."
            message = message[len("argument "):].replace(": ", " ", 1)
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


class UsageError(BenchError):
    """A command line argparse refused (unknown flag, missing value, a number out of range)."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``argv``, only the command it names is built (its module is all a run
    needs, and building every command costs more than ``bench evaluate`` spends reading its inputs)."""
    import bench.commands as commands

    parser = OneLineParser(
        prog="bench", description="Accuracy and efficiency evaluation of spiking and conventional visual "
                                  "object trackers.")
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (and show tracebacks)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    names = package_modules(commands.__path__)
    named = next((a for a in (argv or ()) if not a.startswith("-")), None)   # global options take no value
    for name in ([named] if named in names else names):
        importlib.import_module(f"bench.commands.{name}").register(sub)
    return parser


#: loggers of other libraries whose warnings say nothing to a user of the suite (shown with -v)
QUIET_LOGGERS = ("torch._library",)


#: what Ctrl-C leaves, said by default; a command whose outputs behave otherwise sets ``on_interrupt``
INTERRUPTED_RUN = "finished sequences are kept, rerun to resume"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"bench: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = _show_warning  # one readable line per warning, no source location
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return e.exit_code
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # libraries' own notes (torch's "Triton not available" on spikingjelly's import)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
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
        print(f"bench: interrupted; {getattr(args, 'on_interrupt', INTERRUPTED_RUN)}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `bench ... | head`: the reader has all it wanted
        sys.stdout = open(os.devnull, "w")
        return 141
    except OSError as e:  # the file system said no where no check of ours expected it: name the file
        if args.verbose:
            raise
        where = e.filename if e.filename is not None else "file system"
        print(f"bench: error: {where}: {e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug, or an input no check caught: still one line, the traceback behind -v
        if args.verbose:
            raise
        print(f"bench: error: unexpected {type(e).__name__}: {' '.join(str(e).split())[:300]} "
              f"(rerun with -v for the traceback, and please report it)", file=sys.stderr)
        return 1


def console_main() -> None:
    """The ``bench`` executable: :func:`main`, then an exit that neither a leftover thread nor a late
    Ctrl-C can turn into a crash.

    After Ctrl-C, a thread that a library started (a decoder, a progress monitor, torch's pool) may still
    be running; the interpreter's shutdown can then abort the process (SIGABRT, exit 134) instead of
    exiting 130. Results are already safe on disk (atomic files, the lock released by the kernel), so an
    interrupted command flushes its output and leaves at once.
    """
    code = main()
    # the command is done and its results are on disk: a Ctrl-C during the interpreter's shutdown (torch's
    # can take a while) must not turn a finished run into a death by SIGINT (CPython keeps SIG_IGN there)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == 130:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()

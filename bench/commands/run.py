"""``bench run``: a tracker over a dataset (the embedded demo by default), then a summary table."""
from __future__ import annotations

import argparse
import sys

from bench.commands._common import (add_dataset_options, add_json_option, add_results_option, add_tracker_options,
                                    check_json_output, positive_int, results_path, write_json)


def register(sub) -> None:
    p = sub.add_parser("run", help="run a tracker over a dataset and print its scores",
                       description="Run a tracker over a dataset, store raw results (resuming finished "
                                   "sequences), then print AUC, precision, normalized precision and FPS.")
    add_tracker_options(p)
    add_dataset_options(p)
    add_results_option(p, "results store folder")
    p.add_argument("--run-name", help="name of this run's folder in the store (default: the tracker name)")
    p.add_argument("--sequences", nargs="+", metavar="SEQ", help="only these sequences")
    p.add_argument("--max-frames", type=positive_int, help="track at most this many frames per sequence (smoke tests)")
    p.add_argument("--fast", action="store_true",
                   help="opt-in fast numerics where the tracker offers them (SpikeTrack: folded batch norms, "
                        "channels-last, bfloat16): boxes may differ from the official code's")
    p.add_argument("--protocol", help="accuracy protocol for the summary (default: the dataset's own)")
    p.add_argument("--overwrite", action="store_true",
                   help="redo this run's results; the old ones stay in place until the new ones are complete")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="where sequences run: this process, or a Dask cluster (pip install '.[dask]')")
    p.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    p.add_argument("--workers", type=positive_int, help="local Dask cluster size (with --executor dask, no --scheduler)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_option(p)
    p.set_defaults(func=main)


def make_executor(args: argparse.Namespace):
    if args.executor == "dask":
        from bench.executors.dask import DaskExecutor

        return DaskExecutor(scheduler=args.scheduler, workers=args.workers)
    return None


def main(args: argparse.Namespace) -> int:
    from bench.runner import RunSpec, run
    from bench.scoring import score_run
    from bench.table import format_table

    spec = RunSpec(tracker=args.tracker, dataset=args.dataset, results=str(results_path(args)),
                   run_name=args.run_name, root=args.root, split=args.split, checkpoint=args.checkpoint,
                   trust_checkpoint=args.trust_checkpoint, device=args.device, dtype=args.dtype,
                   max_frames=args.max_frames, threads=args.threads, fast=args.fast)
    import trackers
    from bench.core.errors import ConfigError, UnknownNameError
    from bench.metrics import PROTOCOLS

    # names and output paths fail fast, before the store is touched
    entry = trackers.TRACKERS.get(args.tracker)
    if args.fast and not entry.meta.get("fast_mode"):
        raise ConfigError(f"--fast: tracker {args.tracker!r} has no fast mode (trackers with one: "
                          f"{', '.join(trackers.list_trackers(fast_mode=True)) or 'none'})")
    if args.protocol is not None:
        try:
            PROTOCOLS.get(args.protocol.strip())
        except UnknownNameError as e:
            raise ConfigError(f"--protocol: {e}") from None
    check_json_output(args.json, spec.results, checkpoint=args.checkpoint)
    report = run(spec, sequences=args.sequences, progress=not args.no_progress and sys.stderr.isatty(),
                 overwrite=args.overwrite, executor=make_executor(args))
    dataset = spec.open_dataset()
    summary = score_run(report.folder, dataset, protocol=args.protocol, sequences=report.sequences,
                        max_frames=args.max_frames)
    m = summary["metrics"]
    pct = lambda k: 100 * m[k] if k in m else None  # noqa: E731
    print(f"{len(report.computed)} sequence(s) computed, {len(report.skipped)} already finished; "
          f"results in {report.folder.path}")
    print(format_table(
        ["tracker", "dataset", "seqs", "frames", "AUC %", "Prec %", "NPrec %", "FPS"],
        [[spec.name, spec.dataset, summary["sequences"], summary["frames"], pct("auc"), pct("precision"),
          pct("norm_precision"), summary["fps"]]]))
    print(f"protocol: {summary['protocol']}; FPS = tracked frames / tracker seconds (init frame and frame "
          f"decoding excluded), device {spec.device}, dtype {spec.dtype}")
    if spec.fast:
        print("fast mode (--fast): numerics differ from the official code's; a last-bit change can flip a spike, "
              "so boxes may differ from the official ones")
    write_json(args.json, {"command": "run", "protocol": summary["protocol"],
                           "settings": {**report.folder.manifest().get("config", {}), "results": spec.results},
                           "results": {spec.name: {spec.dataset: summary}}})
    return 0

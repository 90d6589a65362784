"""``bench submit``: pack a run's results as the GOT-10k or TrackingNet test-server zip."""
from __future__ import annotations

import argparse

from pathlib import Path

from bench.commands._common import add_results_option, check_outputs, results_path
from bench.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("submit", help="write the GOT-10k / TrackingNet server submission zip from results",
                       description="Pack results (<results>/<tracker>/<dataset>/<seq>.txt and <seq>_time.txt, or the "
                                   "GOT-10k <seq>/<seq>_001.txt layout) into the zip the evaluation server expects.")
    add_results_option(p, "results folder: this suite's store or any toolkit's folder of <seq>.txt files")
    p.add_argument("--dataset", "-d", required=True,
                   help="a benchmark whose test split a server scores (`bench list datasets` tags them "
                        "'server submission')")
    p.add_argument("--tracker", "-t", help="tracker (needed when the folder holds several)")
    p.add_argument("--out", "-o", required=True, help="zip file to write")
    p.add_argument("--root", help="dataset root: check names and frame counts against the test split")
    p.add_argument("--no-times", action="store_true", help="GOT-10k: allow missing <seq>_time.txt files")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from bench import submission
    from bench.evaluation import find_results

    if Path(args.out).is_dir():
        raise ConfigError(f"--out {args.out}: is a folder; name the zip file to write")
    if not args.out.lower().endswith(".zip"):
        raise ConfigError(f"--out {args.out}: the server takes a .zip file; name it <something>.zip")
    dataset, fmt = submission.submission_format(args.dataset)
    found = find_results(results_path(args), dataset, [args.tracker] if args.tracker else None)
    if len(found) > 1:
        raise ConfigError(f"{results_path(args)}: results of {len(found)} trackers ({', '.join(t.name for t in found)}); "
                          "choose one with --tracker")
    tracker = found[0]
    # the zip goes beside the results, never in their folder (it would pack or overwrite itself)
    check_outputs({"--out": args.out}, {"--results": tracker.folder, "--root": args.root})
    expected = counts = None
    if args.root:
        import datasets

        ds = datasets.create_dataset(dataset, root=args.root, split=fmt.test_split)
        expected = ds.names()
        counts = {n: len(ds.load(n).frames) for n in expected}
    options = {"require_times": not args.no_times} if fmt.times else {}
    out = fmt.write(tracker, args.out, expected, counts, **options)
    n_expected = fmt.test_sequences
    n = len(expected) if expected is not None else len(tracker.files)
    print(f"wrote {out} ({n} sequences of {tracker.name})")
    if expected is None and n != n_expected:
        print(f"warning: the {dataset} test split has {n_expected} sequences, these results have {n}")
    return 0

"""``bench vot setup|run|analyse``: evaluate a suite tracker with the real VOT toolkit, offline.

    bench vot setup   --tracker mil --stack vot2020 --workspace W --sequences ../shared/data/vot/bag
    bench vot setup   --tracker spiketrack_b256_t3 --checkpoint ck.pth --device cuda --stack vot2020 \\
                      --workspace W --dataset otb100 --root /data/OTB100     # converted to VOT layout
    bench vot run     --workspace W [--experiments baseline,unsupervised] [--toolkit-timeout 86400]
    bench vot analyse --workspace W [--results ./results]

``setup`` writes the workspace (no download); ``run`` is ``vot evaluate`` and ``analyse`` is
``vot analysis`` plus the suite's own scoring of the same result files, imported into the results store
as ``<results>/<tracker>/<dataset>/vot_analysis.json``. Needs ``pip install vot-toolkit==0.9.0
attributee==0.1.9`` for ``run``/``analyse``.

Each action checks all it is given first (names, numbers, paths, and every workspace file it reads), so a
bad argument or a broken workspace file is one line naming it and leaves the workspace as it was;
``setup`` never writes where its sources lie.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.commands._common import (add_json_option, add_old_spelling, add_results_option, add_tracker_options,
                                    check_outputs,
                                    positive_float, positive_int, results_path, write_json)
from bench.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("vot", help="evaluate with the real VOT toolkit (offline workspace, TraX)",
                       description="Build an offline vot-toolkit workspace for a suite tracker, run the "
                                   "toolkit's experiments over TraX, and import its analysis.")
    vsub = p.add_subparsers(dest="vot_command", metavar="ACTION")

    s = vsub.add_parser("setup", help="write an offline workspace (sequences, stack, trackers.ini)")
    add_tracker_options(s, threads=False)
    s.add_argument("--stack", default="vot2020", help="vot2020, vot2018 or a stack YAML file (default: vot2020)")
    s.add_argument("--workspace", "-w", required=True, help="workspace folder (created)")
    src = s.add_mutually_exclusive_group()
    src.add_argument("--vot-folder", metavar="FOLDER",
                     help="VOT-format sequence folder, or a folder of them (list.txt)")
    src.add_argument("--dataset", "-d", help="a suite dataset to convert to VOT layout (see `bench list datasets`)")
    s.add_argument("--root", help="dataset root folder (with --dataset)")
    s.add_argument("--split", help="dataset split (with --dataset)")
    s.add_argument("--sequences", nargs="+", metavar="SEQ", help="only these sequences")
    add_old_spelling(s, "--only", "--sequences", "sequences", nargs="+", metavar="SEQ")
    s.add_argument("--max-frames", type=positive_int, metavar="N",
                   help="cut sequences to this many frames (smoke tests)")
    s.add_argument("--anchor-stride", type=positive_int, default=50, metavar="N",
                   help="anchor spacing for sequences without anchor.value (default: 50 frames)")
    s.add_argument("--experiments", help="keep only these experiments of the stack (comma separated)")
    s.add_argument("--timeout", type=positive_int, default=300, metavar="S",
                   help="seconds the toolkit waits for one TraX reply, incl. model loading (default: 300)")
    s.add_argument("--label", help="dataset name for the imported analysis (default: --dataset or the stack)")
    s.set_defaults(func=setup_main)

    r = vsub.add_parser("run", help="vot evaluate: run the stack's experiments over TraX")
    r.add_argument("--workspace", "-w", required=True)
    r.add_argument("--tracker", "-t", help="suite tracker name (default: the one set up)")
    r.add_argument("--experiments", help="comma separated (default: every experiment of the stack)")
    r.add_argument("--force", action="store_true", help="rerun experiments that already have results")
    r.add_argument("--toolkit-timeout", type=positive_float, default=None, metavar="S",
                   help="wall-clock limit for the whole toolkit run in seconds (default: none)")
    r.set_defaults(func=run_main)

    a = vsub.add_parser("analyse", aliases=["analyze", "analysis"],
                        help="vot analysis + the suite's scores of the same files, imported into the results store")
    a.add_argument("--workspace", "-w", required=True)
    a.add_argument("--tracker", "-t", help="suite tracker name (default: the one set up)")
    a.add_argument("--experiments", help="comma separated (default: those with results)")
    add_results_option(a, "results store folder")
    a.add_argument("--run-name", help="run folder in the store (default: the tracker name)")
    a.add_argument("--toolkit-timeout", type=positive_float, default=600.0, metavar="S",
                   help="limit for `vot analysis` (default: 600 s)")
    add_json_option(a)
    a.set_defaults(func=analyse_main)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _load_setup(ws: Path) -> dict:
    from bench.vot.workspace_files import load_setup

    return load_setup(ws)


def setup_main(args: argparse.Namespace) -> int:
    from bench.vot import workspace as W

    import trackers

    # every argument is checked before anything is written (an existing workspace stays as it is)
    entry = trackers.TRACKERS.get(args.tracker)  # unknown names fail before anything is written
    if args.checkpoint:
        if not Path(args.checkpoint).is_file():
            raise ConfigError(f"--checkpoint {args.checkpoint}: checkpoint file not found")
        if entry.meta.get("needs_weights") is False:
            raise ConfigError(f"--checkpoint {args.checkpoint}: tracker {args.tracker!r} takes no checkpoint")
        from trackers.checkpoint import load_checkpoint

        # read now, as the TraX server will: a text file, an LFS pointer or a truncated download is an
        # error here, not a failed toolkit run later
        load_checkpoint(args.checkpoint, trust=args.trust_checkpoint)
    if not (args.vot_folder or args.dataset):
        if args.sequences and len(args.sequences) == 1 and Path(args.sequences[0]).is_dir():
            raise ConfigError(f"--sequences {args.sequences[0]}: --sequences now names sequences; "
                              "give the VOT folder as --vot-folder FOLDER")
        raise ConfigError("give the sequences to set up: --vot-folder FOLDER or --dataset NAME")
    if args.vot_folder and (args.root or args.split):
        raise ConfigError(f"{'--root' if args.root else '--split'} goes with --dataset, not with --vot-folder")
    if args.vot_folder and not Path(args.vot_folder).exists():
        raise ConfigError(f"--vot-folder {args.vot_folder}: no such file or folder")
    if args.label is not None and not args.label.strip():
        raise ConfigError("--label: empty name")
    experiments = [e for e in args.experiments.split(",") if e] if args.experiments else None
    vot2018_note = experiments is None and args.stack == "vot2018"
    if vot2018_note:
        # vot-toolkit 0.9.0 refuses supervised experiments under its realtime runtime
        # ("SupervisedExperiment requires an online tracker runtime"); leave realtime out unless asked for
        experiments = ["baseline", "unsupervised"]
    ws = Path(args.workspace)
    inputs = {"--vot-folder": args.vot_folder, "--root": args.root, "--checkpoint": args.checkpoint,
              "--stack": args.stack if args.stack not in W.STACKS else None}
    W.check_sources(ws, [], inputs)             # never write onto (or into) what is read
    W.check_workspace_folder(ws)
    W.stack_text(args.stack, experiments)       # unknown stack or experiment, unreadable stack file
    W.read_trackers_ini(ws)                     # an existing registry that setup would have to merge into
    if args.vot_folder:
        folders = W.vot_sequence_folders(args.vot_folder)
        if args.sequences:
            missing = sorted(set(args.sequences) - {f.name for f in folders})
            if missing:
                raise ConfigError(f"{args.vot_folder}: no sequence named {missing[0]}")
            folders = [f for f in folders if f.name in set(args.sequences)]
        seqs = [W.sequence_from_vot_folder(f, args.anchor_stride, args.max_frames) for f in folders]
        label = args.label or (args.stack if args.stack in W.STACKS else "vot")
    else:
        from datasets import create_dataset

        ds = create_dataset(args.dataset, root=args.root, split=args.split)
        names = [ds.resolve_name(n) for n in args.sequences] if args.sequences else ds.names()
        seqs = [W.sequence_from_dataset(ds.load(n), args.anchor_stride, args.max_frames) for n in names]
        label = args.label or ds.name
    if vot2018_note:
        print("note: vot2018 realtime left out (vot-toolkit 0.9.0 cannot run it); --experiments to override")
    setup = {"tracker": args.tracker, "tracker_id": W.tracker_identifier(args.tracker), "stack": args.stack,
             "label": label, "sequences": [s.name for s in seqs]}
    ws = W.build_workspace(ws, args.stack, seqs, args.tracker, checkpoint=args.checkpoint,
                           device=args.device, dtype=args.dtype, trust_checkpoint=args.trust_checkpoint,
                           timeout=args.timeout, experiments=experiments, inputs=inputs, setup=setup)
    print(f"workspace {ws}: {len(seqs)} sequence(s), stack {args.stack}, tracker entry "
          f"[{W.tracker_identifier(args.tracker)}] (TraX timeout {args.timeout} s)")
    print(f"next: bench vot run --workspace {ws}")
    return 0


def _tracker_id(args, setup: dict, ws: Path | None = None) -> tuple[str, str]:
    """The suite tracker to run (``--tracker`` or the one set up) and its ``trackers.ini`` section, which
    must exist in the workspace."""
    import trackers
    from bench.vot.workspace import tracker_identifier
    from bench.vot.workspace_files import read_trackers_ini

    name = args.tracker or setup.get("tracker")
    if not name:
        raise ConfigError("no tracker: pass --tracker")
    trackers.TRACKERS.get(name)  # an unknown name is a one-line error naming it
    ident = tracker_identifier(name)
    if ws is not None:
        _, ini = read_trackers_ini(ws)
        if ident not in ini.sections():
            raise ConfigError(f"{ws / 'trackers.ini'}: no [{ident}] entry for tracker {name}; run "
                              f"`bench vot setup --workspace {ws} --tracker {name} ...` first")
    return name, ident


def _experiments(arg: str | None, stack: dict, ws: Path | None = None) -> list[str]:
    if not stack:
        raise ConfigError(f"{'the stack' if ws is None else ws / 'stack.yaml'}: no experiments")
    if not arg:
        return list(stack)
    exps = [e for e in arg.split(",") if e]
    unknown = [e for e in exps if e not in stack]
    if unknown:
        raise ConfigError(f"--experiments: unknown experiment(s) {', '.join(unknown)}; the stack has "
                          f"{', '.join(stack)}")
    if not exps:
        raise ConfigError("--experiments: no experiment named")
    return exps


def run_main(args: argparse.Namespace) -> int:
    from bench.vot import toolkit
    from bench.vot.workspace_files import check_workspace_sequences

    # everything is read and checked before the toolkit starts (it writes results and the log)
    ws = Path(args.workspace)
    setup = _load_setup(ws)
    toolkit.require_toolkit()
    _, ident = _tracker_id(args, setup, ws)
    stack = toolkit.stack_experiments(ws)
    exps = _experiments(args.experiments, stack, ws)
    check_workspace_sequences(ws, {e: stack[e] for e in exps})
    toolkit.evaluate(ws, ident, exps, force=args.force, timeout=args.toolkit_timeout, stack=stack)
    print(f"vot evaluate: {ident} finished {', '.join(exps)} in {ws / 'results' / ident}")
    print(f"next: bench vot analyse --workspace {ws}")
    return 0


def analyse_main(args: argparse.Namespace) -> int:
    from bench.table import format_table
    from bench.vot import results, toolkit
    from bench.vot.workspace_files import check_workspace_sequences

    ws = Path(args.workspace)
    setup = _load_setup(ws)
    toolkit.require_toolkit()
    name, ident = _tracker_id(args, setup, ws)
    stack = toolkit.stack_experiments(ws)
    store = results_path(args)
    if args.json and args.json != "-":
        from bench.vot.workspace_files import SETUP_FILE  # here, not at the top: `bench --help` stays instant

        check_outputs({"--json": args.json}, {f"workspace file {f}": ws / f for f in
                                              ("config.yaml", "stack.yaml", "trackers.ini", SETUP_FILE)})
        if Path(args.json).is_dir():
            raise ConfigError(f"--json {args.json}: is a folder; a file name is needed")
    if args.experiments:
        exps = _experiments(args.experiments, stack, ws)
    else:
        exps = [e for e in stack if (ws / "results" / ident / e).is_dir()]
        if not exps:
            raise ConfigError(f"{ws / 'results' / ident}: no results yet; run `bench vot run --workspace {ws}`")
    check_workspace_sequences(ws, {e: stack[e] for e in exps})
    analysis = toolkit.analyse(ws, ident, exps, timeout=args.toolkit_timeout)
    tk = analysis.get(ident, {})
    suite = {e: results.suite_scores(ws, ident, e, stack[e]) for e in exps}
    path = results.import_analysis(store, args.run_name or name, setup.get("label", "vot"),
                                   ws, ident, tk, suite, setup.get("stack", "?"), toolkit.toolkit_version())
    rows = []
    for e in exps:
        t, s = tk.get(e, {}), suite[e]
        for key in ("eao", "accuracy", "robustness", "failures"):
            if key in t or key in s:
                d = results.compare({key: t.get(key)}, {key: s.get(key)}).get(key)
                rows.append([e, key, t.get(key), s.get(key), d])
    print(format_table(["experiment", "metric", "vot-toolkit", "bench", "|diff|"], rows, digits=4))
    print(f"imported into {path}")
    write_json(args.json, results._strict_json({"workspace": str(ws), "tracker_id": ident, "toolkit": tk,
                           "suite": {e: {k: v for k, v in s.items() if k != "per_sequence"} for e, s in suite.items()},
                           "imported": str(path)}))
    return 0

"""``bench profile``: per-layer MACs, SOPs, firing rates, energy and latency of a tracker on real frames."""
from __future__ import annotations

import argparse
import sys

from bench.commands._common import (add_dataset_options, add_json_option, add_old_spelling, add_results_option,
                                    add_tracker_options,
                                    apply_threads, check_json_output, non_negative_int, positive_float, results_path,
                                    write_json)


def register(sub) -> None:
    p = sub.add_parser("profile", help="efficiency profile of a tracker: MACs, SOPs, energy, latency",
                       description="Track real frames (the embedded demo by default) with the efficiency "
                                   "engine on, print the per-layer table and store profile.json in the "
                                   "results store (<results>/<tracker>/<dataset>/profile.json).")
    add_tracker_options(p)
    add_dataset_options(p)
    add_results_option(p, "results store folder")
    p.add_argument("--sequences", nargs="+", metavar="SEQ", help="only these sequences")
    p.add_argument("--frames", dest="max_frames", type=non_negative_int, default=100, metavar="N",
                   help="frames in total over the sequences (default 100; 0 = all frames)")
    # before 0.2 this was --max-frames, which every other command uses for frames per sequence
    add_old_spelling(p, "--max-frames", "--frames", "max_frames", type=non_negative_int, metavar="N")
    p.add_argument("--energy-preset", default="fp32", choices=["fp32", "fp16", "int8"],
                   help="45 nm energy constants (Horowitz 2014): fp32 4.6/0.9 pJ, fp16 1.5/0.4, int8 0.23/0.03")
    p.add_argument("--e-mac", type=positive_float, help="user-defined energy per MAC in pJ (overrides the preset)")
    p.add_argument("--e-ac", type=positive_float, help="user-defined energy per accumulate in pJ (overrides the preset)")
    p.add_argument("--energy-model", metavar="NAME",
                   help="energy model quoted first: fp32/fp16/int8 (compute only, Horowitz 45 nm), lemaire2022 "
                        "(memory-aware, Lemaire et al. 2022), loihi (device, Davies et al. 2018); profile.json "
                        "holds every model (default: the --energy-preset, or the --e-mac/--e-ac constants)")
    p.add_argument("--memory", action="store_true", help="add the memory-access energy term")
    p.add_argument("--histogram", action="store_true", help="record spike-level histograms per neuron")
    p.add_argument("--pair-rule", default="first", choices=["first", "product", "max"],
                   help="which spike count weights a product of two spike tensors (default: first operand)")
    p.add_argument("--mode", default="auto", choices=["auto", "full", "cheap"],
                   help="full: count every operator on every frame (slow); auto: once per signature")
    p.add_argument("--counter", metavar="LIST",
                   help="MAC conventions to report beside the exact count, comma-separated from exact, thop, "
                        "fvcore (default: thop, plus fvcore where installed; naming fvcore requires it: "
                        "pip install 'spiketrack-bench[fvcore]')")
    p.add_argument("--no-latency", action="store_true", help="skip the (unprofiled) latency pass")
    p.add_argument("--warmup", type=non_negative_int, default=5, help="warm-up frames before the latency pass")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_option(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import datasets
    import trackers
    from bench.efficiency.profile import format_profile, profile_tracker, resolve_counters, write_profile
    from bench.core.errors import ConfigError
    from trackers.base import declared
    from trackers.plugins import default_run_name

    if args.max_frames == 1:
        raise ConfigError(f"--frames must be 0 (all) or at least 2 (one init frame and one tracked frame), "
                          f"got {args.max_frames}")
    max_frames = args.max_frames or None
    from bench.efficiency.energy import constants

    energy_constants = constants(args.energy_preset, args.e_mac, args.e_ac)   # bad constants fail before tracking
    from bench.efficiency.energy_models import check_model

    energy_model = check_model(args.energy_model, energy_constants) if args.energy_model else None
    counters = resolve_counters(args.counter.split(",")) if args.counter is not None else None
    check_json_output(args.json, results_path(args), checkpoint=args.checkpoint)
    dataset = datasets.create_dataset(args.dataset, root=args.root, split=args.split)
    for name in args.sequences or ():
        dataset.resolve_name(name)   # a mistyped name fails before the model is built
    apply_threads(args)
    entry = trackers.TRACKERS.get(args.tracker)
    tracker = declared(trackers.create_tracker(args.tracker, checkpoint=args.checkpoint, device=args.device,
                                               dtype=args.dtype, trust_checkpoint=args.trust_checkpoint))
    # the engine measures firing rates itself; the tracker's own recorder would only add hook time
    tracker.record_firing_rates(False)
    doc = profile_tracker(tracker, dataset, max_frames=max_frames, sequences=args.sequences,
                          energy_preset=args.energy_preset, e_mac=args.e_mac, e_ac=args.e_ac, memory=args.memory,
                          latency=not args.no_latency, warmup=args.warmup, histogram=args.histogram,
                          pair_rule=args.pair_rule, mode=args.mode,
                          progress=not args.no_progress and sys.stderr.isatty(), counters=counters,
                          energy_model=energy_model)
    # the run folder's name: a file spec (path/to/mine.py:create) becomes mine.py:create
    doc["tracker"] = default_run_name(args.tracker)
    doc["tracker_origin"] = entry.origin
    doc["settings"] = {"checkpoint": args.checkpoint, "device": args.device, "dtype": args.dtype,
                       "max_frames": args.max_frames, "energy_preset": args.energy_preset,
                       "tracker": args.tracker, "energy_model": (doc.get("energy_models") or {}).get("headline")}
    from bench.efficiency.accounting import amortise_over_run

    amortise_over_run(doc, results_path(args))   # the template branch over the run's logged updates, if any
    path = write_profile(doc, results_path(args))
    print(format_profile(doc))
    print(f"profile written to {path}")
    write_json(args.json, doc)
    return 0

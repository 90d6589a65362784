"""``bench demo``: track one target through your own video and get an annotated video back."""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from bench.commands._common import add_json_option, add_tracker_options, apply_threads, positive_int, write_json


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="track a target through a video file (or a folder of frames); write an annotated video",
        description="Stream a video (any container/codec OpenCV's FFmpeg reads, or a folder of numbered "
                    "frames), track the target from an initial box, and write an annotated video (box, "
                    "confidence, frame index, FPS; firing rate and energy for spiking trackers) plus the "
                    "boxes as a raw-results text file (<out>.txt) and per-frame figures (<out>_frames.csv). "
                    "Outputs are replaced only once all of them are complete; none may be an input.")
    add_tracker_options(p)
    p.add_argument("--video", required=True, help="video file, or a folder of numbered image frames")
    init = p.add_mutually_exclusive_group()
    init.add_argument("--init", metavar="X,Y,W,H", help="initial box in first-frame pixels (0-based)")
    init.add_argument("--init-from-file", metavar="FILE", help="file whose first line is the initial box x,y,w,h")
    p.add_argument("--out", help="annotated video (.mp4, .avi, .mov, .mkv; default: <video>_<tracker>.mp4)")
    p.add_argument("--boxes", help="raw-results box file (default: --out with .txt)")
    p.add_argument("--gif", metavar="OUT.gif", help="also write a small animated GIF")
    p.add_argument("--contact-sheet", metavar="OUT.png", help="also write a PNG of 12 frames spread over the clip")
    p.add_argument("--max-frames", type=positive_int, metavar="N", help="track at most this many frames")
    p.add_argument("--no-spike-stats", action="store_true",
                   help="do not count firing rates/energy per frame (spiking trackers; faster)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_option(p)
    p.set_defaults(func=main, on_interrupt="earlier outputs are kept as they were")


@contextlib.contextmanager
def _terminate_as_exit():
    """SIGTERM ends the demo like Ctrl-C does: through the clean-up that removes the temporary outputs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(args: argparse.Namespace) -> int:
    import trackers
    from bench.demo import parse_init, plan_outputs, read_init_file, track_video
    from bench.core.errors import DataError

    # everything the user typed is checked before a model is built or a frame decoded
    spiking = trackers.TRACKERS.get(args.tracker).meta.get("spiking")  # unknown name: fails here, early
    inputs = {"--video": args.video, "--init-from-file": args.init_from_file, "--checkpoint": args.checkpoint}
    plan = plan_outputs(args.video, args.tracker, args.out, args.boxes, args.gif, args.contact_sheet, inputs,
                        extra_outputs={"--json": args.json if args.json != "-" else None})
    if not Path(args.video).exists():
        raise DataError(f"{args.video}: video not found")
    if args.init:
        init = parse_init(args.init)
    elif args.init_from_file:
        init = read_init_file(args.init_from_file)
    else:
        init = None  # drawn on the first frame where a display exists; an error when headless
    apply_threads(args)
    # per-frame spike figures come from the efficiency counter; the tracker's own recorder is not needed
    own_rates_off = {"record_sfr": False} if spiking else {}
    tracker = trackers.create_tracker(args.tracker, checkpoint=args.checkpoint, device=args.device,
                                      dtype=args.dtype, trust_checkpoint=args.trust_checkpoint, **own_rates_off)
    with _terminate_as_exit():
        result = track_video(tracker, args.video, init, plan.video, boxes_path=plan.boxes, gif=plan.gif,
                             contact=plan.contact_sheet, max_frames=args.max_frames, tracker_name=args.tracker,
                             spike_stats=not args.no_spike_stats,
                             progress=not args.no_progress and sys.stderr.isatty(), inputs=inputs)
    print(f"{result.frames} frames {result.width}x{result.height} tracked by {args.tracker} at "
          f"{result.tracker_fps:.1f} FPS (tracker time only)")
    for kind, path in result.outputs.items():
        print(f"  {kind:<13} {path}")
    if getattr(tracker, "spiking", False) and getattr(tracker, "model", None) is not None and args.checkpoint is None:
        print("  note: no --checkpoint: random weights, the box will not follow the target")
    write_json(args.json, {"command": "demo", "tracker": args.tracker, "video": str(args.video),
                           "frames": result.frames, "width": result.width, "height": result.height,
                           "tracker_fps": result.tracker_fps,
                           "outputs": {k: str(v) for k, v in result.outputs.items()}})
    return 0

"""Serve a suite tracker over the TraX protocol, so the VOT toolkit can run it (``protocol=traxpython``).

vot-toolkit starts this module as ``python -m bench.vot.trax_server`` (see the ``trackers.ini`` entry that
:func:`bench.vot.workspace.tracker_ini_entry` writes); the tracker is chosen by environment variables that
the ini file sets with ``env_`` keys:

``BENCH_VOT_TRACKER`` (name, required), ``BENCH_VOT_CHECKPOINT``, ``BENCH_VOT_DEVICE`` (default ``cpu``),
``BENCH_VOT_DTYPE`` (default ``float32``), ``BENCH_VOT_TRUST_CHECKPOINT`` (``1`` to allow unpickling).

The server accepts rectangles (libtrax converts the toolkit's polygons and masks to their bounding boxes)
and file-path images, and answers every frame with the tracker's ``x,y,w,h`` box plus its confidence.
The TraX handshake happens before the model is built, so a slow model load runs under the toolkit's
per-call timeout of the first initialisation, not the handshake's.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np


def tracker_from_env(env: dict | None = None):
    """Build the suite tracker the ``BENCH_VOT_*`` variables name."""
    import trackers

    env = os.environ if env is None else env
    name = env.get("BENCH_VOT_TRACKER")
    if not name:
        raise SystemExit("bench.vot.trax_server: BENCH_VOT_TRACKER is not set")
    return trackers.create_tracker(
        name,
        checkpoint=env.get("BENCH_VOT_CHECKPOINT") or None,
        device=env.get("BENCH_VOT_DEVICE") or "cpu",
        dtype=env.get("BENCH_VOT_DTYPE") or "float32",
        trust_checkpoint=(env.get("BENCH_VOT_TRUST_CHECKPOINT") or "0") in ("1", "true", "yes"),
    )


def _read_rgb(path: str) -> np.ndarray:
    from datasets.base import read_image

    return read_image(path)


def _request_image(request: Any) -> np.ndarray:
    image = request.image
    if isinstance(image, dict):
        image = image.get("color") or next(iter(image.values()))
    return _read_rgb(image.path())


def _request_box(request: Any) -> list[float]:
    objects = request.objects
    region = objects[0][0] if isinstance(objects[0], tuple) else objects[0]
    return [float(v) for v in region.bounds()]


def serve(tracker_factory=tracker_from_env) -> int:
    """Answer TraX requests until the client quits; returns the process exit code."""
    import trax
    from trax import Image, Region
    from trax.region import Rectangle

    tracker = None
    with trax.Server([Region.RECTANGLE], [Image.PATH], ["color"], tracker_name="bench",
                     tracker_family="bench") as server:
        while True:
            request = server.wait()
            if request.type == trax.TraxStatus.QUIT:
                break
            if request.type == trax.TraxStatus.INITIALIZE:
                if tracker is None:
                    tracker = tracker_factory()
                box = _request_box(request)
                tracker.initialize(_request_image(request), box)
                server.status([(Rectangle.create(*box), {})])
            elif request.type == trax.TraxStatus.FRAME:
                result = tracker.track(_request_image(request))
                x, y, w, h = (float(v) for v in result.box)
                props = {} if result.confidence is None else {"confidence": float(result.confidence)}
                server.status([(Rectangle.create(x, y, w, h), props)])
    return 0


def main() -> int:  # pragma: no cover - exercised through vot-toolkit in tests/test_vot_toolkit.py
    return serve()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

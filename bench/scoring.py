"""Score a run folder against its dataset's ground truth (used for the summary after ``bench run``)."""
from __future__ import annotations

from typing import Any

from bench.results import RunFolder, tracking_time


def score_run(folder: RunFolder, dataset: Any, protocol: str | None = None,
              sequences: list[str] | None = None, max_frames: int | None = None) -> dict:
    """Accuracy (with the protocol named) and speed of the finished sequences in ``folder``."""
    from bench.evaluation import sequence_input
    from bench.metrics import evaluate

    protocol = protocol or dataset.default_protocol
    names = sequences if sequences is not None else [n for n in dataset.names() if folder.is_done(n)]
    inputs, frames, seconds = [], 0, 0.0
    for name in names:
        rec = folder.read_sequence(name)
        inputs.append(sequence_input(dataset.load(name), rec.boxes, max_frames=max_frames))
        f, s = tracking_time(rec.times)
        frames, seconds = frames + f, seconds + s
    out: dict = {"protocol": protocol, "sequences": len(names), "frames": frames,
                 "fps": frames / seconds if seconds > 0 else float("nan"), "metrics": {}}
    if inputs:
        out["metrics"] = dict(evaluate(inputs, protocol=protocol, dataset_mode=dataset.dataset_mode).metrics)
    return out

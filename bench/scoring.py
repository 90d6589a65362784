"""The summary after ``bench run``: the run folder scored by the one scoring path (:mod:`bench.evaluation`)."""
from __future__ import annotations

from typing import Any

from bench.core.io import read_json
from bench.results import RunFolder


def score_run(folder: RunFolder, dataset: Any, protocol: str | None = None,
              sequences: list[str] | None = None, max_frames: int | None = None) -> dict:
    """Accuracy (with the protocol named) and speed of the finished sequences in ``folder``.

    ``max_frames`` is read from the run's own ``run.json`` by the scoring path; the argument stays for
    callers that pass it and must agree with it."""
    from bench.evaluation import EvaluationRequest, evaluate, load_ground_truth, results_in

    names = sequences if sequences is not None else [n for n in dataset.names() if folder.is_done(n)]
    out: dict = {"protocol": protocol or dataset.default_protocol, "sequences": len(names), "frames": 0,
                 "fps": float("nan"), "metrics": {}}
    if not names:
        return out
    found = [results_in(folder.path, folder.path.parent.name, dataset.name)]
    request = EvaluationRequest(results=folder.path, dataset=dataset.name, protocols=(protocol,),
                                dataset_obj=dataset, sequences=load_ground_truth(dataset, names), found=found,
                                timing=True)
    for name in names:   # the record of a finished sequence is whole: a corrupt stats file is named now
        if folder.stats_path(name).is_file():
            read_json(folder.stats_path(name))
    (report,) = evaluate(request)
    (score,) = report.scores
    out.update(protocol=report.protocol, frames=score.frames or 0, metrics=dict(score.metrics))
    if score.fps is not None:
        out["fps"] = score.fps
    return out

"""How often a run encodes its template: the amortisation rate from ``bench run``'s logged update events.

A profile measures energy per call of each branch on at most ``--max-frames`` frames; the template
branch (SpikeTrack's template encoder) runs at initialisation and at each template update, which
depends on the dataset's update interval and on the tracker's confidence. ``bench run`` logs the frames
where the tracker updated its template (``template_update_frames`` in ``<seq>_stats.json``, from
:attr:`trackers.base.Tracker.template_updated`); over a whole run the rate is

    template encodings / tracked frames = sum over sequences (1 + updates) / sum (frames - 1)

For a model without a template branch of its own (the ViT trackers re-read stored template crops inside
the search forward) an update is no encoding: only initialisations count.
"""
from __future__ import annotations

from pathlib import Path

from bench.core.errors import ResultsError


def run_template_rate(folder: str | Path, updates_encode: bool = True) -> dict | None:
    """Template encodings per tracked frame over the ``bench run`` results in ``folder``; ``None`` when the
    folder holds no finished sequence. ``updates_encode``: a template update re-runs the template branch."""
    from bench.core.io import load_boxes
    from bench.results import RunFolder

    run = RunFolder(Path(folder))
    names = run.finished()
    if not names:
        return None
    encodings = tracked = updates = 0
    for name in names:
        frames = len(load_boxes(run.box_path(name)))
        stats_path = run.stats_path(name)
        ups: list = []
        if stats_path.is_file():
            from bench.core.io import read_json

            stats = read_json(stats_path)
            ups = stats.get("template_update_frames") or [] if isinstance(stats, dict) else []
            if not isinstance(ups, list):
                raise ResultsError(f"{stats_path}: template_update_frames must be a list of frame numbers")
        encodings += 1 + (len(ups) if updates_encode else 0)
        updates += len(ups)
        tracked += max(frames - 1, 0)
    return {"value": encodings / tracked if tracked else None, "template_encodings": encodings,
            "tracked_frames": tracked, "logged_updates": updates, "sequences": len(names),
            "source": f"bench run log: {run.path} (template_update_frames of {len(names)} sequences)"}


__all__ = ["run_template_rate"]

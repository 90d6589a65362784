"""Minimal, version-checked fixes that let vot-toolkit 0.9.0 (the release users install) run offline.

Applied only inside the toolkit process that :mod:`bench.vot.cli_main` starts, and only when
``vot.__version__ == "0.9.0"``; any other version runs unpatched (the fixes are upstream bugs, so a
later release is expected to carry its own).

1. ``MultiStartExperiment.execute`` (the VOT2020 baseline/realtime experiment) crashes in 0.9.0 on four
   API mismatches with the 0.9.0 runtime: it passes the whole ``ObjectStatus`` of the anchor frame where
   ``ObjectQuery`` expects a region; it gives the query the anchor's index in the *full* sequence although
   the query refers to frame 0 of the proxy sequence that starts at the anchor; it reads
   ``status.times[0][0]`` although ``RunResult.times`` is a flat list of seconds per frame; and it stores
   ``status.objects[0][f]`` (an ``ObjectStatus``) where the trajectory expects its ``.region``. The
   replacement below is the same algorithm with those four calls corrected.
2. ``SupervisedExperiment.execute`` (the VOT2018 reset-based baseline) hands ``runtime.initialize`` a
   single ``ObjectStatus`` where the runtime expects a list of objects (the TraX runtime then reports
   "multiple objects were provided"), calls ``runtime.update`` without the (empty) list of new objects,
   and treats the returned list of object states as one state. Same algorithm, calls corrected.
3. ``TraxTrackerRuntime.update`` rejects its own default ``new=None`` for single-object trackers; ``None``
   is passed on as "no new objects" (``[]``), which is what every caller means.
4. ``RealtimeTrackerRuntime`` (the ``realtime`` experiments) lacks ``run``; it gets the frame loop of
   ``OnlineTrackerRuntime.run``, which uses only the ``initialize``/``update`` it does implement.
5. The CLI asks GitHub for a newer release before every command; offline that only delays and logs
   noise, so the check is switched off (any version).
"""
from __future__ import annotations

import logging

PATCHED_VERSION = "0.9.0"
log = logging.getLogger(__name__)


def _multistart_execute(self, tracker, sequence, force: bool = False, callback=None) -> None:
    """vot-toolkit 0.9.0 ``MultiStartExperiment.execute`` with the four call mismatches corrected."""
    from vot.dataset.proxy import FrameMapSequence
    from vot.experiment.multistart import find_anchors
    from vot.region import Special
    from vot.tracker import ObjectQuery, Trajectory

    results = self.results(tracker, sequence)
    forward, backward = find_anchors(sequence, self.anchor)
    if not forward and not backward:
        raise RuntimeError("Sequence does not contain any anchors")
    runs = [(a, False) for a in forward] + [(a, True) for a in backward]
    done = 0
    with self._get_runtime(tracker, sequence) as runtime:
        for anchor, reverse in runs:
            name = f"{sequence.name}_{anchor:08d}"
            if Trajectory.exists(results, name) and not force:
                continue
            frames = list(range(anchor, -1, -1)) if reverse else list(range(anchor, len(sequence)))
            proxy = FrameMapSequence(sequence, frames)
            init = self._get_initialization(proxy, 0)
            status = runtime.run(proxy, [ObjectQuery(init.region, {}, 0)])          # fixes 1 and 2
            trajectory = Trajectory(len(proxy))
            trajectory.set(0, Special(Trajectory.INITIALIZATION), {"time": status.times[0]})  # fix 3
            for f in range(1, len(proxy)):
                trajectory.set(f, status.objects[0][f].region, {"time": status.times[f]})  # fix 4
            trajectory.write(results, name)
            done += 1
            if callback:
                callback(done / len(runs))


def _supervised_execute(self, tracker, sequence, force: bool = False, callback=None) -> None:
    """vot-toolkit 0.9.0 ``SupervisedExperiment.execute`` with the runtime calls corrected (fix 2)."""
    from vot.region import Special, calculate_overlap
    from vot.tracker import OnlineTrackerRuntime, Trajectory

    if len(sequence.objects()) != 1:
        raise ValueError("SupervisedExperiment only works on single-target sequences.")
    results = self.results(tracker, sequence)
    failure = type(self).FAILURE
    with self._get_runtime(tracker, sequence) as runtime:
        if not isinstance(runtime, OnlineTrackerRuntime):
            raise ValueError("SupervisedExperiment requires an online tracker runtime.")
        for rep in range(1, self.repetitions + 1):
            name = f"{sequence.name}_{rep:03d}"
            if Trajectory.exists(results, name) and not force:
                continue
            if self._can_stop(tracker, sequence):
                return
            trajectory = Trajectory(len(sequence))
            frame = 0
            while frame < len(sequence):
                _, elapsed = runtime.initialize(sequence.frame(frame), [self._get_initialization(sequence, frame)])
                trajectory.set(frame, Special(Trajectory.INITIALIZATION), {"time": elapsed})
                frame += 1
                while frame < len(sequence):
                    states, elapsed = runtime.update(sequence.frame(frame), [])
                    target = states[0]
                    props = dict(target.properties)
                    props["time"] = elapsed
                    if calculate_overlap(target.region, sequence.groundtruth(frame), sequence.size) <= self.failure_overlap:
                        trajectory.set(frame, Special(failure), props)
                        frame += self.skip_initialize
                        if self.skip_tags:
                            while frame < len(sequence) and any(t in self.skip_tags for t in sequence.tags(frame)):
                                frame += 1
                        break
                    trajectory.set(frame, target.region, props)
                    frame += 1
            if callback:
                callback(rep / self.repetitions)
            trajectory.write(results, name)


def apply() -> list[str]:
    """Apply the fixes that match the installed toolkit; returns what was patched (for the log)."""
    import vot

    applied: list[str] = []
    try:
        import vot.utilities.cli as vot_cli

        vot_cli.check_updates = lambda: (False, None)  # offline: never query GitHub
        applied.append("update check disabled")
    except ImportError:  # pragma: no cover
        pass
    if getattr(vot, "__version__", None) == PATCHED_VERSION:
        from vot.experiment.multistart import MultiStartExperiment

        MultiStartExperiment.execute = _multistart_execute
        applied.append("MultiStartExperiment.execute (0.9.0 API mismatches)")

        from vot.experiment.multirun import SupervisedExperiment

        SupervisedExperiment.execute = _supervised_execute
        applied.append("SupervisedExperiment.execute (0.9.0 API mismatches)")

        from vot.tracker import OnlineTrackerRuntime, RealtimeTrackerRuntime

        try:
            from vot.tracker.trax import TraxTrackerRuntime
        except (ImportError, OSError):  # pragma: no cover - TraX library missing
            TraxTrackerRuntime = None
        if TraxTrackerRuntime is not None and not getattr(TraxTrackerRuntime.update, "_bench_patched", False):
            original_update = TraxTrackerRuntime.update

            def update(self, frame, new=None, properties=None):
                return original_update(self, frame, [] if new is None else new, properties)

            update._bench_patched = True
            TraxTrackerRuntime.update = update
            applied.append("TraxTrackerRuntime.update (default new=None rejected)")
        if "run" not in RealtimeTrackerRuntime.__dict__:
            RealtimeTrackerRuntime.run = OnlineTrackerRuntime.run
            applied.append("RealtimeTrackerRuntime.run (missing)")
    else:
        log.info("vot-toolkit %s: no version-specific patches applied", getattr(vot, "__version__", "?"))
    return applied

"""Trackers from outside the suite: installed plugins and ``module:factory`` / ``file.py:factory`` specs.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."bench.trackers"]
    my_tracker = "my_package.tracker:create_tracker"

and ``create_tracker(checkpoint=None, device="cpu", dtype="float32", **kw)`` returns a
:class:`trackers.base.Tracker`. Without packaging, ``--tracker my_package.tracker:create_tracker`` (an
importable module) or ``--tracker path/to/my_tracker.py:create_tracker`` (any file) names the factory
directly. Either way the tracker goes through the same commands as a built-in one (``run``, ``evaluate``,
``profile``, ``demo``, ``vot``, the Dask executor).

This module holds what is particular to trackers: the checks on what a factory returns, the keyword
arguments it is called with, and the run-folder name of a spec. Where names come from (entry points,
specs, files) is :mod:`bench.core.registry`.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable

from bench.core.registry import PluginError, is_spec, split_spec

#: hints some commands give a tracker factory; a plugin factory that does not take one simply does not get
#: it. ``record_sfr=False`` is the older spelling of :meth:`trackers.base.Tracker.record_firing_rates`
#: (``False``), kept for the callers that still pass it
_OPTIONAL_HINTS = ("record_sfr",)


def _accepted_keywords(factory: Callable[..., Any]) -> set[str] | None:
    """Keyword names ``factory`` takes; ``None`` when it takes ``**kwargs`` (or cannot be inspected)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                  inspect.Parameter.KEYWORD_ONLY)}


def adapt_tracker_factory(factory: Callable[..., Any], name: str, source: str) -> Callable[..., Any]:
    """Wrap a plugin's tracker factory so that it is called like a built-in one and fails in one line.

    The wrapper passes ``checkpoint``, ``device`` and ``dtype``, passes ``trust_checkpoint`` only where the
    factory takes it (refusing ``--trust-checkpoint`` where it does not: silently ignoring an opt-in to
    unpickling would be worse), turns an exception of the factory into a :class:`PluginError` naming the
    plugin, and checks that the result has ``initialize`` and ``track``.
    """
    accepted = _accepted_keywords(factory)

    def create(checkpoint: str | None = None, device: str = "cpu", dtype: str = "float32",
               trust_checkpoint: bool = False, **kwargs: Any):
        kw: dict[str, Any] = {"checkpoint": checkpoint, "device": device, "dtype": dtype, **kwargs}
        if accepted is None or "trust_checkpoint" in accepted:
            kw["trust_checkpoint"] = trust_checkpoint
        elif trust_checkpoint:
            raise PluginError(f"tracker {name!r} ({source}) takes no trust_checkpoint argument; "
                              f"--trust-checkpoint cannot be honoured")
        if accepted is not None:
            for hint in _OPTIONAL_HINTS:
                if hint not in accepted:
                    kw.pop(hint, None)
            unknown = [k for k in kw if k not in accepted and k not in ("checkpoint", "device", "dtype")]
            if unknown:
                raise PluginError(f"tracker {name!r} ({source}): its factory takes no {unknown[0]!r} argument")
            missing = [k for k in ("checkpoint", "device", "dtype") if k not in accepted]
            if missing:
                raise PluginError(f"tracker {name!r} ({source}): its factory must take checkpoint=None, "
                                  f"device='cpu', dtype='float32' (missing {missing[0]!r})")
        try:
            tracker = factory(**kw)
        except PluginError:
            raise
        except Exception as e:
            from bench.core.errors import BenchError

            if isinstance(e, BenchError):   # the plugin already says what is wrong, in one line
                raise
            msg = " ".join(str(e).split())[:200]
            raise PluginError(f"tracker {name!r} ({source}): its factory raised {type(e).__name__}: {msg} "
                              f"(rerun with -v for the traceback)") from e
        check_tracker(tracker, name, source)
        if not getattr(tracker, "name", ""):
            try:
                tracker.name = name
            except AttributeError:   # a read-only name: keep the plugin's own
                pass
        return tracker

    create.__doc__ = factory.__doc__
    create.__wrapped__ = factory  # type: ignore[attr-defined]
    return create


def check_tracker(obj: Any, name: str, source: str) -> None:
    """PluginError unless ``obj`` can be driven like a :class:`trackers.base.Tracker`."""
    missing = [m for m in ("initialize", "track") if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(f"tracker {name!r} ({source}): its factory returned a {type(obj).__name__}, not a "
                          f"tracker (no {missing[0]}() method; subclass trackers.base.Tracker)")


def default_run_name(tracker: str) -> str:
    """A results-folder name for ``--tracker``: the name itself, or for a file spec its file name and
    factory (``path/to/mine.py:create`` -> ``mine.py:create``), since a run name cannot hold ``/``."""
    if is_spec(tracker):
        target, attr, is_file = split_spec(tracker)
        if is_file:
            return f"{Path(target).name}:{attr}"
    return tracker


def absolute_spec(tracker: str) -> str:
    """A file spec with its path made absolute (what a process with another working folder needs); any
    other name unchanged."""
    if is_spec(tracker):
        target, attr, is_file = split_spec(tracker)
        if is_file:
            return f"{Path(target).expanduser().resolve()}:{attr}"
    return tracker


__all__ = ["adapt_tracker_factory", "check_tracker", "default_run_name", "absolute_spec"]

"""A tiny name -> factory registry, in the spirit of timm's ``create_model`` / ``list_models``.

Trackers, models, datasets and protocols all register here so that the CLI can list them and build them
by name, and so that an unknown name produces an error that lists the known ones.

Three places a name can come from, each recorded as the entry's ``origin`` (``bench list`` shows it):

- **built-in**: the suite's own modules register their factories on import;
- **plugin**: an installed package declares an entry point ``name = "module:factory"`` in the group of
  the registry's kind (``bench.trackers``, ``bench.datasets``, ``bench.protocols``, ``bench.models``,
  ``bench.efficiency_metrics``).
  Plugins are imported the first time a name is not found among the built-ins, or when the registry is
  listed; one that fails to import is reported in one warning line and the others stay available;
- **spec** (registries built with ``specs=True``): a name of the form ``package.module:factory`` or
  ``path/to/file.py:factory`` is imported on demand. A file is loaded under a module name derived from
  its absolute path, so every process that loads the same file (Dask workers) gets the same module.

A plugin's factory may carry a dict attribute ``bench_meta`` (e.g. ``{"spiking": True, "family": ...}``);
it becomes the entry's meta, as the keyword arguments of ``register`` do for built-ins.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from bench.core.errors import BenchError, UnknownNameError

#: the entry-point group each registry kind reads plugins from
ENTRY_POINT_GROUPS = {"tracker": "bench.trackers", "dataset": "bench.datasets", "protocol": "bench.protocols",
                      "model": "bench.models", "efficiency_metric": "bench.efficiency_metrics"}

BUILTIN = "built-in"


def package_modules(folders: Iterable[str]) -> list[str]:
    """The modules (``x.py``) and sub-packages (``x/__init__.py``) in a package's ``folders`` (its
    ``__path__``), by name, ``_``-private ones left out. Read from the folders themselves:
    ``pkgutil.iter_modules`` would import ``inspect`` (a tenth of the time ``bench --help`` takes)."""
    names = set()
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            stem, dot, ext = e.name.partition(".")
            if stem.isidentifier() and not stem.startswith("_") and (
                    (ext == "py" and e.is_file()) or (not dot and os.path.isfile(os.path.join(e.path, "__init__.py")))):
                names.add(stem)
    return sorted(names)


def import_package_modules(package: str, folders: Iterable[str], infrastructure: Iterable[str] = ()) -> list[str]:
    """Import every module of ``package`` but its ``infrastructure`` ones: how trackers, datasets, protocols,
    efficiency metrics and commands register, so a new one is one new file. Returns the names imported."""
    names = [n for n in package_modules(folders) if n not in set(infrastructure)]
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names

#: ``a.b.c:attr`` / ``dir/file.py:attr.sub`` -- the part after the last ':' is a dotted identifier
_SPEC = re.compile(r"^(?P<target>.+):(?P<attr>[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)$")


class PluginError(BenchError):
    """A plugin or a ``module:factory`` / ``file.py:factory`` spec that cannot be loaded or does not work."""


class PluginWarning(UserWarning):
    """An installed plugin that failed to import; the other names stay available."""


def normalise_name(name: str) -> str:
    """Names match case-insensitively with ``-`` and ``_`` treated as equal."""
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Entry:
    name: str
    factory: Callable[..., Any]
    meta: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        return self.meta.get("description") or (self.factory.__doc__ or "").strip().split("\n")[0]

    @property
    def origin(self) -> str:
        """Where the name comes from: ``built-in``, ``plugin <dist> <version> (module:attr)``, or the spec
        (``module pkg.mod:f`` / ``file /abs/path.py:f``). Kept in ``meta["origin"]``."""
        return self.meta.get("origin", BUILTIN)


#: ``(factory, name, origin) -> factory``: how a registry wraps factories that do not come from the suite
Adapter = Callable[[Callable[..., Any], str, str], Callable[..., Any]]


class Registry:
    """Registered factories of one kind ("tracker", "dataset", ...).

    ``group``: entry-point group of its plugins (default from :data:`ENTRY_POINT_GROUPS`; ``""`` for
    none). ``adapter`` wraps plugin and spec factories (e.g. to check what a plugin tracker returns).
    ``specs``: also resolve ``module:factory`` and ``file.py:factory`` names.
    """

    def __init__(self, kind: str, group: str | None = None, adapter: Adapter | None = None, specs: bool = False):
        self.kind = kind
        self.group = ENTRY_POINT_GROUPS.get(kind, "") if group is None else group
        self.adapter = adapter
        self.specs = specs
        self._entries: dict[str, Entry] = {}
        self._spec_entries: dict[str, Entry] = {}
        self._failed: dict[str, str] = {}       # plugin name -> one-line reason it is not available
        self._plugins_loaded = not self.group
        self._loading_source: str | None = None  # set while a plugin module is imported
        self._lock = threading.RLock()           # Dask workers may resolve names from several threads
        self.version = 0                         # bumped on every change: derived indexes rebuild on it

    # -- registration ------------------------------------------------------------------------------
    def register(self, name: str, **meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: ``@REGISTRY.register("name", description=..., **meta)`` on a factory."""

        def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name, factory, **meta)
            return factory

        return deco

    def add(self, name: str, factory: Callable[..., Any], **meta: Any) -> None:
        key = normalise_name(name)
        if self._loading_source is not None:   # a plugin module registering names while it is imported
            meta.setdefault("origin", self._loading_source)
        existing = self._entries.get(key)
        if existing is not None and existing.factory is not factory:
            if existing.origin != BUILTIN and meta.get("origin", BUILTIN) == BUILTIN:
                # a built-in registered after a plugin took its name: the built-in wins, as in _add_plugin
                warnings.warn(f"{self.kind} plugin {name!r} ({existing.origin}) has the name of a built-in "
                              f"{self.kind}; the built-in is used", PluginWarning, stacklevel=2)
            else:
                raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[key] = Entry(name, factory, dict(meta))
        self.version += 1

    # -- plugins -------------------------------------------------------------------------------------
    def load_plugins(self) -> None:
        """Import every installed plugin of this registry's entry-point group (once)."""
        if self._plugins_loaded:
            return
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True   # first: a plugin that looks names up while importing does not recurse
            seen = set()
            for ep in _entry_points(self.group):
                if (ep.name, ep.value) in seen:   # one distribution found twice on sys.path
                    continue
                seen.add((ep.name, ep.value))
                self._add_plugin(ep)

    def _add_plugin(self, ep) -> None:
        dist = getattr(ep, "dist", None)
        origin = f"plugin {dist.name} {dist.version}" if dist is not None else "plugin"
        source = f"{origin} ({ep.value})"
        key = normalise_name(ep.name)
        if key in self._entries:
            # checked before importing: a plugin cannot replace a built-in, whatever its module does
            warnings.warn(f"{self.kind} plugin {ep.name!r} ({source}, entry point group {self.group}) has the "
                          f"name of a built-in {self.kind}; the built-in is used", PluginWarning, stacklevel=3)
            return
        self._loading_source = source
        try:
            factory = ep.load()
        except Exception as e:  # any error of third-party code: name it, keep the other plugins
            reason = f"failed to import: {_one_line(e)}"
            self._failed[key] = f"{source} {reason}"
            warnings.warn(f"{self.kind} plugin {ep.name!r} ({source}, entry point group {self.group}) {reason}; "
                          f"skipped", PluginWarning, stacklevel=3)
            return
        finally:
            self._loading_source = None
        if not callable(factory):
            self._failed[key] = f"{source} is a {type(factory).__name__}, not a factory"
            warnings.warn(f"{self.kind} plugin {ep.name!r} ({source}): {ep.value} is a "
                          f"{type(factory).__name__}, not a factory; skipped", PluginWarning, stacklevel=3)
            return
        existing = self._entries.get(key)
        if existing is not None and existing.factory is factory:  # the module registered itself on import
            return
        meta = dict(getattr(factory, "bench_meta", None) or {})
        meta["origin"] = source
        self._entries[key] = Entry(ep.name, self._adapt(factory, ep.name, source), meta)
        self.version += 1

    def refresh_plugins(self) -> None:
        """Forget the plugins read so far, so the next lookup reads the installed ones again (after a
        ``pip install`` in a running process, or in tests)."""
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if not e.origin.startswith("plugin")}
            self._failed = {}
            self._spec_entries = {}
            self._plugins_loaded = not self.group
            self.version += 1

    def remove(self, name: str) -> Entry | None:
        """Unregister ``name`` (tests, and a plugin replacing its own entry); returns what was there."""
        with self._lock:
            entry = self._entries.pop(normalise_name(name), None)
            self.version += 1
            return entry

    @property
    def plugins_loaded(self) -> bool:
        return self._plugins_loaded

    def registered(self) -> list[Entry]:
        """The entries registered so far, without reading plugins (a lookup that must not import them)."""
        return list(self._entries.values())

    def find(self, name: str) -> Entry | None:
        """The entry registered under ``name`` so far (plugins not read, specs not loaded), or None."""
        return self._entries.get(normalise_name(name)) if name else None

    def failed_plugins(self) -> dict[str, str]:
        """Plugins that could not be imported: name -> reason (after :meth:`load_plugins`)."""
        self.load_plugins()
        return dict(self._failed)

    def _adapt(self, factory: Callable[..., Any], name: str, source: str) -> Callable[..., Any]:
        return self.adapter(factory, name, source) if self.adapter is not None else factory

    # -- lookup --------------------------------------------------------------------------------------
    def get(self, name: str) -> Entry:
        key = normalise_name(name)
        entry = self._entries.get(key)
        if entry is not None:
            return entry
        if self.specs and is_spec(name):
            return self._spec(name)
        self.load_plugins()   # only now: looking up a built-in never imports third-party code
        entry = self._entries.get(key)
        if entry is not None:
            return entry
        if key in self._failed:
            raise PluginError(f"{self.kind} {name!r} is not available: {self._failed[key]}")
        import difflib   # only for this error's hint

        known = self.names()
        close = difflib.get_close_matches(key, [normalise_name(n) for n in known], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        spec_hint = " (or package.module:factory, path/to/file.py:factory)" if self.specs else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}{hint}; known: {', '.join(known) or 'none'}"
                               f"{spec_hint}")

    def _spec(self, spec: str) -> Entry:
        with self._lock:
            entry = self._spec_entries.get(spec)
            if entry is None:
                factory, source = load_spec(spec, self.kind)
                meta = dict(getattr(factory, "bench_meta", None) or {})
                meta["origin"] = source
                entry = Entry(spec, self._adapt(factory, spec, source), meta)
                self._spec_entries[spec] = entry
            return entry

    def create(self, name: str, **kwargs: Any) -> Any:
        return self.get(name).factory(**kwargs)

    def names(self, **filters: Any) -> list[str]:
        """Registered names, sorted; ``filters`` keep entries whose meta matches (e.g. ``spiking=True``)."""
        return sorted(e.name for e in self.entries() if all(e.meta.get(k) == v for k, v in filters.items()))

    def entries(self) -> list[Entry]:
        self.load_plugins()
        return sorted(self._entries.values(), key=lambda e: e.name)

    def __contains__(self, name: str) -> bool:
        key = normalise_name(name)
        if key in self._entries:
            return True
        if self.specs and is_spec(name):
            # only specs already loaded: a membership test must not import (run) a user's file
            return name in self._spec_entries
        self.load_plugins()
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self.load_plugins()
        return len(self._entries)


# ------------------------------------------------------------------------------------------------
# entry points and specs
# ------------------------------------------------------------------------------------------------

def _entry_points(group: str) -> list:
    from importlib.metadata import entry_points

    try:
        return list(entry_points(group=group))
    except Exception as e:  # a broken distribution's metadata must not take the built-ins down with it
        warnings.warn(f"cannot read the installed {group} entry points: {_one_line(e)}", PluginWarning, stacklevel=3)
        return []


def is_spec(name: str) -> bool:
    """``package.module:factory`` or ``path/to/file.py:factory`` (rather than a registered name)."""
    return bool(_SPEC.match(name.strip()))


def split_spec(spec: str) -> tuple[str, str, bool]:
    """``(target, attribute path, target is a file)`` of a spec."""
    m = _SPEC.match(spec.strip())
    if not m:
        raise PluginError(f"{spec!r}: not of the form package.module:factory or path/to/file.py:factory")
    target = m["target"]
    is_file = target.endswith(".py") or "/" in target or os.sep in target
    return target, m["attr"], is_file


def module_name_for_file(path: str | os.PathLike) -> str:
    """The module name a plugin file is loaded under: stable for one absolute path, so a Dask worker that
    loads the same file gets the same module (and pickles naming its classes resolve)."""
    p = Path(path).expanduser().resolve()
    import hashlib   # plugin files only: OpenSSL's load is a cost every command would pay

    stem = re.sub(r"\W", "_", p.stem) or "plugin"
    digest = hashlib.sha1(str(p).encode()).hexdigest()[:10]
    return f"bench_plugin_{stem}_{digest}"


def load_file_module(path: str | os.PathLike, label: str = "") -> Any:
    """Import the Python file ``path`` as a module named by :func:`module_name_for_file` (once per process)."""
    p = Path(path).expanduser().resolve()
    what = label or str(path)
    if not p.is_file():
        raise PluginError(f"{what}: {path}: no such file")
    name = module_name_for_file(p)
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    spec = importlib.util.spec_from_file_location(name, p)
    if spec is None or spec.loader is None:
        raise PluginError(f"{what}: {path}: not a Python file that can be imported")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod   # before executing: dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(mod)
    except BaseException as e:
        sys.modules.pop(name, None)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise PluginError(f"{what}: {path} failed to import: {_one_line(e, p)}") from e
    return mod


def load_spec(spec: str, kind: str = "factory") -> tuple[Callable[..., Any], str]:
    """The factory a spec names and its ``origin`` label (``module pkg.mod:f`` / ``file /abs/f.py:f``)."""
    target, attr, is_file = split_spec(spec)
    label = f"{kind} {spec!r}"
    if is_file:
        mod = load_file_module(target, label)
        source = f"file {Path(target).expanduser().resolve()}:{attr}"
    else:
        try:
            mod = importlib.import_module(target)
        except ModuleNotFoundError as e:
            if e.name and target.startswith(e.name):
                raise PluginError(f"{label}: no module named {e.name!r} (install it, or name a file: "
                                  f"path/to/file.py:{attr})") from None
            raise PluginError(f"{label}: {target} failed to import: {_one_line(e)}") from e
        except Exception as e:
            raise PluginError(f"{label}: {target} failed to import: {_one_line(e)}") from e
        source = f"module {target}:{attr}"
    obj: Any = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise PluginError(f"{label}: {target} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise PluginError(f"{label}: {target}:{attr} is a {type(obj).__name__}, not a factory")
    return obj, source


def _one_line(e: BaseException, file: Path | None = None) -> str:
    """``Type: message`` on one line, with the line of ``file`` where it was raised when known."""
    msg = " ".join(str(e).split())[:200]
    where = ""
    if file is not None:
        tb = e.__traceback__
        line = None
        while tb is not None:
            if Path(tb.tb_frame.f_code.co_filename).resolve() == file:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None and isinstance(e, SyntaxError) and e.lineno:
            line = e.lineno
        if line is not None:
            where = f" (line {line})"
    return f"{type(e).__name__}: {msg}{where}" if msg else f"{type(e).__name__}{where}"


__all__ = ["Registry", "Entry", "PluginError", "PluginWarning", "ENTRY_POINT_GROUPS", "BUILTIN", "normalise_name",
           "is_spec", "split_spec", "load_spec", "load_file_module", "module_name_for_file"]

"""A tiny name -> factory registry, in the spirit of timm's ``create_model`` / ``list_models``.

Trackers, models, datasets and protocols all register here so that the CLI can list them and build them
by name, and so that an unknown name produces an error that lists the known ones.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from bench.errors import UnknownNameError


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


class Registry:
    """Registered factories of one kind ("tracker", "dataset", ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, **meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: ``@REGISTRY.register("name", description=..., **meta)`` on a factory."""

        def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name, factory, **meta)
            return factory

        return deco

    def add(self, name: str, factory: Callable[..., Any], **meta: Any) -> None:
        key = normalise_name(name)
        if key in self._entries and self._entries[key].factory is not factory:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[key] = Entry(name, factory, dict(meta))

    def get(self, name: str) -> Entry:
        key = normalise_name(name)
        if key not in self._entries:
            known = self.names()
            close = difflib.get_close_matches(key, [normalise_name(n) for n in known], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint}; known: {', '.join(known) or 'none'}")
        return self._entries[key]

    def create(self, name: str, **kwargs: Any) -> Any:
        return self.get(name).factory(**kwargs)

    def names(self, **filters: Any) -> list[str]:
        """Registered names, sorted; ``filters`` keep entries whose meta matches (e.g. ``spiking=True``)."""
        return sorted(e.name for e in self.entries() if all(e.meta.get(k) == v for k, v in filters.items()))

    def entries(self) -> list[Entry]:
        return sorted(self._entries.values(), key=lambda e: e.name)

    def __contains__(self, name: str) -> bool:
        return normalise_name(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

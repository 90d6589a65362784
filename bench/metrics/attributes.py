"""Attribute-wise results: the same protocol on the sequences that carry one attribute.

The attribute tables are part of each benchmark's record, declared beside its adapter (LaSOT's in
``datasets/lasot.py``, TNL2K's in ``datasets/tnl2k.py``, OTB's in ``datasets/otb.py``, UAV123's in
``datasets/uav123.py``, each citing its toolkit). A subset is scored by running the protocol on it, so every
toolkit rule (e.g. LaSOT's dropping of all-zero curves) applies per attribute exactly as the toolkit's
attribute plots apply it.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from bench.core.errors import DataError
from bench.metrics.base import SequenceInput


def _tables() -> dict[str, tuple[tuple[str, str], ...]]:
    import datasets

    return {b.attribute_family: b.attributes for b in datasets.benchmarks() if b.attributes and b.attribute_family}


class _Tables(Mapping):
    """attribute family -> ``(abbreviation, label)`` table, read from the benchmark records on each access.

    The family is also the key the adapters use in ``Sequence.attributes``."""

    def __getitem__(self, family: str) -> tuple[tuple[str, str], ...]:
        return _tables()[family]

    def __iter__(self) -> Iterator[str]:
        return iter(_tables())

    def __len__(self) -> int:
        return len(_tables())


TABLES: Mapping[str, tuple[tuple[str, str], ...]] = _Tables()


def family_of(benchmark: str) -> str | None:
    """The attribute family of ``benchmark`` (any name or alias of it), None when it has no table."""
    import datasets

    b = datasets.find_benchmark(benchmark)
    return b.attribute_family if b is not None and b.attributes else None


def sequence_attributes(attrs: dict[str, Any], family: str) -> set[str]:
    """The attribute abbreviations of one sequence, from an adapter's ``attributes`` dict.

    Accepts ``{family: ["IV", ...]}`` (abbreviations) or ``{family + "_flags": [0, 1, ...]}`` (0/1 in the
    benchmark's column order).
    """
    table = TABLES[family]
    known = {a for a, _ in table}
    if family in attrs and attrs[family] is not None:
        return {str(a).upper() for a in attrs[family]} & known
    flags = attrs.get(f"{family}_flags")
    if flags is not None:
        flags = list(flags)
        if len(flags) != len(table):
            raise DataError(f"{family} attributes: expected {len(table)} flags, got {len(flags)}")
        return {a for (a, _), f in zip(table, flags) if float(f) > 0}
    return set()


def attribute_results(inputs: list[SequenceInput], protocol: str, dataset_mode: str,
                      benchmark: str) -> dict[str, Any]:
    """``{abbrev: {"name", "n_sequences", "metrics"}}`` for each attribute with at least one sequence."""
    from bench.metrics import evaluate

    family = family_of(benchmark)
    if family is None:
        import datasets

        known = ", ".join(b.display_name for b in datasets.benchmarks() if b.attributes)
        raise DataError(f"no attribute table for dataset {benchmark!r}; known: {known}")
    per_seq = [sequence_attributes(s.attributes, family) for s in inputs]
    if not any(per_seq):
        raise DataError(f"{benchmark}: the sequences carry no {family} attribute annotations")
    out: dict[str, Any] = {}
    for abbrev, name in TABLES[family]:
        subset = [s for s, a in zip(inputs, per_seq) if abbrev in a]
        if not subset:
            continue
        r = evaluate(subset, protocol, dataset_mode)
        out[abbrev] = {"name": name, "n_sequences": len(subset), "metrics": dict(r.metrics)}
    return out

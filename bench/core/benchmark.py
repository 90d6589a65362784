"""The one record of a benchmark's facts, declared beside its dataset adapter.

Every table that used to repeat a benchmark's facts (default protocol, toolkit mode, attribute table,
display name, submission format, name aliases) is derived from the :class:`Benchmark` its adapter
registers with ``datasets.register_dataset(..., benchmark=Benchmark(...))``. Reports, metrics and the CLI
read it through ``datasets.benchmark_info(name)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Benchmark:
    """What the suite must know of one benchmark to run, score, label and submit it.

    ``name`` is the registry name (``--dataset``). ``display_name`` spells it as its authors do.
    ``default_protocol`` names the protocol reproducing the authors' own evaluation code.
    ``toolkit_mode`` is the dataset string the toolkits branch on (pytracking's ``seq.dataset``).
    ``attributes`` lists ``(abbreviation, label)`` in the column order of the benchmark's attribute files;
    ``attribute_family`` is the key the adapter uses for them in ``Sequence.attributes`` (benchmarks that
    share a table, e.g. LaSOT and LaSOT_ext, share the family). ``submission`` names the server's upload
    format (``"got10k"``, ``"trackingnet"``) where test results are scored remotely. ``aliases`` are other
    spellings of the name found in results folders and papers (``"otb2015"``, ``"lasot_extension_subset"``).
    ``results`` is what a run writes: ``"ope"`` (one box per frame) or ``"vot"`` (reset-based trajectories).
    """

    name: str
    display_name: str
    default_protocol: str
    toolkit_mode: str
    description: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    attribute_family: str | None = None
    submission: str | None = None
    aliases: tuple[str, ...] = ()
    results: str = "ope"
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.results not in ("ope", "vot"):
            raise ValueError(f"benchmark {self.name}: results must be 'ope' or 'vot', not {self.results!r}")
        if self.attributes and not self.attribute_family:
            raise ValueError(f"benchmark {self.name}: attributes given without attribute_family")

    @property
    def attribute_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.attributes)

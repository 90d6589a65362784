"""Accuracy metrics: every official toolkit's protocol, by name.

>>> from bench.metrics import SequenceInput, evaluate
>>> import numpy as np
>>> gt = np.array([[10, 10, 20, 20], [12, 10, 20, 20], [14, 10, 20, 20]], float)
>>> r = evaluate([SequenceInput("s", gt, gt + [1, 0, 0, 0])], "pysot", "otb")
>>> round(r.metrics["precision"], 3)
1.0

``bench list protocols`` shows the registered protocols; docs/protocols.md says what each one does and
where the toolkits disagree. Protocol modules (one per toolkit: ``pytracking``, ``pysot``, ``got10k``,
``matlab``, ``trackingnet``, ``vot2018``, ``vot2020``) register themselves on import; the OPE ones run on
:mod:`bench.metrics.engine`.
"""
from __future__ import annotations

from typing import Any, Iterable

from bench.core.errors import DataError
from bench.metrics.base import INPUTS, PROTOCOLS, EvalResult, SequenceInput, check_inputs, register_protocol
from bench.core.registry import import_package_modules, normalise_name


def default_protocol(dataset: str) -> str:
    """The protocol the authors of ``dataset`` use: its benchmark record's (``pytracking`` when no adapter
    reads it). The records live beside the adapters (``datasets/<adapter>.py``)."""
    from datasets import find_benchmark

    b = find_benchmark(dataset)
    return b.default_protocol if b is not None else "pytracking"


def dataset_mode_for(dataset: str) -> str:
    """The dataset string the toolkits branch on: the record's ``toolkit_mode`` (else the normalised name)."""
    from datasets import find_benchmark

    b = find_benchmark(dataset)
    return b.toolkit_mode if b is not None else normalise_name(dataset)


def evaluate(sequences: Iterable[SequenceInput], protocol: str, dataset_mode: str = "otb",
             **options: Any) -> EvalResult:
    """Score ``sequences`` under ``protocol`` (a :data:`PROTOCOLS` name) for the ``dataset_mode`` branch.

    Raises :class:`bench.core.errors.DataError` where the official toolkit would raise (the message says so).
    """
    entry = PROTOCOLS.get(protocol)
    seqs = list(sequences)
    if not seqs:
        raise DataError(f"protocol {entry.name}: no sequences to evaluate")
    result = entry.factory(seqs, dataset_mode=dataset_mode, **options)
    result.protocol = entry.name
    return result


def list_protocols(**filters: Any) -> list[str]:
    return PROTOCOLS.names(**filters)


#: modules of this package that register no protocol (the rest are imported to find the protocols).
_INFRASTRUCTURE = frozenset({"base", "engine", "attributes", "bootstrap"})


def _import_protocol_modules() -> None:
    """Import every protocol module: each non-underscore module (or package) of ``bench.metrics`` other
    than the infrastructure ones, so a new ``bench/metrics/<name>.py`` calling :func:`register_protocol`
    is found without editing any other file."""
    import_package_modules(__name__, __path__, _INFRASTRUCTURE)


_import_protocol_modules()

__all__ = ["SequenceInput", "EvalResult", "PROTOCOLS", "INPUTS", "register_protocol", "check_inputs", "evaluate",
           "list_protocols", "default_protocol", "dataset_mode_for"]

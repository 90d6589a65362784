"""Accuracy metrics: every official toolkit's protocol, by name.

>>> from bench.metrics import SequenceInput, evaluate
>>> import numpy as np
>>> gt = np.array([[10, 10, 20, 20], [12, 10, 20, 20], [14, 10, 20, 20]], float)
>>> r = evaluate([SequenceInput("s", gt, gt + [1, 0, 0, 0])], "pysot", "otb")
>>> round(r.metrics["precision"], 3)
1.0

``bench list protocols`` shows the registered protocols; docs/protocols.md says what each one does and
where the toolkits disagree. Protocol modules (``ope``, ``vot*``) register themselves on import.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Iterable

from bench.errors import DataError
from bench.metrics.base import PROTOCOLS, EvalResult, SequenceInput, register_protocol
from bench.registry import normalise_name

#: The protocol each benchmark's own authors use (their official evaluation code).
DEFAULT_PROTOCOL: dict[str, str] = {
    "lasot": "lasot-toolkit",          # LaSOT MATLAB toolkit (HengLan/LaSOT_Evaluation_Toolkit)
    "lasot_ext": "lasot-toolkit",      # LaSOT_ext is scored with the same toolkit
    "tnl2k": "lasot-toolkit",          # TNL2K_evaluation_toolkit = the same MATLAB code on TNL2K annotations
    "otb100": "otb-toolkit",           # OTB MATLAB toolkit (the code the LaSOT toolkit derives from)
    "otb50": "otb-toolkit",
    "otb2013": "otb-toolkit",
    "demo": "otb-toolkit",             # embedded OTB sequences
    "uav123": "otb-toolkit",           # UAV123's toolkit is a modified OTB toolkit
    "uav20l": "otb-toolkit",
    "nfs": "otb-toolkit",              # NfS was benchmarked with the OTB toolkit
    "got10k": "got10k-val",            # got10k toolkit ExperimentGOT10k (val; test is scored by the server)
    "trackingnet": "trackingnet-devkit",  # TrackingNet devkit metrics.py (test is scored by the server)
    "vot2020": "vot2020",
    "vot2018": "vot2018",
}

#: The dataset string each benchmark's metrics branches on (pytracking's ``seq.dataset``).
DATASET_MODE: dict[str, str] = {
    "lasot": "lasot", "lasot_ext": "lasot_extension_subset", "tnl2k": "tnl2k", "otb100": "otb",
    "demo": "otb", "otb50": "otb", "otb2013": "otb", "uav123": "uav", "uav20l": "uav", "nfs": "nfs",
    "got10k": "got10k", "trackingnet": "trackingnet", "vot2018": "vot", "vot2020": "vot",
}


def default_protocol(dataset: str) -> str:
    """The protocol the authors of ``dataset`` use (falls back to ``pytracking``)."""
    key = normalise_name(dataset)
    for name, proto in DEFAULT_PROTOCOL.items():
        if normalise_name(name) == key:
            return proto
    return "pytracking"


def dataset_mode_for(dataset: str) -> str:
    key = normalise_name(dataset)
    for name, mode in DATASET_MODE.items():
        if normalise_name(name) == key:
            return mode
    return key


def evaluate(sequences: Iterable[SequenceInput], protocol: str, dataset_mode: str = "otb",
             **options: Any) -> EvalResult:
    """Score ``sequences`` under ``protocol`` (a :data:`PROTOCOLS` name) for the ``dataset_mode`` branch.

    Raises :class:`bench.errors.DataError` where the official toolkit would raise (the message says so).
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


def _import_protocol_modules() -> None:
    for m in pkgutil.iter_modules(__path__):
        if m.name.startswith(("ope", "vot")):
            importlib.import_module(f"{__name__}.{m.name}")


_import_protocol_modules()

__all__ = ["SequenceInput", "EvalResult", "PROTOCOLS", "register_protocol", "evaluate", "list_protocols",
           "DEFAULT_PROTOCOL", "DATASET_MODE", "default_protocol", "dataset_mode_for"]

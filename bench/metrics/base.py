"""What every accuracy protocol takes and returns, and the registry the protocols live in.

A protocol is a function ``(sequences, dataset_mode, **options) -> EvalResult`` registered in
:data:`PROTOCOLS` under the name users pass to ``--protocol``. Each reproduces one official toolkit; the
inputs are plain arrays so the same sequences can be scored by every toolkit side by side.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from bench.core.errors import DataError
from bench.core.registry import Registry

#: protocol name -> factory ``(sequences, dataset_mode, **options) -> EvalResult``.
#: meta: ``description``, ``kind`` ("ope" / "vot"),
#: ``metrics`` (keys it reports), ``source`` (the official code it reproduces),
#: ``needs`` (tuple of the :data:`INPUTS` it requires; :func:`check_inputs` refuses results without them) and
#: ``main_metric`` (the ``metrics`` key of its headline number: "auc", "ao", "eao", ...). Which benchmarks use
#: a protocol by default is said by their records (``bench.core.benchmark.Benchmark.default_protocol``).
PROTOCOLS = Registry("protocol")

#: what a protocol may need, and how a refusal names it.
INPUTS: dict[str, str] = {
    "boxes": "one-pass boxes (one x,y,w,h result file per sequence)",
    "vot_trajectories": "reset-based VOT trajectories (`bench vot run`: frame 1 = the initialisation marker 1)",
    "repetitions": "several runs per sequence (<seq>_001.txt, <seq>_002.txt ...)",
}


def register_protocol(name: str, **meta: Any) -> Callable:
    """Decorator registering a protocol under ``name`` (see :data:`PROTOCOLS` for the meta keys).

    A protocol that does not declare ``needs`` reads what its ``kind`` reads: reset-based trajectories for
    ``"vot"``, one box file per sequence otherwise."""
    meta.setdefault("needs", ("vot_trajectories",) if meta.get("kind") == "vot" else ("boxes",))
    unknown = [n for n in meta["needs"] if n not in INPUTS]
    if unknown:
        raise ValueError(f"protocol {name}: unknown needs {unknown}; known: {', '.join(INPUTS)}")
    return PROTOCOLS.register(name, **meta)


def missing_inputs(protocol: str, available: set[str]) -> str | None:
    """One line saying what ``protocol`` needs that ``available`` lacks, or None when nothing is missing."""
    entry = PROTOCOLS.get(protocol)
    missing = [n for n in entry.meta.get("needs", ()) if n not in available]
    if not missing:
        return None
    have = [INPUTS[n].split(" (")[0] for n in INPUTS if n in available]
    hint = ""
    if "vot_trajectories" in missing and "boxes" in available:
        hint = ": score them with an OPE protocol"
    elif "boxes" in missing and "vot_trajectories" in available:
        hint = ": score them with a reset-based VOT protocol (vot2018, vot201x-pysot)"
    return (f"protocol {entry.name} needs {' and '.join(INPUTS[n] for n in missing)}; these results are "
            f"{' with '.join(have) if have else 'none of these'}{hint}")


def check_inputs(protocol: str, available: set[str]) -> None:
    """Raise :class:`DataError` (one line naming the protocol and what is missing) unless results offering
    ``available`` (names from :data:`INPUTS`) can be scored by ``protocol``."""
    msg = missing_inputs(protocol, available)
    if msg is not None:
        raise DataError(msg)


@dataclass
class SequenceInput:
    """One sequence as a metric sees it.

    ``gt`` is (N, 4) ``x, y, w, h`` float64 (NaN rows allowed), ``pred`` the tracker's (M, 4) boxes (M may
    differ from N: each protocol handles that as its toolkit does). ``flags`` holds per-frame arrays named
    as the benchmarks name them (``full_occlusion``, ``out_of_view``, ``absent``, ``cover``, ``absence``), plus
    ``target_visible`` (1 = visible) where a benchmark's loader gives pytracking's per-frame visibility.
    ``image_size`` is ``(W, H)`` (GOT-10k clips boxes to it). ``extra_preds`` are further repetitions
    (GOT-10k ``<seq>_002.txt`` ...). ``extra`` carries protocol-specific inputs (e.g. VOT trajectories).
    """

    name: str
    gt: Any
    pred: Any = None
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    image_size: tuple[int, int] | None = None
    extra_preds: list[np.ndarray] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def flag(self, name: str) -> np.ndarray | None:
        v = self.flags.get(name)
        return None if v is None else np.asarray(v)


@dataclass
class EvalResult:
    """Scores of one tracker on one set of sequences under one protocol.

    ``metrics`` are fractions in [0, 1] (auc, precision, norm_precision, op50, op75, ao, sr50, sr75, ...).
    ``curves`` maps a curve name to ``(thresholds, values)``. ``seq_values``/``seq_weights`` give, per
    metric key, the per-sequence quantity and weight whose weighted mean is the metric; the bootstrap
    resamples those (weight 0 = sequence ignored by the toolkit, e.g. LaSOT's dropped all-zero curves).
    """

    protocol: str
    dataset_mode: str
    metrics: dict[str, float]
    sequence_names: list[str] = field(default_factory=list)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    per_sequence: list[dict[str, Any]] = field(default_factory=list)
    seq_values: dict[str, np.ndarray] = field(default_factory=dict)
    seq_weights: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_sequences(self) -> int:
        return len(self.sequence_names)

    def per_sequence_metric(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(values, weights)`` over sequences for metric ``key`` (weights default to 1)."""
        if key not in self.seq_values:
            raise DataError(f"protocol {self.protocol}: no per-sequence values for {key!r}; "
                            f"available: {', '.join(sorted(self.seq_values)) or 'none'}")
        v = np.asarray(self.seq_values[key], dtype=np.float64)
        w = self.seq_weights.get(key)
        w = np.ones_like(v) if w is None else np.asarray(w, dtype=np.float64)
        return v, w

    def to_dict(self, per_sequence: bool = True) -> dict[str, Any]:
        """JSON-able; names the protocol and the settings that produced the figures."""
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "dataset_mode": self.dataset_mode,
            "n_sequences": self.n_sequences,
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "curves": {k: {"thresholds": [_num(x) for x in t], "values": [_num(x) for x in v]}
                       for k, (t, v) in self.curves.items()},
            "settings": self.settings,
        }
        if self.notes:
            out["notes"] = list(self.notes)
        if per_sequence:
            out["per_sequence"] = [{k: (_num(v) if isinstance(v, (float, np.floating, np.integer)) else v)
                                    for k, v in d.items()} for d in self.per_sequence]
        return out


def _num(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    v = float(v)
    return None if v != v else v

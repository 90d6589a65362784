"""What a report is made of: plain data, filled by :mod:`reports.collect`, read by every writer.

The writers (Excel, plots, tables) never touch the results store or a dataset; they take a
:class:`ReportData`. That keeps them testable on hand-made data and guarantees that a report shows
exactly the stored figures, never a re-run.

Units (one convention everywhere, so no writer has to guess):

* accuracy metrics (``auc``, ``precision``, ``norm_precision``, ``ao``, ``sr50``, ``sr75``, ``op50``,
  ``op75``) are fractions in [0, 1], as :mod:`bench.metrics` returns them; ``eao``, ``accuracy`` and
  ``robustness`` are the VOT numbers as the VOT toolkit prints them (also in [0, 1]);
* ``params`` is a count, ``gmacs`` and ``gsops`` are billions per frame, ``energy_mj`` is millijoules per
  frame, ``fps`` frames per second on ``device``;
* firing rates are the mean integer spike count per neuron and time step (SpikeTrack's convention,
  which can exceed 1; a spike of k counts k), keyed branch -> layer -> one value per time step; the
  binary-equivalent rate (fraction of neurons that fire) is ``1 - activation_sparsity``;
* every energy figure carries the name of its energy model (``energy_by_model``; ``energy_mj`` is the
  model ``energy_model["model"]`` names);
* a profile made with random weights (``random_weights``) keeps only the figures that do not depend on
  the weights (:data:`WEIGHT_DEPENDENT`): :meth:`EfficiencyProfile.value` leaves the others out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

#: metric key -> (column label, unit shown in headers, Excel number format, kind)
#: kind "fraction": stored as a fraction, shown as a percentage; "score": shown as 0.000.
METRICS: dict[str, tuple[str, str, str, str]] = {
    "auc": ("AUC", "%", "0.0%", "fraction"),
    "precision": ("P", "%", "0.0%", "fraction"),
    "norm_precision": ("P_norm", "%", "0.0%", "fraction"),
    "ao": ("AO", "%", "0.0%", "fraction"),
    "sr50": ("SR0.5", "%", "0.0%", "fraction"),
    "sr75": ("SR0.75", "%", "0.0%", "fraction"),
    "op50": ("OP50", "%", "0.0%", "fraction"),
    "op75": ("OP75", "%", "0.0%", "fraction"),
    "eao": ("EAO", "", "0.000", "score"),
    "accuracy": ("A", "", "0.000", "score"),
    "robustness": ("R", "", "0.000", "score"),
}

#: efficiency key -> (column label with unit, Excel number format)
EFFICIENCY: dict[str, tuple[str, str]] = {
    "params_m": ("Params (M)", "0.00"),
    "gmacs": ("GMACs (G/frame)", "0.00"),
    "gsops": ("SOPs (G/frame)", "0.00"),
    "energy_mj": ("Energy (mJ/frame)", "0.00"),
    "fps": ("FPS (frames/s)", "0.0"),
}

#: efficiency figures that depend on the weights: left out of reports for random-weights profiles
#: (params, MACs, footprint and latency follow from the architecture and stay)
WEIGHT_DEPENDENT = ("gsops", "energy_mj", "connection_sparsity", "activation_sparsity", "effective_acs",
                    "firing_rates")
#: NeuroBench's leaderboard columns after its correctness metric, in its order (NeuroBench leaderboard.md),
#: as ``profile.json["neurobench"]`` names them (bench.efficiency.neurobench), with the workbook's labels
NEUROBENCH: dict[str, str] = {
    "footprint": "Footprint (bytes)",
    "model_exec_rate": "Model Exec. Rate (executions/frame)",
    "connection_sparsity": "Connection Sparsity",
    "activation_sparsity": "Activation Sparsity",
    "dense": "Dense (SynOps/frame)",
    "effective_macs": "Eff_MACs (/frame)",
    "effective_acs": "Eff_ACs (/frame)",
}
#: x-axis key of an accuracy-vs-energy chart under one energy model: ``energy:<model name>``
ENERGY_PREFIX = "energy:"

#: the curve names a report draws, with the metric whose value goes into the legend
CURVES: dict[str, str] = {"success": "auc", "precision": "precision", "norm_precision": "norm_precision"}

def benchmark_key(name: str) -> str:
    """Canonical key of a benchmark name: ``"GOT-10k"``, ``"got10k"`` and ``"GOT_10K"`` are one benchmark,
    and so is any alias in its record (``"otb2015"`` -> ``"otb100"``, ``"LaSOT_extension_subset"`` ->
    ``"lasotext"``). The key is the record's name with non-alphanumerics dropped; a name no adapter reads
    (``vot2019``) keys as itself."""
    import datasets
    from datasets.registry import name_key

    b = datasets.find_benchmark(str(name))
    return name_key(b.name if b is not None else name)


def benchmark_label(name: str) -> str:
    """The benchmark's name as its authors spell it (its record's ``display_name``), else the name given."""
    import datasets

    b = datasets.find_benchmark(str(name))
    return b.display_name if b is not None else str(name)


def metric_label(key: str, with_unit: bool = True) -> str:
    label, unit, _, _ = METRICS.get(key, (key, "", "0.000", "score"))
    return f"{label} ({unit})" if with_unit and unit else label


@dataclass
class Curve:
    """One curve: ``values[i]`` at ``thresholds[i]`` (fractions for success and precision rates)."""

    thresholds: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        self.thresholds = np.asarray(self.thresholds, dtype=np.float64)
        self.values = np.asarray(self.values, dtype=np.float64)


@dataclass
class BenchmarkResult:
    """The scores of one tracker (run) on one benchmark, under one named protocol.

    ``per_sequence``: one dict per sequence, ``{"sequence": name, <metric>: value, ...}``.
    ``attributes``: attribute name -> ``{"sequences": n, <metric>: value, ...}`` (subset scores).
    """

    tracker: str
    benchmark: str
    protocol: str
    metrics: dict[str, float]
    curves: dict[str, Curve] = field(default_factory=dict)
    per_sequence: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, dict[str, float]] = field(default_factory=dict)
    n_sequences: int = 0
    source: str = ""


@dataclass
class EfficiencyProfile:
    """Efficiency of one tracker, as measured by ``bench profile`` (``profile.json``)."""

    tracker: str
    params: float | None = None
    gmacs: float | None = None
    gsops: float | None = None
    energy_mj: float | None = None
    fps: float | None = None
    device: str | None = None
    spiking: bool | None = None
    #: branch ("template", "search") -> layer name -> firing rate per time step
    firing_rates: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: rows ``{"component", "gmacs", "gsops", "mac_mj", "ac_mj", "total_mj"}`` (missing keys allowed)
    energy_breakdown: list[dict[str, Any]] = field(default_factory=list)
    #: how energy was computed (constants in pJ, convention text; ``model``: the quoted model's name)
    energy_model: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    #: energy model name -> mJ per tracked frame (template amortised), every model the profile holds
    energy_by_model: dict[str, float | None] = field(default_factory=dict)
    #: NeuroBench's metric set (bench.efficiency.neurobench: footprint, connection_sparsity, ...)
    neurobench: dict[str, Any] = field(default_factory=dict)
    #: True: profiled without trained weights (weight-dependent figures are not valid)
    random_weights: bool | None = None
    #: what the firing rates are
    rate_unit: str = "mean integer spike count per neuron and time step"
    #: ``profile.json["metrics"]`` (bench.efficiency.metrics): name -> ``{"value", "unit", "label",
    #: "weight_dependent", ...}``, every registered efficiency metric, shown generically
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def params_m(self) -> float | None:
        return None if self.params is None else self.params / 1e6

    def value(self, key: str) -> float | None:
        """An :data:`EFFICIENCY` value by key, ``energy:<model>`` for one energy model's figure, or a
        NeuroBench metric; ``None`` for a weight-dependent figure of a random-weights profile."""
        if self.random_weights and (key in WEIGHT_DEPENDENT or key.startswith(ENERGY_PREFIX)):
            return None
        if key == "params_m":
            return self.params_m
        if key.startswith(ENERGY_PREFIX):
            return self.energy_by_model.get(key[len(ENERGY_PREFIX):])
        if key in self.neurobench and not hasattr(self, key):
            return self.neurobench.get(key)
        return getattr(self, key, None)

    def metric(self, name: str) -> float | None:
        """The value of efficiency metric ``name`` (:attr:`metrics`); ``None`` where it has none, and for a
        weight-dependent metric of a random-weights profile."""
        m = self.metrics.get(name) or {}
        if self.random_weights and m.get("weight_dependent", True):
            return None
        return m.get("value")


@dataclass
class PublishedValue:
    """A number copied from a paper or an official README; never mixed with measured figures.

    ``value`` follows this module's units (fractions for accuracy, counts for params, ...).
    """

    tracker: str
    benchmark: str
    metric: str
    value: float
    source: str
    note: str = ""
    spiking: bool | None = None


@dataclass
class ReportData:
    """Everything one report shows."""

    results: list[BenchmarkResult] = field(default_factory=list)
    profiles: dict[str, EfficiencyProfile] = field(default_factory=dict)
    published: list[PublishedValue] = field(default_factory=list)
    #: tracker -> True (spiking) / False (ANN); trackers not listed are treated as ANN
    spiking: dict[str, bool] = field(default_factory=dict)
    #: tracker -> registry family ("spiketrack", "ostrack", "classical", ...), where known
    families: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def trackers(self) -> list[str]:
        """Measured trackers (results or profiles), in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.results:
            seen.setdefault(r.tracker)
        for t in self.profiles:
            seen.setdefault(t)
        return list(seen)

    def published_trackers(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.published:
            seen.setdefault(p.tracker)
        return list(seen)

    def benchmarks(self, include_published: bool = False) -> list[str]:
        """Benchmark keys in first-seen order (measured first)."""
        seen: dict[str, None] = {}
        for r in self.results:
            seen.setdefault(benchmark_key(r.benchmark))
        if include_published:
            for p in self.published:
                if p.benchmark:
                    seen.setdefault(benchmark_key(p.benchmark))
        return list(seen)

    def result(self, tracker: str, benchmark: str) -> BenchmarkResult | None:
        key = benchmark_key(benchmark)
        for r in self.results:
            if r.tracker == tracker and benchmark_key(r.benchmark) == key:
                return r
        return None

    def results_for(self, benchmark: str) -> list[BenchmarkResult]:
        key = benchmark_key(benchmark)
        return [r for r in self.results if benchmark_key(r.benchmark) == key]

    def metrics_for(self, benchmark: str, include_published: bool = False) -> list[str]:
        """Metric keys present on ``benchmark``, in :data:`METRICS` order."""
        present: set[str] = set()
        for r in self.results_for(benchmark):
            present.update(k for k, v in r.metrics.items() if v is not None)
        if include_published:
            key = benchmark_key(benchmark)
            present.update(p.metric for p in self.published if benchmark_key(p.benchmark) == key)
        return [k for k in METRICS if k in present]

    def protocol_for(self, benchmark: str) -> str:
        """The protocol(s) behind a benchmark's measured figures (joined when runs differ)."""
        protos = sorted({r.protocol for r in self.results_for(benchmark)})
        return " / ".join(protos)

    def published_value(self, tracker: str, benchmark: str, metric: str) -> PublishedValue | None:
        key = benchmark_key(benchmark)
        for p in self.published:
            if p.tracker == tracker and p.metric == metric and benchmark_key(p.benchmark) == key:
                return p
        return None

    def tracker_type(self, tracker: str) -> str:
        """``SNN``, ``ANN``, or ``classical`` (OpenCV trackers are neither network kind)."""
        if self.is_spiking(tracker):
            return "SNN"
        return "classical" if self.families.get(tracker) == "classical" else "ANN"

    def is_spiking(self, tracker: str) -> bool:
        if tracker in self.spiking:
            return bool(self.spiking[tracker])
        prof = self.profiles.get(tracker)
        if prof is not None and prof.spiking is not None:
            return bool(prof.spiking)
        return any(p.spiking for p in self.published if p.tracker == tracker)


def sorted_by(items: Iterable[Any], key, reverse: bool = True) -> list[Any]:
    """Sort with missing (None/NaN) keys last, whatever the direction."""
    def k(item):
        v = key(item)
        missing = v is None or (isinstance(v, float) and v != v)
        return (missing, -v if (reverse and not missing) else (0 if missing else v))
    return sorted(items, key=k)

"""What an efficiency metric may read: :class:`ProfileView`, a typed, read-only view of one profile.

Built from the ``profile.json`` document :func:`bench.efficiency.profile.profile_tracker` writes (plus the
model while the profiler still holds it), so a metric never parses the document's nested keys itself and
every metric sees the same per-frame weighting. Per tracked frame means: every branch once per call of
it, the template branch weighted by :attr:`ProfileView.template_rate`, the rate the quoted energy figure
uses (:func:`bench.efficiency.headline.headline`), as the reports weigh MACs and SOPs.

No torch here: the view is built and read without the counting engine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from bench.efficiency.headline import headline

if TYPE_CHECKING:
    from torch import nn


class NotApplicable(Exception):
    """Raised by a metric that does not apply to a profile; its message (one line) is stored as the reason."""


def _float(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class BranchView:
    """One branch's totals per call of the branch (``profile.json["branches"][name]``)."""

    name: str
    calls: int
    macs: float
    sops: float
    spike_fed_macs: float
    real_input_macs: float
    mean_count: float | None
    #: calls of this branch per tracked frame: 1 for every branch but the template one (its rate)
    per_frame_weight: float


@dataclass(frozen=True)
class LayerView:
    """One (module path, operator, branch) row of ``profile.json["layers"]``, per call of its branch."""

    path: str
    op: str
    branch: str
    params: int
    macs: float
    sops: float
    spike_fed: bool
    mean_count: float | None


@dataclass(frozen=True)
class NeuronView:
    """One (neuron, branch) row of ``profile.json["neurons"]``: firing per entry (time step)."""

    name: str
    branch: str
    #: mean integer spike count per neuron and step (0..D; a spike of k counts k)
    mean_count: tuple[float | None, ...]
    #: binary-equivalent rate per step (fraction of outputs with a spike), where recorded
    nonzero_fraction: tuple[float | None, ...] | None
    spike_scale: int | None


def _ro(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class ProfileView:
    """What the profiler measured, as a metric may use it. Figures a profile lacks are ``None``; a metric
    that needs one raises :class:`NotApplicable` (:meth:`need` does it in one line)."""

    tracker: str
    dataset: str
    spiking: bool
    random_weights: bool
    #: tracked frames counted (initialisation frames excluded)
    tracked_frames: int
    params: int | None
    spike_scale: int | None
    #: template-branch calls per tracked frame that weigh the template branch in every per-frame figure
    template_rate: float
    branches: Mapping[str, BranchView]
    layers: tuple[LayerView, ...]
    neurons: tuple[NeuronView, ...]
    #: mJ per tracked frame under the quoted energy model (``energy_model``), template amortised
    energy_mJ: float | None
    energy_model: str | None
    energy_by_model_mJ: Mapping[str, float | None]
    #: mean ms per tracked frame: inside the model's forward calls / the whole track() call
    model_latency_ms: float | None
    end_to_end_latency_ms: float | None
    #: NeuroBench's metric set (``profile.json["neurobench"]``)
    neurobench: Mapping[str, Any]
    #: the whole document, read-only at the top level, for anything not typed above
    doc: Mapping[str, Any] = field(repr=False)
    #: the tracker's ``torch.nn.Module`` while the profiler holds it; ``None`` when re-read from a file
    model: nn.Module | None = field(default=None, repr=False, compare=False)

    def per_frame(self, key: str) -> float | None:
        """A :class:`BranchView` figure (``"macs"``, ``"sops"``, ``"real_input_macs"`` ...) per tracked
        frame; ``None`` without counted branches."""
        if not self.branches:
            return None
        return sum(float(getattr(b, key)) * b.per_frame_weight for b in self.branches.values())

    def need(self, value: Any, what: str) -> Any:
        """``value``, or raise :class:`NotApplicable` saying ``what`` the profile lacks."""
        if value is None:
            raise NotApplicable(f"the profile has no {what}")
        return value

    @classmethod
    def from_profile(cls, doc: Mapping[str, Any], model: nn.Module | None = None) -> "ProfileView":
        head = headline(doc)
        rate = _float(head.get("template_rate")) or 0.0
        branches = {}
        for name, b in (doc.get("branches") or {}).items():
            branches[str(name)] = BranchView(
                name=str(name), calls=int(b.get("calls") or 0), macs=float(b.get("macs") or 0.0),
                sops=float(b.get("sops") or 0.0), spike_fed_macs=float(b.get("spike_fed_macs") or 0.0),
                real_input_macs=float(b.get("real_input_macs") or 0.0), mean_count=_float(b.get("mean_count")),
                per_frame_weight=rate if name == "template" else 1.0)
        layers = tuple(LayerView(path=str(r.get("path", "")), op=str(r.get("op", "")), branch=str(r.get("branch")),
                                 params=int(r.get("params") or 0), macs=float(r.get("macs") or 0.0),
                                 sops=float(r.get("sops") or 0.0), spike_fed=bool(r.get("spike_fed")),
                                 mean_count=_float(r.get("mean_count")))
                       for r in doc.get("layers") or [])
        neurons = []
        for n in doc.get("neurons") or []:
            mc, nz = n.get("mean_count"), n.get("nonzero_fraction")
            neurons.append(NeuronView(
                name=str(n.get("name")), branch=str(n.get("branch")),
                mean_count=tuple(_float(v) for v in mc) if isinstance(mc, list) else (_float(mc),),
                nonzero_fraction=tuple(_float(v) for v in nz) if isinstance(nz, list) else None,
                spike_scale=n.get("spike_scale")))
        clocks = ((doc.get("latency") or {}).get("all_frames") or {})

        def ms(clock: str) -> float | None:
            s = _float((clocks.get(clock) or {}).get("mean_s"))
            return None if s is None else s * 1e3

        params = doc.get("params")
        return cls(
            tracker=str(doc.get("tracker", "")), dataset=str(doc.get("dataset", "")), spiking=bool(doc.get("spiking")),
            random_weights=bool(doc.get("random_weights")),
            tracked_frames=int((doc.get("frames") or {}).get("track", 0)),
            params=int(params) if isinstance(params, (int, float)) else None, spike_scale=doc.get("spike_scale"),
            template_rate=rate, branches=MappingProxyType(branches), layers=layers, neurons=tuple(neurons),
            energy_mJ=_float(head.get("energy_mJ")), energy_model=head.get("model") if head.get("figure") else None,
            energy_by_model_mJ=_ro(head.get("by_model")), model_latency_ms=ms("model"),
            end_to_end_latency_ms=ms("end_to_end"), neurobench=_ro(doc.get("neurobench")), doc=_ro(doc), model=model)


__all__ = ["ProfileView", "BranchView", "LayerView", "NeuronView", "NotApplicable"]

"""NeuroBench's metric set for any tracker, from this suite's counts (Yik et al., Nature Communications 2025).

Key names as ``profile.json`` stores them, with NeuroBench 2.3.0's definitions (file names are in the
``neurobench`` package):

* ``footprint`` -- bytes of every parameter and buffer (``metrics/static/footprint.py:19-23``);
* ``connection_sparsity`` -- zero weights / weights of the ``Linear``/``Conv1d``/``Conv2d``/``Conv3d`` layers
  (and recurrent layers' weight matrices), biases excluded (``metrics/static/connection_sparsity.py:47``;
  NeuroBench rounds it to 4 decimals, :116, this suite does not);
* ``activation_sparsity`` -- zero outputs / outputs of the activation modules: spiking neurons, ``ReLU``,
  ``Sigmoid`` (``blocks/activation.py:3``, ``metrics/workload/activation_sparsity.py:44-54``), over every
  profiled frame;
* synaptic operations (``metrics/workload/synaptic_operations.py:63-70``, bias excluded at
  ``metrics/utils/layers/macs.py:13``) per tracked frame: ``dense`` -- every
  MAC as if all inputs and weights were non-zero; ``effective_macs`` -- MACs of layers whose input is not
  spikes; ``effective_acs`` -- accumulations of layers fed by spikes.

Where the two differ (docs/energy.md):

* integer spikes: NeuroBench binarises a layer's input (``metrics/utils/layers/input.py:54``: a spike tensor is
  one whose values are all in {-1, 0, 1}) and counts one operation per non-zero input x non-zero weight.
  SpikeTrack's normalised counts (0.25, 0.5, ...) fail that test, so NeuroBench counts its spike-fed layers
  as MACs; were they binarised, a spike of k would count once. Here a spike of k counts k accumulations:
  ``effective_acs`` = the suite's SOPs;
* NeuroBench sees ``Linear``/``Conv``/recurrent modules only; here every executed convolution and matrix
  product counts (attention's products included), so ``dense`` = all MACs executed;
* NeuroBench skips exact-zero inputs and weights in its effective counts, and its convolutions are exact at
  zero-padded borders; here ``effective_macs`` are the dense MACs of real-valued-input layers and
  ``effective_acs`` = MACs x mean count (exact for linear layers and 1x1 convolutions; the usual
  MACs x rate approximation at padded k x k borders). On a binary-spike network of linear layers and 1x1
  convolutions with no zero weight or real input the two agree (tests/test_neurobench.py).

Synaptic operations are per tracked frame: the search branch once, the template branch (template
encodings / tracked frames) times, as energy is amortised (:mod:`bench.efficiency.energy_models`).
"""
from __future__ import annotations

from typing import Any, Mapping

from torch import nn

from bench.efficiency.energy_models import TEMPLATE

NEUROBENCH = "NeuroBench 2.3.0 (Yik et al., Nature Communications 2025)"
#: NeuroBench's leaderboard columns after the correctness metric, in its order (neurobench leaderboard.md):
#: Footprint, Model Exec. Rate, Connection Sparsity, Activation Sparsity, Dense, Eff_MACs, Eff_ACs
LEADERBOARD_COLUMNS = ("footprint", "model_exec_rate", "connection_sparsity", "activation_sparsity", "dense",
                       "effective_macs", "effective_acs")
LABELS = {"footprint": "Footprint (bytes)", "model_exec_rate": "Model Exec. Rate (executions/frame)",
          "connection_sparsity": "Connection Sparsity", "activation_sparsity": "Activation Sparsity",
          "dense": "Dense (SynOps/frame)", "effective_macs": "Eff_MACs (/frame)",
          "effective_acs": "Eff_ACs (/frame)"}
#: figures that change with the weights (meaningless with random weights)
WEIGHT_DEPENDENT = ("connection_sparsity", "activation_sparsity", "effective_acs")

DEFINITIONS = {
    "footprint": "bytes of all parameters and buffers",
    "connection_sparsity": "zero weights / weights of Linear and Conv1d/2d/3d (and recurrent) layers",
    "activation_sparsity": "zero outputs / outputs of spiking neurons, ReLU and Sigmoid modules, all profiled "
                           "frames (a spike of any level is one non-zero output: 1 - binary-equivalent rate)",
    "dense": "all MACs executed per tracked frame (every convolution and matrix product)",
    "effective_macs": "MACs of operators whose input is real-valued, per tracked frame",
    "effective_acs": "accumulations of spike-fed operators per tracked frame: SOPs, a spike of k counts k "
                     "(NeuroBench binarises: a spike of k counts once, and normalised integer spikes count "
                     "as MACs)",
    "model_exec_rate": "model executions per tracked frame: the search branch once plus template encodings "
                       "per tracked frame (NeuroBench's rate in Hz = this x the video frame rate)",
}

_RECURRENT = (nn.RNNBase, nn.RNNCellBase)
_CONNECTIONS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def footprint(model: nn.Module) -> int:
    """Bytes of every parameter and buffer of ``model``."""
    return int(sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers())))


def connection_sparsity(model: nn.Module) -> dict[str, Any]:
    """``{"connection_sparsity", "zero_weights", "weights"}`` over the connection layers' weights."""
    zeros = total = 0
    for m in model.modules():
        if next(m.children(), None) is not None:
            continue
        if isinstance(m, _CONNECTIONS):
            tensors = [m.weight]
        elif isinstance(m, _RECURRENT):
            # recurrent layers: every weight and bias matrix, as NeuroBench counts them
            tensors = [p for n, p in m.named_parameters(recurse=False) if n.startswith(("weight", "bias"))]
        else:
            continue
        for t in tensors:
            if t is None or t.is_meta:
                continue
            zeros += int((t.detach() == 0).sum())
            total += t.numel()
    return {"connection_sparsity": zeros / total if total else None, "zero_weights": zeros, "weights": total}


def _per_branch(doc: Mapping) -> dict[str, dict[str, float]]:
    out = {}
    for b, v in (doc.get("branches") or {}).items():
        out[b] = {"dense": float(v["macs"]), "effective_macs": float(v["real_input_macs"]),
                  "effective_acs": float(v["sops"])}
    return out


def _per_frame(per: Mapping[str, Mapping[str, float]], rate: float | None) -> dict[str, float | None]:
    """Synaptic operations per tracked frame: other branches once, the template branch ``rate`` times."""
    frame: dict[str, float | None] = {}
    for key in ("dense", "effective_macs", "effective_acs"):
        s = sum(v[key] for b, v in per.items() if b != TEMPLATE)
        t = per.get(TEMPLATE, {}).get(key)
        frame[key] = s if t is None else (None if rate is None else s + t * rate)
    return frame


def metric_set(doc: Mapping, model: nn.Module, activity, rate: float | None) -> dict[str, Any]:
    """NeuroBench's metrics for one profile. ``activity``: an
    :class:`~bench.efficiency.sparsity.ActivationRecorder` that watched the profiled frames; ``rate``:
    template encodings per tracked frame."""
    per = _per_branch(doc)
    frame = _per_frame(per, rate)
    act = activity.sparsity() if activity is not None else {"activation_sparsity": None}
    cs = connection_sparsity(model)
    return {
        "definitions_from": NEUROBENCH,
        "footprint": footprint(model),
        "connection_sparsity": cs["connection_sparsity"],
        "activation_sparsity": act["activation_sparsity"],
        **frame,
        "model_exec_rate": 1.0 + (rate or 0.0) if TEMPLATE in per else 1.0,
        "template_rate": rate,
        "per_branch": {b: {**v, "activation_sparsity": (activity.sparsity(b)["activation_sparsity"]
                                                        if activity is not None else None)}
                       for b, v in per.items()},
        "counts": {"zero_weights": cs["zero_weights"], "weights": cs["weights"],
                   "activation_outputs": act.get("outputs"), "nonzero_activation_outputs": act.get("nonzero")},
        "definitions": DEFINITIONS,
    }


def reamortise(block: dict, rate: float | None) -> dict:
    """The per-frame synaptic operations with another template rate."""
    per = block.get("per_branch") or {}
    out = {**block, "template_rate": rate, **_per_frame(per, rate)}
    if TEMPLATE in per:
        out["model_exec_rate"] = 1.0 + (rate or 0.0)
    return out


def not_applicable(reason: str) -> dict[str, Any]:
    return {"definitions_from": NEUROBENCH, **{k: None for k in LEADERBOARD_COLUMNS}, "note": reason}


__all__ = ["footprint", "connection_sparsity", "metric_set", "reamortise", "not_applicable", "LEADERBOARD_COLUMNS",
           "LABELS", "WEIGHT_DEPENDENT", "DEFINITIONS", "NEUROBENCH"]

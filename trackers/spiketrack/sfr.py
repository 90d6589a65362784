"""Spike firing-rate (SFR) recording through forward hooks on every NI-LIF neuron.

For each neuron layer, each branch (``template``: the template encoder, run at initialisation and on
template updates; ``search``: the per-frame search encoder and head) and each recorded *entry* the
recorder accumulates, on the model's device, the exact sum of integer spike counts and the number of
non-zero outputs, and on request the histogram of levels 0..4. An entry is one time step of one call
of the layer within one image, in call order -- the official hook's list layout (e.g. an MRM
``q_spike`` gives 2T entries per search image: the query, then the refined query).

From these follow the conventions in use: the mean integer spike count (what the official hook
records, ``mean(output) * 4``, in [0, 4]), the non-zero fraction (binary-spike firing rate) and, with
histograms, the level distribution. Images are pooled, which equals the official per-image average
because every image of a branch has the same number of neurons.

Storage is the suite's one neuron-output accumulator, :class:`bench.core.spikes.SpikeAccumulator` (the
efficiency engine's activation-sparsity recorder uses the same one). Cost: one exact reduction per neuron
call and no host synchronisation until the rates are read (one transfer per branch); histograms add a
packed ``bincount`` (benchmarks/bench_spiketrack.py measures both).
"""
from __future__ import annotations

import time
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from bench.core.spikes import SpikeAccumulator
from trackers.spiketrack.neuron import MAX_LEVEL, NILIFNeuron

BRANCHES = ("template", "search")
NUM_LEVELS = MAX_LEVEL + 1

#: how dataset-level rates are averaged (both are given; the official script uses the first)
WEIGHTINGS = {
    "sequence_weighted": "mean over sequences of each sequence's mean (every video weighs the same; the "
                         "official get_avg_sfr.py)",
    "frame_weighted": "mean over every image of the branch (each sequence weighted by its images; long "
                      "videos weigh more)",
}
RATE_UNITS = {
    "mean_count": "mean integer spike count per neuron and time step, 0..4 (official hook: mean(output) x 4)",
    "nonzero_fraction": "binary-equivalent rate: fraction of neurons emitting >= 1 spike per time step",
    "level_fraction": "fraction of neurons at each level 0..4",
}


_SMALL = 4096  # below this many neurons per step the plain byte histogram is cheapest


def _step_histogram(flat: torch.Tensor) -> torch.Tensor:
    """Counts of levels 0..4 in a 1-D tensor of normalised spikes (values k/4, exact).

    Four neurons are packed into one int16 ``125a + 25b + 5c + d`` (computed in the spike dtype,
    where ``500x`` etc. are exact small integers) and histogrammed into 625 bins, whose four
    marginals summed give the per-level counts: ``bincount`` touches a quarter of the elements,
    which makes the hooks about 4x cheaper than a plain integer histogram.
    """
    n = flat.numel()
    if n < _SMALL:
        return torch.bincount(flat.mul(MAX_LEVEL).to(torch.uint8), minlength=NUM_LEVELS)[:NUM_LEVELS]
    m = n // 4
    q = flat[: 4 * m].view(4, m)
    packed = (torch.mul(q[0], 500).add_(q[1], alpha=100).add_(q[2], alpha=20).add_(q[3], alpha=4)
              .to(torch.int16))
    cube = torch.bincount(packed, minlength=625)[:625].view(5, 5, 5, 5)
    counts = cube.sum((1, 2, 3)) + cube.sum((0, 2, 3)) + cube.sum((0, 1, 3)) + cube.sum((0, 1, 2))
    if 4 * m < n:
        counts += torch.bincount(flat[4 * m:].mul(MAX_LEVEL).to(torch.uint8), minlength=NUM_LEVELS)[:NUM_LEVELS]
    return counts


def level_histogram(spikes: torch.Tensor, host: bool = True) -> torch.Tensor:
    """``[T, ...]`` normalised spikes (k/4) -> ``[T, 5]`` int64 counts of levels 0..4 per step (on the
    host, or where ``spikes`` lie with ``host=False``)."""
    flat = spikes.detach().reshape(spikes.shape[0], -1)
    out = torch.stack([_step_histogram(row) for row in flat])
    return out.cpu() if host else out


def _device_histogram(spikes: torch.Tensor) -> torch.Tensor:
    return level_histogram(spikes, host=False)


def _summarise(sums: np.ndarray, obs: np.ndarray, hist: np.ndarray | None = None) -> dict[str, Any]:
    """Rates per entry from ``sums`` ``[entries]`` (sum of normalised spikes), ``obs`` ``[entries]``
    (outputs counted) and, when kept, ``hist`` ``[entries, 5]``."""
    safe = np.maximum(obs, 1).astype(np.float64)
    # sum of k/4 values x 4 is the exact integer count; / outputs = the official mean(output) x 4
    out = {"mean_count": (sums * MAX_LEVEL / safe).tolist()}
    if hist is not None:
        out["nonzero_fraction"] = (1.0 - hist[:, 0] / safe).tolist()
        out["level_fraction"] = (hist / safe[:, None]).tolist()
    out["observations"] = obs.tolist()  # neuron outputs counted per entry, summed over images
    return out


class FiringRateRecorder:
    """Attach to a :class:`~trackers.spiketrack.model.SpikeTrackModel`; records until detached.

    The model says which branch is running (``model.branch``) and counts images per branch
    (``model.image_index``); the hooks read both. Per neuron call a hook adds the exact spike-count sum
    per time step to an accumulator on the model's device (no host synchronisation): the mean count,
    the official figure. ``histograms=True`` also keeps the level histograms 0..4, from which the
    non-zero fraction and ``level_fraction`` follow (several times the cost). Results are read back in
    one transfer per branch when asked.
    """

    def __init__(self, model: nn.Module, histograms: bool = True):
        self.model = model
        self.keep_histograms = histograms
        #: the suite's one neuron-output accumulator (:mod:`bench.core.spikes`), keyed (branch, layer)
        self.acc = SpikeAccumulator(sums=True, histogram=_device_histogram if histograms else None)
        self._handles: list[Any] = []
        self.layers: list[str] = [n for n, m in model.named_modules() if isinstance(m, NILIFNeuron)]
        self.reset()

    # -- lifecycle --------------------------------------------------------------------------
    def attach(self) -> "FiringRateRecorder":
        if not self._handles:
            for name, module in self.model.named_modules():
                if isinstance(module, NILIFNeuron):
                    self._handles.append(module.register_forward_hook(self._make_hook(name)))
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def reset(self) -> None:
        """Forget everything recorded (start of a sequence)."""
        self.acc.reset()

    def __enter__(self) -> "FiringRateRecorder":
        return self.attach()

    def __exit__(self, *exc) -> None:
        self.detach()

    def _make_hook(self, name: str):
        model, acc = self.model, self.acc
        keys = {b: (b, name) for b in BRANCHES}

        def hook(module, inputs, output):
            branch = model.branch
            if torch.is_inference_mode_enabled():
                acc.add(keys[branch], model.image_index[branch], output)
            else:  # accumulators are inference tensors: update them in inference mode whatever mode runs
                with torch.inference_mode():
                    acc.add(keys[branch], model.image_index[branch], output)

        return hook

    # -- results ----------------------------------------------------------------------------
    def _read(self, branch: str) -> dict[str, dict[str, Any]]:
        """``{layer: accumulator record}`` of one branch in first-call order, one read-out."""
        return {k[1]: v for k, v in self.acc.read([k for k in self.acc.entries if k[0] == branch]).items()}

    def histograms(self, branch: str) -> dict[str, np.ndarray]:
        """``{layer: [entries, 5] counts}`` for one branch, in first-call order (``histograms=True``)."""
        if not self.keep_histograms:
            raise ValueError("level histograms were not recorded: FiringRateRecorder(model, histograms=True)")
        return {name: r["histogram"] for name, r in self._read(branch).items()}

    def images(self, branch: str) -> int:
        return max((e.images for k, e in self.acc.entries.items() if k[0] == branch), default=0)

    def mean_counts(self, branch: str) -> dict[str, list[float]]:
        """Official-convention rates: ``{layer: [mean integer spike count per entry]}``."""
        return {n: _summarise(r["sums"], r["observations"])["mean_count"] for n, r in self._read(branch).items()}

    def stats(self) -> dict[str, Any]:
        """Per-sequence firing rates, JSON-able (what ``Tracker.sequence_stats`` returns)."""
        out: dict[str, Any] = {"convention": {
            **{k: v for k, v in RATE_UNITS.items() if self.keep_histograms or k == "mean_count"},
            "entries": "one per time step per call of the layer within an image, in call order",
        }}
        for branch in BRANCHES:
            layers = {}
            tot_sums, tot_obs, tot_hist = 0.0, 0, np.zeros(NUM_LEVELS, dtype=np.int64)
            for name, r in self._read(branch).items():
                sums, obs, hist = r["sums"], r["observations"], r["histogram"]
                layers[name] = {"images": r["images"], **_summarise(sums, obs, hist)}
                if hist is not None:
                    layers[name]["histogram"] = hist.tolist()
                    tot_hist += hist.sum(axis=0)
                tot_sums += float(sums.sum())
                tot_obs += int(obs.sum())
            overall = None
            if tot_obs:  # all layers pooled, every neuron output weighted alike; None before any image
                pooled = _summarise(np.asarray([tot_sums]), np.asarray([tot_obs]),
                                    tot_hist[None, :] if self.keep_histograms else None)
                overall = {k: v[0] for k, v in pooled.items() if k != "observations"}
            out[branch] = {"images": self.images(branch), "layers": layers, "overall": overall}
        return out


def official_layer_name(name: str, branch: str) -> str:
    """Official key: search-branch names carry the ``encoder.``/``decoder.`` prefix, template names
    drop ``encoder.`` (the official template encoder is a separate module)."""
    if branch == "template" and name.startswith("encoder."):
        return name[len("encoder."):]
    return name


def official_sfr_json(stats: dict[str, Any], sequence: str, branch: str) -> dict[str, Any]:
    """One branch of :meth:`FiringRateRecorder.stats` in the official per-sequence JSON layout
    (lib/test/evaluation/tracker.py ``save_average_spike_rates``): ``{video_name, branch_type,
    average_rates: {layer: [per-entry mean counts]}, timestamp, save_time}``; the template file's
    video name has the official ``_temp`` suffix."""
    if branch not in BRANCHES:
        raise ValueError(f"branch must be one of {BRANCHES}, got {branch!r}")
    layers = stats[branch]["layers"]
    now = time.time()
    return {
        "video_name": sequence + ("_temp" if branch == "template" else ""),
        "branch_type": branch,
        "average_rates": {official_layer_name(n, branch): v["mean_count"] for n, v in layers.items()},
        "timestamp": now,
        "save_time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)),
    }


def write_official_sfr(stats: dict[str, Any], sequence: str, out_dir) -> list[str]:
    """Write ``<out_dir>/search/<seq>_spike_rates.json`` and
    ``<out_dir>/template/<seq>_temp_spike_rates.json`` (official file names); returns the paths."""
    from pathlib import Path

    from bench.core.io import atomic_write_json

    paths = []
    for branch in BRANCHES:
        doc = official_sfr_json(stats, sequence, branch)
        path = Path(out_dir) / branch / f"{doc['video_name']}_spike_rates.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, doc)
        paths.append(str(path))
    return paths


def _weighted_mean(values: list[np.ndarray], weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if not w.sum():
        return np.mean(np.stack(values), axis=0)
    return np.tensordot(w / w.sum(), np.stack(values), axes=1)


def aggregate_sequences(per_sequence: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Dataset-level rates per branch and layer, averaged two ways: over sequences, each video weighing the
    same as the official ``get_avg_sfr.py`` does (the layer's ``mean_count``, ``nonzero_fraction``,
    ``level_fraction`` and the branch's ``overall``), and over frames, each sequence weighted by its images
    (``frame_weighted`` beside them). Units and weightings are named under ``convention``."""
    seqs = [s for s in per_sequence if s]
    out: dict[str, Any] = {"sequences": len(seqs),
                           "convention": {"units": RATE_UNITS, "weightings": WEIGHTINGS}}
    for branch in BRANCHES:
        acc: dict[str, dict[str, list]] = {}
        overall: dict[str, list] = {"mean_count": [], "nonzero_fraction": []}
        overall_w: list[float] = []
        for s in seqs:
            b = s.get(branch) or {}
            for name, layer in b.get("layers", {}).items():
                a = acc.setdefault(name, {"mean_count": [], "nonzero_fraction": [], "level_fraction": [],
                                          "_images": []})
                for key in ("mean_count", "nonzero_fraction", "level_fraction"):
                    if key in layer:  # level fractions only where histograms were kept
                        a[key].append(np.asarray(layer[key], dtype=np.float64))
                a["_images"].append(float(layer.get("images", b.get("images", 1)) or 0))
            if b.get("images") and b.get("overall"):
                for key in overall:
                    overall[key].append(b["overall"].get(key))
                overall_w.append(float(b["images"]))
        layers = {}
        for name, a in acc.items():
            images = a.pop("_images")
            shapes = {x.shape for x in a["mean_count"]}
            if len(shapes) != 1:  # differing entry counts cannot be averaged element-wise
                continue
            for key in ("nonzero_fraction", "level_fraction"):
                if len(a[key]) != len(a["mean_count"]):
                    a[key] = []   # recorded (with histograms) by some sequences only: not averaged
            a = {k: v for k, v in a.items() if v}
            layers[name] = {k: np.mean(np.stack(v), axis=0).tolist() for k, v in a.items()}
            layers[name]["sequences"] = len(a["mean_count"])
            layers[name]["frame_weighted"] = {k: _weighted_mean(v, images).tolist() for k, v in a.items()}
            layers[name]["images"] = sum(images)
        out[branch] = {
            "layers": layers,
            "overall": {k: (float(np.mean(v)) if v and None not in v else None) for k, v in overall.items()},
            "overall_frame_weighted": {k: (float(np.average(v, weights=overall_w))
                                           if v and None not in v and sum(overall_w) else None)
                                       for k, v in overall.items()},
        }
    return out


def aggregate_stats_files(folder) -> dict[str, Any]:
    """Dataset-level rates from a results folder's ``<seq>_stats.json`` files (written by the runner
    from :meth:`SpikeTrackTracker.sequence_stats`); sequences without firing rates are skipped.

    Raises :class:`bench.core.errors.ResultsError` naming the file when one is not valid JSON.
    """
    import json
    from pathlib import Path

    from bench.core.errors import ResultsError

    per_seq, names = [], []
    for path in sorted(Path(folder).glob("*_stats.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ResultsError(f"{path}: unreadable stats file ({' '.join(str(e).split())[:120]})") from None
        if isinstance(doc, dict) and isinstance(doc.get("firing_rates"), dict):
            per_seq.append(doc["firing_rates"])
            names.append(path.name[: -len("_stats.json")])
    out = aggregate_sequences(per_seq)
    out["source_sequences"] = names
    return out

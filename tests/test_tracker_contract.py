"""The tracker contract (:class:`trackers.base.Tracker`) over every registry, and the efficiency engine
driven through that contract alone.

Every registered tracker (random weights where it has a model: they warn RandomWeightsWarning, which the
test configuration ignores) initialises on the demo's first frame and tracks three frames with finite
boxes, and declares the contract's attributes with sane types. Every registered model builds shape-only
(``device="meta"``); those that declare profile inputs are counted by the one MAC engine. The engine
profiles a spiking and an ANN tracker seen through a proxy that exposes the contract and nothing else.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from torch import nn

import datasets
import trackers
from bench.efficiency.model_macs import count_macs
from bench.efficiency.profile import profile_tracker
from trackers.base import BRANCHES, ProfileInputs, Tracker, TrackResult, model_profile_inputs

TRACKERS = trackers.list_trackers()
MODELS = trackers.list_models()
FRAMES = 3
#: over 20 s each on the shared 2-core CPU (27-61 s measured under load; 4-12 s on a quiet machine): the
#: SpikeTrack-B backbones at T=3 / 384 px. The S backbones keep SpikeTrack in the default run.
SLOW = {"spiketrack_b256_t1", "spiketrack_b256_t3", "spiketrack_b384_t1", "spiketrack_b384_t3"}


@pytest.fixture(scope="module")
def demo():
    seq = next(iter(datasets.create_dataset("demo")))
    return seq, [seq.frames.read(i) for i in range(FRAMES + 1)]


def _check_contract(tr: Tracker, name: str) -> None:
    meta = trackers.TRACKERS.get(name).meta
    assert isinstance(tr, Tracker)
    assert isinstance(tr.name, str) and tr.name
    assert tr.spiking is bool(meta.get("spiking", False))
    assert tr.model is None or isinstance(tr.model, nn.Module)
    assert tr.spike_scale is None or (isinstance(tr.spike_scale, int) and tr.spike_scale > 0)
    if tr.spiking:
        assert tr.spike_scale is not None, "a built-in spiking tracker declares its spike levels"
    else:
        assert tr.spike_scale is None
    interval = tr.template_update_interval
    assert interval is None or (isinstance(interval, int) and interval > 0)
    assert tr.current_branch() in (None, *BRANCHES)
    inputs = tr.profile_inputs()
    assert inputs is None or (isinstance(inputs, ProfileInputs) and isinstance(inputs.args, tuple))
    if tr.model is None:
        assert inputs is None
    assert isinstance(tr.template_updated, bool)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in TRACKERS])
def test_every_tracker_tracks_the_demo_and_declares_the_contract(name, demo):
    seq, frames = demo
    tr = trackers.create_tracker(name)
    assert tr.record_firing_rates(False) is False   # off, as the profiler asks
    tr.initialize(frames[0], seq.ground_truth[0], {"dataset": "demo", "sequence": seq.name})
    _check_contract(tr, name)
    for img in frames[1:]:
        res = tr.track(img)
        assert isinstance(res, TrackResult)
        x, y, w, h = res.box
        assert all(math.isfinite(v) for v in res.box) and w > 0 and h > 0, res.box
        assert isinstance(tr.template_updated, bool)
    _check_contract(tr, name)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_builds_and_declared_inputs_are_counted(name):
    model = trackers.create_model(name, device="meta")
    assert isinstance(model, nn.Module)
    inputs = model_profile_inputs(model)
    if inputs is None:
        return
    assert isinstance(inputs, ProfileInputs) and inputs.note
    c = count_macs(model)
    assert c.exact_macs >= c.thop_macs > 0
    assert c.num_templates == inputs.describe.get("num_templates")


class ContractOnly(Tracker):
    """``inner`` seen through the contract: the declared members delegate, anything else is an error
    (``getattr(t, "cfg", None)`` included, since only AttributeError gives getattr its default)."""

    def __init__(self, inner: Tracker):
        object.__setattr__(self, "_inner", inner)

    def __getattr__(self, key: str) -> Any:
        raise AssertionError(f"the efficiency engine read {key!r}, which trackers.base.Tracker does not declare")

    def __setattr__(self, key: str, value: Any) -> None:
        raise AssertionError(f"the efficiency engine set {key!r} on the tracker")

    name = property(lambda self: self._inner.name)
    spiking = property(lambda self: self._inner.spiking)
    model = property(lambda self: self._inner.model)
    spike_scale = property(lambda self: self._inner.spike_scale)
    template_updated = property(lambda self: self._inner.template_updated)
    template_update_interval = property(lambda self: self._inner.template_update_interval)
    random_weights = property(lambda self: self._inner.random_weights)
    update_interval = property(lambda self: pytest.fail("read the old name, not template_update_interval"))

    def current_branch(self):
        return self._inner.current_branch()

    def profile_inputs(self):
        return self._inner.profile_inputs()

    def record_firing_rates(self, on):
        return self._inner.record_firing_rates(on)

    def initialize(self, image, box, info=None):
        self._inner.initialize(image, box, info)

    def track(self, image):
        return self._inner.track(image)

    def sequence_stats(self):
        return self._inner.sequence_stats()

    def describe(self):
        return self._inner.describe()


def _profile(name: str) -> dict:
    tr = ContractOnly(trackers.create_tracker(name))
    tr.record_firing_rates(False)
    return profile_tracker(tr, datasets.create_dataset("demo"), max_frames=3, latency=False, counters=["thop"])


def test_engine_profiles_a_spiking_tracker_through_the_contract():
    doc = _profile("spiketrack_s256_t1")
    assert doc["spiking"] and doc["spike_scale"] == 4          # the tracker's declaration, not a class check
    assert set(doc["branches"]) == {"template", "search"}       # the model's branch labels
    assert doc["branches"]["template"]["calls"] == 1 and doc["frames"] == {"init": 1, "track": 2}
    # every MAC seen, under torch.no_grad() or torch.inference_mode() alike: the official code's figures
    # (../shared/reference/spiketrack/measured_figures.json, s256_t1: 2.6536 per template, 3.5248 per frame)
    assert round(doc["branches"]["template"]["gmacs"], 4) == 2.6536
    assert round(doc["branches"]["search"]["gmacs"], 4) == 3.5248
    assert doc["update_interval"] is None                       # T1: one template, never updated
    assert doc["branches"]["search"]["sops"] > 0 or doc["branches"]["search"]["spike_fed_macs"] > 0
    assert "paper_inputs" not in doc["thop"]                    # SpikeTrack declares no profile inputs


def test_engine_profiles_an_ann_tracker_through_the_contract():
    doc = _profile("ostrack_256")
    assert not doc["spiking"] and doc["update_interval"] is None
    assert doc["branches"]["search"]["sops"] == 0               # no spike operand anywhere
    paper = doc["thop"]["paper_inputs"]                          # the declared (official profiler's) inputs
    assert paper["num_templates"] == 1 and paper["inputs"].startswith("official")
    assert round(paper["gmacs"], 1) == 21.5                      # OSTrack-256's published figure
    assert doc["exact"]["track"]["macs"] > doc["thop"]["track"]["macs"] > 0


def test_a_tracker_that_does_not_subclass_tracker_is_profiled_with_the_defaults(demo):
    """A duck-typed plugin object (only initialize/track): the engine sees the contract's defaults."""
    seq, _ = demo

    class Duck:
        name = "duck"

        def initialize(self, image, box, info=None):
            self.box = tuple(float(v) for v in box)

        def track(self, image):
            return TrackResult(self.box, 1.0)

    doc = profile_tracker(Duck(), datasets.create_dataset("demo"), max_frames=3, warmup=0)
    assert doc["tracker"] == "duck" and not doc["spiking"] and "branches" not in doc
    assert doc["latency"]["all_frames"]["end_to_end"]["n"] == 2


def test_old_update_interval_spelling_reads_as_the_contract():
    class Old(Tracker):
        update_interval = 7

        def initialize(self, image, box, info=None):
            pass

        def track(self, image):
            return TrackResult((0.0, 0.0, 1.0, 1.0))

    t = Old()
    assert t.template_update_interval == 7
    t.template_update_interval = 3
    assert t.update_interval == 3 and np.isnan(t.track(None).confidence)

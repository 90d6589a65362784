"""Every registered protocol keeps the same contract: it declares what it needs and its headline metric,
and it scores the demo's one-pass results or refuses them in one line naming itself."""
from __future__ import annotations

import importlib
import pkgutil
import sys

import numpy as np
import pytest

import bench.metrics as metrics_pkg
import datasets
from bench.core.errors import DataError
from bench.core.registry import normalise_name
from bench.metrics import INPUTS, PROTOCOLS, SequenceInput, check_inputs, dataset_mode_for, evaluate
from bench.metrics.base import register_protocol

DEMO = datasets.create_dataset("demo")


def _builtin(name: str) -> bool:
    """Protocols of this package (plugins are held to their own contract in tests/test_plugins.py)."""
    return PROTOCOLS.get(name).factory.__module__.startswith("bench.metrics.")


BUILTIN = [n for n in PROTOCOLS.names() if _builtin(n)]


def _demo_results(shift: float = 3.0) -> list[SequenceInput]:
    """One-pass boxes for every demo sequence: the ground truth, moved ``shift`` px right after frame 0."""
    out = []
    for name in DEMO.names():
        gt = DEMO.load(name).ground_truth
        pred = gt.copy()
        pred[1:, 0] += shift
        out.append(SequenceInput(name, gt, pred))
    return out


def test_every_protocol_module_is_discovered():
    infra = metrics_pkg._INFRASTRUCTURE
    for m in pkgutil.iter_modules(metrics_pkg.__path__):
        if not m.name.startswith("_") and m.name not in infra:
            assert f"bench.metrics.{m.name}" in sys.modules, m.name
    registered = {PROTOCOLS.get(n).factory.__module__ for n in BUILTIN}
    assert registered <= {f"bench.metrics.{m.name}" for m in pkgutil.iter_modules(metrics_pkg.__path__)}
    assert len(BUILTIN) >= 14


@pytest.mark.parametrize("name", BUILTIN)
def test_protocol_declares_needs_and_main_metric(name):
    meta = PROTOCOLS.get(name).meta
    needs = meta.get("needs")
    assert isinstance(needs, tuple) and needs and set(needs) <= set(INPUTS), (name, needs)
    assert meta.get("main_metric") in meta.get("metrics", ()), (name, meta.get("main_metric"))


@pytest.mark.parametrize("name", BUILTIN)
def test_protocol_scores_demo_results_or_refuses_them_in_one_line(name):
    seqs = _demo_results()
    try:
        res = evaluate(seqs, name, dataset_mode_for("demo"))
    except DataError as e:   # refused: in one line naming the protocol, as check_inputs refuses such results
        assert "\n" not in str(e) and name in str(e), str(e)
        with pytest.raises(DataError, match=f"^protocol {name} needs ") as info:
            check_inputs(name, {"boxes"})
        assert "\n" not in str(info.value)
        return
    main = PROTOCOLS.get(name).meta["main_metric"]
    assert res.protocol == name and main in res.metrics, (name, sorted(res.metrics))
    assert np.isfinite(res.metrics[main]) and 0.0 <= res.metrics[main] <= 1.0
    if "boxes" in PROTOCOLS.get(name).meta["needs"]:
        check_inputs(name, {"boxes"})


def test_check_inputs_names_what_is_missing():
    with pytest.raises(DataError, match=r"^protocol vot2018 needs reset-based VOT trajectories .*one-pass boxes"):
        check_inputs("vot2018", {"boxes"})
    with pytest.raises(DataError, match=r"^protocol pysot needs one-pass boxes .*reset-based VOT trajectories"):
        check_inputs("pysot", {"vot_trajectories", "repetitions"})
    check_inputs("got10k-val", {"boxes", "repetitions"})
    check_inputs("vot2018-pysot", {"vot_trajectories"})


def test_unknown_needs_are_refused_at_registration():
    with pytest.raises(ValueError, match="unknown needs"):
        register_protocol("contract-test-bad", needs=("pixels",), main_metric="auc")
    assert "contract-test-bad" not in PROTOCOLS


def test_discovery_imports_any_new_module(tmp_path, monkeypatch):
    """A protocol module needs no other file edited: any non-underscore module of the package is imported."""
    (tmp_path / "contract_probe.py").write_text(
        "from bench.metrics.base import register_protocol\n"
        "@register_protocol('contract-probe', kind='ope', needs=('boxes',), main_metric='auc', metrics=['auc'])\n"
        "def probe(sequences, dataset_mode='otb'):\n    raise NotImplementedError\n")
    monkeypatch.setattr(metrics_pkg, "__path__", [*metrics_pkg.__path__, str(tmp_path)])
    try:
        metrics_pkg._import_protocol_modules()
        assert "contract-probe" in PROTOCOLS
    finally:
        PROTOCOLS._entries.pop(normalise_name("contract-probe"), None)
        sys.modules.pop("bench.metrics.contract_probe", None)
        importlib.invalidate_caches()

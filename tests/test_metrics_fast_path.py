"""The vectorised all-sequences path of the OPE protocols must equal the per-sequence path bit for bit.

`bench.metrics.ope` scores "clean" inputs (equal lengths, no NaN, float64) as one concatenated array and
everything else sequence by sequence; here random inputs are scored both ways, results and errors compared.
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.core.errors import DataError
from bench.metrics import SequenceInput, evaluate
from bench.metrics import engine as ope

PROTOCOLS = ["pytracking", "pytracking-visionml", "pysot", "got10k", "got10k-val", "lasot-toolkit", "otb-toolkit",
             "trackingnet-devkit"]
MODES = ["lasot", "otb", "uav", "lasot_extension_subset", "got10k", "trackingnet"]


def _dump(r):
    return {k: getattr(r, k) for k in ("protocol", "dataset_mode", "metrics", "sequence_names", "curves",
                                       "per_sequence", "seq_values", "seq_weights", "settings", "notes")}


def _same(a, b, path=""):
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), path
    else:
        assert type(a) is type(b), (path, type(a), type(b))
        assert a == b or (a != a and b != b), (path, a, b)


def _random_sequences(rng, integral=False):
    seqs = []
    for i in range(int(rng.integers(1, 8))):
        n = int(rng.integers(2, 600))
        gt = np.column_stack([rng.integers(-5, 300, n), rng.integers(-5, 300, n), rng.integers(0, 80, n),
                              rng.integers(0, 80, n)]).astype(float)
        pred = gt + rng.normal(0, 8, (n, 4)).round(int(rng.integers(0, 3)))
        pred[:, 2:] = np.abs(pred[:, 2:])
        if rng.random() < 0.5:
            pred[rng.integers(0, n, 5), 2] = 0.0
        if rng.random() < 0.5:   # tiny boxes: sizes below 1 (pysot's + 1e-16), unions below 2 (got10k's eps)
            rows = rng.integers(0, n, 12)
            gt[rows, 2:] = rng.random((12, 2)) * 3
            pred[rows[:6]] = gt[rows[:6]] + rng.random((6, 4)) * 0.5
        if rng.random() < 0.5:   # LaSOT's absent-frame annotation 1,1,0,0 (centre > 0, size 0)
            gt[rng.integers(0, n, 4)] = [1.0, 1.0, 0.0, 0.0]
        if rng.random() < 0.3:   # no annotation at x <= 0 or y <= 0: both pytracking variants keep the same frames
            gt[:, :2] = np.abs(gt[:, :2]) + 1.0
        if rng.random() < 0.3:   # nothing to carry forward (most trackers' files)
            pred[:, 2:] = np.maximum(pred[:, 2:], 1.0)
        if integral:   # integer boxes (most result files, and the shortcut TrackingNet's rounding allows)
            gt, pred = np.round(gt), np.round(pred)
        flags = {}
        r = rng.random()
        if r < 0.4:
            flags["absent"] = (rng.random(n) < 0.1).astype(np.int64)
        elif r < 0.6:
            flags["full_occlusion"] = (rng.random(n) < 0.1).astype(np.int64)
            flags["out_of_view"] = (rng.random(n) < 0.1).astype(np.int64)
        seqs.append(SequenceInput(name=f"s{i}", gt=gt, pred=pred, flags=flags))
    return seqs


def _score(seqs, protocol, mode):
    try:
        with ope.shared_frames():
            return "ok", _dump(evaluate(seqs, protocol, mode))
    except DataError as e:
        return "err", str(e)


def _per_sequence_path_only(monkeypatch):
    """From here on every input takes the protocols' per-sequence path (the toolkits' rules one by one)."""
    original = ope._Frames.__init__

    def per_sequence(self, sequences, **options):
        original(self, sequences, **options)
        self.clean = False

    monkeypatch.setattr(ope._Frames, "__init__", per_sequence)


@pytest.mark.parametrize("trial", range(12))
def test_fast_path_equals_per_sequence_path(trial, monkeypatch):
    rng = np.random.default_rng(100 + trial)
    seqs = _random_sequences(rng, integral=trial % 3 == 1)
    mode = MODES[trial % len(MODES)]
    assert ope._Frames(seqs).clean  # these inputs do take the fast path
    fast = {p: _score(seqs, p, mode) for p in PROTOCOLS}
    _per_sequence_path_only(monkeypatch)
    for p in PROTOCOLS:
        slow = _score(seqs, p, mode)
        assert fast[p][0] == slow[0], (p, fast[p][1] if slow[0] == "ok" else slow[1])
        _same(fast[p][1], slow[1], f"{p}/{mode}")


@pytest.mark.parametrize("trial", range(8))
def test_protocols_sharing_arrays_equal_each_alone(trial, monkeypatch):
    """``bench evaluate --protocol all`` scores every protocol inside one shared_frames() block, where a
    protocol reuses (and patches) the arrays the ones before it computed: whatever the order, each result
    must equal that protocol's per-sequence evaluation."""
    rng = np.random.default_rng(200 + trial)
    seqs = _random_sequences(rng, integral=trial % 3 == 1)
    mode = MODES[trial % len(MODES)]
    order = list(rng.permutation(PROTOCOLS))
    shared = {}
    with ope.shared_frames():
        for p in order:
            try:
                shared[p] = ("ok", _dump(evaluate(seqs, p, mode)))
            except DataError as e:
                shared[p] = ("err", str(e))
    _per_sequence_path_only(monkeypatch)
    for p in PROTOCOLS:
        slow = _score(seqs, p, mode)
        assert shared[p][0] == slow[0], (p, order)
        _same(shared[p][1], slow[1], f"{p}/{mode}/{order}")

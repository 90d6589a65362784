"""Per-frame MACs, SOPs and firing rates of a model, cheap enough to leave on for a whole run.

Counting every aten operator through a dispatch mode costs about 2-3x a SpikeTrack forward on CPU
(Python runs for each of ~3,400 operators per frame), so the counter works in two modes:

- **full** (dispatch mode, :class:`~bench.efficiency.macs.RULES`): the MACs of every operator, the module
  that ran it, the branch, and where each spike operand came from (which neuron call and which of its
  time steps). The result is stored as a *template* keyed by the segment's signature.
- **cheap** (forward hooks on the neuron modules only): per neuron call one sum (and, with histograms,
  one non-zero count and level histogram) per time step, kept in the suite's one neuron-output
  accumulator (:class:`bench.core.spikes.SpikeAccumulator`, each call its own entry) and read once per
  frame. The MACs come from the template of the same signature and each operator's SOPs from
  the spike counts of the neuron calls that fed it in *this* frame.

A *segment* is a run of work in one branch (``branch_of()``, e.g. SpikeTrack's ``model.branch``; one
segment per frame when the model has no branch label). Its signature is the sequence of neuron calls
(name, output shape) and the tensor shapes given to the root module's ``forward``; a segment whose
signature has no template yet is reported as ``uncounted`` and the following frames run in full mode
until one shows that signature again (at most ``max_full_streak`` = 30 frames in a row). Spike operands that are not a neuron's output (or a whole-step
slice of one) keep the counts measured in full mode (``stale``; their MAC share is reported).
"""
from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from bench.core.spikes import SpikeAccumulator, count_histogram
from bench.efficiency.macs import MAX_COUNT, ModuleStack, RuleDispatch, spike_scale_of
from bench.efficiency.neurons import OBSERVED, NeuronKind, acts_as_neuron, classify
from trackers.base import model_branch


#: the counter's key in its accumulator: the frame's log of neuron calls
FRAME = "<frame>"

# ------------------------------------------------------------------------------------------------
# what is recorded
# ------------------------------------------------------------------------------------------------

@dataclass
class NeuronCall:
    """One neuron call of a segment; its statistics are the next entry of the frame's log in the counter's
    :class:`SpikeAccumulator` (every neuron call of a frame, in call order)."""

    name: str
    T: int
    numel_step: int
    scale: int | None = None      # this neuron's D (count = value x D); None: the counter's


@dataclass
class OpCall:
    """One executed MAC-bearing operator."""

    path: str
    op: str
    branch: str | None
    macs: int
    steps: int = 1
    # per spike operand: ("neuron", name, ordinal, t0, t1) or ("direct", sums tensor|list, numel_step)
    sources: list = field(default_factory=list)
    weight_numel: int = 0
    io_numel: int = 0


@dataclass
class Segment:
    branch: str | None
    kind: str
    signature: list = field(default_factory=list)
    neurons: list = field(default_factory=list)
    ordinal: dict = field(default_factory=lambda: defaultdict(int))
    ops: list | None = None       # filled in full mode

    def key(self) -> tuple:
        return (self.branch, tuple(self.signature))


# ------------------------------------------------------------------------------------------------
# accumulated tables
# ------------------------------------------------------------------------------------------------

@dataclass
class LayerStats:
    """Totals of one (module, operator, branch) over the counted frames."""

    path: str
    op: str
    branch: str | None
    calls: int = 0
    macs: float = 0.0             # all MACs executed
    spike_macs: float = 0.0       # MACs of calls fed by spikes
    sops: float = 0.0             # sum over steps of MACs/step x mean integer count of the spike operand
    stale_macs: float = 0.0       # spike-fed MACs whose counts were carried over from a full-mode frame
    weight_numel: float = 0.0
    io_numel: float = 0.0
    entry_macs: list = field(default_factory=list)   # per entry (call-in-segment x step), summed
    entry_sops: list = field(default_factory=list)
    entry_count: list = field(default_factory=list)  # mean count, summed over frames
    entry_frames: list = field(default_factory=list)

    @property
    def spiking(self) -> bool:
        return self.spike_macs > 0

    @property
    def mean_count(self) -> float | None:
        """MAC-weighted mean integer spike count of the input (SOPs / spike-fed MACs)."""
        return self.sops / self.spike_macs if self.spike_macs else None


@dataclass
class NeuronStats:
    """Firing of one neuron module in one branch, per entry (call-in-segment x time step)."""

    name: str
    branch: str | None
    count_sum: list = field(default_factory=list)    # sum over segments of the mean integer count
    nonzero_sum: list = field(default_factory=list)  # sum over segments of the non-zero fraction
    segments: list = field(default_factory=list)
    hist: list = field(default_factory=list)         # level counts 0..MAX_COUNT, summed
    has_histogram: bool = False
    scale: int | None = None                         # its own D where its class fixes one

    def mean_count(self) -> list[float]:
        return [s / n for s, n in zip(self.count_sum, self.segments)]

    def nonzero_fraction(self) -> list[float] | None:
        """Fraction of neurons emitting at least one spike (recorded with histograms only)."""
        if not self.has_histogram:
            return None
        return [s / n for s, n in zip(self.nonzero_sum, self.segments)]


def _combine(per_operand: list[list[float]], steps: int, rule: str) -> list[float]:
    if not per_operand:
        return []
    per_operand = [v if len(v) == steps else [sum(v) / len(v)] * steps for v in per_operand]
    if len(per_operand) == 1 or rule == "first":
        return per_operand[0]
    a, b = per_operand[0], per_operand[1]
    if rule == "product":
        return [x * y for x, y in zip(a, b)]
    return [max(x, y) for x, y in zip(a, b)]


# ------------------------------------------------------------------------------------------------
# the counter
# ------------------------------------------------------------------------------------------------

class EfficiencyCounter:
    """Counts MACs and SOPs of ``model`` frame by frame.

    ``neuron``: tuple of classes or predicate marking spiking-neuron modules. Default: the neuron
    classes :mod:`bench.efficiency.neurons` knows (the suite's, spikingjelly's, snnTorch's, registered
    ones), each read as its class says (time layout, tuple outputs), plus any other leaf module that
    turns a real-valued input into spikes in the first frame it runs in.
    ``branch_of``: ``() -> str | None`` (default: the model's branch label,
    :func:`trackers.base.model_branch`, when it has one). ``spike_scale``: D, integer count = value x D
    (``None``: inferred). ``mode``: ``'auto'`` (full mode only for unseen signatures), ``'full'``
    (every frame) or ``'cheap'`` (never full after the first).
    """

    def __init__(self, model: nn.Module, neuron: Any = None, branch_of: Callable | None = None,
                 spike_scale: int | None = None, pair_rule: str = "first", histogram: bool = False,
                 mode: str = "auto"):
        if pair_rule not in ("first", "product", "max"):
            raise ValueError(f"pair_rule must be 'first', 'product' or 'max', got {pair_rule!r}")
        if mode not in ("auto", "full", "cheap"):
            raise ValueError(f"mode must be 'auto', 'full' or 'cheap', got {mode!r}")
        self.model = model
        #: neuron module name -> how to read it; modules recognised by behaviour are added as they show it
        self.kinds: dict[str, NeuronKind] = classify(model, neuron)
        self._observe = neuron is None   # explicit neuron classes: exactly those, nothing inferred
        self._not_neurons: set[str] = set()
        self._probes: dict[str, Any] = {}
        if branch_of is None and model_branch(model) is not None:
            branch_of = lambda: model_branch(model)  # noqa: E731
        self.branch_of = branch_of
        self.fixed_scale = spike_scale
        self.scales_seen: set[int] = set()
        self.pair_rule = pair_rule
        self.histogram = histogram
        # per frame, under one key (a key per call costs more to read than to record): sums (with histograms:
        # non-zero counts, level histograms) of each neuron call, an entry each; the outputs are integer
        # counts in [0, MAX_COUNT] at their scale, the bound of exact sums
        self.spikes = SpikeAccumulator(sums=True, nonzero=histogram, per_call=True, top=MAX_COUNT)
        self._level_fns: dict[int, Callable] = {}
        self._frame_serial = 0
        self.mode = mode
        self.neuron_names = list(self.kinds)
        self.templates: dict[tuple, list[OpCall]] = {}
        self.layers: dict[tuple, LayerStats] = {}
        self.neurons: dict[tuple, NeuronStats] = {}
        self.frames: dict[str, int] = defaultdict(int)          # frames per kind
        self.full_frames = 0
        self.uncounted_segments = 0
        self.segments_per_kind: dict[tuple, int] = defaultdict(int)   # (kind, branch) -> segments
        self.macs_per_kind: dict[tuple, float] = defaultdict(float)   # (kind, branch) -> MACs
        self._spike_cache: dict[tuple, int | None] = {}
        self._handles: list = []
        self._segments: list[Segment] = []
        self._kind = "frame"
        self._full = False
        self._missing: set[tuple] = set()     # signatures seen but not counted yet
        self._full_streak = 0
        self._abandoned: set[tuple] = set()
        self.max_full_streak = 30              # full frames spent waiting for a missing signature
        self._kinds_counted: set[str] = set()
        self._stack: ModuleStack | None = None
        self._neuron_out: dict[int, tuple] = {}
        self._param_ptrs: set[int] = set()

    # -- lifecycle ---------------------------------------------------------------------------------
    def attach(self) -> "EfficiencyCounter":
        if self._handles:
            return self
        inside = tuple(n + "." for n in self.kinds)
        for name, m in self.model.named_modules():
            if name in self.kinds:
                self._handles.append(m.register_forward_hook(self._neuron_hook(name, self.kinds[name])))
            elif (self._observe and name and name not in self._not_neurons and not name.startswith(inside)
                  and next(m.children(), None) is None):
                # a leaf of no known neuron class (and not part of a neuron, like spikingjelly's surrogate
                # module): watched until one call shows whether it emits spikes from real input
                self._probes[name] = m.register_forward_hook(self._probe_hook(name))
        self._handles.append(self.model.register_forward_pre_hook(self._root_hook))
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        for h in self._probes.values():
            h.remove()
        self._probes = {}

    @property
    def spike_scale(self) -> int:
        return self.fixed_scale or max(self.scales_seen, default=1)

    @contextlib.contextmanager
    def frame(self, kind: str = "track"):
        """Count what runs inside as one frame of ``kind`` (``'init'`` or ``'track'``)."""
        self.attach()
        self._kind = kind
        self._segments = []
        self.spikes.reset()
        self._frame_serial += 1   # the accumulator's image: every call of a frame its own entry
        first_of_kind = kind not in self._kinds_counted
        if self._missing and self._full_streak >= self.max_full_streak:
            self._abandoned |= self._missing          # stop waiting for these: they stay uncounted
            self._missing.clear()
        waiting = bool(self._missing)
        self._full_streak = self._full_streak + 1 if waiting else 0
        self._full = (self.mode == "full" or waiting or first_of_kind) and not (
            self.mode == "cheap" and self.templates)
        if self._full:
            self._kinds_counted.add(kind)
        dispatch = None
        if self._full:
            self._param_ptrs = {t.untyped_storage().data_ptr() for t in
                                list(self.model.parameters()) + list(self.model.buffers()) if not t.is_meta}
            self._neuron_out = {}
            self._stack = ModuleStack(self.model)
            self._stack.active = True
            dispatch = RuleDispatch(self._record_op)
        try:
            with torch.no_grad():
                if dispatch is not None:
                    with dispatch:
                        yield self
                else:
                    yield self
        finally:
            if self._stack is not None:
                self._stack.remove()
                self._stack = None
            self._neuron_out = {}
        self._finish_frame()

    # -- hooks -------------------------------------------------------------------------------------
    def _segment(self) -> Segment:
        if self.branch_of is not None:
            branch = self.branch_of()
        else:  # no branch label: what runs at initialisation is the template branch
            branch = "template" if self._kind == "init" else "search"
        if not self._segments or self._segments[-1].branch != branch:
            self._segments.append(Segment(branch, self._kind, ops=[] if self._full else None))
        return self._segments[-1]

    def _root_hook(self, module, args) -> None:
        shapes = tuple(tuple(a.shape) for a in _tensors(args))
        self._segment().signature.append(("<forward>", shapes))

    def _probe_hook(self, name: str):
        def hook(module, args, out):
            verdict = acts_as_neuron(args, out)
            if verdict is None:   # shapes only, no tensor output: ask again on the next call
                return
            handle = self._probes.pop(name, None)
            if handle is not None:
                handle.remove()
            if not verdict:
                self._not_neurons.add(name)
                return
            self.kinds[name] = OBSERVED
            self.neuron_names.append(name)
            neuron_hook = self._neuron_hook(name, OBSERVED)
            self._handles.append(module.register_forward_hook(neuron_hook))
            neuron_hook(module, args, out)   # this call is the neuron's first
        return hook

    def _neuron_hook(self, name: str, kind: NeuronKind):
        def hook(module, args, out):
            out = kind.spikes(out)   # snnTorch returns (spk, mem, ...)
            if out is None or out.is_meta or (out.dim() == 0 and kind.multi_step(module)):
                return
            if not kind.multi_step(module):
                out = out.unsqueeze(0)   # one time step per call: a [1, ...] view of the same storage
            key = ("<neuron>", name, tuple(out.shape))
            # a library neuron's spikes are read on their own scale (binary, or graded by its factor), so
            # a mean of spikes elsewhere in the model cannot rescale them; others share the counter's D
            shared = kind.scale is None
            scale = self._scale_for(key, out, shared=shared)
            if scale is None:
                return
            if isinstance(kind.scale, int):
                scale = kind.scale
            elif shared:
                scale = None
            seg = self._segment()
            T = int(out.shape[0])
            numel_step = out.numel() // T if T else 0
            # the histogram (non-zero fraction and levels: extra passes, on request) reads the scale now
            levels = self._levels(scale or self.spike_scale) if self.histogram else None
            self.spikes.add(FRAME, self._frame_serial, out, histogram=levels)
            k = seg.ordinal[name]
            seg.ordinal[name] = k + 1
            seg.signature.append((name, tuple(out.shape)))
            seg.neurons.append(NeuronCall(name, T, numel_step, scale))
            if self._full:
                st = out.untyped_storage()
                self._neuron_out[st.data_ptr()] = (name, k, T, st.nbytes(), numel_step, out.storage_offset(),
                                                   out.stride(0), tuple(out.shape[1:]), out.stride()[1:],
                                                   out.is_contiguous())
        return hook

    def _levels(self, scale: int) -> Callable:
        fn = self._level_fns.get(scale)
        if fn is None:
            fn = self._level_fns[scale] = lambda x: count_histogram(x, scale, MAX_COUNT)
        return fn

    def _scale_for(self, key: tuple, x: torch.Tensor, shared: bool = True) -> int | None:
        """The spike scale of ``x`` (cached per key); ``shared``: it also informs the counter's D."""
        try:
            return self._spike_cache[key]
        except KeyError:
            s = spike_scale_of(x)
            self._spike_cache[key] = s
            if s is not None and shared:
                self.scales_seen.add(s)
            return s

    def _record_op(self, rule, args, kwargs, out) -> None:
        name, fn = rule
        path = self._stack.path() if self._stack is not None else ""
        if not path and self._stack is not None:
            path = self._stack.caller_path()
        seg = self._segment()
        for suffix, macs, operands in fn(args, kwargs, out):
            call = OpCall(path=path, op=name + suffix, branch=seg.branch, macs=int(macs))
            steps = 1
            for i, x in enumerate(operands):
                if not isinstance(x, torch.Tensor):
                    continue
                if x.is_meta:  # shapes only (instant MAC counts): nothing to weight
                    call.io_numel += x.numel()
                    continue
                st = x.untyped_storage()
                ptr = st.data_ptr()
                if ptr in self._param_ptrs:
                    call.weight_numel += x.numel()
                    continue
                call.io_numel += x.numel()
                src = self._neuron_out.get(ptr)
                if src is not None and src[3] == st.nbytes():
                    span = _step_span(x, src)
                    if span is not None:
                        call.sources.append(("neuron", src[0], src[1], span[0], span[1]))
                        steps = max(steps, span[1] - span[0])
                        continue
                key = (path, call.op, i, tuple(x.shape), seg.branch)
                if self._scale_for(key, x) is None:
                    continue
                call.sources.append(("direct", x.detach().reshape(-1).sum(dtype=torch.float64), x.numel()))
            call.steps = steps
            if isinstance(out, torch.Tensor):
                call.io_numel += out.numel()
            seg.ops.append(call)

    # -- per-frame resolution ----------------------------------------------------------------------
    def _finish_frame(self) -> None:
        self.frames[self._kind] += 1
        if self._full:
            self.full_frames += 1
        # the neuron statistics in one read of the accumulator; the direct operands' sums (full mode only)
        # in one transfer beside it
        log = self.spikes.read(reset=True).get(FRAME) or {}
        sums_all, nz_all, hist_all = (None if log.get(k) is None else log[k].tolist()
                                      for k in ("sums", "nonzero", "histogram"))
        direct = [s[1].reshape(1) for seg in self._segments for op in seg.ops or () for s in op.sources
                  if s[0] == "direct"]
        host = torch.cat(direct).tolist() if direct else []
        pos = row = 0
        scale = self.spike_scale
        for seg in self._segments:
            counts: dict[tuple, list[float]] = {}
            ordinal: dict[str, int] = defaultdict(int)
            entry: dict[str, int] = defaultdict(int)
            for n in seg.neurons:
                T, j = n.T, row
                row += T
                sums = sums_all[j:j + T]
                nz = nz_all[j:j + T] if nz_all is not None else None
                hist = hist_all[j:j + T] if hist_all is not None else None
                k = ordinal[n.name]
                ordinal[n.name] += 1
                c = [s * (n.scale or scale) / n.numel_step for s in sums]
                counts[(n.name, k)] = c
                self._add_neuron(n.name, seg.branch, c, [z / n.numel_step for z in nz] if nz else None, hist, entry,
                                 n.scale)
            if seg.ops is not None:
                resolved = []
                for op in seg.ops:
                    srcs = []
                    for s in op.sources:
                        if s[0] == "direct":
                            srcs.append(("direct", [host[pos]], s[2]))
                            pos += 1
                        else:
                            srcs.append(s)
                    op.sources = srcs
                    resolved.append(op)
                self.templates[seg.key()] = resolved
                self._missing.discard(seg.key())
                ops = resolved
            else:
                ops = self.templates.get(seg.key())
                if ops is None:
                    self.uncounted_segments += 1
                    if seg.key() not in self._abandoned:
                        self._missing.add(seg.key())
                    continue
            self.segments_per_kind[(seg.kind, seg.branch)] += 1
            self._add_ops(ops, counts, scale, fresh=seg.ops is not None, kind=seg.kind)

    def _add_neuron(self, name, branch, counts, nonzero, hist, entry: dict, scale: int | None = None) -> None:
        key = (name, branch)
        st = self.neurons.get(key)
        if st is None:
            st = self.neurons[key] = NeuronStats(name, branch)
        if scale is not None:
            st.scale = scale
        for t, c in enumerate(counts):
            z = nonzero[t] if nonzero is not None else 0.0
            j = entry[name]
            entry[name] = j + 1
            if j == len(st.count_sum):
                st.count_sum.append(0.0)
                st.nonzero_sum.append(0.0)
                st.segments.append(0)
                st.hist.append([0.0] * (MAX_COUNT + 1))
            st.count_sum[j] += c
            st.nonzero_sum[j] += z
            st.segments[j] += 1
            if hist is not None:
                st.has_histogram = True
                st.hist[j] = [a + b for a, b in zip(st.hist[j], hist[t])]

    def _add_ops(self, ops: list[OpCall], counts: dict, scale: int, fresh: bool, kind: str) -> None:
        entry: dict[tuple, int] = defaultdict(int)
        for op in ops:
            per_operand = []
            stale = False
            for s in op.sources:
                if s[0] == "neuron":
                    c = counts.get((s[1], s[2]))
                    if c is None:
                        continue
                    per_operand.append(c[s[3]:s[4]])
                else:
                    per_operand.append([s[1][0] * scale / s[2]])
                    stale = stale or not fresh
            steps = max(op.steps, 1)
            step_counts = _combine(per_operand, steps, self.pair_rule)
            key = (op.path, op.op, op.branch)
            st = self.layers.get(key)
            if st is None:
                st = self.layers[key] = LayerStats(op.path, op.op, op.branch)
            st.calls += 1
            st.macs += op.macs
            st.weight_numel += op.weight_numel
            st.io_numel += op.io_numel
            self.macs_per_kind[(kind, op.branch)] += op.macs
            per_step = op.macs / steps
            if step_counts:
                st.spike_macs += op.macs
                st.sops += per_step * sum(step_counts)
                if stale:
                    st.stale_macs += op.macs
            for t in range(steps):
                j = entry[key]
                entry[key] += 1
                if j == len(st.entry_macs):
                    st.entry_macs.append(0.0)
                    st.entry_sops.append(0.0)
                    st.entry_count.append(0.0)
                    st.entry_frames.append(0)
                st.entry_macs[j] += per_step
                st.entry_frames[j] += 1
                if step_counts:
                    st.entry_sops[j] += per_step * step_counts[t]
                    st.entry_count[j] += step_counts[t]


def _step_span(x: torch.Tensor, src: tuple) -> tuple[int, int] | None:
    """Which time steps [t0, t1) of a neuron output ``[T, ...]`` the tensor ``x`` (same storage) holds:
    the whole output (any view of all its elements), a run of whole steps of a contiguous output, or
    ``out[t]`` / ``out[a:b]`` of an output of any layout; ``None`` when ``x`` is some other subset."""
    _, _, T, _, per, base, stride0, inner_shape, inner_stride, contiguous = src
    rel = x.storage_offset() - base
    if x.numel() == T * per and rel == 0:
        return 0, T
    if contiguous and x.is_contiguous() and per and rel % per == 0 and x.numel() % per == 0:
        return rel // per, rel // per + x.numel() // per
    if not stride0 or rel % stride0:
        return None
    t0 = rel // stride0
    if tuple(x.shape) == inner_shape and x.stride() == inner_stride:
        return t0, t0 + 1
    if x.dim() == len(inner_shape) + 1 and tuple(x.shape[1:]) == inner_shape and x.stride()[1:] == inner_stride:
        return t0, t0 + x.shape[0]
    return None


def _tensors(obj) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []




def count_once(model: nn.Module, fn: Callable | None = None, *args: Any, kind: str = "track",
               **counter_kw: Any) -> EfficiencyCounter:
    """Run ``fn(*args)`` (default ``model(*args)``) once in full mode; the counter holds the tables."""
    counter = EfficiencyCounter(model, mode="full", **counter_kw)
    try:
        with counter.frame(kind):
            (fn or model)(*args)
    finally:
        counter.detach()
    return counter


def totals(counter: EfficiencyCounter, branch: str | None = None) -> dict[str, float]:
    """MACs, spike-fed MACs and SOPs summed over layers (one branch or all), over all counted frames."""
    rows = [s for s in counter.layers.values() if branch is None or s.branch == branch]
    return {"macs": sum(s.macs for s in rows), "spike_macs": sum(s.spike_macs for s in rows),
            "sops": sum(s.sops for s in rows)}


__all__ = ["EfficiencyCounter", "LayerStats", "NeuronStats", "OpCall", "NeuronCall", "Segment", "count_once", "totals"]

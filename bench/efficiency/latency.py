"""Latency and FPS measured so they can be reproduced: warm-up, device sync, what is inside the clock.

Three clocks per tracked frame:

- ``model``: time inside the forward calls of the tracker's torch modules (hooks on every module; glue
  code between the outermost calls, e.g. in the model's own methods, counts as tracker overhead), with
  a device synchronisation at each outermost entry and exit;
- ``end_to_end``: the whole ``track()`` call (cropping, pre-processing, model, post-processing), synced,
  frame decoding excluded;
- ``end_to_end_with_decode``: the same plus reading/decoding the frame from disk.

Frames where the tracker refreshed its template memory (``template_updated``) are summarised apart,
the init frame is never in the summaries, and the first ``warmup`` frames of the sequence are tracked
once and thrown away before the timed pass. Threads, device and software are recorded.
"""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from trackers.base import declared


def device_sync(device: Any) -> None:
    """Wait for queued GPU work (no-op on CPU)."""
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda" and torch.cuda.is_available():
        torch.cuda.synchronize(dev)
    elif dev.type == "mps" and hasattr(torch, "mps"):
        torch.mps.synchronize()


def model_device(model: nn.Module | None) -> torch.device:
    if model is None:
        return torch.device("cpu")
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


class ModelTimer:
    """Accumulates time spent inside the forward calls of ``model``'s modules (all of them, or those at
    most ``depth`` attribute levels below the root; containers' children count as their own level)."""

    def __init__(self, model: nn.Module, depth: int | None = None):
        self.device = model_device(model)
        self.seconds = 0.0
        self._depth = 0
        self._t0 = 0.0
        self._handles = []
        for name, m in model.named_modules():
            if depth is None or (name.count(".") + 1 if name else 0) <= depth:
                self._handles.append(m.register_forward_pre_hook(self._pre))
                self._handles.append(m.register_forward_hook(self._post, always_call=True))

    def _pre(self, module, args) -> None:
        if self._depth == 0:
            device_sync(self.device)
            self._t0 = time.perf_counter()
        self._depth += 1

    def _post(self, module, args, out) -> None:
        self._depth -= 1
        if self._depth == 0:
            device_sync(self.device)
            self.seconds += time.perf_counter() - self._t0

    def take(self) -> float:
        s, self.seconds = self.seconds, 0.0
        return s

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


def summarise(seconds: Iterable[float]) -> dict:
    """n, mean, std, min, p50, p90, p99, max (seconds) and FPS = 1 / mean."""
    a = np.asarray(list(seconds), dtype=np.float64)
    if a.size == 0:
        return {"n": 0}
    mean = float(a.mean())
    return {"n": int(a.size), "mean_s": mean, "std_s": float(a.std()), "min_s": float(a.min()),
            "p50_s": float(np.percentile(a, 50)), "p90_s": float(np.percentile(a, 90)),
            "p99_s": float(np.percentile(a, 99)), "max_s": float(a.max()), "fps": 1.0 / mean if mean > 0 else None}


def environment(device: Any = "cpu") -> dict:
    """Where the numbers were measured."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    env = {"device": str(device), "torch_threads": torch.get_num_threads(), "cpu": cpu,
           "cpu_count": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
           "platform": platform.platform()}
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(dev)
    return env


@dataclass
class FrameTime:
    frame: int
    decode_s: float
    end_to_end_s: float
    model_s: float | None
    template_updated: bool


def time_sequence(tracker, sequence, max_frames: int | None = None, warmup: int = 5,
                  info: dict | None = None) -> list[FrameTime]:
    """Track ``sequence`` (frame 0 initialises) and time every tracked frame after a warm-up pass."""
    n = len(sequence.frames) if max_frames is None else min(len(sequence.frames), max_frames)
    tracker = declared(tracker)   # read through the contract (trackers.base.Tracker) only
    model = tracker.model if isinstance(tracker.model, nn.Module) else None
    device = model_device(model)
    first = sequence.frames.read(0)
    box = sequence.ground_truth[0]
    if warmup > 0 and n > 1:
        tracker.initialize(first, box, info)
        for i in range(1, min(n, warmup + 1)):
            tracker.track(sequence.frames.read(i))
    timer = ModelTimer(model) if model is not None else None
    out: list[FrameTime] = []
    try:
        tracker.initialize(first, box, info)
        if timer is not None:
            timer.take()
        for i in range(1, n):
            t0 = time.perf_counter()
            img = sequence.frames.read(i)
            t1 = time.perf_counter()
            device_sync(device)
            t2 = time.perf_counter()
            tracker.track(img)
            device_sync(device)
            t3 = time.perf_counter()
            out.append(FrameTime(i, t1 - t0, t3 - t2, timer.take() if timer is not None else None,
                                 bool(tracker.template_updated)))
    finally:
        if timer is not None:
            timer.remove()
    return out


def latency_report(frames: list[FrameTime], device: Any = "cpu", warmup: int = 0) -> dict:
    """Summaries for all frames, ordinary frames and template-update frames, per clock."""
    def clocks(sel: list[FrameTime]) -> dict:
        d = {"end_to_end": summarise(f.end_to_end_s for f in sel),
             "end_to_end_with_decode": summarise(f.end_to_end_s + f.decode_s for f in sel),
             "decode": summarise(f.decode_s for f in sel)}
        if sel and sel[0].model_s is not None:
            d["model"] = summarise(f.model_s for f in sel)
        return d

    updates = [f for f in frames if f.template_updated]
    plain = [f for f in frames if not f.template_updated]
    return {"warmup_frames": warmup, "environment": environment(device),
            "all_frames": clocks(frames), "ordinary_frames": clocks(plain),
            "template_update_frames": clocks(updates),
            "definition": {"model": "inside the outermost forward calls of the model's modules, device-synced",
                           "end_to_end": "whole track() call, device-synced, frame decoding excluded",
                           "end_to_end_with_decode": "track() plus reading and decoding the frame",
                           "fps": "1 / mean seconds; the init frame is excluded"}}


__all__ = ["ModelTimer", "FrameTime", "time_sequence", "latency_report", "summarise", "environment",
           "device_sync", "model_device"]

"""Loading official checkpoints safely and saying exactly why one does not fit.

Files are read with ``torch.load(weights_only=True)``: a checkpoint is data, and unpickling arbitrary
objects runs code. Users opt in to full unpickling for a file they trust (``--trust-checkpoint``).
"""
from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from bench.core.errors import CheckpointError
from bench.core.hashing import file_sha256

STATE_DICT_KEYS = ("net", "model", "state_dict", "model_state_dict")


def load_checkpoint(path: str | os.PathLike, trust: bool = False) -> Any:
    """Read a checkpoint file; ``trust=True`` allows full unpickling (only for files you trust)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: checkpoint is empty")
    _check_format(path)
    try:
        with warnings.catch_warnings():   # a corrupt file's "pickle protocol 33" note: the error below says it
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if not trust and "weights_only" in str(e) and "GLOBAL" in str(e):
            raise CheckpointError(
                f"{path}: holds objects beyond tensors and plain types, refused under weights_only "
                f"({first[:120]}); pass --trust-checkpoint only if you trust this file") from None
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({first[:160]})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        msg = " ".join(str(e).split())[:160] or type(e).__name__
        raise CheckpointError(f"{path}: truncated or corrupt checkpoint ({msg})") from None
    except Exception as e:   # garbage bytes reach the unpickler's internals (IndexError, KeyError, ...)
        msg = " ".join(str(e).split())[:120] or "no message"
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({type(e).__name__}: {msg})") from None


#: how a torch checkpoint file begins: a zip archive (torch >= 1.6) or a pickle, protocol 2 or later
_TORCH_MAGIC = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def _check_format(path: Path) -> None:
    """Name what the file is when it is plainly no checkpoint (a Git LFS pointer, a text or HTML page),
    instead of letting the unpickler fail on it; advice to trust such a file would help nobody."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({e.strerror or e})") from None
    if head.startswith(_TORCH_MAGIC):
        return
    if head.startswith(b"version https://git-lfs"):
        raise CheckpointError(f"{path}: a Git LFS pointer, not the checkpoint itself; fetch the file "
                              f"(`git lfs pull`) or download the weights")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return  # binary of some other kind: the unpickler's own error says more
    if "\0" not in text:
        first = " ".join(text.strip().split())[:60]
        raise CheckpointError(f"{path}: a text file ({first!r}...), not a torch checkpoint")


def extract_state_dict(obj: Any, keys: Iterable[str] = STATE_DICT_KEYS, source: str = "checkpoint") -> dict:
    """The state dict inside a checkpoint object: the object itself, or under ``net``/``model``/..."""
    import torch

    if isinstance(obj, Mapping):
        for k in keys:
            if k in obj and isinstance(obj[k], Mapping):
                obj = obj[k]
                break
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) == len(obj):
            return dict(obj)
        if tensors:
            bad = next(k for k, v in obj.items() if not isinstance(v, torch.Tensor))
            raise CheckpointError(f"{source}: entry {bad!r} is not a tensor; not a state dict")
    kind = type(obj).__name__
    hint = f" with keys {list(obj)[:6]}" if isinstance(obj, Mapping) else ""
    raise CheckpointError(f"{source}: not a state dict (a {kind}{hint}; expected tensors, "
                          f"possibly under one of {', '.join(keys)})")


def check_state_dict(module: Any, state_dict: Mapping[str, Any], source: str = "checkpoint") -> None:
    """Raise :class:`CheckpointError` naming missing, unexpected and mis-shaped keys."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    misshaped = [f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
                 if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or misshaped):
        return
    parts = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("mis-shaped (file vs model)", misshaped)):
        if items:
            more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
            parts.append(f"{len(items)} {label}: {', '.join(items[:3])}{more}")
    raise CheckpointError(f"{source}: does not fit {type(module).__name__}: " + "; ".join(parts))


def load_into(module: Any, state_dict: Mapping[str, Any], strict: bool = True, source: str = "checkpoint") -> None:
    """``module.load_state_dict`` with a one-line error that names the keys that do not fit."""
    if strict:
        check_state_dict(module, state_dict, source)
    module.load_state_dict(state_dict, strict=strict)


def load_weights(module: Any, path: str | os.PathLike, trust: bool = False, strict: bool = True) -> str:
    """Load a checkpoint file into ``module``; returns the file's sha256 (recorded in run manifests)."""
    sd = extract_state_dict(load_checkpoint(path, trust=trust), source=str(path))
    load_into(module, sd, strict=strict, source=str(path))
    return file_sha256(path)



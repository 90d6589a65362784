"""Reading the files of a vot-toolkit workspace: every one a one-line error naming it when it is not UTF-8,
not JSON/YAML/INI, or of the wrong shape (``bench_vot.json``, ``config.yaml``, ``stack.yaml``,
``trackers.ini``, ``sequences/list.txt`` and the per-sequence files). The writer is :mod:`bench.vot.workspace`.
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bench.core.errors import ConfigError, DataError
from bench.core.io import is_float, parse_ini, read_json, read_text_file

SETUP_FILE = "bench_vot.json"



def read_text(path: str | os.PathLike, error: type = DataError) -> str:
    """The UTF-8 text of a workspace or sequence file; missing, a folder, unreadable or not UTF-8 is an
    ``error`` (a :class:`~bench.core.errors.BenchError`) naming the file."""
    return read_text_file(path, error=error)


def _kind(obj: Any) -> str:
    if obj == "":
        return "an empty string"
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}
    return names.get(type(obj), type(obj).__name__)


def read_yaml_mapping(path: str | os.PathLike, error: type = ConfigError) -> dict:
    """A YAML file whose top level is a mapping (an empty file is an empty mapping)."""
    import yaml

    p = Path(path)
    text = read_text(p, error)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise error(f"{p}{where}: not valid YAML ({problem})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise error(f"{p}: expected a mapping of keys at the top level, found {_kind(doc)}")
    return doc


def check_stack_doc(doc: Mapping, source: str | os.PathLike) -> dict[str, dict]:
    """The ``experiments`` of a stack document: a mapping of name -> mapping with a ``type``."""
    exps = doc.get("experiments")
    if not isinstance(exps, dict):
        raise ConfigError(f"{source}: 'experiments' must be a mapping of experiment name -> settings, "
                          f"found {_kind(exps)}")
    for name, spec in exps.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise ConfigError(f"{source}: experiment {name!r} must be a mapping with a 'type', found {_kind(spec)}")
        if not isinstance(spec.get("analyses", []), list):
            raise ConfigError(f"{source}: experiment {name!r}: 'analyses' must be a list")
    return {str(k): v for k, v in exps.items()}


def read_trackers_ini(workspace: str | os.PathLike) -> tuple[str, configparser.ConfigParser]:
    """Text and parsed sections of ``W/trackers.ini`` (empty where the file does not exist yet)."""
    ini = Path(workspace) / "trackers.ini"
    if not ini.exists():
        return "", parse_ini("", ini, ConfigError)
    text = read_text(ini, ConfigError)
    return text, parse_ini(text, ini, ConfigError)


def load_setup(workspace: str | os.PathLike) -> dict:
    """``W/bench_vot.json`` (what ``bench vot setup`` recorded), checked for shape."""
    ws = Path(workspace)
    f = ws / SETUP_FILE
    if not ws.is_dir():
        raise ConfigError(f"{ws}: no such workspace folder; run `bench vot setup --workspace {ws} ...` first")
    if not f.is_file():
        raise ConfigError(f"{ws}: no {SETUP_FILE}; run `bench vot setup --workspace {ws} ...` first")
    doc = read_json(f, ConfigError)
    if not isinstance(doc, dict):
        raise ConfigError(f"{f}: expected a JSON object, found {_kind(doc)}")
    for key in ("tracker", "tracker_id", "stack", "label"):
        if key in doc and not (isinstance(doc[key], str) and doc[key]):
            raise ConfigError(f"{f}: {key!r} must be a non-empty string, found {_kind(doc[key])}")
    if "sequences" in doc and not (isinstance(doc["sequences"], list)
                                   and all(isinstance(n, str) for n in doc["sequences"])):
        raise ConfigError(f"{f}: 'sequences' must be a list of names")
    return doc


def read_config(workspace: str | os.PathLike) -> dict:
    """``W/config.yaml``, checked for the keys the suite and the toolkit use."""
    ws = Path(workspace)
    f = ws / "config.yaml"
    if not f.exists():
        raise ConfigError(f"{ws}: not a VOT workspace (no config.yaml); run `bench vot setup` first")
    cfg = read_yaml_mapping(f)
    if "stack" in cfg and not (isinstance(cfg["stack"], str) and cfg["stack"]):
        raise ConfigError(f"{f}: 'stack' must be a file name, found {_kind(cfg['stack'])}")
    reg = cfg.get("registry", [])
    if not (isinstance(reg, str) or (isinstance(reg, list) and all(isinstance(r, str) for r in reg))):
        raise ConfigError(f"{f}: 'registry' must be a list of file names, found {_kind(reg)}")
    if "sequences" in cfg and not isinstance(cfg["sequences"], str):
        raise ConfigError(f"{f}: 'sequences' must be a folder name, found {_kind(cfg['sequences'])}")
    return cfg


def read_sequence_list(path: str | os.PathLike) -> list[str]:
    """The names in a ``list.txt`` (one per line, blank lines ignored); names that are not plain folder
    names are refused."""
    p = Path(path)
    names = [ln.strip() for ln in read_text(p).splitlines() if ln.strip()]
    for n in names:
        if not plain_name(n):
            raise DataError(f"{p}: {n!r} is not a sequence folder name")
    return names


def plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def _read_numbers(p: Path) -> list[float]:
    """A per-frame file of whitespace-separated numbers; a token that is none names the file."""
    vals = read_text(p).split()
    try:
        return [float(v) for v in vals]
    except ValueError:
        bad = next(v for v in vals if not is_float(v))
        raise DataError(f"{p}: not a number list ({bad[:20]!r})") from None


def read_anchors(path: str | os.PathLike, length: int | None = None) -> list[float]:
    """``anchor.value``: one number per frame (``1`` forward, ``-1`` backward, ``0`` none)."""
    p = Path(path)
    anchors = _read_numbers(p)
    if length is not None and len(anchors) != length:
        raise DataError(f"{p}: {len(anchors)} values for {length} frames")
    return anchors


def read_int_list(path: str | os.PathLike) -> np.ndarray:
    """A per-frame tag/label file: one integer (or integral number) per frame."""
    p = Path(path)
    nums = _read_numbers(p)
    if not all(np.isfinite(nums)):
        raise DataError(f"{p}: values must be finite numbers")
    return np.array([int(v) for v in nums], dtype=np.int64)


def stack_experiments(workspace: str | os.PathLike) -> dict[str, dict]:
    """The experiments of the workspace's stack file (``config.yaml`` -> ``stack.yaml``), checked for shape."""
    ws = Path(workspace)
    cfg = read_config(ws)
    stack = ws / str(cfg.get("stack", "stack.yaml"))
    if not stack.is_file():
        raise ConfigError(f"{ws / 'config.yaml'}: stack {cfg.get('stack')!r} is not a file in the workspace")
    return check_stack_doc(read_yaml_mapping(stack), stack)


def check_workspace_sequences(workspace: str | os.PathLike, stack: Mapping[str, dict] | None = None) -> list[str]:
    """Read every sequence file the toolkit and the suite's scoring will read (``list.txt``, ``sequence``,
    ``groundtruth.txt``, ``anchor.value`` for multistart stacks, the frames), so a broken workspace is a
    one-line error before anything runs; returns the sequence names."""
    from bench.core.regions import parse_regions
    from datasets.vot import parse_sequence_meta

    ws = Path(workspace)
    root = ws / "sequences"
    names = read_sequence_list(root / "list.txt")
    if not names:
        raise DataError(f"{root / 'list.txt'}: lists no sequence")
    multistart = any((spec or {}).get("type") == "multistart" for spec in (stack or {}).values())
    for n in names:
        folder = root / n
        if not folder.is_dir():
            raise DataError(f"{root / 'list.txt'}: sequence {n} has no folder {folder}")
        gt_path = folder / "groundtruth.txt"
        gt = parse_regions(read_text(gt_path).splitlines(), str(gt_path))
        meta = parse_sequence_meta(folder / "sequence")
        if "width" not in meta or "height" not in meta:
            raise DataError(f"{folder / 'sequence'}: width/height missing")
        if multistart:
            read_anchors(folder / "anchor.value", len(gt))
        pattern = meta.get("channels.color")
        if pattern:
            try:
                frames = [folder / (pattern % i) for i in range(1, len(gt) + 1)]
            except (TypeError, ValueError):
                raise DataError(f"{folder / 'sequence'}: channels.color={pattern!r} is not a frame pattern") from None
            missing = [f for f in frames if not f.is_file()]
            if missing:
                raise DataError(f"{missing[0]}: frame not found ({len(missing)} of {len(frames)} frames missing)")
    return names

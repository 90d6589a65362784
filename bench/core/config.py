"""Where things live: dataset roots and the results folder, from flags, environment or a config file.

Order of precedence: command-line flag, environment variable, config file, default. The config file is
``$BENCH_CONFIG``, else ``./bench.toml``, else ``~/.config/bench/config.toml``::

    results = "/data/tracking-results"
    [datasets.lasot]
    root = "/data/LaSOT"
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.core.errors import ConfigError


def config_path() -> Path | None:
    env = os.environ.get("BENCH_CONFIG")
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            raise ConfigError(f"BENCH_CONFIG={env}: is a folder, expected a TOML file")
        if not p.is_file():
            raise ConfigError(f"BENCH_CONFIG={env}: no such file")
        return p
    for p in (Path("bench.toml"), Path("~/.config/bench/config.toml").expanduser()):
        if p.is_file():
            return p
    return None


@lru_cache(maxsize=None)
def _load(path: str) -> dict[str, Any]:
    import tomllib   # here: most commands run without a config file, and the parser is 4 ms of a start

    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (TOML files are UTF-8)") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror or e})") from None
    _check_types(path, doc)
    return doc


def _check_types(path: str, doc: dict[str, Any]) -> None:
    """The keys the suite reads, with the types it needs; a wrong one is named with its key."""
    def need(ok: bool, key: str, what: str, value: Any) -> None:
        if not ok:
            raise ConfigError(f"{path}: key {key} must be {what}, got {type(value).__name__} {value!r}")

    if "results" in doc:
        need(isinstance(doc["results"], str) and doc["results"] != "", "results", "a folder path (string)",
             doc["results"])
    sets = doc.get("datasets", {})
    need(isinstance(sets, dict), "datasets", "a table ([datasets.NAME] root = ...)", sets)
    for name, entry in sets.items():
        need(isinstance(entry, dict), f"datasets.{name}", "a table (root = \"...\")", entry)
        if "root" in entry:
            need(isinstance(entry["root"], str) and entry["root"] != "", f"datasets.{name}.root",
                 "a folder path (string)", entry["root"])


def load_config() -> dict[str, Any]:
    p = config_path()
    return _load(str(p.resolve())) if p else {}


def env_var_for(dataset: str) -> str:
    """``lasot_ext`` -> ``BENCH_LASOT_EXT_ROOT``."""
    return "BENCH_" + re.sub(r"[^A-Za-z0-9]+", "_", dataset).strip("_").upper() + "_ROOT"


def dataset_root(dataset: str, cli_root: str | os.PathLike | None = None) -> Path | None:
    """The root folder of ``dataset``: ``--root``, then ``BENCH_<NAME>_ROOT``, then the config file."""
    if cli_root:
        return Path(cli_root).expanduser()
    env = os.environ.get(env_var_for(dataset))
    if env:
        return Path(env).expanduser()
    entry = load_config().get("datasets", {}).get(dataset, {})
    if isinstance(entry, dict) and entry.get("root"):
        return Path(entry["root"]).expanduser()
    return None


def results_dir(cli_value: str | os.PathLike | None = None) -> Path:
    """The results store: ``--results``, then ``BENCH_RESULTS``, then the config file, then ``./results``."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("BENCH_RESULTS")
    if env:
        return Path(env).expanduser()
    value = load_config().get("results")
    return Path(value).expanduser() if value else Path("results")

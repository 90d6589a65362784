"""Shared fixtures: the real data beside the checkout (``../shared``), skipped cleanly where absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO.parent / "shared")).resolve()


def shared_available() -> bool:
    return (SHARED / "data").is_dir() and (SHARED / "reference").is_dir()


requires_shared = pytest.mark.skipif(
    not shared_available(), reason=f"real data folder {SHARED} is absent (set BENCH_SHARED to use another)")


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path of the shared real-data/reference folder; the test is skipped where it is absent."""
    if not shared_available():
        pytest.skip(f"real data folder {SHARED} is absent (set BENCH_SHARED to use another)")
    return SHARED


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch, tmp_path_factory):
    """Tests never read the developer's bench.toml or BENCH_* variables."""
    for k in list(os.environ):
        if k.startswith("BENCH_") and k != "BENCH_SHARED":
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("BENCH_CONFIG", str(_empty_config(tmp_path_factory)))
    # parsed box files are cached in the session's own folder, never in the developer's ~/.cache
    monkeypatch.setenv("BENCH_CACHE_DIR", str(_session_folder(tmp_path_factory, "box-cache")))


_FOLDERS: dict[str, Path] = {}


def _session_folder(factory, name: str) -> Path:
    if name not in _FOLDERS:
        _FOLDERS[name] = factory.mktemp(name)
    return _FOLDERS[name]


def _empty_config(factory) -> Path:
    path = _session_folder(factory, "cfg") / "bench.toml"
    if not path.exists():
        path.write_text("")
    return path

"""Output paths checked against input paths before anything is written: an output never lands on an input."""
from __future__ import annotations

import os
from pathlib import Path

from bench.core.errors import ConfigError


def resolved(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def check_outputs(outputs: dict[str, str | os.PathLike | None], inputs: dict[str, str | os.PathLike | None]) -> None:
    """Refuse, before anything is written, an output path that is one of the inputs or lies inside one.

    ``outputs`` and ``inputs`` map the flag that names each path (``--out``, ``--video``) to the path; ``None``
    entries are ignored. Two outputs naming the same file are refused too. Links are followed, so a second
    name for an input is caught as well.
    """
    seen: dict[Path, str] = {}
    ins = {flag: resolved(p) for flag, p in inputs.items() if p}
    real_ins = {flag: Path(os.path.realpath(p)) for flag, p in ins.items()}
    for flag, path in outputs.items():
        if not path:
            continue
        out, real_out = resolved(path), Path(os.path.realpath(resolved(path)))
        if real_out in seen or out in seen:
            raise ConfigError(f"{flag} {path}: the same file as {seen.get(real_out) or seen.get(out)}")
        seen[out] = seen[real_out] = flag
        for in_flag, src in ins.items():
            real_src = real_ins[in_flag]
            if out == src or real_out == real_src or _same_file(out, src):
                raise ConfigError(f"{flag} {path}: is the input named by {in_flag}; choose another output path")
            if src.is_dir() and (real_src in real_out.parents or src in out.parents):
                raise ConfigError(f"{flag} {path}: lies inside the input folder {in_flag} {src}; "
                                  "choose an output path outside it")


def check_parent(path: Path, flag: str) -> None:
    """The folder an output goes into can be made: no file stands where a folder of its path must be."""
    for parent in Path(path).parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{flag} {path}: {parent} is a file, not a folder")
            return


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False

"""Content hashes the store records: a checkpoint file's sha256 and a run configuration's identity hash."""
from __future__ import annotations

import json
import os

#: config keys that do not change results (a moved checkpoint file keeps its sha256)
INFORMATIONAL_KEYS = ("checkpoint", "trust_checkpoint", "threads")


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in ``chunk``-byte blocks (checkpoints run to gigabytes)."""
    import hashlib   # here, not at the top: scoring imports this module and never hashes

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def result_identity(config: dict) -> dict:
    """The part of a run configuration that determines its results (see :data:`INFORMATIONAL_KEYS`)."""
    return {k: v for k, v in config.items() if k not in INFORMATIONAL_KEYS}


def config_hash(config: dict) -> str:
    """Stable hash of :func:`result_identity`: equal hashes mean results may be resumed and mixed."""
    import hashlib

    blob = json.dumps(result_identity(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]

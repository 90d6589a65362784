"""Read a vot-toolkit workspace's result files, score them with the suite's own VOT protocols, and import
the toolkit's analysis next to the suite's figures into the results store.

Both scorings read the same files (``results/<tracker>/<experiment>/<seq>/<seq>_<anchor:08d>.txt`` for the
multistart experiments, ``<seq>_<rep:03d>.txt`` for the others), so any difference between
``toolkit`` and ``suite`` in the imported record is a difference of computation, not of data.
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.core.errors import DataError
from bench.core.io import atomic_write_json
from bench.core.regions import Region

ANALYSIS_FILE = "vot_analysis.json"


def _sequence_names(ws: Path) -> list[str]:
    from bench.vot.workspace_files import read_sequence_list

    lst = ws / "sequences" / "list.txt"
    if not lst.is_file():
        raise DataError(f"{lst}: not found (is {ws} a VOT workspace?)")
    return read_sequence_list(lst)


def _read_regions(path: Path) -> list[Region]:
    """A region file (ground truth or text trajectory); not UTF-8 or malformed names the file (and line)."""
    from bench.core.regions import parse_regions
    from bench.vot.workspace_files import read_text

    return parse_regions(read_text(path).splitlines(), str(path))


def _sequence_size(folder: Path) -> tuple[int, int]:
    from datasets.vot import parse_sequence_meta

    meta = parse_sequence_meta(folder / "sequence")
    if "width" not in meta or "height" not in meta:
        raise DataError(f"{folder / 'sequence'}: width/height missing")
    return int(meta["width"]), int(meta["height"])


def read_trajectory(path: Path) -> list[Region]:
    """A trajectory the toolkit wrote: ``<name>.txt`` (``VOT_RESULTS_BINARY=false``, what `bench vot run`
    uses) or the toolkit's default binary ``<name>.bin``."""
    if path.is_file():
        return _read_regions(path)
    if path.with_suffix(".bin").is_file():
        return read_binary_trajectory(path.with_suffix(".bin"))
    raise DataError(f"{path}: result file not found (run `bench vot run` first)")


def read_binary_trajectory(path: Path) -> list[Region]:
    """vot-toolkit's binary trajectory: ``<hI`` (version 1, count), then per region a type byte and
    ``<I`` special code / ``<ffff`` rectangle / ``<H`` n + 2n ``<f`` polygon / ``<hhHHH`` + RLE ``<H``
    mask / ``<ff`` point."""
    import struct

    from bench.core.regions import Region, mask_region, polygon, rectangle, rle_to_mask

    data = path.read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return vals

    try:
        version, count = take("<hI")
        if version != 1:
            raise DataError(f"{path}: unknown binary trajectory version {version}")
        out: list[Region] = []
        for i in range(count):
            (kind,) = take("<B")
            if kind == 0:
                out.append(Region("special", code=int(take("<I")[0])))
            elif kind == 1:
                out.append(rectangle(*take("<ffff")))
            elif kind == 2:
                (n,) = take("<H")
                out.append(polygon(np.asarray(take(f"<{2 * n}f"), dtype=np.float64).reshape(-1, 2)))
            elif kind == 3:
                x0, y0, w, h, n = take("<hhHHH")
                out.append(mask_region(rle_to_mask(take(f"<{n}H"), w, h), (x0, y0)))
            else:
                raise DataError(f"{path}: region {i + 1} has type {kind}, not a rectangle, polygon or mask")
    except struct.error:
        raise DataError(f"{path}: truncated binary trajectory") from None
    return out


def suite_scores(workspace: str | os.PathLike, tracker_id: str, experiment: str, spec: dict) -> dict[str, Any]:
    """Score one experiment's result files with the suite's VOT protocols (vot-toolkit conventions)."""
    from bench.metrics import vot2018, vot2020
    from bench.vot.workspace_files import read_anchors

    ws = Path(workspace)
    base = ws / "results" / tracker_id / experiment
    kind = spec.get("type")
    names = _sequence_names(ws)
    if kind == "multistart":
        seqs = []
        for n in names:
            folder = ws / "sequences" / n
            gt = _read_regions(folder / "groundtruth.txt")
            anchors = np.array(read_anchors(folder / "anchor.value", len(gt)))
            runs = {int(i): read_trajectory(base / n / f"{n}_{int(i):08d}.txt") for i in np.flatnonzero(anchors)}
            seqs.append(vot2020.MultistartSequence(n, gt, _sequence_size(folder), anchors, runs))
        r = vot2020.multistart(seqs)
        return {"eao": r["eao"], "eao_curve": r["eao_curve"].tolist(), "accuracy": r["accuracy"],
                "robustness": r["robustness"], **r["ar_weights"], "per_sequence": r["per_sequence"],
                "protocol": "vot2020"}
    if kind == "unsupervised":
        burnin = 1
        for a in spec.get("analyses", []):
            if a.get("type") == "average_accuracy":
                burnin = int(a.get("burnin", 10))
        items = []
        for n in names:
            folder = ws / "sequences" / n
            items.append((n, read_trajectory(base / n / f"{n}_001.txt"), _read_regions(folder / "groundtruth.txt"),
                          _sequence_size(folder)))
        r = vot2020.unsupervised(items, burnin=burnin)
        return {"accuracy": r["accuracy"], "per_sequence": r["per_sequence"], "protocol": f"vot2020 unsupervised (burnin {burnin})"}
    if kind == "supervised":
        reps = int(spec.get("repetitions", 1))
        seqs = []
        for n in names:
            folder = ws / "sequences" / n
            # the toolkit stops repeating a deterministic tracker after 3 identical runs; it scores the
            # repetitions that exist, and so does the suite
            trajs = [read_trajectory(base / n / f"{n}_{r:03d}.txt") for r in range(1, reps + 1)
                     if (base / n / f"{n}_{r:03d}.txt").is_file() or r == 1]
            seqs.append(vot2018.SupervisedSequence(n, _read_regions(folder / "groundtruth.txt"),
                                                   _sequence_size(folder), trajs))
        r = vot2018.vottk_supervised(seqs)
        return {"eao": r["eao"], "eao_curve": np.asarray(r["eao_curve"]).tolist(), "accuracy": r["accuracy"],
                "failures": r["failures"], "ar_robustness": r["ar_point"]["robustness_exp"],
                "per_sequence": r["per_sequence"], "protocol": "vot2018"}
    raise DataError(f"experiment {experiment}: type {kind!r} is not scored by the suite")


def compare(toolkit: dict[str, Any], suite: dict[str, Any], tol: float = 1e-9) -> dict[str, float]:
    """Absolute differences of the scalar metrics both sides report (curves: the largest difference)."""
    diff = {}
    for k, v in toolkit.items():
        if k not in suite:
            continue
        if isinstance(v, list) and isinstance(suite[k], list) and k.endswith("curve"):
            a, b = np.asarray(v, float), np.asarray(suite[k], float)
            n = min(len(a), len(b))
            diff[k] = float(np.nanmax(np.abs(a[:n] - b[:n]))) if n else 0.0
        elif isinstance(v, (int, float)) and isinstance(suite[k], (int, float)):
            diff[k] = abs(float(v) - float(suite[k]))
    return diff


def import_analysis(results_root: str | os.PathLike, run_name: str, dataset: str, workspace: str | os.PathLike,
                    tracker_id: str, toolkit: dict[str, Any], suite: dict[str, Any], stack: str,
                    toolkit_version: str | None) -> Path:
    """Write ``<results>/<run>/<dataset>/vot_analysis.json``: per experiment the toolkit's figures, the
    suite's figures from the same files, and their differences. Reports read this file."""
    from bench.results import ResultsStore

    folder = ResultsStore(results_root).run(run_name, dataset)
    record = {
        "kind": "vot-toolkit analysis",
        "stack": stack,
        "toolkit": f"vot-toolkit {toolkit_version}" if toolkit_version else "vot-toolkit",
        "workspace": str(Path(workspace).resolve()),
        "tracker_id": tracker_id,
        "imported": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "experiments": {},
    }
    for exp, t in toolkit.items():
        s = suite.get(exp, {})
        record["experiments"][exp] = {
            "toolkit": {k: v for k, v in t.items()},
            "suite": {k: v for k, v in s.items() if k != "per_sequence"},
            "suite_per_sequence": s.get("per_sequence", []),
            "abs_difference": compare(t, s),
        }
    path = folder.path / ANALYSIS_FILE
    atomic_write_json(path, _strict_json(record))
    return path


def _strict_json(obj: Any) -> Any:
    """NaN (an EAO interval no run reaches, for instance) becomes null: strict JSON for other tools."""
    if isinstance(obj, dict):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict_json(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return None if obj != obj else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj

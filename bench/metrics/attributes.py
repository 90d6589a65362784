"""Attribute-wise results: the same protocol on the sequences that carry one attribute.

Attribute tables (order = the column order of each benchmark's attribute files):
LaSOT 14 and TNL2K 17 from their MATLAB toolkits' ``att_name`` lists, OTB 11 from ``attr_desc.txt`` of the
OTB toolkit, UAV123 12 from the UAV123 toolkit's ``attName`` list. A subset is scored by running the
protocol on it, so every toolkit rule (e.g. LaSOT's dropping of all-zero curves) applies per attribute
exactly as the toolkit's attribute plots apply it.
"""
from __future__ import annotations

from typing import Any

from bench.errors import DataError
from bench.metrics.base import SequenceInput

LASOT = (("IV", "Illumination Variation"), ("POC", "Partial Occlusion"), ("DEF", "Deformation"),
         ("MB", "Motion Blur"), ("CM", "Camera Motion"), ("ROT", "Rotation"), ("BC", "Background Clutter"),
         ("VC", "Viewpoint Change"), ("SV", "Scale Variation"), ("FOC", "Full Occlusion"), ("FM", "Fast Motion"),
         ("OV", "Out-of-View"), ("LR", "Low Resolution"), ("ARC", "Aspect Ratio Change"))
TNL2K = (("CM", "Camera Motion"), ("ROT", "Rotation"), ("DEF", "Deformation"), ("FOC", "Full Occlusion"),
         ("IV", "Illumination Variation"), ("OV", "Out-of-View"), ("POC", "Partial Occlusion"),
         ("VC", "Viewpoint Change"), ("SV", "Scale Variation"), ("BC", "Background Clutter"),
         ("MB", "Motion Blur"), ("ARC", "Aspect Ratio Change"), ("LR", "Low Resolution"), ("FM", "Fast Motion"),
         ("AS", "Adversarial Samples"), ("TC", "Thermal Crossover"), ("MS", "Modality Switch"))
OTB = (("IV", "Illumination Variation"), ("SV", "Scale Variation"), ("OCC", "Occlusion"), ("DEF", "Deformation"),
       ("MB", "Motion Blur"), ("FM", "Fast Motion"), ("IPR", "In-Plane Rotation"), ("OPR", "Out-of-Plane Rotation"),
       ("OV", "Out-of-View"), ("BC", "Background Clutters"), ("LR", "Low Resolution"))
UAV123 = (("SV", "Scale Variation"), ("ARC", "Aspect Ratio Change"), ("LR", "Low Resolution"), ("FM", "Fast Motion"),
          ("FOC", "Full Occlusion"), ("POC", "Partial Occlusion"), ("OV", "Out-of-View"),
          ("BC", "Background Clutter"), ("IV", "Illumination Variation"), ("VC", "Viewpoint Change"),
          ("CM", "Camera Motion"), ("SOB", "Similar Object"))

#: attribute family -> table; the key is also the key the dataset adapters use in ``Sequence.attributes``
TABLES: dict[str, tuple[tuple[str, str], ...]] = {"lasot": LASOT, "tnl2k": TNL2K, "otb": OTB, "uav": UAV123}

_FAMILY = {"lasot": "lasot", "lasot_ext": "lasot", "tnl2k": "tnl2k", "otb100": "otb", "otb50": "otb",
           "otb2013": "otb", "demo": "otb", "uav123": "uav", "uav20l": "uav"}


def family_of(benchmark: str) -> str | None:
    return _FAMILY.get(benchmark.lower().replace("-", "_"))


def sequence_attributes(attrs: dict[str, Any], family: str) -> set[str]:
    """The attribute abbreviations of one sequence, from an adapter's ``attributes`` dict.

    Accepts ``{family: ["IV", ...]}`` (abbreviations) or ``{family + "_flags": [0, 1, ...]}`` (0/1 in the
    benchmark's column order).
    """
    table = TABLES[family]
    known = {a for a, _ in table}
    if family in attrs and attrs[family] is not None:
        return {str(a).upper() for a in attrs[family]} & known
    flags = attrs.get(f"{family}_flags")
    if flags is not None:
        flags = list(flags)
        if len(flags) != len(table):
            raise DataError(f"{family} attributes: expected {len(table)} flags, got {len(flags)}")
        return {a for (a, _), f in zip(table, flags) if float(f) > 0}
    return set()


def attribute_results(inputs: list[SequenceInput], protocol: str, dataset_mode: str,
                      benchmark: str) -> dict[str, Any]:
    """``{abbrev: {"name", "n_sequences", "metrics"}}`` for each attribute with at least one sequence."""
    from bench.metrics import evaluate

    family = family_of(benchmark)
    if family is None:
        raise DataError(f"no attribute table for dataset {benchmark!r}; known: LaSOT, LaSOT_ext, TNL2K, OTB, UAV123")
    per_seq = [sequence_attributes(s.attributes, family) for s in inputs]
    if not any(per_seq):
        raise DataError(f"{benchmark}: the sequences carry no {family} attribute annotations")
    out: dict[str, Any] = {}
    for abbrev, name in TABLES[family]:
        subset = [s for s, a in zip(inputs, per_seq) if abbrev in a]
        if not subset:
            continue
        r = evaluate(subset, protocol, dataset_mode)
        out[abbrev] = {"name": name, "n_sequences": len(subset), "metrics": dict(r.metrics)}
    return out

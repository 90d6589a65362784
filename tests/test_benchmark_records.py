"""The benchmark records: one per registered dataset, declared beside its adapter; every table the metrics,
reports and CLI used to keep is derived from them.

The attribute counts below are independent truth from the benchmarks' papers and toolkits (not read from
the records): LaSOT 14 (Fan et al., CVPR 2019), TNL2K 17 (Wang et al., CVPR 2021), OTB 11 (Wu et al.,
TPAMI 2015), UAV123 12 (Mueller et al., ECCV 2016). The contract test opens EVERY built-in adapter on a
miniature of its on-disk layout (the builders of tests/test_datasets.py) and checks what it reads against its
record.
"""
from __future__ import annotations

import importlib.util

from pathlib import Path

import numpy as np
import pytest

import datasets
from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, UnknownNameError
from bench.core.registry import BUILTIN
from bench.metrics import PROTOCOLS, dataset_mode_for, default_protocol
from bench.metrics.attributes import TABLES, family_of, sequence_attributes
from test_datasets import (boxes_text, got10k_files, make_lasot_sequence, otb_root,  # noqa: F401 (fixture)
                           write_frames)

BUILTINS = [e.name for e in datasets.DATASETS.entries() if e.origin == BUILTIN]
PUBLISHED_ATTRIBUTES = {"lasot": 14, "lasot_ext": 14, "tnl2k": 17, "otb100": 11, "otb50": 11, "otb2013": 11,
                        "demo": 11, "uav123": 12, "uav20l": 12}
DOCS = Path(__file__).resolve().parents[1] / "docs" / "protocols.md"


# ------------------------------------------------------------------------------------------------------
# the records themselves
# ------------------------------------------------------------------------------------------------------


def test_every_registered_dataset_has_a_declared_record():
    assert set(BUILTINS) >= {"demo", "otb100", "otb50", "otb2013", "lasot", "lasot_ext", "tnl2k", "uav123", "uav20l",
                             "nfs", "got10k", "trackingnet", "vot2018", "vot2020"}
    for name in BUILTINS:
        rec = datasets.DATASETS.get(name).meta.get("benchmark")
        assert isinstance(rec, Benchmark), f"{name}: register_dataset(..., benchmark=Benchmark(...)) missing"
        assert rec.name == name and rec.display_name and rec.description
        assert datasets.benchmark_info(name) is rec
    assert [b.name for b in datasets.benchmarks()] == sorted(datasets.list_datasets())


def test_default_protocols_are_registered_documented_and_of_the_right_kind():
    doc = DOCS.read_text()
    for b in datasets.benchmarks():
        assert b.default_protocol in PROTOCOLS, (b.name, b.default_protocol)
        assert PROTOCOLS.get(b.default_protocol).meta["kind"] == b.results, b.name  # "ope" runs vs "vot" runs
        assert f"`{b.default_protocol}`" in doc, b.default_protocol
        assert default_protocol(b.name) == b.default_protocol and dataset_mode_for(b.name) == b.toolkit_mode
    assert default_protocol("LaSOT") == "lasot-toolkit" and default_protocol("trackingnet") == "trackingnet-devkit"
    assert default_protocol("vot2019") == "pytracking" and dataset_mode_for("My-Set") == "my_set"  # fallbacks


@pytest.mark.parametrize("name, count", sorted(PUBLISHED_ATTRIBUTES.items()))
def test_attribute_tables_have_the_published_counts(name, count):
    b = datasets.benchmark_info(name)
    assert len(b.attributes) == count == len(set(b.attribute_codes))
    assert all(code.isupper() and label for code, label in b.attributes)
    assert family_of(name) == b.attribute_family and TABLES[b.attribute_family] == b.attributes


def test_records_sharing_a_family_share_its_table():
    by_family: dict[str, set] = {}
    for b in datasets.benchmarks():
        if b.attributes:
            by_family.setdefault(b.attribute_family, set()).add(b.attributes)
    assert all(len(tables) == 1 for tables in by_family.values()), by_family
    assert set(TABLES) == set(by_family)
    assert [len(TABLES[k]) for k in ("lasot", "tnl2k", "otb", "uav")] == [14, 17, 11, 12]
    assert family_of("got10k") is None and family_of("vot2019") is None


def test_otb_sequences_carry_only_codes_of_the_otb_table():
    from datasets.otb import OTB100_ATTRIBUTES

    codes = set(datasets.benchmark_info("otb100").attribute_codes)
    assert len(OTB100_ATTRIBUTES) == 100
    for name, attrs in OTB100_ATTRIBUTES.items():
        assert attrs and set(attrs) <= codes, name


# ------------------------------------------------------------------------------------------------------
# names and aliases
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling, name", [
    ("LaSOT", "lasot"), ("LaSOT_ext", "lasot_ext"), ("lasot-ext", "lasot_ext"), ("LaSOT Ext", "lasot_ext"),
    ("lasot_extension_subset", "lasot_ext"), ("GOT-10k", "got10k"), ("got10k_test", "got10k"),
    ("OTB", "otb100"), ("otb2015", "otb100"), ("OTB-100", "otb100"), ("tb100", "otb100"), ("uav", "uav123"),
    ("UAV-123", "uav123"), ("nfs30", "nfs"), ("TrackingNet", "trackingnet"), ("VOT 2020", "vot2020"),
])
def test_names_and_aliases_resolve_ignoring_case_dashes_underscores_spaces(spelling, name):
    assert datasets.benchmark_info(spelling).name == name
    assert datasets.find_benchmark(spelling) is datasets.benchmark_info(name)


def test_every_alias_resolves_to_its_record_and_no_spelling_is_shared():
    from datasets.registry import name_key

    owner: dict[str, str] = {}
    for b in datasets.benchmarks():
        for spelling in (b.name, b.display_name, *b.aliases):
            assert datasets.benchmark_info(spelling) is b, spelling
            key = name_key(spelling)
            assert owner.setdefault(key, b.name) == b.name, f"{spelling!r} names {owner[key]} and {b.name}"


def test_unknown_benchmark():
    assert datasets.find_benchmark("vot2019") is None and datasets.find_benchmark("") is None
    with pytest.raises(UnknownNameError, match="unknown benchmark 'nope'; known: .*demo, got10k, lasot"):
        datasets.benchmark_info("nope")


def test_an_adapter_without_a_record_gets_a_default_one():
    key = "my_plugin_set"

    def factory(root=None, split=None, annotations=None, **kw):
        raise AssertionError("not opened")

    try:
        datasets.register_dataset(key, description="a user's adapter")(factory)
        b = datasets.benchmark_info("My-Plugin Set")
        assert (b.name, b.display_name, b.default_protocol, b.toolkit_mode) == (key, key, "pytracking", key)
        assert b.description == "a user's adapter" and not b.attributes and b.submission is None
        datasets.DATASETS.remove(key)
        datasets.register_dataset(key, dataset_mode="otb", default_protocol="otb-toolkit")(factory)
        b = datasets.benchmark_info(key)
        assert (b.default_protocol, b.toolkit_mode) == ("otb-toolkit", "otb")
    finally:
        datasets.DATASETS.remove(key)
    assert datasets.find_benchmark(key) is None


def test_a_record_must_carry_the_name_it_is_registered_under():
    with pytest.raises(ValueError, match="named 'lasot'"):
        datasets.register_dataset("other", benchmark=datasets.benchmark_info("lasot"))


def test_report_keys_and_labels_come_from_the_records():
    from reports.model import benchmark_key, benchmark_label

    keys = {"LaSOT_ext": "lasotext", "lasot_extension_subset": "lasotext", "lasotextsub": "lasotext",
            "otb": "otb100", "OTB2015": "otb100", "tb100": "otb100", "otb100": "otb100", "GOT-10k": "got10k",
            "got10k_val": "got10k", "uav": "uav123", "nfs30": "nfs", "TNL2K": "tnl2k", "vot2019": "vot2019",
            "otb50": "otb50", "demo": "demo"}
    assert {n: benchmark_key(n) for n in keys} == keys
    labels = {"lasotext": "LaSOT_ext", "otb2015": "OTB100", "got10k": "GOT-10k", "nfs": "NfS", "uav": "UAV123",
              "trackingnet": "TrackingNet", "vot2020": "VOT2020", "demo": "demo", "vot2019": "vot2019"}
    assert {n: benchmark_label(n) for n in labels} == labels


def test_submission_format_is_chosen_by_the_record():
    from bench import submission

    served = {b.name: b.submission for b in datasets.benchmarks() if b.submission}
    assert served == {"got10k": "got10k", "trackingnet": "trackingnet"}
    assert set(served.values()) <= set(submission.FORMATS)
    name, fmt = submission.submission_format("GOT-10k")
    assert name == "got10k" and fmt.write is submission.got10k_zip and fmt.test_sequences == 180 and fmt.times
    name, fmt = submission.submission_format("trackingnet")
    assert fmt.write is submission.trackingnet_zip and fmt.test_split == "TEST" and fmt.test_sequences == 511
    with pytest.raises(ConfigError, match="--dataset lasot: LaSOT results are scored locally.*got10k, trackingnet"):
        submission.submission_format("lasot")


# ------------------------------------------------------------------------------------------------------
# contract: every adapter on a miniature of its layout
# ------------------------------------------------------------------------------------------------------


def _demo(tmp: Path, request) -> tuple[dict, str]:
    return {}, "Crossing"


def _otb(name: str):
    def build(tmp: Path, request) -> tuple[dict, str]:
        return {"root": request.getfixturevalue("otb_root")}, "David"
    return build


def _lasot(seq: str):
    def build(tmp: Path, request) -> tuple[dict, str]:
        """The toolkit form (the dataset's own layout has no attribute files; see test_datasets.py)."""
        annos = tmp / "annos"
        for sub in ("absent", "att", "nlp"):
            (annos / sub).mkdir(parents=True)
        (annos / f"{seq}.txt").write_text(boxes_text(3))
        (annos / "absent" / f"{seq}.txt").write_text("0\n1\n0\n")
        (annos / "att" / f"{seq}.txt").write_text("0,1,0,0,0,1,0,0,1,0,0,0,1,1")
        (tmp / "testing_set.txt").write_text(f"{seq}\n")
        return {"annotations": tmp}, seq
    return build


def _lasot_ext_dataset_layout(tmp: Path, request) -> tuple[dict, str]:
    make_lasot_sequence(tmp, "atv-1", nested=False)
    return {"root": tmp}, "atv-1"


def _tnl2k(tmp: Path, request) -> tuple[dict, str]:
    annos = tmp / "annos"
    for sub in ("gt_rect", "absent", "att"):
        (annos / sub).mkdir(parents=True)
    (annos / "gt_rect" / "seqA.txt").write_text(boxes_text(2))
    (annos / "absent" / "seqA.txt").write_text("0\n0\n")
    (annos / "att" / "seqA_attribute.txt").write_text("1\n" + "0\n" * 13 + "1\n0\n0\n")
    (tmp / "TNL2K_testing_set.txt").write_text("seqA\n")
    return {"annotations": tmp}, "seqA"


def _uav123(tmp: Path, request) -> tuple[dict, str]:
    (tmp / "anno" / "UAV123" / "att").mkdir(parents=True)
    (tmp / "anno" / "UAV123" / "bike1.txt").write_text(boxes_text(3))
    (tmp / "anno" / "UAV123" / "att" / "bike1.txt").write_text("1,0,1,0,0,0,0,0,0,0,0,1")
    write_frames(tmp / "data_seq" / "UAV123" / "bike1", range(1, 4), "{:06d}.jpg")
    return {"root": tmp}, "bike1"


def _uav20l(tmp: Path, request) -> tuple[dict, str]:
    (tmp / "anno" / "UAV20L" / "att").mkdir(parents=True)
    (tmp / "anno" / "UAV20L" / "bird1.txt").write_text(boxes_text(3))
    (tmp / "anno" / "UAV20L" / "att" / "bird1.txt").write_text("0,0,0,0,1,0,0,0,0,0,1,0")
    write_frames(tmp / "data_seq" / "UAV123" / "bird1", range(1, 4), "{:06d}.jpg")
    return {"root": tmp}, "bird1"


def _nfs(tmp: Path, request) -> tuple[dict, str]:
    (tmp / "anno").mkdir()
    (tmp / "anno" / "nfs_Skiing_red.txt").write_text(boxes_text(3, "\t"))
    write_frames(tmp / "sequences" / "Skiing_red", range(1, 4), "{:05d}.jpg")
    return {"root": tmp}, "Skiing_red"


def _got10k(tmp: Path, request) -> tuple[dict, str]:
    for rel, data in got10k_files("val").items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_bytes(data)
    return {"root": tmp, "split": "val"}, "GOT-10k_Val_000001"


def _trackingnet(tmp: Path, request) -> tuple[dict, str]:
    (tmp / "TEST" / "anno").mkdir(parents=True)
    (tmp / "TEST" / "anno" / "vid_a.txt").write_text("1.5,2.5,30.25,40\n")
    write_frames(tmp / "TEST" / "frames" / "vid_a", range(0, 3), "{}.jpg")
    return {"root": tmp}, "vid_a"


def _vot2018(tmp: Path, request) -> tuple[dict, str]:
    d = tmp / "sequences" / "ball1"
    write_frames(d / "color", range(1, 3))
    (d / "groundtruth.txt").write_text("10,20,50,20,50,60,10,60\n5,6,7,8\n")
    (d / "occlusion.tag").write_text("0\n1\n")
    (tmp / "sequences" / "list.txt").write_text("ball1\n")
    return {"root": tmp}, "ball1"


def _vot2020(tmp: Path, request) -> tuple[dict, str]:
    d = tmp / "hand"
    write_frames(d / "color", range(1, 3))
    (d / "groundtruth.txt").write_text("m5,7,4,3,1,2,2,2,5\nm0,0,2,2,0,4\n")
    (d / "anchor.value").write_text("1\n-1\n")
    (tmp / "list.txt").write_text("hand\n")
    return {"root": tmp}, "hand"


MINIATURES = {"demo": _demo, "otb100": _otb("otb100"), "otb50": _otb("otb50"), "otb2013": _otb("otb2013"),
              "lasot": _lasot("airplane-1"), "lasot_ext": _lasot("atv-1"), "tnl2k": _tnl2k, "uav123": _uav123,
              "uav20l": _uav20l,
              "nfs": _nfs, "got10k": _got10k, "trackingnet": _trackingnet, "vot2018": _vot2018,
              "vot2020": _vot2020}


def test_lasot_ext_dataset_layout_reads_without_attributes(tmp_path, request):
    kwargs, seq = _lasot_ext_dataset_layout(tmp_path, request)
    s = datasets.create_dataset("lasot_ext", **kwargs)[seq]
    assert s.attributes == {"class": "atv"} and len(s) == 4


def miniature_of(name: str):
    """The builder of a miniature layout for adapter ``name``: :data:`MINIATURES`, else the ``miniature``
    function of ``tests/test_<name>.py`` (where a new benchmark's own test file provides it)."""
    if name in MINIATURES:
        return MINIATURES[name]
    path = Path(__file__).with_name(f"test_{name}.py")
    assert path.is_file(), f"new adapter {name!r}: give tests/test_{name}.py a miniature(tmp, request) function"
    spec = importlib.util.spec_from_file_location(f"_miniature_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert hasattr(module, "miniature"), f"tests/test_{name}.py: no miniature(tmp, request) function"
    return module.miniature


@pytest.mark.parametrize("name", BUILTINS)
def test_every_adapter_reads_its_miniature_as_its_record_says(name, tmp_path, request):
    rec = datasets.benchmark_info(name)
    kwargs, seq_name = miniature_of(name)(tmp_path, request)
    ds = datasets.create_dataset(name, **kwargs)
    assert ds.benchmark is rec and ds.default_protocol == rec.default_protocol and ds.dataset_mode == rec.toolkit_mode
    seq = ds[seq_name]
    assert seq.dataset == name and len(seq) == len(seq.ground_truth) > 0 and seq.ground_truth.shape[1] == 4
    assert np.isfinite(seq.ground_truth[0]).all()
    family = rec.attribute_family
    for key in seq.attributes:  # attribute annotations only under the record's family
        if key in TABLES or key.endswith("_flags"):
            assert family is not None and key in (family, f"{family}_flags"), (name, key)
    if rec.attributes:
        assert family in seq.attributes or f"{family}_flags" in seq.attributes, f"{name}: no attributes read"
        if family in seq.attributes:
            assert set(seq.attributes[family]) <= set(rec.attribute_codes), (name, seq.attributes[family])
        else:
            assert len(seq.attributes[f"{family}_flags"]) == len(rec.attributes)
        assert sequence_attributes(seq.attributes, family)   # the metrics read them with the same table

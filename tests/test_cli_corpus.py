"""Adversarial corpus: users' mistakes through the real ``bench`` CLI, in subprocesses.

Every case runs ``python -m bench ...`` in a copy of a template folder (a results store holding an earlier
finished run: kcf on the demo's Crossing, 3 frames; a VOT sequence and a workspace made by ``bench vot setup``)
plus whatever inputs the case builds, and checks that

* the exit code is not 0;
* stderr is exactly one line, starting ``bench: error: ``, naming the file / ``file:line`` / flag / key at
  fault (``Case.needles``: every one must be in that line), and holding no ``Traceback``;
* every file that existed before the command (in the store and in every input folder the case made) is
  byte-identical afterwards, and no file appeared except the ``run.json`` of a new run folder.

The cases are grouped by the categories of the issue "never lose or mix a result":

* CATEGORY_DESTRUCTIVE: destructive before validated (``--overwrite`` with a bad argument, outputs on inputs);
* CATEGORY_STORE: store integrity (bad ``run.json``, frames that run out, case twins, other configuration);
* CATEGORY_TRACEBACK: inputs that used to give tracebacks (symlink loops, corrupt zip members, bad config);
* CATEGORY_UNCLEAR: errors that must say what is wrong (invalid first box, missing frames, non-checkpoints);
* CATEGORY_MISFIT: inputs that do not fit (reset-based VOT protocols on OPE results, splits, numeric flags).

``TestDestructiveOperations`` then checks, for every writing command, that failing invocations in a folder
holding earlier outputs leave every file byte-identical with its mtime, and that no output path may be an
input. ``datasets check`` reports the problems it finds as its output (stdout, exit 1); its cases accept
the problem on stdout in place of the one stderr line (``Case.findings_on_stdout``).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from corpus_helpers import (GOT_TEST, GOT_VAL, crossing_first_box, demo_clip, demo_copy, demo_frame, demo_gt,
                            got10k_folder, got10k_test_results, got10k_zip_with_corrupt_member,
                            lfs_checkpoint, ope_results, otb_root, run_bench, set_line, snapshot, text_checkpoint,
                            vot_sequence, vot_workspace, write)


@dataclass
class Case:
    argv: list
    needles: tuple[str, ...]                   # each must appear in the one error line
    forbidden: tuple[str, ...] = ()            # none may appear in it
    env: dict = field(default_factory=dict)    # changes to the subprocess environment (None removes)
    findings_on_stdout: bool = False           # `datasets check`: the problem may be a line of its report


def bad(argv, *needles, forbidden=(), env=None, findings_on_stdout=False) -> Case:
    return Case(list(argv), tuple(str(n) for n in needles), tuple(forbidden), env or {}, findings_on_stdout)


# --- argv pieces ---------------------------------------------------------------------------------------

RUN = ["run", "--no-progress"]
NO_TRUST = ("--trust-checkpoint",)


def rerun(store, *extra):
    """The store's own run again (kcf, demo, Crossing, 3 frames), with ``extra`` flags."""
    return RUN + ["-t", "kcf", "--results", store, "--max-frames", "3", *extra, "--sequences", "Crossing"]


def run_on(root, store, *extra, seq="Couple"):
    """kcf over one sequence of a demo copy, into a new run folder of the store."""
    return RUN + ["-t", "kcf", "--results", store, "--run-name", "new", "--root", root, *extra, "--sequences", seq]


def ck_run(store, ck, *extra):
    return RUN + ["-t", "spiketrack_s256_t1", "--checkpoint", ck, "--results", store, "--run-name", "ck",
                  "--max-frames", "2", *extra, "--sequences", "Crossing"]


def profile(store, *extra, frames="3"):
    return ["profile", "-t", "kcf", "--results", store, "--frames", frames, "--no-latency", "--no-progress",
            *extra]


def demo_cmd(t, *extra):
    clip = demo_clip(t / "clip.mp4")
    return ["demo", "-t", "kcf", "--video", clip, "--out", t / "tracked.mp4", "--no-progress", *extra]


def config_file(t, data):
    cfg = write(t / "cfg" / "bench.toml", data)
    return cfg, {"BENCH_CONFIG": str(cfg)}


def store_run(store):
    return store / "kcf" / "demo"


def vot_src(t):
    """The template's VOT-format sequence (real files, copied for each case)."""
    return t / "vot_src" / "crossing"


def vot_ws(t):
    """The template's workspace, made by `bench vot setup` (its frames link to the template's copy)."""
    return t / "vot_ws"


# =========================================================================================================
# 1. destructive before validated
# =========================================================================================================

def _overwrite_unknown_sequence(t, store):
    return bad(RUN + ["-t", "kcf", "--results", store, "--max-frames", "3", "--overwrite",
                      "--sequences", "Crosing"], "Crosing")


def _overwrite_missing_root(t, store):
    return bad(rerun(store, "--overwrite", "--root", t / "nope"), t / "nope")


def _overwrite_refused_checkpoint(t, store):
    ck = text_checkpoint(t)
    return bad(RUN + ["-t", "spiketrack_s256_t1", "--run-name", "kcf", "--checkpoint", ck, "--results", store,
                      "--max-frames", "2", "--overwrite", "--sequences", "Crossing"], ck, forbidden=NO_TRUST)


def _overwrite_missing_checkpoint(t, store):
    return bad(RUN + ["-t", "spiketrack_s256_t1", "--run-name", "kcf", "--checkpoint", t / "missing.pth",
                      "--results", store, "--overwrite", "--sequences", "Crossing"], t / "missing.pth")


def _overwrite_checkpoint_for_classical(t, store):
    ck = lfs_checkpoint(t)
    return bad(rerun(store, "--overwrite", "--checkpoint", ck), ck)


def _overwrite_unknown_protocol(t, store):
    return bad(rerun(store, "--overwrite", "--protocol", "ottb"), "ottb")


def _overwrite_empty_protocol(t, store):
    return bad(rerun(store, "--overwrite", "--protocol", ","), "--protocol")


def _overwrite_unknown_split(t, store):
    return bad(rerun(store, "--overwrite", "--split", "val"), "split", "val")


def _overwrite_json_under_a_file(t, store):
    return bad(rerun(store, "--overwrite", "--json", t / "afile" / "x.json"), t / "afile")


def _overwrite_zero_workers(t, store):
    return bad(rerun(store, "--overwrite", "--executor", "dask", "--workers", "0"), "--workers")


def _demo_gif_is_video(t, store):
    return bad(demo_cmd(t, "--init", crossing_first_box(), "--gif", t / "clip.mp4"), "--gif")


def _submit_out_is_result_file(t, store):
    res = got10k_test_results(t, store)
    return bad(["submit", "--results", res, "-d", "got10k", "-t", "kcf", "--out",
                res / "kcf" / "got10k" / f"{GOT_TEST}.txt"], "--out")


def _evaluate_json_is_result_file(t, store):
    ope = ope_results(t)
    return bad(["evaluate", "--results", ope, "-d", "demo", "--json", ope / "gtcopy" / "Crossing.txt"], "--json")


CATEGORY_DESTRUCTIVE = {
    "overwrite-unknown-sequence": _overwrite_unknown_sequence,
    "overwrite-missing-root": _overwrite_missing_root,
    "overwrite-refused-checkpoint": _overwrite_refused_checkpoint,
    "overwrite-missing-checkpoint": _overwrite_missing_checkpoint,
    "overwrite-checkpoint-for-classical": _overwrite_checkpoint_for_classical,
    "overwrite-unknown-protocol": _overwrite_unknown_protocol,
    "overwrite-empty-protocol": _overwrite_empty_protocol,
    "overwrite-unknown-split": _overwrite_unknown_split,
    "overwrite-json-under-a-file": _overwrite_json_under_a_file,
    "overwrite-zero-workers": _overwrite_zero_workers,
    "demo-gif-is-video": _demo_gif_is_video,
    "submit-out-is-result-file": _submit_out_is_result_file,
    "evaluate-json-is-result-file": _evaluate_json_is_result_file,
    # (more outputs on inputs: TestDestructiveOperations.test_output_equal_to_an_input_is_refused)
}


# =========================================================================================================
# 2. store integrity
# =========================================================================================================

def manifest_case(text):
    """run.json replaced by ``text`` (None: removed, finished results kept); then a rerun with another
    configuration (--max-frames 2) must be refused, naming run.json and --overwrite, not adopt the files."""
    def build(t, store):
        manifest = store_run(store) / "run.json"
        if text is None:
            manifest.unlink()
        else:
            manifest.write_text(text)
        return bad(RUN + ["-t", "kcf", "--results", store, "--max-frames", "2", "--sequences", "Crossing"],
                   manifest, "--overwrite")
    return build


def _manifest_without_hash(t, store):
    manifest = store_run(store) / "run.json"
    doc = json.loads(manifest.read_text())
    del doc["config_hash"]
    manifest.write_text(json.dumps(doc))
    return bad(RUN + ["-t", "kcf", "--results", store, "--max-frames", "2", "--sequences", "Crossing"],
               manifest, "--overwrite")


def _manifest_corrupt(t, store):
    manifest = write(store_run(store) / "run.json", "{ not json")
    return bad(rerun(store), manifest)


def _manifest_max_frames_a_string(t, store):
    manifest = store_run(store) / "run.json"
    doc = json.loads(manifest.read_text())
    doc["config"]["max_frames"] = "3"
    manifest.write_text(json.dumps(doc))
    return bad(["evaluate", "--results", store, "-d", "demo"], manifest)


def _other_configuration(t, store):
    return bad(RUN + ["-t", "kcf", "--results", store, "--max-frames", "4", "--sequences", "Crossing"],
               store_run(store) / "run.json", "max_frames")


def _frames_run_out(t, store):
    root = demo_copy(t, frames=6)   # Couple: 140 boxes, 6 frames
    return bad(run_on(root, store, "--max-frames", "10"), "Couple")


def _case_twins_evaluate(t, store):
    ope = ope_results(t)
    twin = ope / "gtcopy" / "COUPLE.txt"
    twin.write_text((ope / "gtcopy" / "Crossing.txt").read_text())
    return bad(["evaluate", "--results", ope, "-d", "demo"], ope / "gtcopy", "Couple.txt", "COUPLE.txt")


def _case_twins_submit(t, store):
    res = got10k_test_results(t, store)
    folder = res / "kcf" / "got10k"
    shutil.copy(folder / f"{GOT_TEST}.txt", folder / f"{GOT_TEST.lower()}.txt")
    return bad(["submit", "--results", res, "-d", "got10k", "-t", "kcf", "--out", t / "sub.zip"],
               f"{GOT_TEST}.txt", f"{GOT_TEST.lower()}.txt")


def _result_not_a_number(t, store):
    ope = ope_results(t)
    f = set_line(ope / "gtcopy" / "Crossing.txt", 2, "1,2,x,4")
    return bad(["evaluate", "--results", ope, "-d", "demo"], f"{f}:2")


def _time_file_malformed(t, store):
    f = write(store_run(store) / "Crossing_time.txt", "0.01\nfast\n0.02\n")
    return bad(["report", "--results", store, "--out", t / "rep", "--formats", "none"], f"{f}:2")


CATEGORY_STORE = {
    "manifest-missing": manifest_case(None),
    "manifest-empty": manifest_case(""),
    "manifest-list": manifest_case("[]"),
    "manifest-null": manifest_case("null"),
    "manifest-string": manifest_case('"kcf"'),
    "manifest-no-config": manifest_case('{"code_version": "0.1.0"}'),
    "manifest-config-a-list": manifest_case('{"config": [3], "config_hash": "53b3dea0f28db3a6"}'),
    "manifest-no-hash": _manifest_without_hash,
    "manifest-corrupt": _manifest_corrupt,
    "manifest-max-frames-a-string": _manifest_max_frames_a_string,
    "other-configuration": _other_configuration,
    "frames-run-out": _frames_run_out,
    "case-twins-evaluate": _case_twins_evaluate,
    "case-twins-submit": _case_twins_submit,
    "result-not-a-number": _result_not_a_number,
    "time-file-malformed": _time_file_malformed,
}


# =========================================================================================================
# 3. tracebacks instead of one line
# =========================================================================================================

def _loop(path: Path) -> Path:
    """Replace ``path`` by a symbolic link to itself (a link loop)."""
    path.unlink(missing_ok=True)
    path.symlink_to(path.name)
    return path


def _symlink_loop_evaluate(t, store):
    ope = ope_results(t)
    return bad(["evaluate", "--results", ope, "-d", "demo"], _loop(ope / "gtcopy" / "Couple.txt"))


def _symlink_loop_report(t, store):
    loop = _loop(store_run(store) / "Crossing_time.txt")
    return bad(["report", "--results", store, "--out", t / "rep", "--formats", "none"], loop)


def _symlink_loop_submit(t, store):
    res = got10k_test_results(t, store)
    loop = _loop(res / "kcf" / "got10k" / f"{GOT_TEST}_time.txt")
    return bad(["submit", "--results", res, "-d", "got10k", "-t", "kcf", "--out", t / "sub.zip"], loop)


def zip_case(member, command):
    """A GOT-10k val_data.zip with one corrupt deflated member, read by ``datasets check`` or ``run``."""
    def build(t, store):
        root, zpath = got10k_zip_with_corrupt_member(t, f"val/{GOT_VAL}/{member}")
        if command == "check":
            return bad(["datasets", "check", "got10k", "--root", root, "--split", "val"], zpath, member,
                       findings_on_stdout=True)
        return bad(RUN + ["-t", "kcf", "-d", "got10k", "--root", root, "--split", "val", "--results", store,
                          "--max-frames", "3"], zpath, member)
    return build


def _meta_info_malformed_run(t, store):
    root = got10k_folder(t, meta="[METAINFO]\nobject_class: person\nresolution: (wide, tall)\n")
    return bad(RUN + ["-t", "kcf", "-d", "got10k", "--root", root, "--split", "val", "--results", store,
                      "--max-frames", "3"], root / "val" / GOT_VAL / "meta_info.ini")


def _meta_info_malformed_check(t, store):
    root = got10k_folder(t, meta="[METAINFO\nresolution: 360 x\n")
    return bad(["datasets", "check", "got10k", "--root", root, "--split", "val"],
               root / "val" / GOT_VAL / "meta_info.ini", findings_on_stdout=True)


def _attributes_missing(t, store):
    root = demo_copy(t)
    (root / "Crossing" / "attrs.txt").unlink()
    return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--root", root, "--attributes"],
               root / "Crossing" / "attrs.txt")


def _attributes_not_utf8(t, store):
    root = demo_copy(t)
    attrs = write(root / "Crossing" / "attrs.txt", b"SV, \xff\xfeDEF\x81, FM\n")
    return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--root", root, "--attributes"], attrs)


def vot_json_case(text, action):
    def build(t, store):
        ws = vot_ws(t)
        f = write(ws / "bench_vot.json", text)
        extra = ["--results", store] if action == "analyse" else []
        return bad(["vot", action, "--workspace", ws, *extra], f)
    return build


def config_case(data, argv, *needles):
    """A config file (BENCH_CONFIG) holding ``data``; the error names the file and ``needles``."""
    def build(t, store):
        cfg, env = config_file(t, data)
        return bad(argv, cfg, *needles, env=env)
    return build


def _config_is_a_folder(t, store):
    (t / "cfgdir").mkdir()
    return bad(["evaluate", "-d", "demo"], "BENCH_CONFIG", env={"BENCH_CONFIG": str(t / "cfgdir")})


def _cwd_bench_toml_not_utf8(t, store):
    write(t / "cwd" / "bench.toml", b'results = "r\xe9sultats"\n')
    return bad(["evaluate", "-d", "demo"], "bench.toml", env={"BENCH_CONFIG": None})


def _protocol_comma_evaluate(t, store):
    return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--protocol", ","], "--protocol")


def _protocol_comma_run(t, store):
    return bad(rerun(store, "--protocol", ","), "--protocol")


def _seed_negative(t, store):
    return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--bootstrap", "10", "--seed", "-1"],
               "--seed")


def _report_out_names_a_file(t, store):
    return bad(["report", "--results", store, "--out", t / "afile", "--formats", "none"], t / "afile")


def _submit_out_names_a_folder(t, store):
    res = got10k_test_results(t, store)
    (t / "outdir").mkdir()
    return bad(["submit", "--results", res, "-d", "got10k", "-t", "kcf", "--out", t / "outdir"], t / "outdir")


def _list_json_under_a_file(t, store):
    return bad(["list", "protocols", "--json", t / "afile" / "x.json"], t / "afile")


def _evaluate_json_under_a_file(t, store):
    return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--json", t / "afile" / "x.json"],
               t / "afile")


EVALUATE_DEMO = ["evaluate", "-d", "demo"]
CHECK_LASOT = ["datasets", "check", "lasot"]

CATEGORY_TRACEBACK = {
    "symlink-loop-evaluate": _symlink_loop_evaluate,
    "symlink-loop-report": _symlink_loop_report,
    "symlink-loop-submit": _symlink_loop_submit,
    "got10k-zip-corrupt-frame-check": zip_case("00000002.jpg", "check"),
    "got10k-zip-corrupt-gt-check": zip_case("groundtruth.txt", "check"),
    "got10k-zip-corrupt-frame-run": zip_case("00000002.jpg", "run"),
    "got10k-zip-corrupt-gt-run": zip_case("groundtruth.txt", "run"),
    "meta-info-malformed-run": _meta_info_malformed_run,
    "meta-info-malformed-check": _meta_info_malformed_check,
    "attributes-missing": _attributes_missing,
    "attributes-not-utf8": _attributes_not_utf8,
    "vot-json-not-json-run": vot_json_case("{oops", "run"),
    "vot-json-not-json-analyse": vot_json_case("{oops", "analyse"),
    "vot-json-a-list-run": vot_json_case("[]", "run"),
    "config-results-an-int": config_case("results = 3\n", EVALUATE_DEMO, "results"),
    "config-dataset-entry-a-string": config_case('[datasets]\nlasot = "x"\n', CHECK_LASOT, "lasot"),
    "config-root-an-int": config_case("[datasets.lasot]\nroot = 5\n", CHECK_LASOT, "root"),
    "config-datasets-an-int": config_case("datasets = 3\n", CHECK_LASOT, "datasets"),
    "config-root-a-list": config_case('[datasets.otb100]\nroot = ["a", "b"]\n',
                                      ["datasets", "check", "otb100"], "root"),
    "config-not-utf8": config_case(b'results = "r\xe9sultats"\n', EVALUATE_DEMO),
    "config-is-a-folder": _config_is_a_folder,
    "cwd-bench-toml-not-utf8": _cwd_bench_toml_not_utf8,
    "protocol-comma-evaluate": _protocol_comma_evaluate,
    "protocol-comma-run": _protocol_comma_run,
    "seed-negative": _seed_negative,
    "report-out-names-a-file": _report_out_names_a_file,
    "submit-out-names-a-folder": _submit_out_names_a_folder,
    "list-json-under-a-file": _list_json_under_a_file,
    "evaluate-json-under-a-file": _evaluate_json_under_a_file,
}


# =========================================================================================================
# 4. errors that must say what is wrong
# =========================================================================================================

def first_box_case(line):
    """Couple's first ground-truth box replaced by ``line``: refused naming the GT file and line 1."""
    def build(t, store):
        root = demo_copy(t)
        gt = set_line(demo_gt(root), 1, line)
        return bad(run_on(root, store, "--max-frames", "3"), f"{gt}:1")
    return build


def _first_box_zero_width_vot_setup(t, store):
    root = demo_copy(t)
    gt = set_line(demo_gt(root), 1, "51\t47\t0\t62")
    return bad(["vot", "setup", "-t", "mil", "--workspace", t / "ws", "--dataset", "demo", "--root", root,
                "--sequences", "Couple", "--max-frames", "4"], f"{gt}:1")


def missing_frame_case(n, command="run"):
    """Couple's frame ``n`` deleted from a full copy: the error names that frame."""
    def build(t, store):
        root = demo_copy(t)
        frame = demo_frame(root, n)
        frame.unlink()
        if command == "profile":  # with the latency pass: kcf has no model, so only that reads frames
            argv = [a for a in profile(store, "--root", root, "--sequences", "Couple", frames="5")
                    if a != "--no-latency"]
            return bad(argv + ["--warmup", "0"], frame)
        return bad(run_on(root, store, "--max-frames", "5"), frame)
    return build


def _vot_sequence_frame_missing(t, store):
    src = vot_src(t)
    (src / "00000003.jpg").unlink()
    return bad(["vot", "setup", "-t", "mil", "--workspace", t / "ws", "--vot-folder", src], src / "00000003.jpg")


def checkpoint_case(make, command="run"):
    """A file that is no torch checkpoint at all: named, and no advice to trust it."""
    def build(t, store):
        ck = make(t)
        if command == "profile":
            argv = ["profile", "-t", "spiketrack_s256_t1", "--checkpoint", ck, "--results", store,
                    "--frames", "2", "--no-latency", "--no-progress"]
        elif command == "demo":
            clip = demo_clip(t / "clip.mp4")
            argv = ["demo", "-t", "spiketrack_s256_t1", "--checkpoint", ck, "--video", clip,
                    "--init", crossing_first_box(), "--out", t / "tracked.mp4", "--max-frames", "2", "--no-progress"]
        elif command == "vot setup":
            argv = ["vot", "setup", "-t", "spiketrack_s256_t1", "--checkpoint", ck, "--workspace", t / "ws",
                    "--vot-folder", vot_src(t)]
        else:
            argv = ck_run(store, ck)
        return bad(argv, ck, forbidden=NO_TRUST)
    return build


CATEGORY_UNCLEAR = {
    "first-box-zero-width": first_box_case("51\t47\t0\t62"),
    "first-box-outside-image": first_box_case("5000\t5000\t25\t62"),
    "first-box-zero-width-vot-setup": _first_box_zero_width_vot_setup,
    "frame-missing-middle": missing_frame_case(3),
    "frame-missing-first": missing_frame_case(1),
    "frame-missing-profile": missing_frame_case(3, "profile"),
    "vot-sequence-frame-missing": _vot_sequence_frame_missing,
    "checkpoint-text-run": checkpoint_case(text_checkpoint),
    "checkpoint-lfs-pointer-run": checkpoint_case(lfs_checkpoint),
    "checkpoint-lfs-pointer-profile": checkpoint_case(lfs_checkpoint, "profile"),
    "checkpoint-text-demo": checkpoint_case(text_checkpoint, "demo"),
    "checkpoint-lfs-pointer-vot-setup": checkpoint_case(lfs_checkpoint, "vot setup"),
}


# =========================================================================================================
# 5. inputs that do not fit
# =========================================================================================================

def ope_protocol_case(protocol, command="evaluate"):
    """A reset-based VOT protocol asked of plain OPE results (no reset markers): refused, naming it.
    (Not vot2020: its unsupervised experiment is a one-pass run, so OPE results have a defined accuracy.)"""
    def build(t, store):
        if command == "run":
            return bad(rerun(store, "--protocol", protocol), protocol)
        if command == "report":
            return bad(["report", "--results", ope_results(t), "--dataset", "demo", "--out", t / "rep",
                        "--formats", "none", "--protocol", f"demo={protocol}"], protocol)
        return bad(["evaluate", "--results", ope_results(t), "-d", "demo", "--protocol", protocol], protocol)
    return build


def split_case(command):
    """``--split val`` where the dataset has no such split: refused, naming it."""
    def build(t, store):
        if command == "run":
            argv = rerun(store, "--split", "val")
        elif command == "profile":
            argv = profile(store, "--split", "val", "--sequences", "Crossing")
        elif command == "evaluate":
            argv = ["evaluate", "--results", ope_results(t), "-d", "demo", "--split", "val"]
        elif command == "check-otb100":
            argv = ["datasets", "check", "otb100", "--root", otb_root(t), "--split", "val", "--sequences", "Crossing"]
        elif command == "vot setup":
            argv = ["vot", "setup", "-t", "mil", "--workspace", t / "ws", "--dataset", "demo", "--split", "val",
                    "--sequences", "Crossing", "--max-frames", "3"]
        else:
            argv = ["datasets", "check", "demo", "--split", "val"]
        return bad(argv, "split", "val")
    return build


def flag_case(argv_of, flag, value):
    """A numeric flag out of range: refused, naming the flag."""
    def build(t, store):
        return bad(argv_of(t, store) + [flag, value], flag)
    return build


def _vot_setup(t, store):
    return ["vot", "setup", "-t", "mil", "--workspace", t / "ws", "--vot-folder", vot_src(t)]


def _vot_run(t, store):
    return ["vot", "run", "--workspace", vot_ws(t)]


def _vot_analyse(t, store):
    return ["vot", "analyse", "--workspace", vot_ws(t), "--results", store]


def _run(t, store):
    return RUN + ["-t", "kcf", "--results", store, "--sequences", "Crossing", "--max-frames", "3"]


def _profile(t, store):
    return profile(store, "--sequences", "Crossing")


def _demo(t, store):
    return demo_cmd(t, "--init", crossing_first_box())


def _evaluate(t, store):
    return ["evaluate", "--results", ope_results(t), "-d", "demo"]


CATEGORY_MISFIT = {
    "vot2018-on-ope-evaluate": ope_protocol_case("vot2018"),
    "vot2019-pysot-on-ope-evaluate": ope_protocol_case("vot2019-pysot"),
    "vot2016-pysot-on-ope-evaluate": ope_protocol_case("vot2016-pysot"),
    "vot2018-on-ope-run": ope_protocol_case("vot2018", "run"),
    "vot2018-on-ope-report": ope_protocol_case("vot2018", "report"),
    "split-demo-run": split_case("run"),
    "split-demo-profile": split_case("profile"),
    "split-demo-evaluate": split_case("evaluate"),
    "split-demo-check": split_case("check"),
    "split-otb100-check": split_case("check-otb100"),
    "split-demo-vot-setup": split_case("vot setup"),
    "run-threads-0": flag_case(_run, "--threads", "0"),
    "run-max-frames-0": flag_case(_run, "--max-frames", "0"),
    "run-workers-0": flag_case(lambda t, s: _run(t, s) + ["--executor", "dask"], "--workers", "0"),
    "profile-threads-0": flag_case(_profile, "--threads", "0"),
    "profile-warmup-negative": flag_case(_profile, "--warmup", "-1"),
    "profile-frames-negative": flag_case(_profile, "--frames", "-1"),  # the last --frames counts
    "profile-e-mac-negative": flag_case(_profile, "--e-mac", "-1"),
    "demo-threads-0": flag_case(_demo, "--threads", "0"),
    "demo-max-frames-0": flag_case(_demo, "--max-frames", "0"),
    "evaluate-bootstrap-negative": flag_case(_evaluate, "--bootstrap", "-1"),
    "vot-setup-max-frames-0": flag_case(_vot_setup, "--max-frames", "0"),
    "vot-setup-anchor-stride-0": flag_case(_vot_setup, "--anchor-stride", "0"),
    "vot-setup-timeout-0": flag_case(_vot_setup, "--timeout", "0"),
    "vot-run-toolkit-timeout-0": flag_case(_vot_run, "--toolkit-timeout", "0"),
    "vot-analyse-toolkit-timeout-negative": flag_case(_vot_analyse, "--toolkit-timeout", "-5"),
}


CATEGORIES = {"destructive": CATEGORY_DESTRUCTIVE, "store": CATEGORY_STORE, "traceback": CATEGORY_TRACEBACK,
              "unclear": CATEGORY_UNCLEAR, "misfit": CATEGORY_MISFIT}
ALL_CASES = {f"{cat}/{name}": build for cat, cases in CATEGORIES.items() for name, build in cases.items()}


# =========================================================================================================
# fixtures and checks
# =========================================================================================================

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """What every case starts from, made once by the real CLI: ``store/`` holding an earlier finished run
    (kcf on demo/Crossing, 3 frames), a VOT-format sequence ``vot_src/crossing`` and a workspace ``vot_ws``."""
    root = tmp_path_factory.mktemp("template")
    r = run_bench(["run", "-t", "kcf", "--results", root / "store", "--max-frames", "3", "--sequences", "Crossing",
                   "--no-progress"], root)
    assert r.returncode == 0, r.stderr
    assert (root / "store" / "kcf" / "demo" / "Crossing.txt").is_file()
    vot_workspace(root, vot_sequence(root), root)
    return root


def assert_one_line_error(r, case: Case) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-2000:]
    assert r.returncode != 0, f"exit code 0 for {case.argv}\nstdout: {r.stdout[-500:]}"
    lines = r.stderr.strip().splitlines()
    if case.findings_on_stdout and not lines:  # `datasets check`: its report is the output
        hits = [ln for ln in r.stdout.splitlines() if all(n in ln for n in case.needles)]
        assert hits, f"no line of the report names {case.needles}:\n{r.stdout}"
        return
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{r.stderr}"
    line = lines[0]
    assert line.startswith("bench: error: "), line
    for n in case.needles:
        assert n in line, f"{n!r} not in {line!r}"
    for n in case.forbidden:
        assert n not in line, f"{n!r} in {line!r}"


def assert_untouched(before: dict, after: dict, mtimes: bool = False) -> None:
    """Every earlier file byte-identical (and, if asked, with its mtime); nothing new but a run.json."""
    k = slice(None) if mtimes else slice(0, 1)
    changed = sorted(name for name in before if after.get(name, (None, None))[k] != before[name][k])
    assert not changed, f"changed or removed: {changed}"
    added = sorted(name for name in after if name not in before and Path(name).name != "run.json")
    assert not added, f"new files: {added}"


def test_corpus_is_large_enough():
    assert len(ALL_CASES) >= 60
    for name, cases in CATEGORIES.items():
        assert len(cases) >= 8, name


@pytest.mark.parametrize("case_id", list(ALL_CASES))
def test_bad_input(case_id, template, tmp_path):
    shutil.copytree(template, tmp_path, symlinks=True, dirs_exist_ok=True)
    store = tmp_path / "store"
    (tmp_path / "cwd").mkdir()
    write(tmp_path / "afile", "a file, not a folder")
    case = ALL_CASES[case_id](tmp_path, store)
    before = snapshot(tmp_path)
    r = run_bench(case.argv, tmp_path / "cwd", case.env)
    print(r.stderr.strip())  # shown by `pytest -rA`: the error line each case gives
    assert_one_line_error(r, case)
    assert_untouched(before, snapshot(tmp_path))


def test_same_sequence_twice_is_run_once(template, tmp_path):
    """``--sequences Crossing crossing`` names one sequence: run (here: found finished) and counted once."""
    store = tmp_path / "store"
    shutil.copytree(template / "store", store)
    r = run_bench(rerun(store, "--json", "-") + ["crossing"], tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)["results"]["kcf"]["demo"]
    assert summary["sequences"] == 1 and summary["frames"] == 2, summary
    assert sorted(p.name for p in store_run(store).iterdir()) == ["Crossing.txt", "Crossing_time.txt", "run.json"]


# =========================================================================================================
# destructive operations: every writing command, in a folder holding earlier outputs
# =========================================================================================================

@pytest.fixture(scope="module")
def earlier(template, tmp_path_factory) -> Path:
    """A folder of earlier outputs, each made by the real command: a store (run + profile.json), a report,
    a GOT-10k submission zip, a demo video with its boxes, a VOT workspace; plus their inputs (a demo clip,
    an init-box file, a VOT sequence, a demo copy, a toolkit results folder, a real checkpoint)."""
    w = tmp_path_factory.mktemp("earlier")
    shutil.copytree(template, w, symlinks=True, dirs_exist_ok=True)
    (w / "cwd").mkdir()
    store = w / "store"

    def ok(argv):
        r = run_bench(argv, w / "cwd")
        assert r.returncode == 0, f"{argv}: {r.stderr}"

    ok(profile(store, "--sequences", "Crossing"))
    ok(["report", "--results", store, "--out", w / "report", "--formats", "none"])
    res = got10k_test_results(w, store)
    ok(["submit", "--results", res, "-d", "got10k", "-t", "kcf", "--out", w / "sub.zip"])
    clip = demo_clip(w / "clip.mp4")
    write(w / "init.txt", crossing_first_box() + "\n")
    ok(["demo", "-t", "kcf", "--video", clip, "--init-from-file", w / "init.txt", "--out", w / "tracked.mp4",
        "--max-frames", "3", "--no-progress"])
    ope_results(w)
    demo_copy(w)
    torch = pytest.importorskip("torch")
    import trackers

    torch.save({"net": trackers.create_model("spiketrack_s256_t1").state_dict()}, w / "spiketrack_s256_t1.pth")
    for name in ("store/kcf/demo/profile.json", "report/report.json", "sub.zip", "tracked.mp4", "tracked.txt",
                 "vot_ws/bench_vot.json", "vot_ws/trackers.ini"):
        assert (w / name).is_file(), name
    return w


def failing_calls(w: Path) -> dict[str, tuple[list, object]]:
    """Failing invocations of each writing command in the folder of earlier outputs ``w``: (argv, needle)."""
    store, ws, src, clip, init = w / "store", w / "vot_ws", w / "vot_src" / "crossing", w / "clip.mp4", w / "init.txt"
    demo = ["demo", "-t", "kcf", "--video", clip, "--out", w / "tracked.mp4", "--no-progress"]
    report = ["report", "--results", store, "--out", w / "report"]
    submit = ["submit", "--results", w / "got_results", "-d", "got10k", "--out", w / "sub.zip"]
    return {
        "run/unknown-sequence": (rerun(store)[:-1] + ["Nowhere"], "Nowhere"),
        "run/other-configuration": (RUN + ["-t", "kcf", "--results", store, "--max-frames", "4", "--sequences",
                                           "Crossing"], "max_frames"),
        "run-overwrite/missing-root": (rerun(store, "--overwrite", "--root", w / "nope"), w / "nope"),
        "run-overwrite/unknown-protocol": (rerun(store, "--overwrite", "--protocol", "ottb"), "ottb"),
        "profile/warmup-negative": (profile(store, "--warmup", "-1", "--sequences", "Crossing"), "--warmup"),
        "profile/refused-checkpoint": (["profile", "-t", "spiketrack_s256_t1", "--checkpoint", init, "--results",
                                        store, "--frames", "2", "--no-latency", "--no-progress"], init),
        "report/unknown-format": (report + ["--formats", "bmp"], "bmp"),
        "report/missing-published-file": (report + ["--formats", "none", "--published", w / "nope.csv"],
                                          w / "nope.csv"),
        "submit/unknown-tracker": (submit + ["-t", "nobody"], "nobody"),
        "submit/missing-root": (submit + ["-t", "kcf", "--root", w / "nope"], w / "nope"),
        "demo/zero-box": (demo + ["--init", "0,0,0,0"], "--init"),
        "demo/missing-init-file": (demo + ["--init-from-file", w / "nope.txt"], w / "nope.txt"),
        "vot-setup/unknown-sequence": (["vot", "setup", "-t", "mil", "--workspace", ws, "--vot-folder", src,
                                        "--sequences", "nowhere"], "nowhere"),
        "vot-setup/unknown-stack": (["vot", "setup", "-t", "mil", "--workspace", ws, "--stack", "vot1999",
                                     "--vot-folder", src], "vot1999"),
        "vot-run/unknown-experiment": (["vot", "run", "--workspace", ws, "--experiments", "nope"], "nope"),
        "vot-run/toolkit-timeout-0": (["vot", "run", "--workspace", ws, "--toolkit-timeout", "0"],
                                      "--toolkit-timeout"),
    }


def same_path_calls(w: Path) -> dict[str, tuple[list, str]]:
    """An output path equal to (or inside) an input: refused before anything is written, naming the output
    flag. (argv, flag)"""
    store, src, clip, init, ck = (w / "store", w / "vot_src" / "crossing", w / "clip.mp4", w / "init.txt",
                                  w / "spiketrack_s256_t1.pth")
    demo = ["demo", "-t", "kcf", "--video", clip, "--init-from-file", init, "--no-progress"]
    result = w / "got_results" / "kcf" / "got10k" / f"{GOT_TEST}.txt"
    return {
        "demo/out-is-video": (demo + ["--out", clip], "--out"),
        "demo/boxes-is-init-file": (demo + ["--out", w / "new.mp4", "--boxes", init], "--boxes"),
        "submit/out-is-result-file": (["submit", "--results", w / "got_results", "-d", "got10k", "-t", "kcf",
                                       "--out", result], "--out"),
        "report/out-is-results": (["report", "--results", store, "--out", store, "--formats", "none"], "--out"),
        "report/out-inside-results": (["report", "--results", store, "--out", store / "kcf", "--formats", "none"],
                                      "--out"),
        "profile/json-is-checkpoint": (["profile", "-t", "spiketrack_s256_t1", "--checkpoint", ck, "--results",
                                        store, "--frames", "2", "--no-latency", "--no-progress", "--json", ck],
                                       "--json"),
        "evaluate/json-is-result-file": (["evaluate", "--results", w / "ope", "-d", "demo", "--json",
                                          w / "ope" / "gtcopy" / "Crossing.txt"], "--json"),
        "run/json-is-result-file": (rerun(store, "--json", store_run(store) / "Crossing.txt"), "--json"),
        "datasets-check/json-is-ground-truth": (["datasets", "check", "demo", "--root", w / "demo_root", "--json",
                                                 demo_gt(w / "demo_root", "Crossing")], "--json"),
        "vot-setup/workspace-is-sequences": (["vot", "setup", "-t", "mil", "--workspace", src, "--vot-folder", src],
                                             "--workspace"),
    }


WRITING_COMMANDS = {"run", "run-overwrite", "profile", "report", "submit", "demo", "vot-setup", "vot-run"}


class TestDestructiveOperations:
    """Failing invocations of the writing commands leave every earlier file as it was, bytes and mtime."""

    @pytest.fixture
    def w(self, earlier, tmp_path) -> Path:
        w = tmp_path / "w"
        shutil.copytree(earlier, w, symlinks=True)
        return w

    def _check(self, w: Path, argv, needle) -> None:
        before = snapshot(w)
        r = run_bench(argv, w / "cwd")
        assert_one_line_error(r, bad(argv, needle))
        assert_untouched(before, snapshot(w), mtimes=True)

    def test_every_writing_command_is_covered(self):
        calls = failing_calls(Path("/w"))
        assert {k.split("/")[0] for k in calls} == WRITING_COMMANDS
        for c in WRITING_COMMANDS:
            assert sum(k.startswith(c + "/") for k in calls) >= 2, c

    @pytest.mark.parametrize("call", list(failing_calls(Path("/w"))))
    def test_failing_invocation_keeps_earlier_outputs(self, call, w):
        argv, needle = failing_calls(w)[call]
        self._check(w, argv, needle)

    @pytest.mark.parametrize("call", list(same_path_calls(Path("/w"))))
    def test_output_equal_to_an_input_is_refused(self, call, w):
        argv, flag = same_path_calls(w)[call]
        self._check(w, argv, flag)

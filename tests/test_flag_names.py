"""One flag name per concept in every command; old spellings still work for a release, hidden, with a warning.

The table below is the rule: a flag that means one of these concepts is spelled this way wherever it
appears, and no command spells a concept another way."""
from __future__ import annotations

import argparse

import pytest

from bench.cli import build_parser, main

#: concept -> (the one spelling, the spellings that must not appear as visible flags)
CONCEPTS = {
    "only these sequences (names)": ("--sequences", ("--sequence", "--only", "--seqs")),
    "the dataset": ("--dataset", ("--datasets", "--benchmark")),
    "the results store": ("--results", ("--results-dir", "--store", "--output-dir")),
    "CPU threads": ("--threads", ("--num-threads", "--nthreads")),
    "frames per sequence": ("--max-frames", ("--frames-per-sequence", "--max-frame")),
}


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out[f"{prefix}{name}"] = sub
                out.update(_commands(sub, f"{prefix}{name} "))
    return out


COMMANDS = _commands(build_parser())


def _visible_flags(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in p._actions if a.help != argparse.SUPPRESS for s in a.option_strings}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_spells_a_concept_another_way(command):
    flags = _visible_flags(COMMANDS[command])
    for concept, (spelling, others) in CONCEPTS.items():
        bad = sorted(set(others) & set(flags))
        assert not bad, f"bench {command}: {bad} for {concept!r}; spell it {spelling}"


def test_sequences_flag_is_a_list_of_names_everywhere():
    having = {c: _visible_flags(p)["--sequences"] for c, p in COMMANDS.items() if "--sequences" in _visible_flags(p)}
    assert {"run", "profile", "vot setup", "datasets check"} <= set(having)
    assert all(a.nargs == "+" and a.dest == "sequences" for a in having.values()), having


def test_max_frames_means_frames_per_sequence_everywhere():
    for command, p in COMMANDS.items():
        action = _visible_flags(p).get("--max-frames")
        if action is not None:
            assert "per sequence" in action.help or "this many frames" in action.help, (command, action.help)
            assert "total" not in action.help, (command, action.help)


@pytest.mark.parametrize("argv, old, new, rc", [
    (["vot", "setup", "-t", "mil", "--workspace", "{tmp}/ws", "--dataset", "demo", "--only", "Crossing",
      "--max-frames", "2"], "--only", "--sequences", 0),
    (["datasets", "check", "demo", "--sequence", "Crossing"], "--sequence", "--sequences", 0),
    # no results folder there (exit 2): the old spelling was still read, and announced
    (["report", "--results", "{tmp}/none", "--datasets", "demo", "--out", "{tmp}/r"], "--datasets", "--dataset", 2),
    (["profile", "-t", "kcf", "--max-frames", "3", "--no-latency", "--no-progress", "--results", "{tmp}/p"],
     "--max-frames", "--frames", 0),
])
def test_old_spellings_still_work_and_say_the_new_one(argv, old, new, rc, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == rc
    assert f"bench: warning: {old} is now {new}" in capsys.readouterr().err
    command = " ".join(argv[:2]) if " ".join(argv[:2]) in COMMANDS else argv[0]
    assert old not in _visible_flags(COMMANDS[command])


def test_old_spelling_of_a_repeatable_flag_collects_every_value():
    ns = COMMANDS["datasets check"].parse_args(["demo", "--sequence", "A", "--sequence", "B"])
    assert ns.sequences == ["A", "B"]


def test_vot_setup_says_where_the_vot_folder_went(tmp_path, capsys):
    src = tmp_path / "vot"
    src.mkdir()
    assert main(["vot", "setup", "-t", "mil", "--workspace", str(tmp_path / "ws"), "--sequences", str(src)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bench: error: --sequences {src}: --sequences now names sequences; give the VOT folder as "
                   "--vot-folder FOLDER"]
    assert not (tmp_path / "ws").exists()


def test_fast_mode_is_refused_for_a_tracker_without_one(tmp_path, capsys):
    assert main(["run", "-t", "kcf", "--fast", "--results", str(tmp_path / "r"), "--max-frames", "2"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench: error: --fast: tracker 'kcf' has no fast mode")
    assert "spiketrack_s256_t1" in err[0] and not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if " " not in c))
def test_a_command_alone_parses_as_in_the_whole_parser(command):
    """`bench COMMAND ...` builds that command's parser only (a start-up saving): it must be the one the
    whole parser holds, and each command's module must be named after it (else every command is built)."""
    alone = _commands(build_parser([command, "--help"]))
    assert set(alone) == {c for c in COMMANDS if c == command or c.startswith(command + " ")}
    for name, sub in alone.items():
        assert sorted(_visible_flags(sub)) == sorted(_visible_flags(COMMANDS[name]))


def test_an_unknown_command_lists_every_command(capsys):
    assert main(["-v", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and all(repr(c) in err for c in COMMANDS if " " not in c)

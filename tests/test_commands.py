"""The one error boundary and the shared loop options (zedo.runtime.apps.commands)."""

from __future__ import annotations

import argparse

import pytest

from zedo.runtime.apps.commands import run_command
from zedo.runtime.apps.loop_options import add_loop_options
from zedo.runtime.apps.loop_settings import loop_argv, loop_config
from zedo.runtime.core.config import LoopConfig
from zedo.runtime.core.skeleton import IPO_JOINTS


def _parser():
    p = argparse.ArgumentParser(prog="zedo-test")
    add_loop_options(p)
    return p


@pytest.mark.parametrize(
    "error, text",
    [
        (ValueError("in.npz: keypoints has shape (3,)"), "zedo-test: error: in.npz: keypoints has shape (3,)"),
        (PermissionError(13, "Permission denied", "/ro/out.npz"), "Permission denied"),
        (MemoryError(), "out of memory"),
        (KeyError("x"), "unexpected KeyError: 'x' (set ZEDO_DEBUG=1 for the traceback)"),
        (RuntimeError("line one\nline two"), "zedo-test: error: line one line two"),
    ],
)
def test_boundary_turns_every_failure_into_one_line(capsys, monkeypatch, error, text):
    monkeypatch.delenv("ZEDO_DEBUG", raising=False)

    def body(args):
        raise error

    assert run_command("zedo-test", _parser(), body, []) == 2
    err = capsys.readouterr().err
    assert text in err and err.count("\n") == 1 and "Traceback" not in err


def test_boundary_interrupt_exits_130_with_one_line(capsys, monkeypatch):
    monkeypatch.delenv("ZEDO_DEBUG", raising=False)

    def body(args):
        raise KeyboardInterrupt

    assert run_command("zedo-test", _parser(), body, []) == 130
    assert capsys.readouterr().err.strip() == "zedo-test: interrupted; nothing was written"


def test_zedo_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("ZEDO_DEBUG", "1")

    def body(args):
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_command("zedo-test", _parser(), body, [])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--iterations", "200", "--sampler", "sde", "--step-scale", "0.5"],
        ["--no-ipo"],
        ["--no-warmup", "--start-candidates", "1", "--ipo-joints", "paper"],
        ["--initial-candidates", "50"],
        ["--preset", "v1"],
        ["--preset", "paper"],
        ["--preset", "v1", "--iterations", "300", "--start-shortlist", "5"],
        ["--start-ensemble", "5"],
        ["--preset", "noisy"],
        ["--no-adaptive"],
    ],
)
def test_loop_argv_inverts_loop_config(argv):
    config = loop_config(_parser().parse_args(argv))
    again = loop_config(_parser().parse_args(loop_argv(config)))
    assert again == config


def test_loop_options_reach_the_config():
    c = loop_config(
        _parser().parse_args(["--iterations", "7", "--no-warmup", "--initial-candidates", "1", "--ipo-joints", "paper"])
    )
    assert c == LoopConfig(iterations=7, warmup_fraction=0.0, start_candidates=1, ipo_joints=IPO_JOINTS)


def test_presets_are_their_flags_and_flags_change_them():
    parse = lambda *argv: loop_config(_parser().parse_args(list(argv)))  # noqa: E731
    assert parse() == LoopConfig()
    assert parse("--preset", "v1") == parse(
        "--iterations", "1000", "--step-scale", "1", "--start-shortlist", "50", "--start-fit", "grid", "--no-adaptive"
    )
    assert parse("--preset", "paper") == parse("--iterations", "1000", "--step-scale", "1", "--start-candidates", "1")
    assert parse("--preset", "noisy") == parse("--iterations", "100", "--start-ensemble", "8")
    assert parse("--preset", "v1", "--iterations", "7") == LoopConfig(
        iterations=7, step_scale=1.0, start_shortlist=50, start_fit="grid", adaptive=False
    )
    assert (
        parse("--preset", "paper", "--ipo-joints", "paper").start_candidates == 1
    )  # the preset's single candidate allows it


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--no-ipo", "--start-candidates", "50"], "--start-candidates .* --no-ipo"),
        (["--hypotheses", "5", "--start-shortlist", "10"], "--start-shortlist .* --hypotheses"),
        (["--hypotheses", "5", "--start-ensemble", "3"], "--start-ensemble .* --hypotheses"),
        (["--start-ensemble", "30"], "start_ensemble"),
        (["--preset", "noisy", "--hypotheses", "5"], "--preset noisy .* --hypotheses 5"),
        (["--preset", "noisy", "--no-ipo"], "start_ensemble 8 needs"),
        (["--start-candidates", "1", "--start-fit", "grid"], "--start-fit .* --start-candidates 1"),
        (["--preset", "paper", "--start-fit", "grid"], "--start-fit .* --start-candidates 1"),
        (["--start-shortlist", "0"], "start_shortlist"),
        (["--ipo-joints", "paper"], "--ipo-joints paper"),
        (["--iterations", "0"], "iterations"),
        (["--step-scale", "-1"], "step_scale"),
    ],
)
def test_loop_options_that_would_do_nothing_or_are_bad_are_errors(argv, match):
    with pytest.raises(ValueError, match=match):
        loop_config(_parser().parse_args(argv))

"""Parsed loop options become settings in one place: ``run_request`` (a ``Request``, checked once
by its own fields, each error renamed to its flag, ``FLAGS``) and ``loop_config``; ``loop_argv`` is
the inverse, for running a command in a subprocess. The options: ``apps.loop_options``."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ..core.config import PRESETS, LoopConfig, preset_config
from ..core.errors import FieldError
from ..pipeline.request import Request
from .loop_options import IPO_JOINT_SETS

# A Request's field -> the flag that sets it, for messages.
FLAGS = {
    "engine": "--engine",
    "device": "--device",
    "threads": "--threads",
    "hypotheses": "--hypotheses",
    "batch_size": "--batch-size",
    "selection": "--selection",
    "seed": "--seed",
    "layout": "--layout",
    "image_size": "--image-size",
    "K": "--intrinsics/--camera",
    "distortion": "--camera",
    "per_frame": "--per-frame",
    "smooth": "--no-filter",
    "fps": "--fps",
    "frame_iterations": "--iterations",
    "retrack": "--retrack",
    "trust_edges": "--trust-edges",
    "output_format": "--output-format",
    "frame": "--frame",
    "fixed_bones": "--fixed-bones",
    "gravity": "--gravity",
}


GRAVITY_HELP = (
    "the camera's down direction GX GY GZ in camera coordinates (x right, y down, z forward; any length), "
    "or 'level' to assume a level camera (default: estimated once per camera, by K)"
)


def gravity_of(values: list[str] | None):
    """``--gravity``'s words as ``Request.gravity``: None, "level" or (gx, gy, gz)."""
    if values is None or values == ["level"]:
        return None if values is None else "level"
    try:
        got = tuple(float(v) for v in values)
    except ValueError:
        got = ()
    if len(got) != 3:
        raise ValueError(f"--gravity takes 3 numbers GX GY GZ or the word level, got {' '.join(values)!r}")
    return got


def _refuse_idle_options(args: argparse.Namespace) -> None:
    """ValueError for a start option that the other options leave without effect."""
    if args.no_ipo and args.start_candidates not in (None, 1):
        raise ValueError("--start-candidates chooses a start by the IPO's fit; it does nothing with --no-ipo")
    if args.no_ipo and args.ipo_joints is not None:
        raise ValueError("--ipo-joints sets the joints of the IPO; it does nothing with --no-ipo")
    chosen = [
        f
        for f, v in (
            ("--start-shortlist", args.start_shortlist),
            ("--start-fit", args.start_fit),
            ("--start-ensemble", args.start_ensemble),
        )
        if v is not None
    ]
    if chosen and (args.no_ipo or args.hypotheses > 1 or _given(args, "start_candidates") == 1):
        raise ValueError(
            f"{chosen[0]} sets how a start is chosen among cluster poses; it does nothing with --no-ipo, "
            "--hypotheses > 1 or --start-candidates 1"
        )
    if args.hypotheses > 1 and _given(args, "start_ensemble") > 1:
        raise ValueError(
            f"--preset {args.preset} runs one hypothesis from {_given(args, 'start_ensemble')} starts; "
            f"it does nothing with --hypotheses {args.hypotheses}"
        )
    if args.hypotheses > 1 and args.start_candidates is not None:
        raise ValueError(
            "--start-candidates chooses the start of a single hypothesis; "
            f"with --hypotheses {args.hypotheses} each starts from its own cluster pose"
        )
    if args.ipo_joints == "paper" and args.hypotheses == 1 and _given(args, "start_candidates") > 1 and not args.no_ipo:
        raise ValueError(
            "--ipo-joints paper sets the IPO of the mean-pose start (a chosen start is fitted on every joint); "
            "add --start-candidates 1"
        )


def _given(args: argparse.Namespace, field: str):
    """A loop setting as the flags give it: the flag's value, else the preset's, else LoopConfig's default."""
    value = getattr(args, field)
    return value if value is not None else PRESETS[args.preset].get(field, getattr(LoopConfig, field))


def _loop_config(args: argparse.Namespace) -> LoopConfig:
    """The ``LoopConfig`` of parsed loop options (``--preset``, then each option given on top);
    ValueError for combinations that would do nothing."""
    _refuse_idle_options(args)
    given = {
        f: getattr(args, f)
        for f in ("iterations", "step_scale", "start_candidates", "start_shortlist", "start_fit", "start_ensemble")
        if getattr(args, f) is not None
    }
    return preset_config(
        args.preset,
        **given,
        sampler=args.sampler,
        ipo=not args.no_ipo,
        warmup_fraction=0.0 if args.no_warmup else LoopConfig.warmup_fraction,
        ipo_joints=IPO_JOINT_SETS[args.ipo_joints or "torso"],
        noise_px=args.noise_px,
        **({"adaptive": False} if args.no_adaptive else {}),
    )


def loop_argv(config: LoopConfig, hypotheses: int = 1) -> list[str]:
    """The loop options that make ``config`` again for a run of ``hypotheses`` (the inverse of
    ``loop_config``), for running a command in a subprocess; options without effect there are
    left out. ValueError for settings the options cannot express."""
    joints = {v: k for k, v in IPO_JOINT_SETS.items()}.get(tuple(config.ipo_joints))
    if joints is None or config.warmup_fraction not in (0.0, LoopConfig.warmup_fraction):
        raise ValueError("these loop settings have no command-line form (ipo_joints or warmup_fraction)")
    argv = [
        "--iterations",
        str(config.iterations),
        "--sampler",
        config.sampler,
        "--step-scale",
        repr(config.step_scale),
    ]
    if not config.ipo:
        argv += ["--no-ipo"]
    else:
        argv += ["--ipo-joints", joints] if joints != "torso" else []
        argv += (
            ["--start-candidates", str(config.start_candidates)]
            if hypotheses == 1 and config.start_candidates != LoopConfig.start_candidates
            else []
        )
        if hypotheses == 1 and config.start_candidates > 1:
            argv += (
                []
                if config.start_shortlist == LoopConfig.start_shortlist
                else ["--start-shortlist", str(config.start_shortlist)]
            )
            argv += [] if config.start_fit == LoopConfig.start_fit else ["--start-fit", config.start_fit]
            argv += (
                []
                if config.start_ensemble == LoopConfig.start_ensemble
                else ["--start-ensemble", str(config.start_ensemble)]
            )
    argv += [] if config.noise_px is None else ["--noise-px", repr(config.noise_px)]
    argv += (
        ["--no-adaptive"] if not config.adaptive and replace(config, adaptive=True).adapts and hypotheses == 1 else []
    )
    return argv + (["--no-warmup"] if config.warmup_fraction == 0.0 else [])


def run_request(args: argparse.Namespace, **fields) -> Request:
    """The ``Request`` of parsed loop options (``loop_config`` and the run options) and ``fields``
    (a command's own: device, layout, video, output); ValueError naming the flag of a bad one."""
    config = _loop_config(args)
    try:
        return Request(
            engine=args.engine,
            threads=args.threads,
            hypotheses=args.hypotheses,
            config=config,
            batch_size=args.batch_size,
            selection=args.selection,
            seed=args.seed,
            **fields,
        )
    except FieldError as e:
        raise ValueError(f"{FLAGS.get(e.field, e.field)} {e.text}") from None


def loop_config(args: argparse.Namespace) -> LoopConfig:
    """The ``LoopConfig`` of parsed loop options (``--preset``, then each option given on top),
    the run options checked with it (``run_request``); ValueError naming the flag."""
    return run_request(args).config

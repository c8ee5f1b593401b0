"""The options of a ZeDO run, declared once (``OPTIONS``, one row each) for every command that
runs the loop (``zedo-infer``, ``zedo-eval``); ``apps.loop_settings`` turns them into settings."""

from __future__ import annotations

import argparse

from ..core.config import ADAPTIVE_ITERATIONS, ADAPTIVE_STARTS, MAX_THREADS, PRESETS, START_FITS, LoopConfig
from ..core.sde import SAMPLERS
from ..core.skeleton import IPO_JOINTS, TORSO_JOINTS
from ..solve.scoring import SELECTIONS

IPO_JOINT_SETS = {"torso": TORSO_JOINTS, "paper": IPO_JOINTS}
RUN, INTERNALS = "loop", "loop internals"
_D = LoopConfig()

# (group, flags, argparse keywords), in the order --help lists them.
OPTIONS = (
    (
        RUN,
        ("--engine",),
        dict(
            default="default",
            help="bundled prior name (default, h36m) or engine file (.onnx, .trt/.engine/.plan); default: %(default)s",
        ),
    ),
    (
        RUN,
        ("--preset",),
        dict(
            choices=sorted(PRESETS),
            default="default",
            help="named settings the other loop "
            "options change: default; v1, zedo's default before the fast start (--iterations 1000 --step-scale 1 "
            "--start-shortlist 50 --start-fit grid --no-adaptive); paper, the release's (--iterations 1000 "
            "--step-scale 1 --start-candidates 1); noisy, for detector 2D (--iterations 100 --start-ensemble 8) "
            "(default: %(default)s)",
        ),
    ),
    (
        RUN,
        ("--iterations",),
        dict(
            type=int, default=None, metavar="N", help=f"loop iterations, one prior call each (default: {_D.iterations})"
        ),
    ),
    (
        RUN,
        ("--hypotheses",),
        dict(
            type=int,
            default=1,
            metavar="S",
            help="hypotheses per pose, started from S cluster poses (default: %(default)s)",
        ),
    ),
    (
        RUN,
        ("--selection",),
        dict(
            choices=SELECTIONS,
            default="auto",
            help="how the reported hypothesis is chosen among S > 1 (one hypothesis has nothing to choose): "
            "by the prior's residual, the reprojection error, both (the smaller sum of their ranks), or auto: "
            "the prior with --noise-px 0, else both (default: %(default)s)",
        ),
    ),
    (
        RUN,
        ("--noise-px",),
        dict(
            type=float,
            default=None,
            metavar="SIGMA",
            help="2D noise of the keypoints, px per "
            "coordinate (a Gaussian sigma): the loop moves joints towards their rays as far as this trusts them; 0: "
            "exactly onto them, the release's step (default: estimated per pose and written to the output as noise_px)",
        ),
    ),
    (
        RUN,
        ("--batch-size",),
        dict(
            type=int, default=1024, metavar="B", help="(pose, hypothesis) pairs per prior call (default: %(default)s)"
        ),
    ),
    (
        RUN,
        ("--seed",),
        dict(
            type=int,
            default=0,
            help="seed of the sde sampler's noise; the ode sampler draws none (default: %(default)s)",
        ),
    ),
    (
        RUN,
        ("--threads",),
        dict(
            type=int,
            default=0,
            metavar="N",
            help=f"ONNX Runtime intra-op threads, at most {MAX_THREADS}; 0: its default (default: %(default)s)",
        ),
    ),
    (
        INTERNALS,
        ("--sampler",),
        dict(choices=sorted(SAMPLERS), default=_D.sampler, help="reverse-time step (default: %(default)s)"),
    ),
    (
        INTERNALS,
        ("--step-scale",),
        dict(
            type=float,
            default=None,
            metavar="X",
            help=f"reverse-time step x iterations, for either sampler; the release's is 1 (default: {_D.step_scale})",
        ),
    ),
    (
        INTERNALS,
        ("--no-ipo",),
        dict(action="store_true", help="skip the initial yaw and distance fit (the start is then the mean pose)"),
    ),
    (INTERNALS, ("--no-warmup",), dict(action="store_true", help="solve the translation from the first iteration")),
    (
        INTERNALS,
        ("--start-candidates", "--initial-candidates"),
        dict(
            dest="start_candidates",
            type=int,
            default=None,
            metavar="C",
            help="with one hypothesis and the IPO, start from the best of C cluster poses; 1: "
            f"the mean pose, as the release (default: {_D.start_candidates})",
        ),
    ),
    (
        INTERNALS,
        ("--start-shortlist",),
        dict(
            type=int,
            default=None,
            metavar="K",
            help="of the C cluster poses, "
            "place this many (the closest under weak perspective) and judge them by the prior "
            f"(default: {_D.start_shortlist})",
        ),
    ),
    (
        INTERNALS,
        ("--start-fit",),
        dict(
            choices=START_FITS,
            default=None,
            help="how the shortlisted poses are "
            "placed: a local search from their weak-perspective fit, or the IPO's global grid "
            f"(default: {_D.start_fit})",
        ),
    ),
    (
        INTERNALS,
        ("--start-ensemble",),
        dict(
            type=int,
            default=None,
            metavar="E",
            help="run the loop from the E "
            "best-ranked starts and report their mean pose: E times the work, and several mm better on noisy 2D and "
            f"detections (default: {_D.start_ensemble})",
        ),
    ),
    (
        INTERNALS,
        ("--no-adaptive",),
        dict(
            action="store_true",
            help="give every pose the same work: by default, poses whose 2D is noisy (a detector's) run the "
            f"loop from {ADAPTIVE_STARTS} starts of {ADAPTIVE_ITERATIONS} iterations and report their mean "
            "(written as starts)",
        ),
    ),
    (
        INTERNALS,
        ("--ipo-joints",),
        dict(
            choices=sorted(IPO_JOINT_SETS),
            default=None,
            help="joints the IPO fits a "
            "mean-pose start (or each of S > 1 cluster starts) on: the torso or the release's pelvis and hips "
            "(default: torso)",
        ),
    ),
)


def add_loop_options(parser: argparse.ArgumentParser) -> None:
    """``OPTIONS`` on ``parser``, in two groups (``apps.loop_settings.run_request`` reads them)."""
    groups = {name: parser.add_argument_group(name) for name in (RUN, INTERNALS)}
    for group, flags, keywords in OPTIONS:
        groups[group].add_argument(*flags, **keywords)

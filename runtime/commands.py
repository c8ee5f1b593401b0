"""What every zedo command shares: one error boundary, and the loop options declared once.

Every command is ``run_command(prog, parser, body, argv)``: argparse reports bad flags itself
(exit 2); anything ``body`` raises becomes one line ``PROG: error: ...`` on stderr and exit status
2, Ctrl-C one line and exit 130 (saying what was kept: the KeyboardInterrupt's message, else
nothing); ``ZEDO_DEBUG=1`` in the environment shows the traceback instead.
Outputs are written atomically by the commands, so an error never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from .config import LoopConfig
from .sde import SAMPLERS
from .skeleton import IPO_JOINTS, TORSO_JOINTS

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130
IPO_JOINT_SETS = {"torso": TORSO_JOINTS, "paper": IPO_JOINTS}
SELECTIONS = ("prior", "reprojection")


def one_line(e: BaseException) -> str:
    """The exception's message on one line; the type's name where the message is empty or the
    exception is not one of ours (a bug, or a library's)."""
    text = " ".join(str(e).split())
    if isinstance(e, (ValueError, RuntimeError, OSError)) and text:
        return text
    if isinstance(e, MemoryError):
        return f"out of memory{': ' + text if text else ''} (try a smaller --batch-size or input)"
    return f"unexpected {type(e).__name__}{': ' + text if text else ''} (set ZEDO_DEBUG=1 for the traceback)"


def run_command(prog: str, parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], None], argv=None) -> int:
    """Parse ``argv``, run ``body(args)`` inside the error boundary; returns the exit status."""
    args = parser.parse_args(argv)
    try:
        body(args)
    except KeyboardInterrupt as e:
        if os.environ.get("ZEDO_DEBUG"):
            raise
        print(f"\n{prog}: interrupted; {str(e) or 'nothing was written'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # the boundary: every failure becomes one line
        if os.environ.get("ZEDO_DEBUG"):
            raise
        print(f"{prog}: error: {one_line(e)}", file=sys.stderr)
        return EXIT_ERROR
    return 0


def add_loop_options(parser: argparse.ArgumentParser) -> None:
    """The options of a ZeDO run, shared by ``zedo-infer`` and ``zedo-eval`` (``loop_config`` reads them)."""
    d = LoopConfig()
    g = parser.add_argument_group("loop")
    g.add_argument("--engine", default="default", help="bundled prior name (default, h36m) or engine file (.onnx, .trt/.engine/.plan); default: %(default)s")
    g.add_argument("--hypotheses", type=int, default=1, metavar="S", help="hypotheses per pose, started from S cluster poses (default: %(default)s)")
    g.add_argument("--selection", choices=SELECTIONS, default="prior", help="how the reported hypothesis is chosen (default: %(default)s)")
    g.add_argument("--iterations", type=int, default=d.iterations, metavar="N", help="loop iterations, one prior call each (default: %(default)s)")
    g.add_argument("--sampler", choices=sorted(SAMPLERS), default=d.sampler, help="reverse-time step (default: %(default)s)")
    g.add_argument("--step-scale", type=float, default=d.step_scale, metavar="X", help="reverse-time step x iterations (default %(default)s, the release's)")
    g.add_argument("--no-ipo", action="store_true", help="skip the initial yaw and distance fit (the start is then the mean pose)")
    g.add_argument("--no-warmup", action="store_true", help="solve the translation from the first iteration")
    g.add_argument("--start-candidates", "--initial-candidates", dest="start_candidates", type=int, default=None, metavar="C",
                   help=f"with one hypothesis, start from the best of C cluster poses; 1: the mean pose, as the release (default: {d.start_candidates})")
    g.add_argument("--ipo-joints", choices=sorted(IPO_JOINT_SETS), default="torso", help="joints the IPO fits a mean-pose start on: the torso or the release's pelvis and hips (default: %(default)s)")
    g.add_argument("--noise-px", type=float, default=None, metavar="SIGMA", help="2D noise of the keypoints, px per coordinate (a Gaussian sigma): the loop moves joints towards their rays as far as this trusts them; 0: exactly onto them, the release's step (default: estimated per pose and written to the output as noise_px)")
    g.add_argument("--batch-size", type=int, default=1024, metavar="B", help="(pose, hypothesis) pairs per prior call (default: %(default)s)")
    g.add_argument("--seed", type=int, default=0, help="seed of the sde sampler's noise (default: %(default)s)")
    g.add_argument("--threads", type=int, default=0, metavar="N", help="ONNX Runtime intra-op threads; 0: its default (default: %(default)s)")


MAX_THREADS = 1024  # ONNX Runtime crashes or hangs on absurd thread counts; no machine here has more cores


def loop_config(args: argparse.Namespace) -> LoopConfig:
    """The ``LoopConfig`` of parsed loop options; ValueError for combinations that would do nothing
    and for run options out of range (``--threads``, ``--hypotheses``, ``--batch-size``)."""
    if not 0 <= args.threads <= MAX_THREADS:
        raise ValueError(f"--threads must be in [0, {MAX_THREADS}] (0: ONNX Runtime's default), got {args.threads}")
    for flag, value in (("--hypotheses", args.hypotheses), ("--batch-size", args.batch_size)):
        if value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}")
    if args.no_ipo and args.start_candidates not in (None, 1):
        raise ValueError("--start-candidates chooses a start by the IPO's fit; it does nothing with --no-ipo")
    candidates = LoopConfig.start_candidates if args.start_candidates is None else args.start_candidates
    if args.ipo_joints == "paper" and args.hypotheses == 1 and candidates > 1 and not args.no_ipo:
        raise ValueError("--ipo-joints paper sets the IPO of the mean-pose start (a chosen start is fitted on every joint); add --start-candidates 1")
    return LoopConfig(
        iterations=args.iterations,
        sampler=args.sampler,
        step_scale=args.step_scale,
        ipo=not args.no_ipo,
        warmup_fraction=0.0 if args.no_warmup else LoopConfig.warmup_fraction,
        start_candidates=candidates,
        ipo_joints=IPO_JOINT_SETS[args.ipo_joints],
        noise_px=args.noise_px,
    )


def loop_argv(config: LoopConfig) -> list[str]:
    """The loop options that make ``config`` again (the inverse of ``loop_config``), for running a
    command in a subprocess; ValueError for settings the options cannot express."""
    joints = {v: k for k, v in IPO_JOINT_SETS.items()}.get(tuple(config.ipo_joints))
    if joints is None or config.warmup_fraction not in (0.0, LoopConfig.warmup_fraction):
        raise ValueError("these loop settings have no command-line form (ipo_joints or warmup_fraction)")
    argv = ["--iterations", str(config.iterations), "--sampler", config.sampler, "--step-scale", repr(config.step_scale), "--ipo-joints", joints]
    argv += ["--no-ipo"] if not config.ipo else ["--start-candidates", str(config.start_candidates)]
    argv += [] if config.noise_px is None else ["--noise-px", repr(config.noise_px)]
    return argv + (["--no-warmup"] if config.warmup_fraction == 0.0 else [])

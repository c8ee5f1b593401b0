"""What every zedo command shares: one error boundary, and the loop options declared once.

Every command is ``run_command(prog, parser, body, argv)``: a bad flag is argparse's one error
line (its usage lines are left out) and exit status 2; anything ``body`` raises becomes one line
``PROG: error: ...`` on stderr and exit status 2 (a missing optional package names what to install),
Ctrl-C one line and exit 130 (saying what was kept: the KeyboardInterrupt's message, else the
command's own word, by default that nothing was written); ``ZEDO_DEBUG=1`` in the environment
shows the traceback instead.
Outputs are written atomically by the commands, so an error never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Callable

from ..core.config import MAX_SEED, MAX_THREADS, PRESETS, START_FITS, LoopConfig, preset_config
from ..core.sde import SAMPLERS
from ..core.skeleton import IPO_JOINTS, TORSO_JOINTS

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130
IPO_JOINT_SETS = {"torso": TORSO_JOINTS, "paper": IPO_JOINTS}
SELECTIONS = ("prior", "reprojection")
# Optional packages -> how to install them (the extras of pyproject.toml).
INSTALL = {
    "torch": 'pip install torch==2.13.0 (the CPU build), then pip install "zedo[export,train]"',
    "onnx": 'pip install "zedo[export]"',
    "onnxruntime": "pip install onnxruntime (or onnxruntime-gpu for --device cuda/tensorrt; not both)",
    "matplotlib": 'pip install "zedo[viz]"',
    "cupy": 'pip install "zedo[gpu]"',
    "tensorrt": "pip install tensorrt (on a machine with an NVIDIA GPU)",
    "ray": 'pip install "zedo[ray]"',
}


def _os_error(e: OSError) -> str:
    """An OSError as 'file: reason' (without Python's '[Errno N]')."""
    if not e.strerror:
        return " ".join(str(e).split())
    return f"{e.filename}: {e.strerror}" if e.filename else e.strerror


def one_line(e: BaseException) -> str:
    """The exception's message on one line; for a missing optional package the line to install
    it; the type's name where the message is empty or the exception is not one of ours (a bug, or
    a library's)."""
    if isinstance(e, ModuleNotFoundError) and (e.name or "").partition(".")[0] in INSTALL:
        name = e.name.partition(".")[0]
        return f"this needs {name}, which is not installed: {INSTALL[name]}"
    text = _os_error(e) if isinstance(e, OSError) else " ".join(str(e).split())
    if isinstance(e, (ValueError, RuntimeError, OSError)) and text:
        return text
    if isinstance(e, MemoryError):
        return f"out of memory{': ' + text if text else ''} (try a smaller --batch-size or input)"
    return f"unexpected {type(e).__name__}{': ' + text if text else ''} (set ZEDO_DEBUG=1 for the traceback)"


def parse_one_line(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but a bad flag prints only argparse's error line (not its usage
    lines) before argparse exits (status 2); --help prints as usual."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return parser.parse_args(argv)
    except SystemExit as e:
        lines = captured.getvalue().strip().splitlines()
        if e.code not in (0, None) and lines:
            print(f"{lines[-1]} (see --help)", file=sys.stderr)
        else:
            sys.stderr.write(captured.getvalue())
        raise


def run_command(
    prog: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], None],
    argv=None,
    interrupted: str = "nothing was written",
) -> int:
    """Parse ``argv``, run ``body(args)`` inside the error boundary; returns the exit status.
    ``interrupted`` says, after Ctrl-C, what the command leaves behind (unless the interrupt says it)."""
    try:
        args = parse_one_line(parser, argv)
    except SystemExit as e:
        return EXIT_ERROR if e.code not in (0, None) else 0
    try:
        body(args)
    except KeyboardInterrupt as e:
        if os.environ.get("ZEDO_DEBUG"):
            raise
        print(f"\n{prog}: interrupted; {str(e) or interrupted}", file=sys.stderr)
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
    g.add_argument(
        "--engine",
        default="default",
        help="bundled prior name (default, h36m) or engine file (.onnx, .trt/.engine/.plan); default: %(default)s",
    )
    g.add_argument(
        "--hypotheses",
        type=int,
        default=1,
        metavar="S",
        help="hypotheses per pose, started from S cluster poses (default: %(default)s)",
    )
    g.add_argument(
        "--selection",
        choices=SELECTIONS,
        default="prior",
        help="how the reported hypothesis is chosen among S > 1 (one hypothesis has nothing to choose; default: %(default)s)",
    )
    g.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="named settings the other loop options change: default; v1, zedo's default before the fast start (--iterations 1000 --step-scale 1 --start-shortlist 50 --start-fit grid); paper, the release's (--iterations 1000 --step-scale 1 --start-candidates 1); noisy, for detector 2D (--iterations 100 --start-ensemble 8) (default: %(default)s)",
    )
    g.add_argument(
        "--iterations",
        type=int,
        default=None,
        metavar="N",
        help=f"loop iterations, one prior call each (default: {d.iterations})",
    )
    g.add_argument(
        "--sampler", choices=sorted(SAMPLERS), default=d.sampler, help="reverse-time step (default: %(default)s)"
    )
    g.add_argument(
        "--step-scale",
        type=float,
        default=None,
        metavar="X",
        help=f"reverse-time step x iterations, for either sampler; the release's is 1 (default: {d.step_scale})",
    )
    g.add_argument(
        "--no-ipo", action="store_true", help="skip the initial yaw and distance fit (the start is then the mean pose)"
    )
    g.add_argument("--no-warmup", action="store_true", help="solve the translation from the first iteration")
    g.add_argument(
        "--start-candidates",
        "--initial-candidates",
        dest="start_candidates",
        type=int,
        default=None,
        metavar="C",
        help=f"with one hypothesis and the IPO, start from the best of C cluster poses; 1: the mean pose, as the release (default: {d.start_candidates})",
    )
    g.add_argument(
        "--start-shortlist",
        type=int,
        default=None,
        metavar="K",
        help=f"of the C cluster poses, place this many (the closest under weak perspective) and judge them by the prior (default: {d.start_shortlist})",
    )
    g.add_argument(
        "--start-fit",
        choices=START_FITS,
        default=None,
        help=f"how the shortlisted poses are placed: a local search from their weak-perspective fit, or the IPO's global grid (default: {d.start_fit})",
    )
    g.add_argument(
        "--start-ensemble",
        type=int,
        default=None,
        metavar="E",
        help=f"run the loop from the E best-ranked starts and report their mean pose: E times the work, and several mm better on noisy 2D and detections (default: {d.start_ensemble})",
    )
    g.add_argument(
        "--ipo-joints",
        choices=sorted(IPO_JOINT_SETS),
        default=None,
        help="joints the IPO fits a mean-pose start (or each of S > 1 cluster starts) on: the torso or the release's pelvis and hips (default: torso)",
    )
    g.add_argument(
        "--noise-px",
        type=float,
        default=None,
        metavar="SIGMA",
        help="2D noise of the keypoints, px per coordinate (a Gaussian sigma): the loop moves joints towards their rays as far as this trusts them; 0: exactly onto them, the release's step (default: estimated per pose and written to the output as noise_px)",
    )
    g.add_argument(
        "--batch-size",
        type=int,
        default=1024,
        metavar="B",
        help="(pose, hypothesis) pairs per prior call (default: %(default)s)",
    )
    g.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the sde sampler's noise; the ode sampler draws none (default: %(default)s)",
    )
    g.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help=f"ONNX Runtime intra-op threads, at most {MAX_THREADS}; 0: its default (default: %(default)s)",
    )


def _check_run_options(args: argparse.Namespace) -> None:
    """ValueError naming the flag for a run option out of its documented range."""
    if not 0 <= args.threads <= MAX_THREADS:
        raise ValueError(f"--threads must be in [0, {MAX_THREADS}] (0: ONNX Runtime's default), got {args.threads}")
    for flag, value in (("--hypotheses", args.hypotheses), ("--batch-size", args.batch_size)):
        if value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ValueError(f"--seed must be in [0, 2**63 - 1], got {args.seed}")


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
            f"{chosen[0]} sets how a start is chosen among cluster poses; it does nothing with --no-ipo, --hypotheses > 1 or --start-candidates 1"
        )
    if args.hypotheses > 1 and _given(args, "start_ensemble") > 1:
        raise ValueError(
            f"--preset {args.preset} runs one hypothesis from {_given(args, 'start_ensemble')} starts; it does nothing with --hypotheses {args.hypotheses}"
        )
    if args.hypotheses > 1 and args.start_candidates is not None:
        raise ValueError(
            f"--start-candidates chooses the start of a single hypothesis; with --hypotheses {args.hypotheses} each starts from its own cluster pose"
        )
    if args.ipo_joints == "paper" and args.hypotheses == 1 and _given(args, "start_candidates") > 1 and not args.no_ipo:
        raise ValueError(
            "--ipo-joints paper sets the IPO of the mean-pose start (a chosen start is fitted on every joint); add --start-candidates 1"
        )


def _given(args: argparse.Namespace, field: str):
    """A loop setting as the flags give it: the flag's value, else the preset's, else LoopConfig's default."""
    value = getattr(args, field)
    return value if value is not None else PRESETS[args.preset].get(field, getattr(LoopConfig, field))


def loop_config(args: argparse.Namespace) -> LoopConfig:
    """The ``LoopConfig`` of parsed loop options (``--preset``, then each option given on top);
    ValueError for combinations that would do nothing and for run options out of range
    (``--threads``, ``--hypotheses``, ``--batch-size``, ``--seed``)."""
    _check_run_options(args)
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
    return argv + (["--no-warmup"] if config.warmup_fraction == 0.0 else [])

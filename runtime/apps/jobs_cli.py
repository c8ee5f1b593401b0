"""The options of ``zedo-infer`` for many inputs (``--output-dir``, ``--resume``, ``--chunk-size``)
and for Ray (``--ray [ADDRESS]``, ``--workers``, ``--cpus-per-worker``, ``--gpus-per-worker``),
declared once, and the call behind them: ``zedo.runtime.pipeline.jobs.run_job``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.config import check_float
from ..core.errors import command_flags, install_extra
from ..pipeline.jobs import named, run_job, run_local
from ..pipeline.request import Request

MANY_ONLY = (("resume", "--resume"), ("chunk_size", "--chunk-size"), ("ray", "--ray"))
RAY_ONLY = (
    ("workers", "--workers"),
    ("cpus_per_worker", "--cpus-per-worker"),
    ("gpus_per_worker", "--gpus-per-worker"),
    ("ray_timeout", "--ray-timeout"),
)


def _add_many_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group(
        "many inputs", "An input that fails is named on stderr and the others go on; the exit status is then 2."
    )
    g.add_argument(
        "--output-dir",
        metavar="DIR",
        help="one output per input, named after it (part0.npz or an OpenPose folder part0/ -> DIR/part0.npz; "
        ".json with --output-format json or mmpose), each written when its input is done; instead of -o",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="skip inputs (and chunks) whose output in DIR is complete already: a re-run finishes an interrupted job",
    )
    g.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="cut inputs of more than N poses into chunks of N, each its own piece of work (N x --hypotheses a "
        "multiple "
        "of --batch-size keeps the prior's batches those of one run); an input's output is joined from its chunks",
    )


def add_job_options(parser: argparse.ArgumentParser) -> None:
    """The many-inputs and Ray options (``run_job_command`` reads them)."""
    _add_many_options(parser)
    g = parser.add_argument_group(
        "Ray",
        "Run the inputs on Ray (the ray extra): one actor per worker opens the engine once; an actor "
        "that dies is restarted and its input redone.",
    )
    g.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="start a local Ray on this machine, or join the cluster at ADDRESS (auto, HOST:PORT, ray://HOST:PORT); "
        "inputs and DIR must be on storage every node sees",
    )
    g.add_argument(
        "--ray-timeout",
        type=float,
        metavar="S",
        help="seconds to reach the Ray cluster at ADDRESS before giving up with one line (default 30)",
    )
    g.add_argument(
        "--workers", type=int, metavar="N", help="Ray actors (default: as many as the cluster's CPUs, or GPUs, allow)"
    )
    g.add_argument(
        "--cpus-per-worker",
        type=float,
        metavar="C",
        help="CPUs each actor reserves, and its ONNX Runtime and BLAS threads unless --threads (default 1)",
    )
    g.add_argument(
        "--gpus-per-worker",
        type=float,
        metavar="G",
        help="GPUs each actor reserves (default 1 with --device cuda or tensorrt or a TensorRT plan: one actor "
        "per GPU; else 0)",
    )


def _given(args, pairs) -> list[str]:
    return [flag for dest, flag in pairs if getattr(args, dest) not in (None, False)]


def many_inputs(args: argparse.Namespace) -> bool:
    """Whether the run writes an output folder (``--output-dir``) rather than one file (``-o``);
    ValueError for options that do not go together."""
    if args.output_dir is None:
        stray = _given(args, MANY_ONLY + RAY_ONLY)
        if stray:
            raise ValueError(f"{stray[0]} works with --output-dir DIR")
        if len(args.input) > 1:
            raise ValueError(f"{len(args.input)} inputs: give --output-dir DIR (-o names one output file)")
        if args.output and args.output_format == "json" and Path(args.output).suffix.lower() != ".json":
            raise ValueError(f"{args.output}: --output-format json writes JSON; name a .json file")
        return False
    if args.output is not None:
        raise ValueError("give -o FILE or --output-dir DIR, not both")
    if args.plot:
        raise ValueError("--plot draws one input's poses; use it with -o")
    stray = _given(args, RAY_ONLY) if args.ray is None else []
    if stray:
        raise ValueError(f"{stray[0]} works with --ray")
    return True


def _ray_address(text: str) -> str | None:
    """``--ray``'s ADDRESS, None for a local Ray; ValueError for what is not an address (an input
    caught by ``--ray`` when it stands before the inputs)."""
    if text == "":
        return None
    if text == "auto" or text.startswith("ray://") or (":" in text and not Path(text).exists()):
        return text
    raise ValueError(
        f"--ray {text!r} is not a Ray address (auto, HOST:PORT, ray://HOST:PORT); if it is an input, put --ray "
        "after the inputs or write --ray=ADDRESS"
    )


def ray_runner(args: argparse.Namespace, request: Request):
    """The ``RayRunner`` of the parsed Ray options; RuntimeError naming the install line without Ray."""
    address = _ray_address(args.ray)
    try:
        from ..pipeline.ray_connect import RAY_TIMEOUT
        from ..pipeline.ray_data import RayRunner, Workers
    except ImportError:
        raise RuntimeError(f"--ray needs Ray: {install_extra('ray')}") from None
    gpus = args.gpus_per_worker if args.gpus_per_worker is not None else (1.0 if request.on_gpu else 0.0)
    cpus = args.cpus_per_worker if args.cpus_per_worker is not None else 1.0
    timeout = RAY_TIMEOUT if args.ray_timeout is None else args.ray_timeout
    check_float("--ray-timeout", timeout, 0.1, 86400)
    return RayRunner(address, Workers(args.workers, cpus, gpus), timeout)


def run_job_command(args: argparse.Namespace, request: Request, prog: str) -> str:
    """``zedo-infer --output-dir``: every input through ``run_job``; returns the summary line. When
    an input failed (each named on stderr as it fails) the summary is printed and RuntimeError
    raised, so the exit status is 2. One input is one error line: its notes are held back, and its
    failure is the error itself."""
    runner = ray_runner(args, request) if args.ray is not None else run_local
    held: list[str] = []
    one = len(args.input) == 1

    def report(line: str) -> None:
        if one:
            held.append(line)
        else:
            print(f"{prog}: {command_flags(line)}", file=sys.stderr)

    try:
        summary = run_job(
            args.input,
            args.output_dir,
            request,
            args.chunk_size,
            args.resume,
            runner,
            progress=not args.quiet,
            report=report,
        )
    except KeyboardInterrupt:
        raise KeyboardInterrupt("the outputs written so far are complete; run again with --resume to finish") from None
    if summary.failed:
        print(summary.line())
        names = [s for s, _ in summary.failed]
        if one:
            raise RuntimeError(named(names[0], names[0], summary.failed[0][1]))
        raise RuntimeError(
            f"{len(names)} of {summary.inputs} inputs failed (each named above): "
            f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
        )
    for line in held:
        print(f"{prog}: {command_flags(line)}", file=sys.stderr)
    return summary.line()

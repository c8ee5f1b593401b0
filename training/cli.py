"""``zedo-prepare`` and ``zedo-train``: thin commands over zedo.training.

Each parses its options, makes one library call (``prepare_h36m`` or ``prepare_bvh``;
``train_prior``) and prints what it wrote. Errors go through ``zedo.runtime.apps.commands.run_command``:
one line ``PROG: error: ...`` on stderr and exit status 2. Neither module imports torch, so
``--help`` works without it; ``train_prior`` says how to install it when training starts.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zedo.datasets.h36m import POSITIONS_FILE
from zedo.runtime.apps.commands import run_command

from .config import PriorConfig, TrainConfig
from .h36m import TRAIN_SUBJECTS, prepare_h36m
from .mocap import prepare_bvh
from .recipes import RECIPES
from .run import train_prior

PREPARE, TRAIN = "zedo-prepare", "zedo-train"
DATA_ROOT = "../shared/data"
# zedo-train's option -> the TrainConfig / PriorConfig field it overrides.
TRAIN_OPTIONS = {"steps": "steps", "batch_size": "batch_size", "lr": "lr", "seed": "seed", "threads": "threads"}
PRIOR_OPTIONS = {"hidden": "hidden_dim", "embed": "embed_dim", "blocks": "n_blocks"}


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def prepare_parser() -> argparse.ArgumentParser:
    """``zedo-prepare``'s options: a subcommand per source (h36m, bvh)."""
    p = argparse.ArgumentParser(
        prog=PREPARE, description="Make a training pose file (poses (M,17,3) metres, camera frame)."
    )
    sub = p.add_subparsers(dest="source", required=True)
    h = sub.add_parser("h36m", help="Human3.6M, VideoPose3D layout")
    h.add_argument("--data", required=True, help="folder with data_3d_h36m.npz and cameras.json")
    h.add_argument(
        "--subjects", nargs="+", default=list(TRAIN_SUBJECTS), help="subjects to take (default: %(default)s)"
    )
    h.add_argument("--every", type=_positive_int, default=1, help="keep every N-th frame (default: %(default)s)")
    h.add_argument("-o", "--output", required=True, help="the pose file to write, .npz")
    b = sub.add_parser("bvh", help="BVH motion capture (rig detected from joint names)")
    b.add_argument("inputs", nargs="+", help="BVH files or folders")
    b.add_argument(
        "--views", type=_positive_int, default=2, help="random camera views per frame (default: %(default)s)"
    )
    b.add_argument("--every", type=_positive_int, default=4, help="keep every N-th frame (default: %(default)s)")
    b.add_argument("--seed", type=int, default=0, help="seeds the camera views (default: %(default)s)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("-o", "--output", required=True, help="the pose file to write, .npz")
    return p


def _check_prepare_output(args: argparse.Namespace) -> None:
    """ValueError unless -o is an .npz file that is none of the inputs."""
    out = Path(args.output)
    if out.suffix.lower() != ".npz":
        raise ValueError(f"{out}: zedo-prepare writes an .npz pose file; end -o in .npz")
    inputs = [Path(args.data) / POSITIONS_FILE] if args.source == "h36m" else [Path(i) for i in args.inputs]
    if out.exists() and any(i.exists() and i.resolve() == out.resolve() for i in inputs):
        raise ValueError(f"{out}: -o would overwrite an input")


def _prepare(args: argparse.Namespace) -> None:
    """Write the prepared pose file of the chosen source; print its path and the time taken."""
    _check_prepare_output(args)
    t0 = time.time()
    if args.source == "h36m":
        out = prepare_h36m(args.data, args.output, tuple(args.subjects), args.every)
    else:
        out = prepare_bvh(
            args.inputs, args.output, views=args.views, every=args.every, seed=args.seed, progress=not args.quiet
        )
    print(f"wrote {out} in {time.time() - t0:.0f} s")


def prepare_main(argv=None) -> int:
    """``zedo-prepare``; returns the exit status."""
    return run_command(PREPARE, prepare_parser(), _prepare, argv)


def train_parser() -> argparse.ArgumentParser:
    """``zedo-train``'s options (config overrides left None when not given)."""
    p = argparse.ArgumentParser(
        prog=TRAIN, description="Train a ZeDO pose prior (writes a resumable .pt checkpoint with clusters)."
    )
    p.add_argument("--recipe", choices=sorted(RECIPES), help="a shipped prior's recipe (data and settings)")
    p.add_argument("--data-root", help=f"with --recipe: folder holding h36m/ and bandai/ (default: {DATA_ROOT})")
    p.add_argument("--data", action="append", default=[], help="prepared pose file (zedo-prepare); repeat to mix")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="checkpoint to write, .pt; if it exists and zedo-train wrote it with the same settings, "
        "training resumes from it (read as tensors only, never code); any other file is refused",
    )
    dp = PriorConfig()
    dt = TrainConfig()
    p.add_argument("--steps", type=int, help=f"optimiser steps (default: the recipe's, else {dt.steps})")
    p.add_argument("--batch-size", type=int, help=f"poses per step (default {dt.batch_size})")
    p.add_argument("--lr", type=float, help=f"peak Adam learning rate (default {dt.lr:g})")
    p.add_argument("--seed", type=int, help=f"seeds weights, batches, noise and clusters (default {dt.seed})")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: the recipe's, else torch's)")
    p.add_argument("--hidden", type=int, help=f"hidden width (default {dp.hidden_dim})")
    p.add_argument("--embed", type=int, help=f"time-embedding width (default {dp.embed_dim})")
    p.add_argument("--blocks", type=int, help=f"residual blocks (default {dp.n_blocks})")
    p.add_argument("--no-resume", action="store_true", help="start over even if the output exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _given(args: argparse.Namespace, options: dict[str, str]) -> dict:
    """{config field: value} of the options in ``options`` that were given."""
    return {field: getattr(args, dest) for dest, field in options.items() if getattr(args, dest) is not None}


def _train(args: argparse.Namespace) -> None:
    """Train (``train_prior``); print the checkpoint's path, its steps and the time taken."""
    if args.data_root is not None and args.recipe is None:
        raise ValueError("--data-root says where a --recipe's raw data lies; it does nothing with --data files")
    report = train_prior(
        args.output,
        recipe=args.recipe,
        data=args.data,
        data_root=args.data_root or DATA_ROOT,
        train_overrides=_given(args, TRAIN_OPTIONS),
        prior_overrides=_given(args, PRIOR_OPTIONS),
        resume=not args.no_resume,
        progress=not args.quiet,
    )
    print(f"wrote {report.path} ({report.steps} steps) in {report.seconds:.0f} s")


def train_main(argv=None) -> int:
    """``zedo-train``; returns the exit status."""
    return run_command(
        TRAIN,
        train_parser(),
        _train,
        argv,
        interrupted="the last periodic checkpoint, if any, is kept: the same command resumes from it",
    )

"""``zedo-eval``: accuracy of a prior through the runtime on Human3.6M (a thin shell over ``evaluate``).

    zedo-eval --engine h36m --track detected --every 256 -o result.json

Prints one row (MPJPE, PA-MPJPE in mm, PCK150, AUC in percent); ``-o`` also writes every field as
JSON (read by benchmarks/tables.py), atomically, its path checked before the run. Errors print one
line ``zedo-eval: error: ...`` and exit with status 2 (``zedo.runtime.apps.commands``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zedo.runtime.apps.commands import run_command
from zedo.runtime.apps.loop_options import add_loop_options
from zedo.runtime.apps.loop_settings import loop_config
from zedo.runtime.io.atomic import atomic_path, check_writable
from zedo.runtime.io.layouts import LAYOUTS

from .accuracy import evaluate
from .evalset import TRACKS

PROG = "zedo-eval"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Accuracy of a ZeDO prior on Human3.6M (mm).")
    p.add_argument(
        "--data", default="../shared/data/h36m", help="folder with data_3d_h36m.npz, cameras.json and the detections"
    )
    p.add_argument("--subject", default="S9", help="the Human3.6M subject to evaluate on (default: %(default)s)")
    p.add_argument("--every", type=int, default=64, help="every N-th frame per action and camera (1: all frames)")
    p.add_argument(
        "--track",
        choices=TRACKS,
        default="gt",
        help="2D: gt (projected truth), detected (Stacked Hourglass, spine and neck/nose missing) "
        "or detected-raw (every joint the detector gives, score 1) (default: %(default)s)",
    )
    p.add_argument(
        "--add-noise",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="add Gaussian noise of SIGMA px per coordinate to the 2D, drawn from --seed (default: %(default)s)",
    )
    p.add_argument(
        "--layout",
        choices=sorted(LAYOUTS),
        default="h36m17",
        help="write the 2D in this keypoint layout, as a detector of that layout would give it "
        "(the joints it shares with Human3.6M; default: %(default)s)",
    )
    p.add_argument(
        "--image-size",
        nargs=2,
        type=float,
        metavar=("W", "H"),
        help="give the image size instead of K (the runtime's default camera)",
    )
    p.add_argument(
        "--focal-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="give K with both focal lengths times X (a wrong focal length; default: %(default)s)",
    )
    add_loop_options(p)
    p.add_argument("--limit", type=int, default=0, help="evaluate at most this many poses, spread evenly (0: all)")
    p.add_argument(
        "--via-cli",
        action="store_true",
        help="run the installed zedo-infer command on the set written as an input file",
    )
    p.add_argument("-o", "--output", help="write the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def check_output(path) -> Path:
    """The ``-o`` path, checked before the long run: not a folder, and a file can be made in its
    folder (or in the nearest folder above it that exists). OSError naming the path."""
    return check_writable(path)


def format_row(r: dict) -> str:
    """One line of a result: prior, track, S, the errors, and (S > 1) the mean-hypothesis and oracle errors."""
    track = r["track"] + (f"+{r['added_noise_px']:g}px" if r.get("added_noise_px") else "")
    s = (
        f"{r['prior']:>8} {track:>12} S={r['hypotheses']:<3} MPJPE {r['mpjpe']:6.1f}  PA-MPJPE {r['pa_mpjpe']:6.1f}  "
        f"PCK150 {r['pck150']:5.1f}  AUC {r['auc']:5.1f}"
    )
    if "mpjpe_oracle" in r:
        s += (
            f"  | mean-hyp {r['mpjpe_mean_hyp']:.1f}/{r['pa_mpjpe_mean_hyp']:.1f}  "
            f"oracle {r['mpjpe_oracle']:.1f}/{r['pa_mpjpe_oracle']:.1f}"
        )
    return s + f"  ({r['poses']} poses, {r['seconds']:.0f} s)"


def run(args: argparse.Namespace) -> None:
    """One evaluation: print its row, and write its JSON where ``-o`` says."""
    output = check_output(args.output) if args.output else None
    config = loop_config(args)
    r = evaluate(
        args.data,
        args.engine,
        args.subject,
        args.every,
        args.track,
        args.hypotheses,
        config,
        args.batch_size,
        args.selection,
        args.limit,
        progress=not args.quiet,
        via_cli=args.via_cli,
        threads=args.threads,
        seed=args.seed,
        layout=args.layout,
        image_size=args.image_size,
        focal_scale=args.focal_scale,
        add_noise_px=args.add_noise,
    )
    print(format_row(r))
    if output:
        with atomic_path(output) as tmp:
            tmp.write_text(json.dumps(r, indent=1))


def main(argv=None) -> int:
    """Entry point of ``zedo-eval``; returns the exit status (0 success, 2 error, 130 interrupted)."""
    return run_command(PROG, build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())

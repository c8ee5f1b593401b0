"""``zedo-infer``: lift a file of 2D keypoints to 3D poses (a thin shell over ``estimate``).

    zedo-infer keypoints.npz -o poses.npz --hypotheses 5 --iterations 500

File formats: ``zedo.runtime.inputs``. Errors print one line ``zedo-infer: error: ...`` on stderr
and exit with status 2; the output file is written only when the whole run succeeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import numpy as np

from .api import SELECTIONS, estimate
from .engines import DEVICES, open_engine
from .inputs import check_output_path, load_input, save_output
from .loop import SAMPLERS, LoopConfig

PROG = "zedo-infer"


def build_parser() -> argparse.ArgumentParser:
    defaults = LoopConfig()
    p = argparse.ArgumentParser(prog=PROG, description="Lift 2D keypoints to metric 3D poses in the camera frame with ZeDO.")
    p.add_argument("input", help="keypoints and intrinsics: .npz or .json with keys keypoints (N,17,2) px, K (3,3) or (N,3,3), optional scores (N,17)")
    p.add_argument("-o", "--output", required=True, help="result file, .npz or .json (joints_3d (N,17,3) metres, translation (N,3), ...)")
    p.add_argument("--engine", default="default", help="bundled prior name (default, h36m) or engine file (.onnx, .trt/.engine/.plan); default: %(default)s")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="ONNX Runtime execution provider for .onnx priors: cpu, cuda or tensorrt (default: %(default)s)")
    p.add_argument("--hypotheses", type=int, default=1, metavar="S", help="hypotheses per pose, started from S cluster poses (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=defaults.iterations, metavar="N", help="loop iterations, one prior call each (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=1024, metavar="B", help="(pose, hypothesis) pairs per prior call (default: %(default)s)")
    p.add_argument("--selection", choices=SELECTIONS, default="prior", help="how the reported hypothesis is chosen (default: %(default)s)")
    p.add_argument("--sampler", choices=sorted(SAMPLERS), default=defaults.sampler, help="reverse-time step (default: %(default)s)")
    p.add_argument("--no-ipo", action="store_true", help="skip the initial yaw and distance fit")
    p.add_argument("--initial-candidates", type=int, default=defaults.initial_candidates, metavar="C", help="with one hypothesis, start from the best of C cluster poses; 1: the mean pose, as the release (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sde sampler's noise (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="ONNX Runtime intra-op threads; 0: its default (default: %(default)s)")
    p.add_argument("--plot", metavar="PNG", help="also draw the first poses (input 2D, reprojection, 3D front and side) to this PNG (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run(args: argparse.Namespace) -> str:
    """Do one inference run; returns the summary line."""
    output = check_output_path(args.output)
    inputs = load_input(args.input)
    engine = open_engine(args.engine, device=args.device, threads=args.threads)
    config = replace(LoopConfig(), iterations=args.iterations, sampler=args.sampler, ipo=not args.no_ipo, initial_candidates=args.initial_candidates)
    start = time.perf_counter()
    result = estimate(
        **inputs,
        engine=engine,
        hypotheses=args.hypotheses,
        config=config,
        batch_size=args.batch_size,
        selection=args.selection,
        seed=args.seed,
        progress=not args.quiet,
    )
    wall = time.perf_counter() - start
    save_output(output, result, engine=str(args.engine), iterations=args.iterations, sampler=args.sampler, ipo=not args.no_ipo, initial_candidates=args.initial_candidates, seed=args.seed)
    if args.plot:
        from .plot import plot_estimates

        plot_estimates(args.plot, result.joints_3d, inputs["keypoints"], inputs["K"])
    n, s = result.hypotheses.shape[:2]
    err = float(np.mean(result.reprojection_px[np.arange(n), result.selected]))
    return f"{n} poses x {s} hypotheses, {args.iterations} iterations in {wall:.2f} s; mean reprojection error {err:.2f} px -> {output}"


def main(argv=None) -> int:
    """Entry point of ``zedo-infer``; returns the exit status (0 success, 2 error)."""
    args = build_parser().parse_args(argv)
    try:
        summary = run(args)
    except (ValueError, OSError, RuntimeError) as e:
        # One line, no traceback: messages name the file and field at fault. OSError covers
        # FileNotFoundError and an unwritable output directory.
        message = " ".join(str(e).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

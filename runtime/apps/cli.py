"""``zedo-infer``: lift a file of 2D keypoints to 3D poses (a thin shell over ``estimate``).

    zedo-infer keypoints.npz -o poses.npz --hypotheses 5 --iterations 500

File formats: ``zedo.runtime.io.formats``. Errors print one line ``zedo-infer: error: ...`` on stderr
and exit with status 2 (``zedo.runtime.apps.commands``); the output file is written only when the
whole run succeeds.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.config import PRESETS, LoopConfig
from ..engines.open import DEVICES, open_engine
from ..io.atomic import atomic_path, check_writable
from ..io.formats import check_output_path, load_input
from ..io.layouts import LAYOUTS
from ..pipeline.jobs import FORMAT_SUFFIX, write_result
from ..video.stream import StreamConfig
from ..video.tracks import is_video, lift_inputs
from .commands import add_loop_options, run_command
from .jobs_cli import add_job_options, many_inputs, run_job_command, run_options
from .plot import ANIMATION_SUFFIXES, animation_writer, plot_inputs

PROG = "zedo-infer"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description="Lift 2D keypoints to metric 3D poses in the camera frame with ZeDO."
    )
    p.add_argument(
        "input",
        nargs="+",
        help="keypoints (one, or several with --output-dir): zedo's .npz/.json (keypoints (N,J,2) px, K or image_size, optional scores, layout, frame, track), "
        "an OpenPose output folder, MMPose's prediction .json or AlphaPose's result .json",
    )
    p.add_argument(
        "-o",
        "--output",
        help="result file, .npz or .json (joints_3d (N,17,3) metres, translation (N,3), valid (N,), K, ...)",
    )
    p.add_argument(
        "--output-format",
        choices=tuple(FORMAT_SUFFIX),
        default="zedo",
        help="zedo's fields (.npz, or .json by -o's suffix), zedo's fields as JSON, or MMPose's per-frame JSON with keypoints_3d (default: %(default)s)",
    )
    p.add_argument(
        "--layout",
        choices=sorted(LAYOUTS),
        help="keypoint layout of the input (default: the file's, else inferred from the keypoint count; 17 means h36m17)",
    )
    p.add_argument(
        "--image-size",
        nargs=2,
        type=float,
        metavar=("W", "H"),
        help="image width and height in pixels: the camera when the input has no K, and the scale of mediapipe33's [0, 1] coordinates",
    )
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="where an .onnx prior runs: ONNX Runtime's cpu, cuda or tensorrt execution provider (cpu: "
        "the layers of t alone once per t where the graph allows, the same result); cpu-split (that, or an error); cpu-whole (the whole graph "
        "each call); cpu-numpy (its weights as NumPy matrix products) (default: %(default)s)",
    )
    add_loop_options(p)
    p.add_argument(
        "--per-frame",
        action="store_true",
        help="lift every pose on its own, unsmoothed, even when the input has frame indices (default: such a video input is lifted as a recorded video, each track smoothed)",
    )
    p.add_argument(
        "--no-filter",
        action="store_true",
        help="a video input unsmoothed: each frame as lifted (default: each track smoothed over time in both directions, zedo.runtime.video.smoothing)",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=25.0,
        help="frames per second of a video input: the smoothing's clock and the animation's rate (default: %(default)s)",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the first poses (input 2D, reprojection, 3D front and side) to this PNG, or a video input's first track to a .gif or .mp4 (needs matplotlib)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_job_options(p)
    return p


def check_plot_path(path, output: Path) -> Path:
    """The ``--plot`` path, checked before the run: a .png (or an animation, ``plot.animation_writer``)
    that is not the output, with matplotlib installed. ValueError (RuntimeError for matplotlib)
    naming what is wrong."""
    path = Path(path)
    if path.suffix.lower() not in (".png",) + ANIMATION_SUFFIXES:
        raise ValueError(
            f"{path}: --plot writes a PNG (.png), or a {' or '.join(ANIMATION_SUFFIXES)} animation of a video input"
        )
    if path.resolve() == output.resolve():
        raise ValueError(f"{path}: --plot and -o name the same file")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RuntimeError("--plot needs matplotlib: pip install matplotlib (or zedo[viz])") from None
    if path.suffix.lower() in ANIMATION_SUFFIXES:
        animation_writer(path)
    return check_writable(path, "the plot")


def video_config(args: argparse.Namespace, config: LoopConfig) -> StreamConfig:
    """A video input's settings: its frame rate, and its frames' loop iterations: the stream mode's
    short loop, unless ``--iterations`` or a ``--preset`` other than default names a count (that
    of ``config``). ValueError naming a bad --fps."""
    if not math.isfinite(args.fps) or not 0 < args.fps <= 1000:
        raise ValueError(f"--fps must be a frame rate in (0, 1000], got {args.fps}")
    stream = StreamConfig(fps=args.fps)
    chosen = args.iterations is not None or "iterations" in PRESETS[args.preset]
    return replace(stream, iterations=config.iterations) if chosen else stream


def run(args: argparse.Namespace) -> str:
    """Do one inference run; returns the summary line."""
    if many_inputs(args):
        return run_job_command(args, PROG)
    source = args.input[0]
    output = check_output_path(args.output, inputs=[source])
    plot = check_plot_path(args.plot, output) if args.plot else None
    options = run_options(args)
    config = options.config
    inputs = load_input(source, layout=args.layout, image_size=args.image_size)
    for note in inputs.notes:
        print(f"{PROG}: {note}", file=sys.stderr)
    engine = open_engine(args.engine, device=args.device, threads=args.threads)
    start = time.perf_counter()
    stream = video_config(args, config)
    result = lift_inputs(
        inputs,
        engine,
        args.hypotheses,
        config,
        args.batch_size,
        args.selection,
        args.seed,
        not args.quiet,
        args.per_frame,
        plot,
        str(source),
        args.no_filter,
        stream,
    )
    wall = time.perf_counter() - start
    if not result.valid.all():
        print(
            f"{PROG}: {int((~result.valid).sum())} of {len(result.valid)} poses could not be lifted (pelvis or a hip missing, keypoints all at one point, or the prior's output not finite): written with valid = 0 and NaN joints",
            file=sys.stderr,
        )
    # The picture is drawn first and moved into place only once the output is written: a failure in
    # either leaves neither.
    with atomic_path(plot) if plot else nullcontext() as plot_tmp:
        if plot:
            plot_inputs(plot_tmp, inputs, result.joints_3d, args.fps)
        write_result(output, result, inputs, options, args.output_format)
    n, s = result.hypotheses.shape[:2]
    err = float(np.nanmean(result.reprojection_px[np.arange(n), result.selected]))
    iterations = stream.iterations if is_video(inputs) and not args.per_frame else config.iterations
    return f"{n} poses x {s} hypotheses, {iterations} iterations in {wall:.2f} s; mean reprojection error {err:.2f} px -> {output}"


def main(argv=None) -> int:
    """Entry point of ``zedo-infer``; returns the exit status (0 success, 2 error, 130 interrupted)."""
    return run_command(PROG, build_parser(), lambda args: print(run(args)), argv)


if __name__ == "__main__":
    sys.exit(main())

"""``zedo-infer``: lift a file of 2D keypoints to 3D poses (a thin shell over ``estimate``).

    zedo-infer keypoints.npz -o poses.npz --hypotheses 5 --iterations 500

File formats: ``zedo.runtime.io.formats``. Errors print one line ``zedo-infer: error: ...`` on stderr
and exit with status 2 (``zedo.runtime.apps.commands``); the output file is written only when the
whole run succeeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.config import PRESETS
from ..core.errors import command_flags
from ..core.text import counted
from ..engines.open import DEVICES
from ..io.atomic import atomic_path
from ..io.formats import check_output_path
from ..io.frame_rate import input_fps
from ..io.layouts import LAYOUTS
from ..io.validation import Inputs
from ..pipeline.request import FORMAT_SUFFIX, Request
from ..pipeline.run import Lifted, check_write, lift_source, lifts_as_video, write_result
from .camera_options import add_camera_options, camera_fields
from .commands import run_command
from .export_options import add_export_options, export_fields
from .first_look import COMMON, default_output
from .jobs_cli import add_job_options, many_inputs, run_job_command
from .loop_options import add_loop_options
from .loop_settings import GRAVITY_HELP, gravity_of, run_request
from .media_cli import add_media_options, default_fps, media_of, run_media_command
from .plot import ANIMATION_SUFFIXES, check_plot_path, plot_inputs

PROG = "zedo-infer"


def _add_input_output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        nargs="*",
        help="a video, an image or a folder of images (the 2D from --detector), or keypoints (one, or several "
        "with --output-dir): zedo's .npz/.json (keypoints (N,J,2) px, K or "
        "image_size, optional scores, layout, frame, track), an OpenPose output folder, MMPose's prediction "
        ".json or AlphaPose's result .json",
    )
    p.add_argument(
        "-o",
        "--output",
        help="a media input's output folder; else the result file, .npz or .json (joints_3d (N,17,3) metres, "
        "translation (N,3), valid (N,), K, ...); "
        ".csv (one table), .trc or .bvh (one file per track: out.track0.bvh, ...)",
    )
    p.add_argument(
        "--output-format",
        choices=tuple(FORMAT_SUFFIX),
        default="zedo",
        help="zedo's fields (.npz, or .json by -o's suffix), zedo's fields as JSON, or MMPose's per-frame JSON "
        "with keypoints_3d (default: %(default)s)",
    )
    p.add_argument(
        "--layout",
        choices=sorted(LAYOUTS),
        help="keypoint layout of the input (default: the file's, else inferred from the keypoint count; "
        "17 means h36m17)",
    )
    p.add_argument(
        "--image-size",
        nargs=2,
        type=float,
        metavar=("W", "H"),
        help="image width and height in pixels: the camera when the input has no K, and the scale of "
        "mediapipe33's [0, 1] coordinates",
    )
    p.add_argument("--gravity", nargs="+", metavar="G", help=GRAVITY_HELP)
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="where an .onnx prior runs: ONNX Runtime's cpu, cuda or tensorrt execution provider (cpu: "
        "the layers of t alone once per t where the graph allows, the same result); cpu-split (that, or an "
        "error); cpu-whole (the whole graph each call); cpu-numpy (its weights as NumPy matrix products) "
        "(default: %(default)s)",
    )


def _add_video_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--per-frame",
        action="store_true",
        help="lift every pose on its own, unsmoothed, even when the input has frame indices (default: such a "
        "video input is lifted as a recorded video, each track smoothed)",
    )
    p.add_argument(
        "--no-filter",
        action="store_true",
        help="a video input unsmoothed: each frame as lifted (default: each track smoothed over time in both "
        "directions, zedo.runtime.video.smoothing)",
    )
    p.add_argument(
        "--fps", type=float, help=f"a video's frames per second (default: {Request.fps:g}): its smoothing's clock"
    )
    p.add_argument("--retrack", action="store_true", help="redo a video's person ids (default: kept; none: tracked)")
    p.add_argument("--trust-edges", action="store_true", help="keypoints on the image's edge keep their scores")
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the first poses (input 2D, reprojection, 3D front and side) to this PNG, or a video "
        "input's first track to a .gif or .mp4 (needs matplotlib)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s INPUT [INPUT ...] [-o OUTPUT] [options]",
        description="Lift 2D keypoints to metric 3D poses in the camera frame with ZeDO.",
        epilog="Every option: --help-all. The docs: docs/index.md.",
    )
    _add_input_output(p)
    add_camera_options(p)
    add_loop_options(p)
    _add_video_options(p)
    add_export_options(p)
    add_media_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_job_options(p)
    return p


def request_of(args: argparse.Namespace) -> Request:
    """The run's ``Request``: the loop options, and zedo-infer's own (device, reading, video, output).
    A video's frames run the stream mode's short loop unless ``--iterations`` or a ``--preset``
    that names a count says otherwise. ValueError naming the flag."""
    request = run_request(
        args,
        device=args.device,
        layout=args.layout,
        **camera_fields(args),
        per_frame=args.per_frame,
        smooth=not args.no_filter,
        fps=default_fps(args),
        retrack=args.retrack,
        trust_edges=args.trust_edges,
        output_format=args.output_format,
        **export_fields(args),
        gravity=gravity_of(args.gravity),
    )
    chosen = args.iterations is not None or "iterations" in PRESETS[args.preset]
    return replace(request, frame_iterations=request.config.iterations) if chosen else request


def _on_read(plot: Path | None, request: Request, source) -> Callable[[Inputs], None]:
    """What zedo-infer does once the input is read and checked, before the lift: the refusal of an
    animation of what is not a video, then its notes on stderr."""

    def on_read(inputs: Inputs) -> None:
        if plot is not None and plot.suffix.lower() in ANIMATION_SUFFIXES and not lifts_as_video(inputs, request):
            raise ValueError(
                f"{plot}: an animation draws a video input (frame and track indices) in the stream mode; "
                "draw a .png, or drop --per-frame"
            )
        for note in inputs.notes:
            print(f"{PROG}: {command_flags(note)}", file=sys.stderr)

    return on_read


def _summary(lifted: Lifted, request: Request, wall: float, output: str) -> str:
    result = lifted.result
    n, s = result.hypotheses.shape[:2]
    err = float(np.nanmean(result.reprojection_px[np.arange(n), result.selected]))
    video = lifts_as_video(lifted.inputs, request)
    iterations = request.stream.iterations if video else request.config.iterations
    return (
        f"{counted(n, 'pose')} x {counted(s, 'hypothesis')}, {counted(iterations, 'iteration')} in {wall:.2f} s; "
        f"mean reprojection error {err:.2f} px -> {output}"
    )


def run(args: argparse.Namespace) -> str:
    """Do one inference run; returns the summary line."""
    request, media = request_of(args), media_of(args)
    if media is not None:
        return run_media_command(args, request, media, PROG)
    if many_inputs(args):
        return run_job_command(args, request, PROG)
    source = args.input[0]
    output = check_output_path(args.output or default_output(source, args.output_format), inputs=[source])
    check_write(output, request)
    plot = check_plot_path(args.plot, output) if args.plot else None
    engine = request.open_engine()
    start = time.perf_counter()
    lifted = lift_source(source, request, engine, progress=not args.quiet, on_read=_on_read(plot, request, source))
    wall = time.perf_counter() - start
    if args.fps is None and input_fps(source) is None and lifts_as_video(lifted.inputs, request):
        print(f"{PROG}: no frame rate given: {request.fps:g} fps assumed for the smoothing (--fps)", file=sys.stderr)
    valid = lifted.result.valid
    if not valid.all():
        print(
            f"{PROG}: {int((~valid).sum())} of {counted(len(valid), 'pose')} could not be lifted "
            "(fewer than 5 joints seen, keypoints all at one point, or the prior's output not finite): "
            "written with valid = 0 and NaN joints",
            file=sys.stderr,
        )
    # The picture is drawn first and moved into place only once the output is written: a failure in
    # either leaves neither.
    with atomic_path(plot) if plot else nullcontext() as plot_tmp:
        if plot:
            plot_inputs(plot_tmp, lifted.inputs, lifted.result.joints_3d, request.fps, source)
        written = write_result(output, lifted, request)
    return _summary(lifted, request, wall, ", ".join(map(str, written)))


def main(argv=None) -> int:
    """Entry point of ``zedo-infer``; returns the exit status (0 success, 2 error, 130 interrupted)."""
    return run_command(PROG, build_parser(), lambda args: print(run(args)), argv, common=COMMON)


if __name__ == "__main__":
    sys.exit(main())

"""``zedo-infer`` on media: a video, an image, a folder of images (the input) or a camera
(``--source 0``) in; the 2D (``keypoints2d.npz``), the 3D (``poses3d.npz``, ``poses3d.json``) and an
overlay (``overlay.mp4``; photos: ``overlay.png``) out, in one folder (``-o DIR``; default
``<name>_zedo/`` beside the input). The run: ``pipeline.media_run``; the flags here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import command_flags
from ..core.text import counted
from ..detect.table import DETECTORS
from ..io.frame_rate import input_fps
from ..media.decode import MediaReader
from ..media.sources import Source, media_source, parse_source
from ..pipeline.media_run import MediaResult, default_folder, open_media_detector, run_media
from ..pipeline.request import Request


def add_media_options(p: argparse.ArgumentParser) -> None:
    """The flags of a media input (``media_of`` and ``run_media_command`` read them)."""
    g = p.add_argument_group("video, photos, camera", "A video, an image or a folder of images as the input.")
    g.add_argument(
        "--source",
        metavar="SRC",
        help="the input as media: a camera index (0), or a video, image or folder of images (instead of INPUT)",
    )
    g.add_argument(
        "--detector",
        choices=("auto",) + tuple(DETECTORS),
        default="auto",
        help="the 2D detector of media input: "
        + "; ".join(f"{name}: {row.help}" for name, row in DETECTORS.items())
        + " (default: %(default)s, the first that runs here)",
    )
    g.add_argument(
        "--detector-model",
        metavar="PATH",
        help="a local model for the detector, as docs/detectors.md says (default: its own)",
    )
    g.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames (a camera: default 250, or Ctrl-C)")


def media_of(args: argparse.Namespace) -> Source | None:
    """The media source of a zedo-infer call (``--source``, or one INPUT that is a video, an image
    or a folder of images), else None (keypoint files). ValueError for a bad combination."""
    if args.source is not None:
        if args.input:
            raise ValueError(f"--source {args.source} and INPUT {args.input[0]}: give one")
        return parse_source(args.source)
    if not args.input:
        raise ValueError("give an INPUT (keypoints, a video, an image or a folder of images) or --source")
    source = media_source(args.input[0])
    if source is not None and (len(args.input) > 1 or args.output_dir is not None):
        raise ValueError(f"{args.input[0]}: media inputs run one at a time, with -o DIR (not --output-dir)")
    return source


def default_fps(args: argparse.Namespace) -> float:
    """The frame rate of a keypoint input: ``--fps``, else the one input file's ``fps`` field
    (``io.frame_rate``), else ``Request.fps``."""
    if args.fps is not None:
        return args.fps
    found = input_fps(args.input[0]) if len(args.input) == 1 else None
    return Request.fps if found is None else found


def _summary(result: MediaResult, folder: Path) -> str:
    lifted = result.lift.lifted
    n, track = len(lifted.result.valid), lifted.inputs.track
    names = ", ".join(sorted({p.relative_to(folder).parts[0] for p in result.files}))
    if result.fps is None:
        what = f"{counted(result.frames, 'photo')}: {counted(n, 'pose')}"
    else:
        people = counted(len(set(track.tolist())), "track") if track is not None else "per frame"
        what = f"{counted(result.frames, 'frame')} at {result.fps:g} fps: {counted(n, 'pose')} in {people}"
    return f"{what} -> {folder}/ ({names})"


def run_media_command(args: argparse.Namespace, request: Request, source: Source, prog: str) -> str:
    """Run a media input as zedo-infer's flags say; its notes on stderr; returns the last line."""
    folder = Path(args.output) if args.output else default_folder(source)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder}: -o names the output folder of a media input; this is a file")
    max_frames = args.max_frames if args.max_frames is not None or source.kind != "camera" else 250
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"--max-frames must be >= 1, got {max_frames}")
    reader = MediaReader(source, max_frames, request.threads)
    detector = open_media_detector(args.detector, args.detector_model, max(1, request.threads))
    engine = request.open_engine()
    result = run_media(reader, detector, request, folder, engine, args.fps is not None, not args.quiet)
    for note in result.notes:
        print(f"{prog}: {command_flags(note)}", file=sys.stderr)
    return _summary(result, folder)

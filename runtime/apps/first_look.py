"""What a new user of ``zedo-infer`` meets first: the flags ``--help`` lists, each with a short help
(``--help-all`` lists every flag with its full help: ``apps.commands``), and where the result goes
when ``-o`` is not given."""

from __future__ import annotations

from pathlib import Path

from ..detect.table import DETECTORS
from ..io.layouts import LAYOUTS
from ..pipeline.request import FORMAT_SUFFIX

# What --help lists, with its short help (--help-all: every flag, with its full help).
COMMON = {
    "input": "a video, image or folder of images; or keypoints (zedo's .npz/.json, OpenPose, MMPose, AlphaPose)",
    "-o": "output file: .npz .json .csv .trc .bvh (default: INPUT.3d.npz); a video's: a folder (NAME_zedo/)",
    "--detector": "a video's 2D detector: auto, " + ", ".join(DETECTORS) + " (default: auto)",
    "--layout": "keypoint layout: " + ", ".join(sorted(LAYOUTS)) + " (default: the file's, else by count)",
    "--image-size": "image width and height in pixels, for an input without K",
    "--intrinsics": "a calibrated camera's focal lengths and principal point, pixels",
    "--camera": "a calibration file (OpenCV .yml/.json, COLMAP cameras.txt, Pose2Sim .toml)",
    "--engine": "bundled prior (default, h36m) or an .onnx/.trt file (default: default)",
    "--preset": "named settings: default, noisy, paper, v1 (default: default)",
    "--device": "cpu, cuda or tensorrt (default: cpu)",
    "--threads": "CPU threads for the prior, 0: all (default: 0)",
    "--fps": "a video's frame rate (default: the file's, else 25)",
    "--per-frame": "lift each pose on its own, even in a video",
    "--plot": "also draw the poses to a .png (or a video's track to .gif/.mp4)",
    "--output-dir": "many inputs: one output each in DIR (instead of -o)",
    "--quiet": "no progress bar",
}


def default_output(source, output_format: str = "zedo") -> Path:
    """Where the result goes without -o: beside the input, its name with ``.3d`` and the format's
    suffix (clip.json -> clip.3d.npz, an OpenPose folder frames/ -> frames.3d.npz)."""
    source = Path(source)
    return source.parent / f"{source.stem if source.is_file() else source.name}.3d{FORMAT_SUFFIX[output_format]}"

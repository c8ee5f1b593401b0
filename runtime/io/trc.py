"""OpenSim's TRC markers (Pose2Sim, OpenCap): one file per track, tab-separated, metres.

    PathFileType  4  (X/Y/Z)  out.track0.trc
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  OrigNumFrames
    25  25  75  17  m  25  1  75
    Frame#  Time  pelvis      r_hip  ...           (each marker name, then two empty cells)
                  X1  Y1  Z1  X2  Y2  Z2  ...
    (an empty line, then one row per pose)
    1  0.000000  x y z ...

Markers are ``core.skeleton.JOINT_NAMES``; ``Frame#`` is the input's frame index + 1 and ``Time``
its index over the frame rate (s); a pose that could not be lifted has empty cells. World
coordinates come Y up (``io.exports``).
"""

from __future__ import annotations

import numpy as np

from ..core.skeleton import JOINT_NAMES, NUM_JOINTS

RATE_FIELDS = ("DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate")
RATE_FIELDS += ("OrigDataStartFrame", "OrigNumFrames")


def _cell(v: float) -> str:
    return f"{v:.6f}" if np.isfinite(v) else ""


def trc_text(poses: np.ndarray, frame: np.ndarray, fps: float, name: str) -> str:
    """The TRC file of one track: poses (F, 17, 3) metres, frame ids (F,) increasing."""
    n, rate = len(poses), f"{fps:g}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{name}",
        "\t".join(RATE_FIELDS),
        "\t".join([rate, rate, str(n), str(NUM_JOINTS), "m", rate, str(int(frame[0]) + 1), str(n)]),
        "\t".join(["Frame#", "Time"] + [f"{m}\t\t" for m in JOINT_NAMES]).rstrip("\t"),
        "\t".join(["", ""] + [f"{a}{j + 1}" for j in range(NUM_JOINTS) for a in "XYZ"]),
        "",
    ]
    for f, pose in zip(frame, poses):
        lines.append("\t".join([str(int(f) + 1), f"{f / fps:.6f}"] + [_cell(v) for v in pose.reshape(-1)]))
    return "\n".join(lines) + "\n"


def write_trc(path, poses: np.ndarray, frame: np.ndarray, fps: float, name: str) -> None:
    """Write one track (``trc_text``) to ``path``; ``name`` the file's own name for the header."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(trc_text(poses, frame, fps, name))

"""CSV of 3D poses: one table of every track, long (one row per joint of each pose).

    # zedo 3D joints; metres; <the coordinates>
    frame,track,joint,x_m,y_m,z_m
    0,0,pelvis,0.012345,...

``frame`` and ``track`` as the input's (else the row index and 0), ``joint`` one of
``core.skeleton.JOINT_NAMES`` (17 rows per pose, in that order), x_m, y_m, z_m metres in the
coordinates the header names; an empty cell is a pose that could not be lifted. pandas reads it
with ``pandas.read_csv(path, comment="#")``.
"""

from __future__ import annotations

import numpy as np

from ..core.skeleton import JOINT_NAMES, NUM_JOINTS

HEADER = "frame,track,joint,x_m,y_m,z_m"


def _number(v: float) -> str:
    return f"{v:.6f}" if np.isfinite(v) else ""


def write_csv(path, poses: np.ndarray, frame: np.ndarray, track: np.ndarray, coordinates: str) -> None:
    """Write poses (N, 17, 3) metres with their frame and track ids (N,) to ``path`` as the module's
    table; ``coordinates`` describes them in the header comment."""
    lines = [f"# zedo 3D joints; metres; {coordinates}", HEADER]
    for i, pose in enumerate(np.asarray(poses, dtype=np.float64)):
        head = f"{int(frame[i])},{int(track[i])},"
        lines += [head + JOINT_NAMES[j] + "," + ",".join(map(_number, pose[j])) for j in range(NUM_JOINTS)]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")

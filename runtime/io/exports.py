"""3D poses for animation and biomechanics, by the output's suffix: ``.csv`` (one table of every
track, ``io.table``), ``.trc`` (OpenSim's markers, ``io.trc``) and ``.bvh`` (a rig, ``io.bvh``),
the last two one file per track: ``out.bvh`` -> ``out.track0.bvh``, ``out.track1.bvh``, ... (the
input's track ids; an input without tracks is track 0, its rows the frames).

Coordinates as given (``Motion.coordinates``): "camera" (x right, y down, z forward) is written
as is; "world" (z up, the floor at z = 0, ``video.floor``) is written as is to CSV, and turned to
the Y-up axes that BVH and OpenSim expect: BVH (X, Y, Z) = world (y, z, x) (the camera's view
along +Z, left +X), TRC (X, Y, Z) = world (x, z, -y) (the view along +X, right +Z). Metres.
Every file of an export is written atomically, all of them or none.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_path

EXPORT_SUFFIXES = (".bvh", ".csv", ".trc")
PER_TRACK = (".bvh", ".trc")
COORDINATES = ("camera", "world")
# World (x, y, z) -> each format's axes: index and sign of the world axis along each.
Y_UP = {".bvh": ((1, 2, 0), (1.0, 1.0, 1.0)), ".trc": ((0, 2, 1), (1.0, 1.0, -1.0))}
WORLD_AXES = "x: the camera's view along the floor, y: left, z: up; the floor at z = 0"
CAMERA_AXES = "camera frame: x right, y down, z forward"


@dataclass(frozen=True)
class Motion:
    """Poses (N, 17, 3) metres (NaN: not lifted), their ``frame`` and ``track`` ids (N,), the
    frame rate ``fps`` and the ``coordinates`` ("camera" or "world")."""

    poses: np.ndarray
    frame: np.ndarray
    track: np.ndarray
    fps: float = 25.0
    coordinates: str = "camera"

    def tracks(self) -> list[tuple[int, np.ndarray]]:
        """(track id, its rows in frame order) for each track, in increasing id."""
        return [
            (int(t), rows[np.argsort(self.frame[rows], kind="stable")])
            for t in np.unique(self.track)
            for rows in [np.flatnonzero(self.track == t)]
        ]

    def axes_for(self, suffix: str) -> np.ndarray:
        """Poses (N, 17, 3) in the axes of ``suffix``'s format (see the module docstring)."""
        if self.coordinates != "world" or suffix not in Y_UP:
            return np.asarray(self.poses, dtype=np.float64)
        index, sign = Y_UP[suffix]
        return np.asarray(self.poses, dtype=np.float64)[..., list(index)] * np.asarray(sign)


def motion_of(poses, frame=None, track=None, fps: float = 25.0, coordinates: str = "camera") -> Motion:
    """A ``Motion`` of poses (N, 17, 3); ``frame`` None: the row index, ``track`` None: track 0."""
    n = len(poses)
    frame = np.arange(n) if frame is None else np.asarray(frame, dtype=np.int64)
    track = np.zeros(n, np.int64) if track is None else np.asarray(track, dtype=np.int64)
    return Motion(np.asarray(poses, dtype=np.float64), frame, track, float(fps), coordinates)


def export_joints(path, joints_3d, inputs=None, fps: float = 25.0, coordinates: str = "camera", **_fields) -> list:
    """``write_export`` of joints (N, 17, 3) with the ``frame`` and ``track`` of ``inputs`` (an
    ``io.validation.Inputs`` or None); other fields of a zedo-format output are not written."""
    index = {k: getattr(inputs, k, None) for k in ("frame", "track")}
    return write_export(path, motion_of(joints_3d, **index, fps=float(fps), coordinates=str(coordinates)))


def track_path(path, track: int) -> Path:
    """The file of one track of a per-track export: ``out.bvh`` -> ``out.track0.bvh``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.track{track}{path.suffix}")


def export_paths(path, motion: Motion) -> list[Path]:
    """The files an export of ``motion`` to ``path`` writes."""
    path = Path(path)
    if path.suffix.lower() not in PER_TRACK:
        return [path]
    return [track_path(path, t) for t, _ in motion.tracks()]


def write_export(path, motion: Motion) -> list[Path]:
    """Write ``motion`` in the format of ``path``'s suffix (``EXPORT_SUFFIXES``), every file or
    none; returns the files written. bvhio is needed for .bvh (imported here, only then)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from .table import write_csv

        with atomic_path(path) as tmp:
            axes = WORLD_AXES if motion.coordinates == "world" else CAMERA_AXES
            write_csv(tmp, motion.poses, motion.frame, motion.track, f"{motion.coordinates} coordinates ({axes})")
        return [path]
    if suffix == ".bvh":
        from .bvh import write_bvh as write_one
    else:
        from .trc import write_trc as write_one
    poses = motion.axes_for(suffix)
    with ExitStack() as stack:
        for (_, rows), final in zip(motion.tracks(), export_paths(path, motion)):
            tmp = stack.enter_context(atomic_path(final))
            write_one(tmp, poses[rows], motion.frame[rows], motion.fps, final.name)
    return export_paths(path, motion)

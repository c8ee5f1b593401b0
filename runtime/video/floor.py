"""The world frame of ``--frame world``: z up, the floor at z = 0 under the feet, x along the
camera's view projected on the floor, y = z x x (to the left of the view); metres.

The floor comes from the feet over the whole input (every track, as one camera saw them): in each
pose the lower ankle, then a plane through those points, refitted while dropping points more than
2.5 robust deviations off it (a raised foot). Where the points do not span a plane (under
``MIN_SPREAD`` across: one pose, someone walking a straight line) the floor holds their line and is
otherwise level with the camera's x axis; where they do not span a line either (or the line is
steeper than ``MAX_LINE_SLOPE`` against a level camera's floor: a raised leg, someone sitting), the
camera is taken as level (up = the camera's -y). A known up direction (``up``; ``up_of_gravity``
of a request's ``gravity``) replaces the fit of the floor's tilt. The floor lies ``ANKLE_HEIGHT``
below the ankles' level (their 20th percentile height), an assumed height of the ankle joint above
the sole. The camera stands above the origin: world = ``rotation`` @ camera + ``translation``,
translation (0, 0, camera height). Measured on S9: ``benchmarks/floor.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANKLES = (3, 6)
ANKLE_HEIGHT = 0.08
MIN_SPREAD = 0.15  # m, the standard deviation of the foot points across a direction
CAMERA_UP = np.array([0.0, -1.0, 0.0])
MAX_LINE_SLOPE = 25.0  # degrees: a steeper line of feet (a raised leg, sitting) is not taken as the floor


@dataclass(frozen=True)
class WorldFrame:
    """world = ``rotation`` (3, 3) @ camera + ``translation`` (3,); ``method`` says how the floor's
    tilt was found ("plane", "line", "level" or "given")."""

    rotation: np.ndarray
    translation: np.ndarray
    method: str

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) in the world frame."""
        return np.asarray(points) @ self.rotation.T + self.translation


def _lower_ankles(poses: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(M, 3): the lower ankle (along ``up``) of every pose whose ankles are finite."""
    ankles = poses[:, ANKLES]
    heights = np.where(np.isfinite(ankles).all(-1), ankles @ up, np.inf)
    low = np.argmin(heights, axis=1)
    keep = np.isfinite(heights.min(axis=1))
    return ankles[np.arange(len(poses)), low][keep]


def _plane_normal(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The floor's unit normal (towards ``up``) through points (M, 3), trimmed of raised feet."""
    keep = np.ones(len(points), bool)
    for _ in range(5):
        centre = points[keep].mean(axis=0)
        normal = np.linalg.svd(points[keep] - centre)[2][2]
        normal = normal if normal @ up >= 0 else -normal
        h = (points - centre) @ normal
        med = np.median(h[keep])
        keep = np.abs(h - med) <= 2.5 * 1.4826 * np.median(np.abs(h[keep] - med)) + 0.01
    return normal


def floor_normal(points: np.ndarray) -> tuple[np.ndarray, str]:
    """The floor's up direction from foot points (M, 3) and the method (see the module docstring)."""
    centred = points - points.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False) if len(points) > 1 else (None, [0.0], np.eye(3))
    spread = np.asarray(s) / np.sqrt(max(len(points) - 1, 1))
    if len(spread) > 1 and spread[1] >= MIN_SPREAD:
        normal = _plane_normal(points, CAMERA_UP)
        if normal @ CAMERA_UP > np.cos(np.radians(60)):
            return normal, "plane"
    if spread[0] >= MIN_SPREAD and abs(vt[0] @ CAMERA_UP) < np.sin(np.radians(MAX_LINE_SLOPE)):
        line = vt[0]
        normal = CAMERA_UP - (CAMERA_UP @ line) * line
        return normal / np.linalg.norm(normal), "line"
    return CAMERA_UP.copy(), "level"


def up_of_gravity(gravity) -> np.ndarray | None:
    """The up direction (3,) of a known gravity (a down vector in camera coordinates, or "level":
    (0, 1, 0)); None where gravity is not known (None: the floor's tilt is fitted)."""
    if gravity is None:
        return None
    down = np.array([0.0, 1.0, 0.0]) if isinstance(gravity, str) and gravity == "level" else np.asarray(gravity, float)
    return -down / np.linalg.norm(down)


def world_frame(poses: np.ndarray, up: np.ndarray | None = None) -> WorldFrame:
    """The world frame of camera-frame poses (N, 17, 3) metres (NaN rows ignored); ``up`` (3,) the
    known up direction in the camera frame, if any. ValueError when no pose has both ankles' position."""
    poses = np.asarray(poses, dtype=np.float64)
    points = _lower_ankles(poses, CAMERA_UP if up is None else up)
    if not len(points):
        raise ValueError("frame='world' needs the feet: no pose has finite ankles to find the floor from")
    if up is None:
        z, method = floor_normal(points)
        points = _lower_ankles(poses, z)
    else:
        z, method = np.asarray(up, float) / np.linalg.norm(up), "given"
    view = np.array([0.0, 0.0, 1.0]) - z[2] * z
    if np.linalg.norm(view) < 1e-6:  # looking straight down: the camera's y axis on the floor
        view = np.array([0.0, 1.0, 0.0]) - z[1] * z
    x = view / np.linalg.norm(view)
    rotation = np.stack([x, np.cross(z, x), z])
    level = np.percentile(points @ z, 20) - ANKLE_HEIGHT
    return WorldFrame(rotation, np.array([0.0, 0.0, -level]), method)

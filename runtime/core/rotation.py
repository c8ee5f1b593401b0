"""Turning a camera about its centre: gravity, tilt and the homography of a virtual level camera.

Frames and units as ``zedo.runtime.core.geometry``: camera frame x right, y down, z forward.
``gravity`` is a vector (3,) in camera coordinates pointing down (any length); a level camera's is
(0, 1, 0). ``camera_to_level`` (3, 3) rotates camera-frame points into the frame of a virtual
camera at the same centre whose y axis points along gravity (level: no pitch, no roll); its
transpose rotates them back. Pitch is positive for a camera looking down (gravity then has a
forward component, z > 0), roll positive for a camera turned clockwise about its forward axis as
seen from behind it (x > 0); both in radians.
"""

from __future__ import annotations

import numpy as np

DOWN = np.array([0.0, 1.0, 0.0])  # a level camera's gravity


def tilt_gravity(pitch, roll) -> np.ndarray:
    """The gravity (3,) unit vector in the camera frame of a camera pitched ``pitch`` down (about
    its x axis; negative: looking up) and then rolled ``roll`` clockwise about its forward axis as
    seen from behind it (its right side down), radians: (sin r cos p, cos r cos p, sin p)."""
    p, r = float(pitch), float(roll)
    return np.array([np.sin(r) * np.cos(p), np.cos(r) * np.cos(p), np.sin(p)])


def gravity_to_matrix(gravity) -> np.ndarray:
    """``camera_to_level`` (3, 3) float64 for a gravity (3,): the smallest rotation that takes the
    gravity's direction onto (0, 1, 0) (so a camera without roll keeps its heading). ValueError for
    a zero, infinite or NaN vector."""
    g = np.asarray(gravity, dtype=np.float64).reshape(-1)
    norm = np.linalg.norm(g) if g.shape == (3,) else 0.0
    if not np.isfinite(g).all() or not norm > 0:
        raise ValueError(f"gravity must be 3 finite numbers, not all 0, got {np.asarray(gravity).tolist()}")
    a = g / norm
    c = float(a @ DOWN)
    if c < -1 + 1e-9:  # upside down: half a turn about the forward axis
        return np.diag([-1.0, -1.0, 1.0])
    v = np.cross(a, DOWN)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def homography(K, camera_to_level) -> np.ndarray:
    """H = K R K^-1 (..., 3, 3): pixels of the camera with intrinsics K (..., 3, 3) to those of the
    virtual camera turned by R = ``camera_to_level`` (..., 3, 3) with the same K."""
    K = np.asarray(K)
    return K @ np.asarray(camera_to_level) @ np.linalg.inv(K)


def warp_points(keypoints, H):
    """Keypoints (..., J, 2) px mapped by homographies H (..., 3, 3): (warped (..., J, 2) px,
    depth (..., J), the third homogeneous coordinate; <= 0 where the ray leaves the virtual camera's
    front half-space and the point cannot be seen)."""
    ones = np.ones(keypoints.shape[:-1] + (1,), dtype=keypoints.dtype)
    uvw = np.concatenate([keypoints, ones], axis=-1) @ np.swapaxes(H, -1, -2).astype(keypoints.dtype)
    w = uvw[..., 2]
    safe = np.where(np.abs(w) > 1e-12, w, 1e-12)
    return uvw[..., :2] / safe[..., None], w

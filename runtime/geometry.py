"""Pinhole camera geometry over an array namespace (NumPy or CuPy).

Frames and units, stated once: camera frame x right, y down, z forward; points and poses in metres,
(..., 17, 3), root-relative unless named ``*_cam``; translations (B, 3) metres; keypoints (B, 17, 2)
pixels; intrinsics K (B, 3, 3) (or (3, 3) where said) [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]. ``xp``
is the array module the buffers live in: every function takes and returns arrays of that module,
so nothing is copied between host and device.
"""

from __future__ import annotations

import numpy as np


def project(points_cam, K, xp=np):
    """Pinhole projection: camera-frame points (..., 3) metres and K (..., 3, 3) (or (3, 3)) -> (..., 2) px."""
    uvw = points_cam @ xp.swapaxes(K, -1, -2)
    return uvw[..., :2] / uvw[..., 2:3]


def keypoints_to_rays(keypoints, K_inv, xp):
    """Rays through pixels: (B, J, 2) px and (B, 3, 3) inverse intrinsics -> (B, J, 3) with z = 1."""
    ones = xp.ones(keypoints.shape[:-1] + (1,), dtype=keypoints.dtype)
    rays = xp.concatenate([keypoints, ones], axis=-1) @ xp.swapaxes(K_inv, -1, -2)
    return rays / rays[..., 2:3]


def unit(v, xp):
    """Normalise (..., 3) vectors to unit length."""
    return v / xp.linalg.norm(v, axis=-1, keepdims=True)


def yaw_matrices(angles, xp):
    """Rotations about the camera's vertical (y) axis: (...,) radians -> (..., 3, 3)."""
    c, s = xp.cos(angles), xp.sin(angles)
    z, o = xp.zeros_like(c), xp.ones_like(c)
    return xp.stack([xp.stack([c, z, s], -1), xp.stack([z, o, z], -1), xp.stack([-s, z, c], -1)], -2)


def solve_translation(pose, rays, weights, xp):
    """Least-squares translation T (B, 3) putting pose + T on the rays (z = 1 rays, (B, 17, 3)).

    Each joint j gives two linear equations, (X_j + T)_x = r_jx (X_j + T)_z and likewise for y,
    each multiplied by weights (B, 17) (the release multiplies rows by score^2). A depth below
    zero is mirrored to the front of the camera, as in the release.

    The 3 x 3 normal equations are solved in closed form: with W = weights^2 summing to S, m the
    W-mean of the rays' (x, y), c_j = r_j - m and d_j = (X_j, Y_j) - r_j Z_j,
    T_z = sum W c.d / sum W c.c and T_xy = m T_z - sum W d / S. Centring the rays first keeps
    float32 from cancelling digits; T is the solution of the release's 34 x 3 system, to rounding.
    """
    W = weights * weights
    s = W.sum(-1)[:, None]
    r_xy = rays[..., :2]
    m = (W[:, None, :] @ r_xy)[:, 0] / s  # (B, 2)
    c = r_xy - m[:, None, :]  # (B, 17, 2)
    d = pose[..., :2] - r_xy * pose[..., 2:3]  # (B, 17, 2)
    Wc = W[..., None] * c
    t_z = (Wc * d).sum((1, 2)) / (Wc * c).sum((1, 2))
    t_xy = m * t_z[:, None] - (W[:, None, :] @ d)[:, 0] / s
    T = xp.concatenate([t_xy, t_z[:, None]], axis=-1)
    return T * xp.where(T[:, 2:3] < 0, -1.0, 1.0).astype(T.dtype)


def project_onto_rays(pose, T, unit_rays, mask):
    """Move each joint of pose + T (B, 17, 3) to its closest point on its unit ray; returns the pose.

    mask (B, 17, 1) is 1 for observed joints and 0 for missing ones, which stay where the prior
    put them.
    """
    cam = pose + T[:, None, :]
    along = (cam * unit_rays).sum(axis=-1, keepdims=True)
    return pose + (along * unit_rays - cam) * mask


def reprojection_error(pose_cam, keypoints, K, weights, xp):
    """Weighted mean pixel distance between projected joints (B, 17, 3) and keypoints (B, 17, 2) -> (B,);
    weights (B, 17), 0 for a missing joint."""
    err = xp.linalg.norm(project(pose_cam, K, xp) - keypoints, axis=-1)
    return (err * weights).sum(-1) / xp.maximum(weights.sum(-1), 1e-12)

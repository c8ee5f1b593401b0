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


def spread(points, weights, xp):
    """Weighted RMS distance (B,) of points (B, J, D) from their weighted centroid; weights (B, J),
    0 for a missing point. In the points' units (metres, pixels, or radians for unit rays)."""
    total = weights.sum(-1)
    total = xp.where(total > 0, total, 1.0).astype(weights.dtype)
    centre = (points * weights[..., None]).sum(-2) / total[:, None]
    return xp.sqrt((((points - centre[:, None]) ** 2).sum(-1) * weights).sum(-1) / total)


# A turn about the vertical axis mixes a pose's x and z: on average over turns each contributes half
# its square to the horizontal spread seen by a level camera; the vertical spread is seen whole.
_YAW_MEAN = np.sqrt([0.5, 1.0, 0.5])


def size_distance(pose, unit_rays, weights, xp):
    """How far (B,) metres a root-relative pose (B, J, 3) stands for its joints to spread over the
    unit rays (B, J, 3) as they do: the pose's spread (``spread``, its horizontal part averaged over
    yaws) over the rays' angular spread, weights (B, J) (0: missing). A 1.7 m person 100 px tall
    at f = 1500 px gives about 25 m. NaN where the rays do not spread (fewer than two distinct
    keypoints)."""
    metres = spread(pose * xp.asarray(_YAW_MEAN, dtype=pose.dtype), weights, xp)
    radians = spread(unit_rays, weights, xp)
    ok = radians > 0
    return xp.where(ok, metres / xp.where(ok, radians, 1.0), xp.nan).astype(pose.dtype)


def _solve_normal_equations(ata, atb, xp):
    """x (B, 3) of ata (B, 3, 3) x = atb (B, 3), NaN rows where ata is singular."""
    # NumPy raises on a singular system: one call in the common case (at batch 1 the checks cost as
    # much as the solve).
    if xp is np:
        try:
            return np.linalg.solve(ata, atb[..., None])[..., 0]
        except np.linalg.LinAlgError:
            pass
    # det is 0 exactly where LU meets a zero pivot, which is where solve raises.
    singular = ~(xp.abs(xp.linalg.det(ata)) > 0)
    ata = xp.where(singular[:, None, None], xp.eye(3, dtype=ata.dtype), ata)
    return xp.where(singular[:, None], xp.nan, xp.linalg.solve(ata, atb[..., None])[..., 0])


def solve_translation(pose, rays, weights, xp):
    """Least-squares translation T (B, 3) putting pose + T on the rays (z = 1 rays, (B, 17, 3)).

    Each joint j gives two linear equations, (X_j + T)_x = r_jx (X_j + T)_z and likewise for y,
    each multiplied by weights (B, 17) (the release multiplies rows by score^2; only their ratios
    matter). A depth below
    zero is mirrored to the front of the camera, as in the release. A pose whose system is singular
    (its weighted rays all coincide) gets a NaN translation instead of failing the whole batch; its
    result is then reported invalid.
    """
    rx, ry = rays[..., 0], rays[..., 1]
    # The solution does not change with a common scale of a pose's weights; scaled to a largest
    # weight of 1, small scores (weights down to 1e-8) cannot underflow the normal equations.
    top = weights.max(axis=-1, keepdims=True)
    w = weights / xp.where(top > 0, top, 1.0).astype(weights.dtype)
    zero = xp.zeros_like(rx)
    # Rows: [-1, 0, r_x] T = X_x - r_x X_z and [0, -1, r_y] T = X_y - r_y X_z.
    a_x = xp.stack([-w, zero, w * rx], axis=-1)
    a_y = xp.stack([zero, -w, w * ry], axis=-1)
    b_x = w * (pose[..., 0] - rx * pose[..., 2])
    b_y = w * (pose[..., 1] - ry * pose[..., 2])
    A = xp.concatenate([a_x, a_y], axis=1)  # (B, 34, 3)
    b = xp.concatenate([b_x, b_y], axis=1)  # (B, 34)
    ata = xp.swapaxes(A, 1, 2) @ A
    atb = (xp.swapaxes(A, 1, 2) @ b[..., None])[..., 0]
    T = _solve_normal_equations(ata, atb, xp)
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
    total = weights.sum(-1)
    return (err * weights).sum(-1) / xp.where(total > 0, total, 1.0).astype(weights.dtype)

"""The initial pose optimisation (IPO): place a root-relative pose in the camera by fitting its yaw
about the vertical axis and its distance along the pelvis ray to the 2D keypoints.

Units and frames as ``zedo.runtime.core.geometry``. The release fits the pelvis and hips with 500 Adam
steps from yaw 0; subjects face every direction and the hips alone cannot tell yaw +a from -a, so
this search is global (a grid over a full turn and log-spaced distances, then a pattern search)
and fits the torso by default (``LoopConfig.ipo_joints``; measured in docs/decisions.md, "IPO").
Two fits: ``grid_placement`` (global) and ``local_placement`` (from a guess); both take the unit
rays through the pelvis keypoints, which a ``zedo.runtime.solve.batch.Batch`` holds
(``unit_rays[:, 0]``). ``fit_yaw_distance`` and ``refine_yaw_distance`` are the same fits for
callers with K^-1 (B, 3, 3) instead. Distances are searched about each pose's own: the one at
which the pose spans its keypoints' 2D size (``start_distance``), not about a fixed 3 m, so a
person 50 m away is found as one 3 m away (docs/decisions.md, "Any distance").
"""

from __future__ import annotations

import math

import numpy as np

from ..core.config import DISTANCE_RANGE, LoopConfig
from ..core.geometry import keypoints_to_rays, size_distance, unit, yaw_matrices

# Poses per evaluation of the grid on the CPU: the (poses, yaws, distances, joints) temporaries of 32
# poses stay in cache, the whole of a large batch does not (batch 1024: 1.75x the time). Each pose's
# loss is its own, so the result is the same bit for bit. docs/decisions.md, "The IPO grid in chunks".
GRID_ROWS = 32

# The local search from a guess (``local_placement``): moves, and the first step of each.
LOCAL_STEPS = 20
LOCAL_YAW_STEP = math.pi / 12  # 15 degrees
LOCAL_LOG_STEP = 0.1  # 10 % of the distance


def ipo_loss(pose_keys, yaw, dist, pelvis_dir, keypoints_keys, K, xp, weights=None):
    """Mean L1 pixel error of the fitted joints for a grid of yaws (B, Y) and distances (B, D) -> (B, Y, D).

    pose_keys (B, J, 3) root-relative metres, pelvis_dir (B, 3) unit rays, keypoints_keys (B, J, 2)
    px, K (B, 3, 3); weights (B, J) (None: all 1) drop missing joints.
    """
    R = yaw_matrices(yaw, xp)  # (B, Y, 3, 3)
    Kt = xp.swapaxes(K, -1, -2)
    # Homogeneous pixels are linear in the camera point: K (R X + d u) = (K R X) + d (K u), so the
    # (B, Y, D, J) grid is one broadcast add of a (B, Y, J) and a (B, D) term, not a 3x3 product per cell.
    P = pose_keys[:, None] @ xp.swapaxes(R, -1, -2) @ Kt[:, None]  # (B, Y, J, 3)
    Q = dist[..., None] * (pelvis_dir[:, None, :] @ Kt)  # (B, D, 3)
    uvw = [P[:, :, None, :, c] + Q[:, None, :, None, c] for c in range(3)]  # each (B, Y, D, J)
    kp = keypoints_keys[:, None, None]
    err = xp.abs(uvw[0] / uvw[2] - kp[..., 0]) + xp.abs(uvw[1] / uvw[2] - kp[..., 1])
    if weights is None:
        return err.mean(-1)
    w = weights[:, None, None, :]
    return (err * w).sum(-1) / xp.maximum(w.sum(-1), 1e-12)


def _pattern_search(loss_at, yaw, log_d, cur, step_y, step_d, lo, hi, steps, xp):
    """From the grid's best cell (yaw, log_d: (B, 1)), move to the best of the 8 neighbours while it
    improves the loss, halving a pose's steps when none does; returns (yaw, log_d)."""
    offs = xp.asarray([-1.0, 0.0, 1.0], dtype=yaw.dtype)
    for _ in range(steps):
        cand_y = yaw + offs * step_y  # (B, 3)
        cand_d = xp.clip(log_d + offs * step_d, lo, hi)
        loss = loss_at(cand_y, cand_d).reshape(yaw.shape[0], 9)
        best = xp.argmin(loss, axis=1)[:, None]
        new = xp.take_along_axis(loss, best, 1)
        better = new < cur
        yaw = xp.where(better, xp.take_along_axis(cand_y, best // 3, 1), yaw)
        log_d = xp.where(better, xp.take_along_axis(cand_d, best % 3, 1), log_d)
        cur = xp.where(better, new, cur)
        step_y = xp.where(better, step_y, step_y / 2)
        step_d = xp.where(better, step_d, step_d / 2)
    return yaw, log_d


def start_distance(pose, keypoints, K, cfg: LoopConfig, xp, weights=None):
    """The pelvis distance (B,) metres at which root-relative poses (B, 17, 3) match the 2D size of
    keypoints (B, 17, 2) px seen with K (B, 3, 3) (``geometry.size_distance`` over the observed
    joints, weights (B, 17), None: all), within ``DISTANCE_RANGE``; ``cfg.ipo_distance`` where the
    keypoints have no size. The centre of the IPO's search, and the start without it."""
    rays = unit(keypoints_to_rays(keypoints, xp.linalg.inv(K), xp), xp)
    w = xp.ones(keypoints.shape[:2], dtype=pose.dtype) if weights is None else weights
    d = size_distance(pose, rays, w, xp)
    d = xp.where(xp.isfinite(d), d, cfg.ipo_distance)
    return xp.clip(d, *DISTANCE_RANGE).astype(pose.dtype)


def search_range(pose, keypoints, K, cfg: LoopConfig, xp, weights=None):
    """(lo, hi), each (B, 1): the log-distances the IPO searches, ``cfg.ipo_scale_range`` times each
    pose's ``start_distance``, within ``DISTANCE_RANGE``."""
    d = start_distance(pose, keypoints, K, cfg, xp, weights)[:, None]
    lo, hi = (xp.log(xp.clip(d * s, *DISTANCE_RANGE)).astype(pose.dtype) for s in cfg.ipo_scale_range)
    return lo, hi


def _loss_and_range(pose, keypoints, K, pelvis_dir, cfg: LoopConfig, xp, weights):
    """(loss_at, (lo, hi)): the IPO's loss of the poses ``rows`` at yaws (b, n) and log-distances
    (b, m) -> (b, n, m), on the joints ``cfg.ipo_joints`` with the poses' pelvis on their unit
    pelvis rays (B, 3); and each pose's log-distance range (B, 1) (``search_range``, on every
    observed joint)."""
    keys = list(cfg.ipo_joints)
    pose_k, kp_k = pose[:, keys], keypoints[:, keys]
    w_k = None if weights is None else weights[:, keys]

    def loss_at(y, log_d, rows=slice(None)):
        return ipo_loss(
            pose_k[rows],
            y,
            xp.exp(log_d),
            pelvis_dir[rows],
            kp_k[rows],
            K[rows],
            xp,
            None if w_k is None else w_k[rows],
        )

    return loss_at, search_range(pose, keypoints, K, cfg, xp, weights)


def pelvis_ray(keypoints, K_inv, xp):
    """The unit rays (B, 3) through the pelvis keypoints of keypoints (B, 17, 2) px, K_inv (B, 3, 3)
    (for callers with arrays; a ``batch.Batch`` has them as ``unit_rays[:, 0]``)."""
    return unit(keypoints_to_rays(keypoints[:, :1], K_inv, xp)[:, 0], xp)


def _placed(pose, yaw, log_d, pelvis_dir, xp):
    """The turned pose (B, 17, 3) and T (B, 3) of yaws and log-distances (B, 1)."""
    R = yaw_matrices(yaw[:, 0], xp)
    return pose @ xp.swapaxes(R, -1, -2), xp.exp(log_d) * pelvis_dir


def fit_yaw_distance(pose, keypoints, K, K_inv, cfg: LoopConfig, xp, weights=None):
    """``grid_placement`` with the pelvis rays made from K_inv (B, 3, 3)."""
    return grid_placement(pose, keypoints, K, pelvis_ray(keypoints, K_inv, xp), cfg, xp, weights)


def grid_placement(pose, keypoints, K, pelvis_dir, cfg: LoopConfig, xp, weights=None):
    """Fit yaw and pelvis distance of root-relative poses (B, 17, 3) to keypoints (B, 17, 2) px.

    Fits the joints ``cfg.ipo_joints`` (L1 reprojection loss) with K (B, 3, 3) and the unit pelvis
    rays pelvis_dir (B, 3); ``weights`` (B, 17) zero out missing joints. A global search: a grid
    over a full turn and log-spaced distances, then a pattern search. Returns the turned pose
    (B, 17, 3) and T (B, 3), the pelvis at the fitted distance along its ray.
    """
    loss_at, (lo, hi) = _loss_and_range(pose, keypoints, K, pelvis_dir, cfg, xp, weights)
    B = pose.shape[0]
    grid_y = xp.broadcast_to(
        xp.linspace(-math.pi, math.pi, cfg.ipo_yaw_steps, endpoint=False, dtype=pose.dtype), (B, cfg.ipo_yaw_steps)
    )
    grid_d = lo + (hi - lo) * xp.linspace(0.0, 1.0, cfg.ipo_scale_steps, dtype=pose.dtype)  # (B, steps)
    step = GRID_ROWS if xp is np else B  # a GPU takes the whole batch at once
    loss = xp.concatenate(
        [loss_at(grid_y[i : i + step], grid_d[i : i + step], slice(i, i + step)) for i in range(0, B, step)]
    ).reshape(B, -1)
    best = xp.argmin(loss, axis=1)[:, None]
    yaw = xp.take_along_axis(grid_y, best // cfg.ipo_scale_steps, 1)
    log_d = xp.take_along_axis(grid_d, best % cfg.ipo_scale_steps, 1)
    cur = xp.take_along_axis(loss, best, 1)
    step_y = xp.full((B, 1), math.pi / cfg.ipo_yaw_steps, dtype=pose.dtype)
    step_d = (0.5 * (hi - lo) / (cfg.ipo_scale_steps - 1)).astype(pose.dtype)
    yaw, log_d = _pattern_search(loss_at, yaw, log_d, cur, step_y, step_d, lo, hi, cfg.ipo_search_steps, xp)
    return _placed(pose, yaw, log_d, pelvis_dir, xp)


def refine_yaw_distance(
    pose, keypoints, K, K_inv, yaw, distance, cfg: LoopConfig, xp, weights=None, steps: int = LOCAL_STEPS
):
    """``local_placement`` with the pelvis rays made from K_inv (B, 3, 3)."""
    return local_placement(pose, keypoints, K, pelvis_ray(keypoints, K_inv, xp), yaw, distance, cfg, xp, weights, steps)


def local_placement(
    pose, keypoints, K, pelvis_dir, yaw, distance, cfg: LoopConfig, xp, weights=None, steps: int = LOCAL_STEPS
):
    """Fit yaw and pelvis distance as ``grid_placement`` does, by a local pattern search of
    ``steps`` moves from a guess, yaw (B,) radians and distance (B,) metres (the weak-perspective
    fit of ``zedo.runtime.solve.candidates``), instead of the global grid: about a tenth of the loss
    evaluations. The first moves are ``LOCAL_YAW_STEP`` and ``LOCAL_LOG_STEP``; the distance
    stays in the pose's ``search_range``.
    """
    loss_at, (lo, hi) = _loss_and_range(pose, keypoints, K, pelvis_dir, cfg, xp, weights)
    B = pose.shape[0]
    yaw = yaw.reshape(B, 1).astype(pose.dtype)
    log_d = xp.clip(xp.log(xp.maximum(distance, 1e-6)).reshape(B, 1), lo, hi).astype(pose.dtype)
    cur = loss_at(yaw, log_d).reshape(B, 1)
    step_y = xp.full((B, 1), LOCAL_YAW_STEP, dtype=pose.dtype)
    step_d = xp.full((B, 1), LOCAL_LOG_STEP, dtype=pose.dtype)
    yaw, log_d = _pattern_search(loss_at, yaw, log_d, cur, step_y, step_d, lo, hi, steps, xp)
    return _placed(pose, yaw, log_d, pelvis_dir, xp)

"""ZeDO's optimisation loop as small pure functions over an array namespace (NumPy or CuPy).

Frames and units, stated once: camera frame x right, y down, z forward; poses (B, 17, 3) metres,
root-relative unless named ``*_cam``; translations (B, 3) metres; keypoints (B, 17, 2) pixels;
intrinsics (B, 3, 3). ``xp`` is the array module the buffers live in (``numpy`` or ``cupy``):
every function takes and returns arrays of that module, so the loop never copies between host
and device. Scalars (t, step sizes) are Python floats.

Per pose (Jiang et al., WACV 2024, Alg. 1 and the official release): start from a k-means
cluster pose; fit its yaw about the vertical axis and its distance along the pelvis ray to the 2D
pelvis and hips (initial pose optimisation, IPO); then ``iterations`` times: solve the translation
in closed form (after a warm-up that keeps the IPO one), move every joint onto its camera ray, and
take one reverse-time step of the prior from t_max down to t_min.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

from . import sde as sde_lib
from .skeleton import NUM_JOINTS, TORSO_JOINTS

Engine = Callable  # engine(x (B,17,3) float32, t (B,) float32) -> eps (B,17,3) float32

# The prior judges how plausible a pose is by its RMS predicted noise at this mid-range t, where
# that prediction measures the distance to typical poses; it ranks starts and hypotheses. Measured
# on S9 (ground-truth 2D, 50 hypotheses, 132 poses, 200 iterations; MPJPE of the chosen one, oracle
# 27.6, mean 128.4 mm): t = 0.06 -> 35.7, 0.1 -> 40.0, 0.03 -> 95.1, 0.01 -> 474.2; the medoid of the
# hypotheses 43.5; the smallest reprojection error 260.2 (every hypothesis lies on its rays, so that
# residual says little).
PLAUSIBILITY_T = 0.06


@dataclass(frozen=True)
class LoopConfig:
    """Settings of one ZeDO run. Defaults are the paper's Human3.6M settings."""

    iterations: int = 1000  # optimisation-loop iterations (each one prior call)
    warmup_fraction: float = 0.2  # first fraction of iterations keeps the IPO translation (release: N // 5)
    sampler: str = "ode"  # reverse step: "ode" (probability flow, the release's) or "sde" (Euler-Maruyama)
    step_scale: float = 1.0  # reverse-time step = step_scale / iterations (release: 1/1000 at 1000 iterations)
    ipo: bool = True  # fit yaw and distance before the loop; off: identity yaw, distance ipo_distance
    ipo_distance: float = 3.0  # nominal pelvis distance in metres (release: IPO_T = 3)
    ipo_scale_range: tuple[float, float] = (0.5, 2.0)  # distance search range as multiples of ipo_distance
    ipo_joints: tuple[int, ...] = TORSO_JOINTS  # joints the IPO fits from the mean pose (release: skeleton.IPO_JOINTS; see the docstring); a start from choose_start comes placed on every joint
    ipo_yaw_steps: int = 36  # yaw grid over a full turn (10 degrees apart)
    ipo_scale_steps: int = 16  # distance grid, log-spaced over ipo_scale_range
    ipo_search_steps: int = 30  # pattern-search iterations after the grid (each evaluates 9 candidates)
    min_score: float = 1e-4  # scores are clipped to [min_score, 1] in the translation solve (release)
    initial_candidates: int = 1000  # one hypothesis starts from the best of this many cluster poses (see choose_start; 1: the mean pose, the release's)
    start_shortlist: int = 50  # of those, the closest this many under weak perspective are fitted by the IPO and judged by the prior


def keypoints_to_rays(keypoints, K_inv, xp):
    """Rays through pixels: (B, 17, 2) px and (B, 3, 3) inverse intrinsics -> (B, 17, 3) with z = 1."""
    ones = xp.ones(keypoints.shape[:-1] + (1,), dtype=keypoints.dtype)
    rays = xp.concatenate([keypoints, ones], axis=-1) @ xp.swapaxes(K_inv, -1, -2)
    return rays / rays[..., 2:3]


def unit(v, xp):
    """Normalise (..., 3) vectors to unit length."""
    return v / xp.linalg.norm(v, axis=-1, keepdims=True)


def solve_translation(pose, rays, weights, xp):
    """Least-squares translation T (B, 3) putting pose + T on the rays (z = 1 rays, (B, 17, 3)).

    Each joint j gives two linear equations, (X_j + T)_x = r_jx (X_j + T)_z and likewise for y,
    each multiplied by weights (B, 17) (the release multiplies rows by score^2). A depth below
    zero is mirrored to the front of the camera, as in the release.
    """
    rx, ry = rays[..., 0], rays[..., 1]
    w = weights
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
    T = xp.linalg.solve(ata, atb[..., None])[..., 0]
    return T * xp.where(T[:, 2:3] < 0, -1.0, 1.0).astype(T.dtype)


def project_onto_rays(pose, T, unit_rays, mask):
    """Move each joint of pose + T (B, 17, 3) to its closest point on its unit ray; returns the pose.

    mask (B, 17, 1) is 1 for observed joints and 0 for missing ones, which stay where the prior
    put them.
    """
    cam = pose + T[:, None, :]
    along = (cam * unit_rays).sum(axis=-1, keepdims=True)
    return pose + (along * unit_rays - cam) * mask


def ode_step(x, eps, t: float, dt: float, sde: sde_lib.SDEConfig, xp, rng=None):
    """One Euler step of the probability-flow ODE of the sub-VP SDE, backwards in time by dt.

    dx = [f(x, t) - 1/2 g(t)^2 score] dt with f = -1/2 beta(t) x and score = -eps / std(t)
    (Song et al. 2021, eq. 13); stepping backwards: x <- x + dt (1/2 beta x - 1/2 g^2 eps / std).
    """
    b = sde_lib.beta(t, sde)
    g2 = sde_lib.diffusion_sq(t, sde)
    s = sde_lib.marginal_std(t, sde)
    return x + (0.5 * b * dt) * x - (0.5 * g2 * dt / s) * eps


def sde_step(x, eps, t: float, dt: float, sde: sde_lib.SDEConfig, xp, rng=None):
    """One Euler-Maruyama step of the reverse sub-VP SDE (Song et al. 2021, eq. 6), backwards by dt."""
    b = sde_lib.beta(t, sde)
    g2 = sde_lib.diffusion_sq(t, sde)
    s = sde_lib.marginal_std(t, sde)
    noise = rng.standard_normal(x.shape, dtype=x.dtype)
    return x + (0.5 * b * dt) * x - (g2 * dt / s) * eps + math.sqrt(g2 * dt) * noise


SAMPLERS = {"ode": ode_step, "sde": sde_step}


def yaw_matrices(angles, xp):
    """Rotations about the camera's vertical (y) axis: (...,) radians -> (..., 3, 3)."""
    c, s = xp.cos(angles), xp.sin(angles)
    z, o = xp.zeros_like(c), xp.ones_like(c)
    return xp.stack([xp.stack([c, z, s], -1), xp.stack([z, o, z], -1), xp.stack([-s, z, c], -1)], -2)


def _ipo_loss(pose_keys, yaw, dist, pelvis_dir, keypoints_keys, K, xp, weights=None):
    """Mean L1 pixel error of the IPO joints for a grid of yaws (B, Y) and distances (B, D) -> (B, Y, D);
    weights (B, J) (None: all 1) drop missing joints."""
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


def initial_pose_optimisation(pose, keypoints, K, K_inv, cfg: LoopConfig, xp, weights=None):
    """Fit yaw and pelvis distance of root-relative pose (B, 17, 3) to the 2D keypoints of ``cfg.ipo_joints``.

    The release fits the pelvis and hips with 500 Adam steps on a quaternion and a clamped distance
    scale, from the identity rotation. Subjects face every direction (Human3.6M S9: median |yaw|
    89 degrees), and a descent from yaw 0 stalls when the subject faces away, so this search is
    global: the same L1 reprojection loss on a grid over a full turn of yaw and log-spaced distances,
    then a pattern search from the best cell that moves to the best of the 8 neighbours and halves
    its step when none improves. With the hips alone a global search cannot tell yaw +a from -a;
    fitting the torso joints (the default) can. Measured on S9 (every 64th frame, camera-facing
    mean cluster): median yaw error 58 degrees with pelvis and hips, 14 with the torso; and through
    the whole loop (every 256th frame, h36m prior at 12k steps) 74.9 / 50.4 mm against 53.2 / 38.0 mm
    MPJPE / PA-MPJPE (a local descent from yaw 0 on the hips, like the release's: 65.3 / 45.2). ``weights`` (B, 17) zero out missing joints. Returns the rotated
    pose (B, 17, 3) and T (B, 3), the pelvis at distance d along the pelvis ray.
    """
    keys = list(cfg.ipo_joints)
    pose_k, kp_k = pose[:, keys], keypoints[:, keys]
    w_k = None if weights is None else weights[:, keys]
    pelvis_dir = unit(keypoints_to_rays(keypoints[:, :1], K_inv, xp)[:, 0], xp)
    lo, hi = (math.log(cfg.ipo_distance * s) for s in cfg.ipo_scale_range)
    B = pose.shape[0]
    grid_y = xp.broadcast_to(xp.linspace(-math.pi, math.pi, cfg.ipo_yaw_steps, endpoint=False, dtype=pose.dtype), (B, cfg.ipo_yaw_steps))
    grid_d = xp.broadcast_to(xp.linspace(lo, hi, cfg.ipo_scale_steps, dtype=pose.dtype), (B, cfg.ipo_scale_steps))
    loss = _ipo_loss(pose_k, grid_y, xp.exp(grid_d), pelvis_dir, kp_k, K, xp, w_k).reshape(B, -1)
    best = xp.argmin(loss, axis=1)[:, None]
    yaw = xp.take_along_axis(grid_y, best // cfg.ipo_scale_steps, 1)
    log_d = xp.take_along_axis(grid_d, best % cfg.ipo_scale_steps, 1)
    cur = xp.take_along_axis(loss, best, 1)
    step_y = xp.full((B, 1), math.pi / cfg.ipo_yaw_steps, dtype=pose.dtype)
    step_d = xp.full((B, 1), 0.5 * (hi - lo) / (cfg.ipo_scale_steps - 1), dtype=pose.dtype)
    offs = xp.asarray([-1.0, 0.0, 1.0], dtype=pose.dtype)
    for _ in range(cfg.ipo_search_steps):
        cand_y = yaw + offs * step_y  # (B, 3)
        cand_d = xp.clip(log_d + offs * step_d, lo, hi)
        loss = _ipo_loss(pose_k, cand_y, xp.exp(cand_d), pelvis_dir, kp_k, K, xp, w_k).reshape(B, 9)
        best = xp.argmin(loss, axis=1)[:, None]
        new = xp.take_along_axis(loss, best, 1)
        better = new < cur
        yaw = xp.where(better, xp.take_along_axis(cand_y, best // 3, 1), yaw)
        log_d = xp.where(better, xp.take_along_axis(cand_d, best % 3, 1), log_d)
        cur = xp.where(better, new, cur)
        step_y = xp.where(better, step_y, step_y / 2)
        step_d = xp.where(better, step_d, step_d / 2)
    R = yaw_matrices(yaw[:, 0], xp)
    return pose @ xp.swapaxes(R, -1, -2), xp.exp(log_d) * pelvis_dir


def prior_residual(pose, engine: Engine, t: float, xp):
    """RMS of the prior's predicted noise (B,) for poses (B, 17, 3) taken root-relative, at time t:
    how far each pose is from those the prior was trained on (0 for its most typical poses)."""
    eps = engine(pose - pose[:, :1], xp.full((pose.shape[0],), t, dtype=pose.dtype))
    return xp.sqrt((eps**2).mean(axis=(1, 2)))


def row_ranks(a, xp):
    """Rank of each entry of (B, C) within its row: the number of strictly smaller entries, so
    equal entries share the lower rank."""
    return (a[:, None, :] < a[:, :, None]).sum(axis=-1)


def weak_perspective_residual(candidates, keypoints, K_inv, weights, xp):
    """How far each root-relative candidate (L, 17, 3) is from matching the keypoints (B, 17, 2) under
    weak perspective: (B, L), in squared normalised image units (lower: closer).

    Pelvis-centred normalised image points (u, v) are fitted as u = a X + b Z, v = s Y, which is a
    turn about the vertical axis and a scale 1 / depth (a = cos(yaw) s, b = sin(yaw) s; a and b are
    fitted freely for a closed form). Every sum over joints is a (B, 17) x (17, L) product, so a
    thousand candidates cost less than one IPO. ``weights`` (B, 17): 0 for missing joints.
    """
    rays = keypoints_to_rays(keypoints, K_inv, xp)
    u, v = rays[..., 0] - rays[:, :1, 0], rays[..., 1] - rays[:, :1, 1]
    X, Y, Z = (xp.swapaxes(candidates[..., i], 0, 1) for i in range(3))  # each (17, L)
    w, wu, wv = weights, weights * u, weights * v
    sxx, sxz, szz, syy = w @ (X * X), w @ (X * Z), w @ (Z * Z), w @ (Y * Y)
    sux, suz, svy = wu @ X, wu @ Z, wv @ Y
    det = xp.maximum(sxx * szz - sxz**2, 1e-12)
    a = (szz * sux - sxz * suz) / det
    b = (sxx * suz - sxz * sux) / det
    s = svy / xp.maximum(syy, 1e-12)
    return (wu * u).sum(1, keepdims=True) - a * sux - b * suz + (wv * v).sum(1, keepdims=True) - s * svy


def choose_start(candidates, keypoints, scores, K, engine: Engine, cfg: LoopConfig, xp, t: float = PLAUSIBILITY_T, rows: int = 1024):
    """The root-relative candidate pose (L, 17, 3) a single hypothesis starts from, and its placement:
    (index (B,), pose (B, 17, 3) turned by the IPO, T (B, 3)), ready for ``run_loop``'s ``start_T``.

    The ``cfg.start_shortlist`` candidates closest under weak perspective
    (``weak_perspective_residual``) are each placed by the IPO on every observed joint (scores
    (B, 17), 0 for missing) and ranked twice: by their reprojection error, and by the prior's
    residual (``prior_residual`` at t) once their joints are moved onto their rays, as the loop's
    first step would. The lowest sum of ranks wins (ties: the earlier candidate), placed as fitted:
    its limbs match the image, so fitting every joint beats the torso alone (S9 every 128th frame,
    ground-truth 2D: 47.1 / 36.1 mm against 48.1 / 36.6).

    The release starts one hypothesis from the mean pose, whose limbs rarely match the image, and
    the loop keeps much of its start (from the true pose it ends 38 mm from it, from the mean pose
    55 mm). Measured on S9 (ground-truth 2D, h36m prior), MPJPE / PA-MPJPE:
    - every 128th frame, the 50 k-means poses, no shortlist: mean pose 55.6 / 39.1 mm; best
      reprojection alone 50.0 / 37.9; lowest residual alone 55.1 / 40.3; sum of ranks 48.1 / 36.6.
      Reprojection alone cannot tell a limb bent towards the camera from one bent away; the prior can.
    - every 64th frame, sum of ranks: 50 poses 49.1 / 37.7; 200 poses 48.0 / 36.8; 200 shortlisted
      to 50 47.5 / 36.4; 1000 shortlisted to 50 46.3 / 35.4 (the default).
    ``rows`` caps the (pose, candidate) pairs fitted at once.
    """
    B, L = keypoints.shape[0], candidates.shape[0]
    mask = (scores > 0).astype(keypoints.dtype)
    K_inv = xp.linalg.inv(K)
    if L > cfg.start_shortlist:
        close = weak_perspective_residual(candidates, keypoints, K_inv, mask, xp)
        short = xp.argsort(close, axis=1)[:, : cfg.start_shortlist]  # (B, C)
    else:
        short = xp.broadcast_to(xp.arange(L), (B, L))
    C = short.shape[1]
    # Candidates are fitted G at a time as B * G rows: small batches (B = 1) then cost a few calls,
    # not C, and a large batch stays near the memory of one IPO.
    G = max(1, min(C, rows // B))
    rep = lambda a: xp.repeat(a, G, axis=0)  # noqa: E731  (B, ...) -> (B * G, ...), row b * G + g
    kp, K_rep, K_inv_rep, mask_rep = rep(keypoints), rep(K), rep(K_inv), rep(mask)
    unit_rays = rep(unit(keypoints_to_rays(keypoints, K_inv, xp), xp))
    every_joint = replace(cfg, ipo_joints=tuple(range(NUM_JOINTS)))
    err = xp.empty((B, C), dtype=keypoints.dtype)
    res = xp.empty((B, C), dtype=keypoints.dtype)
    placed = xp.empty((B, C) + candidates.shape[1:], dtype=keypoints.dtype)
    placed_T = xp.empty((B, C, 3), dtype=keypoints.dtype)
    for c0 in range(0, C, G):
        idx = short[:, c0 : c0 + G]
        g = idx.shape[1]
        # A short last group repeats its final candidate to fill G; the extra rows are dropped.
        idx = xp.concatenate([idx, xp.broadcast_to(idx[:, -1:], (B, G - g))], axis=1)
        pose = candidates[idx].reshape((B * G,) + candidates.shape[1:])
        x, T = initial_pose_optimisation(pose, kp, K_rep, K_inv_rep, every_joint, xp, mask_rep)
        placed[:, c0 : c0 + g] = x.reshape((B, G) + x.shape[1:])[:, :g]
        placed_T[:, c0 : c0 + g] = T.reshape(B, G, 3)[:, :g]
        err[:, c0 : c0 + g] = reprojection_error(x + T[:, None, :], kp, K_rep, mask_rep, xp).reshape(B, G)[:, :g]
        on_rays = project_onto_rays(x, T, unit_rays, mask_rep[..., None])
        res[:, c0 : c0 + g] = prior_residual(on_rays, engine, t, xp).reshape(B, G)[:, :g]
    best = xp.argmin(row_ranks(err, xp) + row_ranks(res, xp), axis=1)
    rows_b = xp.arange(B)
    return short[rows_b, best], placed[rows_b, best], placed_T[rows_b, best]


def reprojection_error(pose_cam, keypoints, K, weights, xp):
    """Score-weighted mean pixel distance between projected joints (B, 17, 3) and keypoints -> (B,)."""
    uvw = pose_cam @ xp.swapaxes(K, -1, -2)
    err = xp.linalg.norm(uvw[..., :2] / uvw[..., 2:3] - keypoints, axis=-1)
    return (err * weights).sum(-1) / xp.maximum(weights.sum(-1), 1e-12)


def run_loop(init_pose, keypoints, scores, K, engine: Engine, sde: sde_lib.SDEConfig, cfg: LoopConfig, xp, rng=None, progress=None, start_T=None):
    """The whole ZeDO loop on one batch; every input already on the engine's device as float32.

    init_pose (B, 17, 3) root-relative starting poses; keypoints (B, 17, 2); scores (B, 17) in
    [0, 1] with 0 for a missing joint; K (B, 3, 3). Returns (pose (B, 17, 3) root-relative prior
    output, T (B, 3) translation, so that pose + T is the camera-frame estimate). ``progress`` is
    called with the number of iterations done since its last call. ``start_T`` (B, 3): the
    translation of a start already placed (``choose_start``), which then skips the IPO.
    """
    if cfg.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {cfg.sampler!r}; choose one of {sorted(SAMPLERS)}")
    step = SAMPLERS[cfg.sampler]
    K_inv = xp.linalg.inv(K)
    rays = keypoints_to_rays(keypoints, K_inv, xp)
    unit_rays = unit(rays, xp)
    mask = (scores > 0).astype(init_pose.dtype)[..., None]
    # The release multiplies each equation by the score squared.
    w = xp.clip(scores, cfg.min_score, 1.0) ** 2 * mask[..., 0]
    if start_T is not None:
        x, T = init_pose, start_T
    elif cfg.ipo:
        x, T = initial_pose_optimisation(init_pose, keypoints, K, K_inv, cfg, xp, mask[..., 0])
    else:
        x, T = init_pose, cfg.ipo_distance * unit_rays[:, 0]
    B = x.shape[0]
    warmup = int(cfg.iterations * cfg.warmup_fraction)
    dt = cfg.step_scale / cfg.iterations
    for i, t in enumerate(sde_lib.time_schedule(cfg.iterations, sde)):
        if i >= warmup:
            T = solve_translation(x, rays, w, xp)
        x = project_onto_rays(x, T, unit_rays, mask)
        eps = engine(x, xp.full((B,), t, dtype=x.dtype))
        x = step(x, eps, t, dt, sde, xp, rng)
        if progress is not None:
            progress(1)
    return x, solve_translation(x, rays, w, xp)

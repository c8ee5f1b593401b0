"""Ranking the candidate starts: which of the prior's cluster poses fit each pose's 2D best.

Units and frames as ``zedo.runtime.core.geometry``; candidates are (L, 17, 3) root-relative metres.
Each pose's candidates are shortlisted under weak perspective (``weak_perspective_fit``), the
shortlisted placed on every joint (a local search from the weak-perspective fit, or the IPO's grid:
``zedo.runtime.solve.ipo``), and ranked by reprojection and by the prior (docs/decisions.md,
"Start" and "A quarter of the time"). Which start a batch takes is decided in
``zedo.runtime.solve.start``.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.config import LoopConfig
from ..core.geometry import keypoints_to_rays, project_onto_rays, reprojection_error
from ..core.sde import SDEConfig, marginal_std
from ..core.skeleton import NUM_JOINTS
from ..engines.open import Engine
from . import noise
from .batch import Batch, batch_of
from .ipo import grid_placement, local_placement
from .occluded import centre_on_seen, centred_sums, reroot
from .scoring import PLAUSIBILITY_T, prior_residual, row_ranks


def weak_perspective_fit(candidates, keypoints, K_inv, weights, xp):
    """``weak_perspective_on_rays`` with the rays made from keypoints (B, 17, 2) px and K_inv (B, 3, 3)."""
    return weak_perspective_on_rays(candidates, keypoints_to_rays(keypoints, K_inv, xp), weights, xp)


def weak_perspective_on_rays(candidates, rays, weights, xp, centred=None):
    """How each root-relative candidate (L, 17, 3) matches the rays (B, 17, 3) (z = 1: normalised
    image points) under weak perspective: (residual, yaw, distance), each (B, L). The residual is in
    squared normalised image units (lower: closer); yaw (radians, ``geometry.yaw_matrices``) and the
    pelvis distance along its ray (metres) are a guess for the IPO's local search.

    Pelvis-centred normalised image points (u, v) are fitted as u = a X + b Z, v = s Y, which is a
    turn about the vertical axis and a scale 1 / depth (a = cos(yaw) s, b = sin(yaw) s; a and b are
    fitted freely for a closed form, and the depth is read from s, a body being taller than it is
    deep). Every sum over joints is a (B, 17) x (17, L) product, so a thousand candidates cost less
    than one IPO. ``weights`` (B, 17): 0 for missing joints. ``centred`` (B,) (None: none): 1 where
    rays[:, 0] is the mean of the observed rays (``occluded``): the candidates are then fitted about
    the mean of the same joints, and the distance is that mean's along its ray.
    """
    u, v = rays[..., 0] - rays[:, :1, 0], rays[..., 1] - rays[:, :1, 1]
    X, Y, Z = (xp.swapaxes(candidates[..., i], 0, 1) for i in range(3))  # each (17, L)
    # Each pose's sums are a (1, 17) x (17, L) product of its own, the same bits whatever the
    # batch (one (B, 17) x (17, L) product rounds by the batch's blocking), so that the guesses,
    # and the start, do not depend on how a job is chunked.
    dot = lambda a, m: (a[:, None, :] @ m)[:, 0]  # noqa: E731
    w, wu, wv = weights, weights * u, weights * v
    sxx, sxz, szz, syy = dot(w, X * X), dot(w, X * Z), dot(w, Z * Z), dot(w, Y * Y)
    sux, suz, svy = dot(wu, X), dot(wu, Z), dot(wv, Y)
    if centred is not None and bool((centred > 0).any()):
        about_mean = centred_sums((sxx, sxz, szz, syy), (dot(w, X), dot(w, Y), dot(w, Z)), w.sum(1, keepdims=True))
        on = centred[:, None] > 0
        sxx, sxz, szz, syy = (xp.where(on, m, p) for m, p in zip(about_mean, (sxx, sxz, szz, syy)))
    det = xp.maximum(sxx * szz - sxz**2, 1e-12)
    a = (szz * sux - sxz * suz) / det
    b = (sxx * suz - sxz * sux) / det
    s = svy / xp.maximum(syy, 1e-12)
    residual = (wu * u).sum(1, keepdims=True) - a * sux - b * suz + (wv * v).sum(1, keepdims=True) - s * svy
    scale = xp.where(s > 0, s, xp.sqrt(a * a + b * b))
    pelvis_ray = xp.sqrt((rays[:, :1] ** 2).sum(-1))  # (B, 1): metres along the ray per metre of depth
    return residual, xp.arctan2(b, a), pelvis_ray / xp.maximum(scale, 1e-6)


def shortlist(candidates, batch: Batch, size: int, xp):
    """The candidates (L, 17, 3) each pose of ``batch`` is judged against, the ``size`` closest under
    weak perspective (all of them when there are no more than ``size``): indices, yaw and distance
    guesses (``weak_perspective_on_rays``), each (B, C)."""
    L = candidates.shape[0]
    close, yaw, distance = weak_perspective_on_rays(candidates, batch.rays, batch.mask, xp, batch.centred)
    order = xp.argsort(close, axis=1)[:, :size] if L > size else xp.broadcast_to(xp.arange(L), close.shape)
    return order, xp.take_along_axis(yaw, order, 1), xp.take_along_axis(distance, order, 1)


def fill_group(a, G: int, xp):
    """A group of g <= G candidates per pose, (B, g, ...), as (B * G, ...) rows (row b * G + j): a
    short last group repeats its final candidate to fill G, and the extra rows are dropped after."""
    pad = xp.broadcast_to(a[:, -1:], (a.shape[0], G - a.shape[1]) + a.shape[2:])
    return xp.concatenate([a, pad], axis=1).reshape((-1,) + a.shape[2:])


def _place_shortlist(candidates, short, yaw, distance, rep: Batch, G: int, cfg: LoopConfig, xp):
    """The shortlisted candidates ``short`` (B, C) placed on every observed joint, G per pose at a
    time as the rows of ``rep`` (the batch repeated G times): x (B, C, 17, 3), T (B, C, 3) and
    their reprojection errors (B, C) px. Poses anchored on their observed joints' mean are placed
    centred on it (``occluded``) and made root-relative after."""
    B, C = short.shape
    dtype = rep.keypoints.dtype
    every_joint = replace(cfg, ipo_joints=tuple(range(NUM_JOINTS)))
    pelvis_dir = rep.unit_rays[:, 0]
    placed = xp.empty((B, C) + candidates.shape[1:], dtype=dtype)
    placed_T = xp.empty((B, C, 3), dtype=dtype)
    err = xp.empty((B, C), dtype=dtype)
    for c0 in range(0, C, G):
        g = min(G, C - c0)
        group = centre_on_seen(candidates[fill_group(short[:, c0 : c0 + g], G, xp)], rep.mask, rep.centred, xp)
        if cfg.start_fit == "grid":
            x, T = grid_placement(group, rep.keypoints, rep.K, pelvis_dir, every_joint, xp, rep.mask)
        else:
            guess = (fill_group(yaw[:, c0 : c0 + g], G, xp), fill_group(distance[:, c0 : c0 + g], G, xp))
            x, T = local_placement(group, rep.keypoints, rep.K, pelvis_dir, *guess, every_joint, xp, rep.mask)
        x, T = reroot(x, T, rep.centred, xp)
        placed[:, c0 : c0 + g] = x.reshape((B, G) + x.shape[1:])[:, :g]
        placed_T[:, c0 : c0 + g] = T.reshape(B, G, 3)[:, :g]
        error = reprojection_error(x + T[:, None, :], rep.keypoints, rep.K, rep.mask, xp)
        err[:, c0 : c0 + g] = error.reshape(B, G)[:, :g]
    return placed, placed_T, err


def _plausibility(placed, placed_T, err, rep: Batch, G: int, engine: Engine, cfg: LoopConfig, t: float, sde, xp):
    """The prior's residual (B, C) at t of each placed candidate (B, C, 17, 3), (B, C, 3) once its
    joints are moved towards their rays by the soft data step, G per pose at a time as the rows of
    ``rep``; the noise level it assumes follows from the best reprojection error of ``err`` (B, C)."""
    B, C = err.shape
    res = xp.empty((B, C), dtype=rep.keypoints.dtype)
    scale = noise.size_scale(rep.keypoints[::G], rep.mask[::G], xp)
    sigma = xp.repeat(noise.start_noise_px(err.min(axis=1), cfg.noise_px, xp, scale), G, axis=0)
    for c0 in range(0, C, G):
        g = min(G, C - c0)
        x, T = fill_group(placed[:, c0 : c0 + g], G, xp), fill_group(placed_T[:, c0 : c0 + g], G, xp)
        moved = project_onto_rays(x, T, rep.unit_rays, rep.mask[..., None])
        if cfg.noise_px != 0:
            fx = rep.K[:, 0, 0]
            moved = noise.data_step(x, moved, T, rep.scores, fx, sigma[:, None], marginal_std(t, sde), xp)
        res[:, c0 : c0 + g] = prior_residual(moved, engine, t, xp).reshape(B, G)[:, :g]
    return res


def rank_starts(
    candidates,
    batch: Batch,
    engine: Engine,
    cfg: LoopConfig,
    xp,
    count: int = 1,
    t: float = PLAUSIBILITY_T,
    rows: int = 1024,
    sde: SDEConfig = SDEConfig(),
):
    """The ``count`` best candidates (L, 17, 3) of each of the B poses of ``batch``, placed and best
    first: (index (B, c), x (B, c, 17, 3) turned by the IPO, T (B, c, 3)), c = min(count,
    shortlisted).

    The shortlisted candidates are each placed on every observed joint: by a local search from
    their weak-perspective yaw and distance (``cfg.start_fit`` "local") or by the IPO's global grid
    ("grid"); then ranked twice: by their reprojection error, and by the prior's residual at t once
    their joints are moved towards their rays by the soft data step (``zedo.runtime.solve.noise``)
    at ``cfg.noise_px``, or ``noise.START_NOISE_PX`` when the loop estimates it: moved exactly,
    noisy keypoints make the right candidate look implausible. The lowest sum of ranks wins (ties:
    the earlier candidate), and the rest follow in that order. ``rows`` caps the (pose, candidate)
    pairs fitted at once; ``sde`` is the prior's (``engine.meta.sde``).
    """
    B = len(batch)
    short, yaw, distance = shortlist(candidates, batch, cfg.start_shortlist, xp)
    # Candidates are fitted G at a time as B * G rows: small batches (B = 1) then cost a few calls,
    # not C, and a large batch stays near the memory of one IPO.
    G = max(1, min(short.shape[1], rows // B))
    rep = batch.repeat(G, xp)
    placed, placed_T, err = _place_shortlist(candidates, short, yaw, distance, rep, G, cfg, xp)
    res = _plausibility(placed, placed_T, err, rep, G, engine, cfg, t, sde, xp)
    best = xp.argsort(row_ranks(err, xp) + row_ranks(res, xp), axis=1, kind="stable")[:, :count]
    rows_b = xp.arange(B)[:, None]
    return short[rows_b, best], placed[rows_b, best], placed_T[rows_b, best]


def choose_starts(
    candidates,
    keypoints,
    scores,
    K,
    engine: Engine,
    cfg: LoopConfig,
    xp,
    count: int = 1,
    t: float = PLAUSIBILITY_T,
    rows: int = 1024,
    sde: SDEConfig = SDEConfig(),
):
    """``rank_starts`` for keypoints (B, 17, 2) px, scores (B, 17) (0: missing) and K (B, 3, 3)."""
    return rank_starts(candidates, batch_of(keypoints, scores, K, xp), engine, cfg, xp, count, t, rows, sde)


def choose_start(
    candidates,
    keypoints,
    scores,
    K,
    engine: Engine,
    cfg: LoopConfig,
    xp,
    t: float = PLAUSIBILITY_T,
    rows: int = 1024,
    sde: SDEConfig = SDEConfig(),
):
    """The candidate (L, 17, 3) root-relative pose each of B poses starts from, placed:
    (index (B,), x (B, 17, 3) turned by the IPO, T (B, 3)); ``choose_starts`` with count 1."""
    index, x, T = choose_starts(candidates, keypoints, scores, K, engine, cfg, xp, 1, t, rows, sde)
    return index[:, 0], x[:, 0], T[:, 0]

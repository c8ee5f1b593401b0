"""Any camera orientation: lift in a virtual level camera, then turn the result back.

Frames and conventions as ``zedo.runtime.core.rotation``: ``camera_to_level`` (N, 3, 3) per pose
rotates camera-frame points into a virtual camera at the same centre and with the same K whose
y axis points along gravity. Its image is the homography H = K R K^-1 of the real one, so the
keypoints are warped into it, the whole lift runs there unchanged (the priors know poses as
Human3.6M's near-level cameras see them), and joints, translations and hypotheses are turned back
by R^T. Poses sharing one K are one camera (a video, a photo's people) and share one tilt.

The tilt is given (``gravity``: a vector (3,) or (N, 3) in camera coordinates, pointing down),
assumed level (``"level"``), or estimated per camera (None): a pattern search over (pitch, roll)
from level, each tilt judged on up to ``SEARCH_POSES`` of the camera's poses by the start search
alone (``candidates.rank_starts``): the mean over poses of log reprojection error (px) plus log
prior residual of the best candidate once moved onto its rays. Level is kept unless a tilt at
least ``LEVEL_CONE`` from it scores ``LEVEL_MARGIN`` better (hysteresis), so that near-level
cameras are lifted exactly as before.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core.config import LoopConfig
from ..core.errors import FieldError
from ..core.geometry import project_onto_rays, reprojection_error
from ..core.result import Estimate
from ..core.rotation import gravity_to_matrix, homography, tilt_gravity, warp_points
from ..engines.open import Engine
from ..io.placing import complete
from ..io.validation import Inputs
from .batch import batch_of
from .candidates import rank_starts
from .scoring import PLAUSIBILITY_T, prior_residual
from .start import start_library

SEARCH_POSES = 16  # poses of a camera that judge each tilt
SEARCH_SHORTLIST = 8  # candidates each judging pose places per tilt (LoopConfig.start_shortlist at most)
FIRST_STEP, LAST_STEP = np.deg2rad(16.0), np.deg2rad(2.0)  # the pattern search's steps, radians
PITCH_RANGE, ROLL_RANGE = np.deg2rad((-75.0, 75.0)), np.deg2rad((-60.0, 60.0))
LEVEL_CONE = np.deg2rad(12.0)  # a tilt closer to level than this is taken as level
LEVEL_MARGIN = 0.25  # how much better (score units: log px + log residual) a tilt must score than level
MIN_DEPTH = 0.05  # a ray must keep this much of its forward component in the level camera


def camera_groups(K: np.ndarray) -> np.ndarray:
    """(N,) int camera index of each pose: poses whose K (N, 3, 3) are equal share one."""
    return np.unique(K.reshape(len(K), 9), axis=0, return_inverse=True)[1].reshape(-1)


def tilt_scores(tilts, inputs: Inputs, rows, engine: Engine, config: LoopConfig, library) -> np.ndarray:
    """The score (T,) of each (pitch, roll) of ``tilts`` (T, 2) radians on the poses ``rows`` of
    ``inputs`` (one camera; see the module docstring; lower: better; inf where a keypoint falls
    behind the level camera)."""
    xp, P = engine.xp, len(rows)
    R = np.stack([gravity_to_matrix(tilt_gravity(p, r)) for p, r in tilts])  # (T, 3, 3)
    K = np.repeat(inputs.K[rows][None], len(tilts), 0).reshape(-1, 3, 3)
    H = homography(K, np.repeat(R, P, 0))
    warped, depth = warp_points(np.tile(inputs.keypoints[rows], (len(tilts), 1, 1)), H)
    scores = np.tile(inputs.scores[rows], (len(tilts), 1))
    behind = ((depth < MIN_DEPTH) & (scores > 0)).any(1).reshape(len(tilts), P).any(1)
    f32 = lambda a: xp.asarray(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    batch = batch_of(f32(warped), f32(scores), f32(K), xp)
    short = replace(config, start_shortlist=min(config.start_shortlist, SEARCH_SHORTLIST))
    _, x, T = rank_starts(library, batch, engine, short, xp, 1, sde=engine.meta.sde)
    x, T = x[:, 0], T[:, 0]
    err = reprojection_error(x + T[:, None, :], batch.keypoints, batch.K, batch.mask, xp)
    moved = project_onto_rays(x, T, batch.unit_rays, batch.mask[..., None])
    res = prior_residual(moved, engine, PLAUSIBILITY_T, xp)
    host = getattr(xp, "asnumpy", np.asarray)
    per_pose = np.log(host(err).astype(np.float64) + 1e-3) + np.log(host(res).astype(np.float64) + 1e-6)
    total = per_pose.reshape(len(tilts), P).mean(1)
    return np.where(behind | ~np.isfinite(total), np.inf, total)


def search_tilt(score_of) -> tuple[float, float]:
    """The (pitch, roll) radians that ``score_of`` (tilts (T, 2) -> scores (T,), lower: better)
    ranks best by a pattern search from level, with level preferred (the module docstring)."""
    best, step = np.zeros(2), FIRST_STEP
    level = best_score = float(score_of(best[None])[0])
    while step >= LAST_STEP - 1e-12:
        moves = best + step * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
        moves = moves[(moves[:, 0] >= PITCH_RANGE[0]) & (moves[:, 0] <= PITCH_RANGE[1])]
        moves = moves[(moves[:, 1] >= ROLL_RANGE[0]) & (moves[:, 1] <= ROLL_RANGE[1])]
        got = np.asarray(score_of(moves), dtype=np.float64)
        if len(got) and got.min() < best_score:
            best, best_score = moves[int(np.argmin(got))], float(got.min())
        else:
            step /= 2
    if np.hypot(*best) < LEVEL_CONE or not best_score < level - LEVEL_MARGIN:
        return 0.0, 0.0
    return float(best[0]), float(best[1])


def estimate_tilts(inputs: Inputs, engine: Engine, config: LoopConfig) -> np.ndarray:
    """``camera_to_level`` (N, 3, 3) float64 estimated once per camera (``camera_groups``) from up
    to ``SEARCH_POSES`` of its placed poses, evenly spread (its complete ones where it has any);
    identity where the prior has no library of candidate poses to judge by, or a camera has no
    placed pose."""
    out = np.repeat(np.eye(3)[None], len(inputs.K), 0)
    library = start_library(engine.meta, config)
    if library is None:
        return out
    library = engine.xp.asarray(np.ascontiguousarray(library, dtype=np.float32))
    cams = camera_groups(inputs.K)
    for c in range(cams.max() + 1 if len(cams) else 0):
        usable = (cams == c) & inputs.valid
        whole = usable & complete(inputs.scores)  # poses with pelvis and hips judge, where there are any
        placed = np.flatnonzero(whole if whole.any() else usable)
        if not len(placed):
            continue
        rows = placed[np.unique(np.linspace(0, len(placed) - 1, SEARCH_POSES).round().astype(int))]
        pitch, roll = search_tilt(lambda tilts, rows=rows: tilt_scores(tilts, inputs, rows, engine, config, library))
        out[cams == c] = gravity_to_matrix(tilt_gravity(pitch, roll))
    return out


def given_tilts(gravity, n: int) -> np.ndarray:
    """``camera_to_level`` (n, 3, 3) for a gravity (3,) or (n, 3) in camera coordinates."""
    g = np.asarray(gravity, dtype=np.float64)
    if g.ndim == 1:
        return np.repeat(gravity_to_matrix(g)[None], n, 0)
    if g.shape != (n, 3):
        raise ValueError(f"gravity must be 3 numbers or one (3,) row per pose ({n}, 3), got shape {g.shape}")
    return np.stack([gravity_to_matrix(row) for row in g])


def to_level(inputs: Inputs, camera_to_level: np.ndarray) -> tuple[Inputs, np.ndarray]:
    """The inputs as the level cameras see them (keypoints warped; missing joints stay 0), and the
    rotations actually used (N, 3, 3): identity for a pose with a keypoint behind its level camera."""
    warped, depth = warp_points(inputs.keypoints, homography(inputs.K, camera_to_level))
    behind = ((depth < MIN_DEPTH) & (inputs.scores > 0)).any(1)
    used = np.where(behind[:, None, None], np.eye(3), camera_to_level)
    warped = np.where(behind[:, None, None], inputs.keypoints, warped)
    warped = np.where(inputs.scores[..., None] > 0, warped, 0.0)
    return replace(inputs, keypoints=warped), used


def check_gravity(gravity, n: int | None = None) -> None:
    """FieldError naming ``gravity`` unless it is None (estimate), "level" or a finite, nonzero
    vector (3,) (or (n, 3) with ``n`` poses)."""
    if gravity is None or (isinstance(gravity, str) and gravity == "level"):
        return
    try:
        g = np.asarray(gravity, dtype=np.float64)
    except (TypeError, ValueError):
        raise FieldError("gravity", f'must be None, "level" or 3 numbers, got {gravity!r}') from None
    if g.shape != (3,) and (g.ndim != 2 or g.shape[1] != 3 or (n is not None and len(g) != n)):
        raise FieldError("gravity", f"must be 3 numbers (x right, y down, z forward) or one row per pose, got {g.size}")
    if not np.isfinite(g).all() or not (np.linalg.norm(g.reshape(-1, 3), axis=1) > 0).all():
        raise FieldError("gravity", f"must be finite and not zero, got {g.tolist()}")


def level_rotations(inputs: Inputs, engine: Engine, config: LoopConfig, gravity) -> np.ndarray | None:
    """``camera_to_level`` (N, 3, 3) for ``gravity`` (None: estimated; "level"; a vector (3,) or
    (N, 3)), or None where every pose's camera is level already (the lift then runs as given)."""
    check_gravity(gravity, len(inputs.K))
    if isinstance(gravity, str):
        return None
    R = estimate_tilts(inputs, engine, config) if gravity is None else given_tilts(gravity, len(inputs.K))
    return None if (R == np.eye(3)).all() else R


def turn_back(estimate: Estimate, camera_to_level: np.ndarray, K: np.ndarray) -> Estimate:
    """An ``Estimate`` made in the level cameras, turned back into the real ones (K (N, 3, 3))."""
    R = camera_to_level
    joints = estimate.joints_3d @ R  # row vectors: camera = level @ R, as R^T level for columns
    hyps = estimate.hypotheses @ R[:, None]
    return replace(estimate, joints_3d=joints, translation=joints[:, 0].copy(), hypotheses=hyps, K=K)

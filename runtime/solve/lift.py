"""``lift``: one batch of poses through the start, the loop and the scoring, on device arrays.

Units and frames as ``zedo.runtime.core.geometry``; every array lives in ``engine.xp`` in float32. The
batch's rays are computed once (``zedo.runtime.solve.batch.Batch``) and every stage takes them from
it. The host side (validation, chunks, progress, selection among hypotheses) is
``zedo.runtime.solve.api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.config import LoopConfig
from ..core.geometry import reprojection_error, solve_translation
from ..engines.open import Engine
from .batch import Batch, batch_of
from .loop import iterate
from .scoring import PLAUSIBILITY_T, prior_residual
from .start import Start, start_batch


@dataclass(frozen=True)
class Lifted:
    """One lifted batch of B poses, arrays of the engine's ``xp``."""

    x: Any  # (B, 17, 3) root-relative metres, the prior's last output
    T: Any  # (B, 3) metres; x + T is the camera-frame estimate
    reprojection_px: Any  # (B,) score-weighted mean reprojection error, pixels
    residual: Any  # (B,) the prior's residual at PLAUSIBILITY_T
    noise_px: Any  # (B,) the 2D noise sigma the loop used, px (estimated, or LoopConfig.noise_px)
    misfit_px: Any = None  # (B,) noise.LoopNoise.misfit_px, px (None where the noise is given)


class CheckedEngine:
    """An engine whose every output is checked to have its input's shape: a prior that returns
    (B, 1, 3) would otherwise broadcast into plausible-looking nonsense. Non-finite outputs are let
    through; the poses they reach are reported invalid by ``api.estimate_inputs``."""

    def __init__(self, engine: Engine):
        self.engine, self.xp, self.meta = engine, engine.xp, engine.meta

    def __call__(self, x, t):
        eps = self.engine(x, t)
        if getattr(eps, "shape", None) != x.shape:
            name = getattr(self.engine, "path", type(self.engine).__name__)
            raise RuntimeError(
                f"{name}: the prior returned eps of shape {getattr(eps, 'shape', None)} for x of shape "
                f"{tuple(x.shape)}; not a zedo prior (x, t -> eps)"
            )
        return eps


def fuse(x, noise_px, weights, E: int, batch: Batch, xp):
    """The mean of each pose's E loop results x (B * E, 17, 3) root-relative (row b * E + e), placed
    on the rays of ``batch`` (B poses) by the closed-form translation with the mean of the loops'
    weights (B * E, 17): (x (B, 17, 3), T (B, 3), noise_px (B,) the mean of noise_px (B * E,)).
    Averaging poses from different starts cancels part of what noisy 2D does to each
    (docs/decisions.md, "An ensemble of starts")."""
    x = x.reshape((-1, E) + x.shape[1:]).mean(axis=1)
    w = weights.reshape(-1, E, weights.shape[1]).mean(axis=1)
    T = solve_translation(x, batch.rays, w, xp)
    return x, T, per_pose_mean(noise_px, E)


def per_pose_mean(values, E: int):
    """The mean (B,) of each pose's E values (B * E,) (row b * E + e); None stays None."""
    return None if values is None else values.reshape(-1, E).mean(axis=1)


def lift(batch: Batch, engine: Engine, config: LoopConfig, start: Start, rng=None, callback=None, t_start=None):
    """Lift the B poses of ``batch`` (float32 arrays of ``engine.xp``) from ``start``
    (``start.start_batch`` decides where); ``rng``, ``callback`` and ``t_start`` as
    ``loop.iterate``. With E > 1 starts per pose, each runs the loop and the pose reports their
    mean (``fuse``)."""
    xp, engine = engine.xp, CheckedEngine(engine)
    x, T = start_batch(start, batch, engine, config, xp)
    E = x.shape[0] // len(batch)
    rows = batch.repeat(E, xp) if E > 1 else batch
    x, T, noise_px, w, misfit = iterate(x, T, rows, engine, engine.meta.sde, config, xp, rng, callback, t_start)
    if E > 1:
        x, T, noise_px = fuse(x, noise_px, w, E, batch, xp)
        misfit = per_pose_mean(misfit, E)
    weights = batch.scores * (batch.scores > 0)
    reprojection = reprojection_error(x + T[:, None, :], batch.keypoints, batch.K, weights, xp)
    return Lifted(x, T, reprojection, prior_residual(x, engine, PLAUSIBILITY_T, xp), noise_px, misfit)


def lift_batch(
    keypoints,
    scores,
    K,
    engine: Engine,
    config: LoopConfig,
    start=None,
    library=None,
    rng=None,
    callback=None,
    t_start=None,
    poses=None,
) -> Lifted:
    """``lift`` for keypoints (B, 17, 2) px, scores (B, 17) (0: missing) and K (B, 3, 3), float32
    arrays of ``engine.xp``: from ``start``, a placed ``(x (B, 17, 3), T (B, 3))`` pair; or chosen
    among the candidate poses ``library`` (L, 17, 3); or from root-relative ``poses`` (B, 17, 3)
    placed by the IPO (``start.Start``)."""
    batch = batch_of(keypoints, scores, K, engine.xp)
    return lift(batch, engine, config, Start(placed=start, library=library, poses=poses), rng, callback, t_start)

"""``lift_batch``: one batch of poses through the start, the loop and the scoring, on device arrays.

Units and frames as ``zedo.runtime.core.geometry``; every array lives in ``engine.xp`` in float32. The
host side (validation, chunks, progress, selection among hypotheses) is ``zedo.runtime.solve.api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.config import LoopConfig
from ..core.geometry import keypoints_to_rays, reprojection_error, solve_translation
from ..engines.open import Engine
from .loop import run_loop
from .scoring import PLAUSIBILITY_T, prior_residual
from .start import choose_starts, place_start


@dataclass(frozen=True)
class Lifted:
    """One lifted batch of B poses, arrays of the engine's ``xp``."""

    x: Any  # (B, 17, 3) root-relative metres, the prior's last output
    T: Any  # (B, 3) metres; x + T is the camera-frame estimate
    reprojection_px: Any  # (B,) score-weighted mean reprojection error, pixels
    residual: Any  # (B,) the prior's residual at PLAUSIBILITY_T
    noise_px: Any  # (B,) the 2D noise sigma the loop used, px (estimated, or LoopConfig.noise_px)


def place(start, library, keypoints, scores, K, engine: Engine, config: LoopConfig):
    """The placed start (x (B * E, 17, 3), T (B * E, 3)) of a batch, E starts per pose (row b * E + e).
    ``start``: a placed ``(x, T)`` pair, kept as is; root-relative poses (B, 17, 3), placed by
    ``place_start``; or None: each pose's E = ``config.start_ensemble`` best starts (fewer when fewer
    are shortlisted) are chosen among the candidate poses ``library`` (L, 17, 3) by ``choose_starts``.
    E is 1 but in the last case."""
    if start is None:
        _, x, T = choose_starts(
            library, keypoints, scores, K, engine, config, engine.xp, config.start_ensemble, sde=engine.meta.sde
        )
        return x.reshape((-1,) + x.shape[2:]), T.reshape(-1, 3)
    if isinstance(start, tuple):
        return start
    return place_start(start, keypoints, scores, K, config, engine.xp)


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
                f"{name}: the prior returned eps of shape {getattr(eps, 'shape', None)} for x of shape {tuple(x.shape)}; not a zedo prior (x, t -> eps)"
            )
        return eps


def fuse(x, noise_px, weights, E: int, keypoints, K, xp):
    """The mean of each pose's E loop results x (B * E, 17, 3) root-relative (row b * E + e), placed
    on keypoints (B, 17, 2) by the closed-form translation with the mean of the loops' weights
    (B * E, 17): (x (B, 17, 3), T (B, 3), noise_px (B,) the mean of noise_px (B * E,)). Averaging
    poses from different starts cancels part of what noisy 2D does to each (docs/decisions.md, "An
    ensemble of starts")."""
    x = x.reshape((-1, E) + x.shape[1:]).mean(axis=1)
    w = weights.reshape(-1, E, weights.shape[1]).mean(axis=1)
    T = solve_translation(x, keypoints_to_rays(keypoints, xp.linalg.inv(K), xp), w, xp)
    return x, T, noise_px.reshape(-1, E).mean(axis=1)


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
) -> Lifted:
    """Lift B poses: keypoints (B, 17, 2) px, scores (B, 17) (0: missing), K (B, 3, 3), float32 arrays
    of ``engine.xp``. ``start`` and ``library`` as ``place``; ``rng``, ``callback`` and ``t_start``
    as ``loop.run_loop``. With E > 1 starts per pose, each runs the loop and the pose reports
    their mean (``fuse``)."""
    xp, engine = engine.xp, CheckedEngine(engine)
    x, T = place(start, library, keypoints, scores, K, engine, config)
    E = x.shape[0] // keypoints.shape[0]
    each = (lambda a: xp.repeat(a, E, axis=0)) if E > 1 else (lambda a: a)  # noqa: E731
    x, T, noise_px, w = run_loop(
        x, T, each(keypoints), each(scores), each(K), engine, engine.meta.sde, config, xp, rng, callback, t_start
    )
    if E > 1:
        x, T, noise_px = fuse(x, noise_px, w, E, keypoints, K, xp)
    weights = scores * (scores > 0)
    reprojection = reprojection_error(x + T[:, None, :], keypoints, K, weights, xp)
    return Lifted(x, T, reprojection, prior_residual(x, engine, PLAUSIBILITY_T, xp), noise_px)

"""``lift_batch``: one batch of poses through the start, the loop and the scoring, on device arrays.

Units and frames as ``zedo.runtime.geometry``; every array lives in ``engine.xp`` in float32. The
host side (validation, chunks, progress, selection among hypotheses) is ``zedo.runtime.api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import LoopConfig
from .engines import Engine
from .geometry import reprojection_error
from .loop import run_loop
from .scoring import PLAUSIBILITY_T, prior_residual
from .start import choose_start, place_start


@dataclass(frozen=True)
class Lifted:
    """One lifted batch of B poses, arrays of the engine's ``xp``."""

    x: Any  # (B, 17, 3) root-relative metres, the prior's last output
    T: Any  # (B, 3) metres; x + T is the camera-frame estimate
    reprojection_px: Any  # (B,) score-weighted mean reprojection error, pixels
    residual: Any  # (B,) the prior's residual at PLAUSIBILITY_T
    noise_px: Any  # (B,) the 2D noise sigma the loop used, px (estimated, or LoopConfig.noise_px)


def place(start, library, keypoints, scores, K, engine: Engine, config: LoopConfig):
    """The placed start (x (B, 17, 3), T (B, 3)) of a batch. ``start``: a placed ``(x, T)`` pair, kept
    as is; root-relative poses (B, 17, 3), placed by ``place_start``; or None: each pose's start is
    chosen among the candidate poses ``library`` (L, 17, 3) by ``choose_start``."""
    if start is None:
        _, x, T = choose_start(library, keypoints, scores, K, engine, config, engine.xp, sde=engine.meta.sde)
        return x, T
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
            raise RuntimeError(f"{name}: the prior returned eps of shape {getattr(eps, 'shape', None)} for x of shape {tuple(x.shape)}; not a zedo prior (x, t -> eps)")
        return eps


def lift_batch(keypoints, scores, K, engine: Engine, config: LoopConfig, start=None, library=None, rng=None, callback=None, t_start=None) -> Lifted:
    """Lift B poses: keypoints (B, 17, 2) px, scores (B, 17) (0: missing), K (B, 3, 3), float32 arrays
    of ``engine.xp``. ``start`` and ``library`` as ``place``; ``rng``, ``callback`` and ``t_start``
    as ``loop.run_loop``."""
    xp, engine = engine.xp, CheckedEngine(engine)
    x, T = place(start, library, keypoints, scores, K, engine, config)
    x, T, noise_px = run_loop(x, T, keypoints, scores, K, engine, engine.meta.sde, config, xp, rng, callback, t_start)
    weights = scores * (scores > 0)
    reprojection = reprojection_error(x + T[:, None, :], keypoints, K, weights, xp)
    return Lifted(x, T, reprojection, prior_residual(x, engine, PLAUSIBILITY_T, xp), noise_px)

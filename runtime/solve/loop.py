"""ZeDO's optimisation loop: from a placed start, iterate translation, rays and one prior step.

Units and frames as ``zedo.runtime.core.geometry``. Per iteration (Jiang et al., WACV 2024, Alg. 1 and
the official release): solve the translation in closed form (after a warm-up that keeps the
start's), move every observed joint towards its camera ray, and take one reverse-time step of the
prior (``zedo.runtime.core.sde.SAMPLERS``) from t_max down to t_min. The move is the release's exact
projection onto the ray while the pose's 2D noise is estimated, then the soft step of
``zedo.runtime.solve.noise`` (``LoopConfig.noise_px``). Where the start comes from is
``zedo.runtime.solve.start``'s business; this module only iterates, on the rays of its
``zedo.runtime.solve.batch.Batch``.
"""

from __future__ import annotations

from ..core import sde as sde_lib
from ..core.config import LoopConfig
from ..core.geometry import project_onto_rays, solve_translation
from ..engines.open import Engine
from . import noise
from .batch import Batch, batch_of


def translation_weights(scores, cfg: LoopConfig, xp):
    """Weights (B, 17) of the translation solve: scores clipped to [min_score, 1], squared as in the
    release, and 0 for missing joints (score 0)."""
    mask = (scores > 0).astype(scores.dtype)
    return xp.clip(scores, cfg.min_score, 1.0) ** 2 * mask


def run_loop(
    x,
    T,
    keypoints,
    scores,
    K,
    engine: Engine,
    sde: sde_lib.SDEConfig,
    cfg: LoopConfig,
    xp,
    rng=None,
    callback=None,
    t_start=None,
):
    """``iterate`` for keypoints (B, 17, 2) px, scores (B, 17) in [0, 1] (0: missing) and K (B, 3, 3),
    arrays of ``xp`` in the engine's dtype."""
    return iterate(x, T, batch_of(keypoints, scores, K, xp), engine, sde, cfg, xp, rng, callback, t_start)


def iterate(
    x,
    T,
    batch: Batch,
    engine: Engine,
    sde: sde_lib.SDEConfig,
    cfg: LoopConfig,
    xp,
    rng=None,
    callback=None,
    t_start=None,
):
    """Iterate the ZeDO loop on ``batch`` from the placed start (x (B, 17, 3) root-relative, T (B, 3)).

    ``rng`` draws the "sde" sampler's noise. ``callback``, if given, receives the loop state after
    each iteration as a dict ``{"i", "t", "x", "T"}``. ``t_start`` (None: ``sde.t_max``) starts the
    schedule elsewhere, for a start that is nearly right already (the stream mode's previous
    frame); the step stays ``cfg.step_scale / cfg.iterations``. Returns (x (B, 17, 3)
    root-relative, T (B, 3), noise (B,) px, weights (B, 17), misfit (B,) px) so that x + T is the
    camera-frame estimate; noise is ``cfg.noise_px``, or the level estimated for each pose; weights
    are the translation solve's, 0 for keypoints found to be outliers (``noise.measurement_noise``);
    misfit is ``noise.LoopNoise.misfit_px`` (the last two only when the noise is estimated; else
    the scores' weights and None).
    """
    step = sde_lib.SAMPLERS[cfg.sampler]
    w = translation_weights(batch.scores, cfg, xp)
    warmup = int(cfg.iterations * cfg.warmup_fraction)
    dt = cfg.step_scale / cfg.iterations
    level = noise.LoopNoise(cfg.noise_px, cfg.iterations, batch.scores.shape, x.dtype, xp)
    for i, t in enumerate(sde_lib.time_schedule(cfg.iterations, sde, t_start)):
        if i >= warmup:
            T = solve_translation(x, batch.rays, w, xp)
        x = _towards_rays(x, T, batch, level, t, sde, cfg, xp)
        eps = engine(x, xp.full((x.shape[0],), t, dtype=x.dtype))
        if level.add(i, x, eps, T, batch, t, sde, xp):
            w = xp.where(level.outlier, 0.0, w).astype(w.dtype)
        x = step(x, eps, t, dt, sde, xp, rng)
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "T": T})
    return x, solve_translation(x, batch.rays, w, xp), level.sigma, w, level.misfit_px


def _towards_rays(x, T, batch: Batch, level: noise.LoopNoise, t: float, sde: sde_lib.SDEConfig, cfg: LoopConfig, xp):
    """The data step of root-relative x (B, 17, 3) at T (B, 3): every observed joint onto its ray,
    or with a noise level known (and not 0) the soft step of ``noise.data_step`` towards it."""
    on_rays = project_onto_rays(x, T, batch.unit_rays, batch.mask[..., None])
    if level.sigma is None or cfg.noise_px == 0:
        return on_rays
    prior_std = sde_lib.marginal_std(t, sde)
    fx = batch.K[:, 0, 0]
    return noise.data_step(x, on_rays, T, batch.scores, fx, level.keypoint_sigma, prior_std, xp, cfg.iterations)

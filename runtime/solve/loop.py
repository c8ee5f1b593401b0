"""ZeDO's optimisation loop: from a placed start, iterate translation, rays and one prior step.

Units and frames as ``zedo.runtime.core.geometry``. Per iteration (Jiang et al., WACV 2024, Alg. 1 and
the official release): solve the translation in closed form (after a warm-up that keeps the
start's), move every observed joint towards its camera ray, and take one reverse-time step of the
prior (``zedo.runtime.core.sde.SAMPLERS``) from t_max down to t_min. The move is the release's exact
projection onto the ray while the pose's 2D noise is estimated, then the soft step of
``zedo.runtime.solve.noise`` (``LoopConfig.noise_px``). Where the start comes from is
``zedo.runtime.solve.start``'s business; this module only iterates.
"""

from __future__ import annotations

from ..core import sde as sde_lib
from ..core.config import LoopConfig
from ..core.geometry import keypoints_to_rays, project_onto_rays, solve_translation, unit
from ..engines.open import Engine
from . import noise


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
    """Iterate the ZeDO loop on one batch from the placed start (x (B, 17, 3) root-relative, T (B, 3)).

    keypoints (B, 17, 2) px, scores (B, 17) in [0, 1] (0: missing), K (B, 3, 3), all arrays of
    ``xp`` in the engine's dtype. ``rng`` draws the "sde" sampler's noise. ``callback``, if given,
    receives the loop state after each iteration as a dict ``{"i", "t", "x", "T"}``. ``t_start``
    (None: ``sde.t_max``) starts the schedule elsewhere, for a start that is nearly right already
    (the stream mode's previous frame); the step stays ``cfg.step_scale / cfg.iterations``. Returns
    (x (B, 17, 3) root-relative, T (B, 3), noise (B,) px, weights (B, 17)) so that x + T is the
    camera-frame estimate; noise is ``cfg.noise_px``, or the level estimated for each pose;
    weights are the translation solve's, 0 for keypoints found to be outliers
    (``noise.measurement_noise``: only when the noise is estimated).
    """
    step = sde_lib.SAMPLERS[cfg.sampler]
    rays = keypoints_to_rays(keypoints, xp.linalg.inv(K), xp)
    unit_rays = unit(rays, xp)
    mask = (scores > 0).astype(x.dtype)[..., None]
    w = translation_weights(scores, cfg, xp)
    B = x.shape[0]
    warmup = int(cfg.iterations * cfg.warmup_fraction)
    dt = cfg.step_scale / cfg.iterations
    first, last = noise.window(cfg.iterations)
    sigma = None if cfg.noise_px is None else xp.full((B,), cfg.noise_px, dtype=x.dtype)
    keypoint_sigma = None if sigma is None else sigma[:, None]  # (B, 1) given, or (B, 17) once estimated
    residual = xp.zeros(keypoints.shape[:2], dtype=x.dtype)
    for i, t in enumerate(sde_lib.time_schedule(cfg.iterations, sde, t_start)):
        if i >= warmup:
            T = solve_translation(x, rays, w, xp)
        on_rays = project_onto_rays(x, T, unit_rays, mask)
        soft = sigma is not None and cfg.noise_px != 0
        x = (
            noise.data_step(
                x, on_rays, T, scores, K[:, 0, 0], keypoint_sigma, sde_lib.marginal_std(t, sde), xp, cfg.iterations
            )
            if soft
            else on_rays
        )
        eps = engine(x, xp.full((B,), t, dtype=x.dtype))
        if sigma is None and i >= first:
            residual += noise.denoised_residual_px(x, eps, T, keypoints, K, t, sde, xp)
            if i == last - 1:
                mean_residual = residual / (last - first)
                sigma, keypoint_sigma, outlier = noise.measurement_noise(mean_residual, mask[..., 0], xp)
                w = xp.where(outlier, 0.0, w).astype(w.dtype)
        x = step(x, eps, t, dt, sde, xp, rng)
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "T": T})
    return x, solve_translation(x, rays, w, xp), sigma, w

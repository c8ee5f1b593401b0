"""The sub-VP SDE of Song et al. (2021) as plain functions of t, its time schedule and its samplers.

The forward SDE is dx = -1/2 beta(t) x dt + sqrt(beta(t) (1 - exp(-2 int_0^t beta))) dw with
beta(t) = beta_min + t (beta_max - beta_min). Its marginal is x_t = mean_coeff(t) x_0 + std(t) eps,
eps ~ N(0, I). The prior network predicts eps ("noise convention"); the score is -eps / std(t).
Poses are root-relative, in metres, so std(t) is a length in metres: std(0.1) is about 0.10 m and
std(0.01) about 2 mm, the range ZeDO's loop visits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_BETA = 1000.0  # beta(t) beyond this would make exp(-int beta) underflow within the loop's t range


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class SDEConfig:
    """Parameters of the sub-VP SDE (the paper's and score_sde's defaults). Checked when made
    (ValueError naming the field): 0 <= beta_min <= beta_max <= MAX_BETA with beta_max > 0, and
    0 < t_min < t_max <= 1, so that std(t) > 0 wherever the loop divides by it."""

    beta_min: float = 0.1  # beta(0)
    beta_max: float = 20.0  # beta(1)
    t_max: float = 0.1  # ZeDO's truncation: the loop starts at this t (config.model.t)
    t_min: float = 0.01  # ZeDO's sampling_eps: the loop ends at this t

    def __post_init__(self):
        for name in ("beta_min", "beta_max", "t_max", "t_min"):
            if not _is_real(getattr(self, name)):
                raise ValueError(f"SDEConfig.{name} must be a finite real number, got {getattr(self, name)!r}")
        if not (0 <= self.beta_min <= self.beta_max <= MAX_BETA and self.beta_max > 0):
            raise ValueError(
                f"SDEConfig needs 0 <= beta_min <= beta_max <= {MAX_BETA:g} and beta_max > 0, "
                f"got beta_min {self.beta_min!r}, beta_max {self.beta_max!r}"
            )
        if not 0 < self.t_min < self.t_max <= 1:
            raise ValueError(f"SDEConfig needs 0 < t_min < t_max <= 1, got t_min {self.t_min!r}, t_max {self.t_max!r}")


def _log_mean_coeff(t, cfg: SDEConfig, xp=math):
    return -0.25 * t**2 * (cfg.beta_max - cfg.beta_min) - 0.5 * t * cfg.beta_min


def mean_coeff(t, cfg: SDEConfig = SDEConfig(), xp=math):
    """mean_coeff(t) = exp(-t^2 (b1 - b0) / 4 - t b0 / 2); t scalar or array, unitless."""
    return xp.exp(_log_mean_coeff(t, cfg, xp))


def marginal_std(t, cfg: SDEConfig = SDEConfig(), xp=math):
    """std(t) = 1 - exp(2 log mean_coeff(t)) (sub-VP: not a square root), in metres for poses."""
    return 1.0 - xp.exp(2.0 * _log_mean_coeff(t, cfg, xp))


def beta(t, cfg: SDEConfig = SDEConfig()):
    """beta(t) = b0 + t (b1 - b0)."""
    return cfg.beta_min + t * (cfg.beta_max - cfg.beta_min)


def diffusion_sq(t, cfg: SDEConfig = SDEConfig(), xp=math):
    """g(t)^2 = beta(t) (1 - exp(-2 b0 t - (b1 - b0) t^2)), the sub-VP diffusion coefficient squared."""
    return beta(t, cfg) * (1.0 - xp.exp(-2.0 * cfg.beta_min * t - (cfg.beta_max - cfg.beta_min) * t**2))


def time_schedule(iterations: int, cfg: SDEConfig = SDEConfig(), t_start: float | None = None) -> list[float]:
    """The loop's t values, t_max (or ``t_start``, for a short run from a pose that is nearly right
    already) down to t_min inclusive, evenly spaced (ZeDO: linspace(T, eps, N))."""
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    top = cfg.t_max if t_start is None else t_start
    if iterations == 1:
        return [top]
    step = (top - cfg.t_min) / (iterations - 1)
    return [top - i * step for i in range(iterations)]


def ode_step(x, eps, t: float, dt: float, cfg: SDEConfig, xp, rng=None):
    """One Euler step of the probability-flow ODE of the sub-VP SDE, backwards in time by dt.

    x, eps (B, 17, 3) arrays of ``xp``; dx = [f(x, t) - 1/2 g(t)^2 score] dt with f = -1/2 beta(t) x
    and score = -eps / std(t) (Song et al. 2021, eq. 13); stepping backwards:
    x <- x + dt (1/2 beta x - 1/2 g^2 eps / std). Deterministic: ``rng`` is unused.
    """
    b = beta(t, cfg)
    g2 = diffusion_sq(t, cfg)
    s = marginal_std(t, cfg)
    return x + (0.5 * b * dt) * x - (0.5 * g2 * dt / s) * eps


def sde_step(x, eps, t: float, dt: float, cfg: SDEConfig, xp, rng=None):
    """One Euler-Maruyama step of the reverse sub-VP SDE (Song et al. 2021, eq. 6), backwards by dt;
    ``rng`` (a ``default_rng`` of ``xp``) draws the noise."""
    b = beta(t, cfg)
    g2 = diffusion_sq(t, cfg)
    s = marginal_std(t, cfg)
    noise = rng.standard_normal(x.shape, dtype=x.dtype)
    return x + (0.5 * b * dt) * x - (g2 * dt / s) * eps + math.sqrt(g2 * dt) * noise


# Reverse-time steps, one signature: step(x, eps, t, dt, cfg, xp, rng) -> x.
SAMPLERS = {"ode": ode_step, "sde": sde_step}

"""Keypoints as noisy measurements: the per-pose 2D noise estimate and the soft data step.

Units and frames as ``zedo.runtime.core.geometry``; noise levels are pixels per coordinate (a Gaussian
sigma). The release moves every joint exactly onto the ray through its keypoint. With detector
noise that pushes each pixel of error into 3D, so the data step here treats a keypoint as a
measurement: a joint moves the fraction lambda = s_p^2 / (s_p^2 + s_m^2) of the way to its ray,
s_p the prior's noise level at t (``sde.marginal_std``, metres) and s_m the measurement's, the
pixel sigma back-projected to the joint's depth and divided by sqrt(score). Early, s_p >> s_m
and the step is the release's; late, the prior corrects keypoints no body could match.

The noise level is estimated per pose while the loop runs with the exact data step: the median
over observed joints of the pixel distance between each keypoint and the projection of the
prior's denoised pose (Tweedie: x0 = (x - std eps) / mean_coeff), averaged over a window of
iterations. The prior's own misfit on exact 2D (``BASE_PX``) is subtracted in quadrature, so
ground-truth 2D keeps the exact step. A keypoint whose residual is ``OUTLIER_RATIO`` times the
pose's median (and at least ``OUTLIER_MIN_PX``) is an outlier, no body matching it (a detector's joint defined
elsewhere, a swapped limb): it leaves the translation solve, and its measurement noise is its
residual. Constants measured: docs/decisions.md, "Noisy 2D" and "Outlier keypoints". They were
measured on people 300-500 px tall; for a smaller person (far away, a short focal length) the pixel
constants shrink with its 2D size (``size_scale``), so that its keypoints are judged as a near
person's would be (docs/decisions.md, "Any distance").
"""

from __future__ import annotations

from ..core import sde as sde_lib
from ..core.geometry import project, spread

BASE_PX = (
    6.0  # median denoised residual on exact 2D over the window: below it, the pose is exact (7 before "A shorter step")
)
GAIN = 1.1  # pixels of noise per pixel of excess residual (2D distance -> per-coordinate sigma)
WINDOW = (0.4, 0.6)  # the estimate averages these fractions of the iterations; the soft step follows
REF_ITERATIONS = 200  # lambda is the pull of one step of a 200-iteration loop; longer loops pull less per step
START_NOISE_PX = 12.0  # the most noise the start's ranking assumes when the loop estimates it
START_BASE_PX = 8.0  # the best candidate's reprojection error on exact 2D, px: no noise assumed below it
START_GAIN = 1.5  # assumed noise px per px of the best candidate's reprojection error above START_BASE_PX
OUTLIER_RATIO = 3.0  # an outlier keypoint's residual, in multiples of the pose's median residual...
OUTLIER_MIN_PX = 21.0  # ...and at least this: the prior's own misfit on exact 2D stays below it
MIN_SCORE = 1e-3  # scores are floored here before dividing the measurement's variance by them
# The 2D size (RMS distance of the observed keypoints from their centroid, px) below which the pixel
# constants above shrink in proportion: under the smallest of Human3.6M's (S9: 44 px, median 100),
# so that its results stay as they were measured.
SIZE_REF_PX = 40.0


def size_scale(keypoints, mask, xp):
    """The factor (B,) in (0, 1] the pixel constants are multiplied by for keypoints (B, 17, 2) px
    observed where mask (B, 17) is 1: the pose's 2D size over ``SIZE_REF_PX``, at most 1."""
    return xp.minimum(spread(keypoints, mask, xp) / SIZE_REF_PX, 1.0).astype(keypoints.dtype)


def window(iterations: int) -> tuple[int, int]:
    """The iterations [first, last) the estimate averages over; the soft step starts at ``last``."""
    first, last = (int(iterations * f) for f in WINDOW)
    return first, max(last, first + 1)


def start_noise_px(best_reprojection_px, noise_px, xp, scale=1.0):
    """The noise level (B,) px the start's ranking assumes: ``noise_px`` when given, else a guess from
    the best candidate's reprojection error (B,) px. On exact 2D the cluster poses alone leave a few
    pixels; noise adds to that. ``scale`` (B,) (``size_scale``) shrinks the pixel constants."""
    if noise_px is not None:
        return xp.full(best_reprojection_px.shape, noise_px, dtype=best_reprojection_px.dtype)
    excess = START_GAIN * (best_reprojection_px - START_BASE_PX * scale)
    return xp.clip(excess, 0.0, START_NOISE_PX * scale).astype(best_reprojection_px.dtype)


def denoised_residual_px(x, eps, T, keypoints, K, t: float, sde: sde_lib.SDEConfig, xp):
    """Pixel distance (B, 17) between keypoints (B, 17, 2) and the projection of the prior's
    denoised pose: x (B, 17, 3) root-relative and eps (B, 17, 3) its predicted noise at t, T (B, 3)."""
    x0 = (x - sde_lib.marginal_std(t, sde) * eps) / sde_lib.mean_coeff(t, sde)
    return xp.linalg.norm(project(x0 + T[:, None, :], K, xp) - keypoints, axis=-1)


def observed_median(values, mask, xp):
    """Median (B,) of values (B, 17) over the joints where mask (B, 17) is 1 (at least one per pose):
    missing ones sort last."""
    ordered = xp.sort(xp.where(mask > 0, values, xp.inf), axis=1)
    n = mask.sum(axis=1).astype(xp.int64)[:, None]
    return 0.5 * (xp.take_along_axis(ordered, (n - 1) // 2, 1) + xp.take_along_axis(ordered, n // 2, 1))[:, 0]


def measurement_noise(mean_residual, mask, xp, scale=1.0):
    """From the window's mean residual (B, 17) px and mask (B, 17), 1 where observed (at least one
    per pose): (sigma (B,) px, the pose's noise; keypoint_sigma (B, 17) px, each keypoint's; outlier
    (B, 17) bool). The pose's noise is GAIN x the excess of its median residual over BASE_PX (in
    quadrature). A keypoint is an outlier when its residual exceeds ``OUTLIER_RATIO`` times that
    median and ``OUTLIER_MIN_PX``; its noise is then its residual, the others' the pose's.
    ``scale`` (B,) (``size_scale``) shrinks BASE_PX and OUTLIER_MIN_PX for small people."""
    median = observed_median(mean_residual, mask, xp)
    base = BASE_PX * scale
    sigma = (GAIN * xp.sqrt(xp.maximum(median**2 - base**2, 0.0))).astype(mean_residual.dtype)
    outlier = (mask > 0) & (mean_residual > xp.maximum(OUTLIER_RATIO * median, OUTLIER_MIN_PX * scale)[:, None])
    keypoint_sigma = xp.where(outlier, xp.maximum(sigma[:, None], mean_residual), sigma[:, None])
    return sigma, keypoint_sigma.astype(mean_residual.dtype), outlier


def data_step(x, on_rays, T, scores, fx, sigma_px, prior_std: float, xp, iterations: int = REF_ITERATIONS):
    """Move root-relative joints x (B, 17, 3) towards their ray points ``on_rays`` (B, 17, 3) by the
    measurement weight lambda (module docstring). T (B, 3) metres; scores (B, 17); fx (B,) px focal
    lengths; sigma_px (B, 1) noise per pose or (B, 17) per keypoint (0: the exact step); prior_std
    metres. In a loop of ``iterations`` steps the pull per step is
    1 - (1 - lambda)^(REF_ITERATIONS / iterations), so the pull over a stretch of the schedule does
    not depend on how finely it is cut."""
    depth = x[..., 2] + T[:, None, 2]
    measured = (sigma_px * depth / fx[:, None]) ** 2 / xp.maximum(scores, MIN_SCORE)
    keep = measured / (prior_std**2 + measured)
    pull = 1.0 - keep ** (REF_ITERATIONS / iterations)
    return x + pull[..., None].astype(x.dtype) * (on_rays - x)


class LoopNoise:
    """The 2D noise level one loop of ``iterations`` assumes for B poses: ``noise_px`` when given;
    else None until the estimate over the ``window`` is made (``add``), then each pose's ``sigma``
    (B,) px, each keypoint's ``keypoint_sigma`` (B, 17) px, the ``outlier`` keypoints (B, 17) and
    ``misfit_px`` (B,), the median residual in px of a person ``SIZE_REF_PX`` tall or taller
    (``size_scale``; ``zedo.runtime.solve.work`` tells noisy 2D by it)."""

    def __init__(self, noise_px: float | None, iterations: int, shape: tuple[int, int], dtype, xp):
        self.sigma = None if noise_px is None else xp.full(shape[:1], noise_px, dtype=dtype)
        self.keypoint_sigma = None if self.sigma is None else self.sigma[:, None]  # (B, 1) given, (B, 17) estimated
        self.outlier = self.misfit_px = None
        self.first, self.last = window(iterations)
        self.total = xp.zeros(shape, dtype=dtype)  # the sum of the window's residuals (B, 17) px

    def add(self, i: int, x, eps, T, batch, t: float, sde: sde_lib.SDEConfig, xp) -> bool:
        """Add iteration i's residual (x, eps (B, 17, 3) at t, T (B, 3); keypoints, K and mask of
        ``batch``) while the noise is being estimated; True at the iteration the estimate is made."""
        if self.sigma is not None or i < self.first:
            return False
        self.total += denoised_residual_px(x, eps, T, batch.keypoints, batch.K, t, sde, xp)
        if i != self.last - 1:
            return False
        mean_residual = self.total / (self.last - self.first)
        scale = size_scale(batch.keypoints, batch.mask, xp)
        self.sigma, self.keypoint_sigma, self.outlier = measurement_noise(mean_residual, batch.mask, xp, scale)
        self.misfit_px = observed_median(mean_residual, batch.mask, xp) / scale
        return True

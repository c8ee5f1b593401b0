"""The noise model of the data step (zedo.runtime.solve.noise) on planted poses and planted 2D noise.

The prior is planted too: an engine whose every pose is the true one (a point mass at the truth,
eps = (x - mean_coeff(t) pose) / std(t)), so the prior knows the body and the 2D noise is the only
error. Units as zedo.runtime.core.geometry.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.runtime.core import sde as sde_lib
from zedo.runtime.core.config import LoopConfig
from zedo.runtime.solve import noise
from zedo.runtime.solve.loop import run_loop
from zedo.runtime.solve.start import place_start

SDE = sde_lib.SDEConfig()


def truth_prior(poses):
    """An engine (x (B, 17, 3), t (B,)) -> eps for which every pose is ``poses`` (B, 17, 3)."""

    def engine(x, t):
        t = t[:, None, None]
        return ((x - sde_lib.mean_coeff(t, SDE, np) * poses) / sde_lib.marginal_std(t, SDE, np)).astype(x.dtype)

    return engine


def lift(kp, s, dtype, noise_px=None, iterations=60, scores=None):
    """Run the loop from the truth placed by the IPO; returns (camera-frame poses, noise (B,) px)."""
    n = len(kp)
    scores = np.ones((n, 17), dtype) if scores is None else scores.astype(dtype)
    K = np.broadcast_to(s["K"], (n, 3, 3)).astype(dtype)
    cfg = LoopConfig(iterations=iterations, noise_px=noise_px)
    kp = kp.astype(dtype)
    x, T = place_start(s["pose"].astype(dtype), kp, scores, K, cfg, np)
    x, T, sigma, _, _ = run_loop(x, T, kp, scores, K, truth_prior(s["pose"].astype(dtype)), SDE, cfg, np)
    return x + T[:, None], sigma


def root_relative_error(pred, s):
    """Mean joint error in metres after moving both pelvises to the origin."""
    return np.linalg.norm((pred - pred[:, :1]) - s["pose"], axis=-1).mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_noisy_2d_moves_the_pose_less_than_the_exact_step(dtype):
    s = synthetic_poses(16, seed=3)
    kp = s["keypoints"] + np.random.default_rng(0).normal(0, 10.0, s["keypoints"].shape)
    exact, _ = lift(kp, s, dtype, noise_px=0.0)
    soft, sigma = lift(kp, s, dtype)
    assert root_relative_error(soft, s) < 0.7 * root_relative_error(exact, s)
    assert (sigma > 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_noise_is_the_exact_step(dtype):
    """noise_px 0 is the release's step; on exact 2D the estimate finds no noise, so the estimating
    loop gives the same poses."""
    s = synthetic_poses(8, seed=1)
    exact, sigma0 = lift(s["keypoints"], s, dtype, noise_px=0.0)
    estimated, sigma = lift(s["keypoints"], s, dtype)
    assert (sigma0 == 0).all() and (sigma == 0).all()
    np.testing.assert_array_equal(estimated, exact)


def test_an_outlier_keypoint_at_score_one_moves_the_pose_less():
    s = synthetic_poses(8, seed=2)
    kp = s["keypoints"].copy()
    kp += np.random.default_rng(1).normal(0, 4.0, kp.shape)  # a detector's usual error...
    kp[:, 13] += [60.0, -40.0]  # ...and one wrist 72 px off, at full confidence
    exact, _ = lift(kp, s, np.float64, noise_px=0.0)
    soft, _ = lift(kp, s, np.float64)
    wrist = lambda p: np.linalg.norm((p - p[:, :1])[:, 13] - s["pose"][:, 13], axis=-1).mean()  # noqa: E731
    assert wrist(soft) < 0.5 * wrist(exact)
    assert root_relative_error(soft, s) < root_relative_error(exact, s)


def test_the_estimate_follows_the_planted_noise_level():
    s = synthetic_poses(32, seed=4)
    rng = np.random.default_rng(2)
    levels = (0.0, 10.0, 20.0, 30.0)
    medians = [
        np.median(lift(s["keypoints"] + rng.normal(0, sd, s["keypoints"].shape), s, np.float64)[1]) for sd in levels
    ]
    assert medians[0] == 0 and all(a < b for a, b in zip(medians, medians[1:]))
    for got, planted in zip(medians[1:], levels[1:]):
        assert got == pytest.approx(planted, rel=0.35)


def test_the_median_counts_observed_joints_only():
    resid = np.array([[1.0, 2.0, 3.0, 100.0], [8.0, 8.0, 8.0, 8.0]])
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]])
    sigma, _, _ = noise.measurement_noise(resid, mask, np)
    assert sigma[0] == 0.0  # median 2 px is below BASE_PX; the missing joint's 100 px is not counted
    assert sigma[1] == pytest.approx(noise.GAIN * np.sqrt(64 - noise.BASE_PX**2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outlier_keypoints_are_those_far_beyond_the_median(dtype):
    """A keypoint 3x the pose's median residual (and OUTLIER_MIN_PX) is an outlier and its noise is its
    residual; the others keep the pose's noise. Missing joints and exact poses have none."""
    resid = np.full((3, 17), 12.0)
    resid[0, 7] = 47.0  # a spine placed elsewhere: 3.9x the median
    resid[1, :] = 4.0
    resid[1, 13] = 20.0  # 5x a small median, but under OUTLIER_MIN_PX: the prior's own misfit
    resid[2, 3] = 500.0  # missing: never an outlier
    mask = np.ones((3, 17))
    mask[2, 3] = 0
    pose_sigma, sigma, outlier = noise.measurement_noise(resid.astype(dtype), mask.astype(dtype), np)
    assert sigma.dtype == pose_sigma.dtype == dtype and sigma.shape == outlier.shape == (3, 17)
    assert outlier.sum() == 1 and outlier[0, 7]
    assert sigma[0, 7] == 47.0
    np.testing.assert_array_equal(sigma[:, 0], pose_sigma)
    assert (sigma[1] == 0).all()


def test_an_outlier_keypoint_leaves_the_translation():
    """With a wrist 150 px off at score 1, the estimated-noise loop finds the pelvis where the exact
    step, whose translation follows that wrist, does not."""
    s = synthetic_poses(8, seed=5)
    kp = s["keypoints"].copy()
    kp += np.random.default_rng(3).normal(0, 3.0, kp.shape)
    kp[:, 13] += [120.0, -90.0]
    exact, _ = lift(kp, s, np.float64, noise_px=0.0)
    soft, _ = lift(kp, s, np.float64)
    pelvis = lambda p: np.linalg.norm(p[:, 0] - s["pose_cam"][:, 0], axis=-1).mean()  # noqa: E731
    assert pelvis(soft) < 0.5 * pelvis(exact)


def test_noise_px_is_checked():
    with pytest.raises(ValueError, match="noise_px"):
        LoopConfig(noise_px=-1.0)
    with pytest.raises(ValueError, match="noise_px"):
        LoopConfig(noise_px="5")

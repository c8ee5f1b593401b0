"""Any distance: a pose's start is placed from its own 2D size and the focal length, anywhere in
``DISTANCE_RANGE``, not on a fixed grid about 3 m; the noise model's pixel constants shrink for
small people. Planted truths in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import K_CAM, TPOSE, project, synthetic_poses

from zedo.runtime.core.config import DISTANCE_RANGE, LoopConfig
from zedo.runtime.core.geometry import keypoints_to_rays, size_distance, solve_translation, unit
from zedo.runtime.solve import noise
from zedo.runtime.solve.ipo import fit_yaw_distance, refine_yaw_distance, start_distance
from zedo.runtime.solve.start import place_start

DTYPES = [np.float32, np.float64]
DISTANCES = [1.0, 10.0, 25.0, 60.0]


def far_scene(distance: float, dtype, n: int = 6, seed: int = 2, noise: float = 0.02):
    """Synthetic poses with the pelvis ``distance`` metres away along its ray; (scene, keypoints
    (n, 17, 2) px, K (n, 3, 3)) in ``dtype`` (the planted scene in float64)."""
    s = synthetic_poses(n, seed=seed, noise=noise)
    T = s["translation"] / np.linalg.norm(s["translation"], axis=1, keepdims=True) * distance
    cam = s["pose"] + T[:, None]
    s = {**s, "translation": T, "pose_cam": cam, "keypoints": project(cam, K_CAM)}
    return s, s["keypoints"].astype(dtype), np.broadcast_to(K_CAM, (n, 3, 3)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("distance", DISTANCES)
def test_start_distance_follows_the_2d_size(dtype, distance):
    """The mean-pose start is placed within 15 % of the planted distance, whatever it is: at 1 m
    the body's depth makes it look a little larger than weak perspective says."""
    s, kp, K = far_scene(distance, dtype)
    init = np.broadcast_to(TPOSE, (len(kp), 17, 3)).astype(dtype)
    d = start_distance(init, kp, K, LoopConfig(), np)
    assert d.dtype == dtype and d.shape == (len(kp),)
    np.testing.assert_allclose(d, distance, rtol=0.15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("distance", DISTANCES)
def test_ipo_grid_finds_the_planted_distance(dtype, distance):
    """The IPO's global grid, about each pose's own distance, finds the planted distance of the
    T-poses (a fixed grid over 1.5-6 m cannot)."""
    s, kp, K = far_scene(distance, dtype, noise=0.0)
    init = np.broadcast_to(TPOSE, (len(kp), 17, 3)).astype(dtype)
    _, T = fit_yaw_distance(init, kp, K, np.linalg.inv(K), LoopConfig(), np)
    assert T.dtype == dtype
    np.testing.assert_allclose(np.linalg.norm(T, axis=1), distance, rtol=1e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_local_search_from_a_far_guess_stays_far(dtype):
    """From a guess 15 % off at 60 m the local search lands on the planted translation: its range
    is the pose's own, not 1.5-6 m."""
    s, kp, K = far_scene(60.0, dtype, seed=3)
    init = s["pose"].astype(dtype)
    guess = (1.15 * np.linalg.norm(s["translation"], axis=1)).astype(dtype)
    yaw = np.zeros(len(kp), dtype)  # the planted pose is turned already
    _, T = refine_yaw_distance(init, kp, K, np.linalg.inv(K), yaw, guess, LoopConfig(), np)
    np.testing.assert_allclose(T, s["translation"], rtol=2e-3, atol=0.05)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("distance", DISTANCES)
def test_start_without_ipo_is_placed_at_the_size_distance(dtype, distance):
    s, kp, K = far_scene(distance, dtype)
    init = np.broadcast_to(TPOSE, (len(kp), 17, 3)).astype(dtype)
    scores = np.ones(kp.shape[:2], dtype)
    x, T = place_start(init, kp, scores, K, LoopConfig(ipo=False), np)
    assert T.dtype == dtype
    np.testing.assert_allclose(np.linalg.norm(T, axis=1), distance, rtol=0.15)
    rays = unit(keypoints_to_rays(kp[:, :1], np.linalg.inv(K), np)[:, 0], np)
    np.testing.assert_allclose(unit(T, np), rays, atol=1e-5)  # on the pelvis ray


@pytest.mark.parametrize("dtype", DTYPES)
def test_start_distance_is_clamped_and_falls_back_without_a_size(dtype):
    """300 m is placed at the range's far end, a tenth-size body 4 m away at its near end;
    keypoints without a spread (all at one pixel, or one observed joint) at
    ``LoopConfig.ipo_distance``."""
    _, kp, K = far_scene(300.0, dtype, n=2)
    init = np.broadcast_to(TPOSE, (2, 17, 3)).astype(dtype)
    np.testing.assert_allclose(start_distance(init, kp, K, LoopConfig(), np), DISTANCE_RANGE[1])
    _, near, _ = far_scene(4.0, dtype, n=2)
    np.testing.assert_allclose(start_distance(0.1 * init, near, K, LoopConfig(), np), DISTANCE_RANGE[0])
    point = np.full((2, 17, 2), 500.0, dtype)
    one = np.zeros((2, 17), dtype)
    one[:, 0] = 1
    d = start_distance(init, kp, K, LoopConfig(ipo_distance=7.0), np, one)
    np.testing.assert_allclose(d, 7.0)
    np.testing.assert_allclose(start_distance(init, point, K, LoopConfig(ipo_distance=7.0), np), 7.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_size_distance_of_a_known_body(dtype):
    """A 1.7 m body 100 px tall at f = 1500 px, seen face on, stands about 25 m away."""
    pose = np.zeros((1, 2, 3), dtype)
    pose[0, 1, 1] = -1.7
    rays = np.array([[[0.0, 0.0, 1.0], [0.0, -100.0 / 1500.0, 1.0]]], dtype)
    d = size_distance(pose, unit(rays, np), np.ones((1, 2), dtype), np)
    assert d.dtype == dtype
    np.testing.assert_allclose(d, 25.5, rtol=2e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_translation_at_100_m(dtype):
    """The closed-form translation holds at the range's far end: within 1 cm in float32 (a
    relative 1e-4), exactly in float64."""
    s, kp, K = far_scene(100.0, dtype)
    rays = keypoints_to_rays(kp, np.linalg.inv(K), np)
    T = solve_translation(s["pose"].astype(dtype), rays, np.ones(kp.shape[:2], dtype), np)
    assert T.dtype == dtype
    np.testing.assert_allclose(T, s["translation"], atol=1e-2 if dtype == np.float32 else 1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_noise_constants_shrink_only_below_human36m_sizes(dtype):
    """A person of Human3.6M's size keeps the measured constants (scale 1); one 8 times farther
    has its residuals, scaled down with it, judged as the near person's are."""
    _, near, _ = far_scene(4.0, dtype)
    _, far, _ = far_scene(32.0, dtype)
    mask = np.ones(near.shape[:2], dtype)
    near_scale, far_scale = noise.size_scale(near, mask, np), noise.size_scale(far, mask, np)
    assert near_scale.dtype == dtype
    np.testing.assert_array_equal(near_scale, 1.0)
    assert np.all(far_scale < 0.5)
    residual = np.full((len(near), 17), 8.0, dtype)
    residual[:, 3] = 30.0  # an outlier of the near person
    sigma, _, outlier = noise.measurement_noise(residual, mask, np, near_scale)
    small = residual * far_scale[:, None]
    sigma_far, _, outlier_far = noise.measurement_noise(small, mask, np, far_scale)
    np.testing.assert_array_equal(outlier_far, outlier)
    np.testing.assert_allclose(sigma_far, sigma * far_scale, rtol=1e-4)
    best = np.full(len(near), 14.0, dtype)
    np.testing.assert_allclose(
        noise.start_noise_px(best * far_scale, None, np, far_scale),
        noise.start_noise_px(best, None, np, near_scale) * far_scale,
        rtol=1e-4,
    )

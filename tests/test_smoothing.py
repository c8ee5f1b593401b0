"""Smoothing a recorded track in both directions: planted motions, gaps, missing frames, bad settings."""

from __future__ import annotations

import numpy as np
import pytest

from zedo.runtime.video.smoothing import SmoothConfig, gaussian_in_time, smooth_track


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_and_linear_motion_pass_unchanged(dtype):
    t = np.arange(60) / 25.0
    constant = np.full((60, 4), 1.5, dtype)
    np.testing.assert_allclose(gaussian_in_time(constant, t, 0.06), 1.5, rtol=1e-6)
    line = (0.3 * t[:, None] + np.arange(4)).astype(dtype)
    inner = slice(5, -5)  # 3 sigma from the ends: a symmetric window keeps a straight line
    np.testing.assert_allclose(gaussian_in_time(line, t, 0.06)[inner], line[inner], atol=1e-6)


def test_jitter_is_removed_and_sigma_zero_is_a_copy():
    t = np.arange(200) / 50.0
    noisy = np.random.default_rng(0).normal(0.0, 0.01, (200, 3))
    assert gaussian_in_time(noisy, t, 0.06).std() < 0.3 * noisy.std()
    np.testing.assert_array_equal(gaussian_in_time(noisy, t, 0.0), noisy)
    np.testing.assert_array_equal(gaussian_in_time(noisy[:1], t[:1], 0.06), noisy[:1])  # one frame


def test_missing_frames_stay_missing_and_gaps_are_not_bridged():
    t = np.array([0.0, 0.04, 0.08, 0.12, 5.0, 5.04])
    v = np.array([[0.0], [0.0], [np.nan], [0.0], [9.0], [9.0]])
    out = gaussian_in_time(v, t, 0.06)
    assert np.isnan(out[2]).all() and np.isfinite(np.delete(out, 2, axis=0)).all()
    np.testing.assert_allclose(out[[0, 1, 3]], 0.0)  # the NaN frame does not spread, and 5 s away is beyond 3 sigma
    np.testing.assert_allclose(out[4:], 9.0)


def test_smooth_track_treats_plane_depth_and_translation_apart():
    rng = np.random.default_rng(2)
    t = np.arange(50) / 25.0
    poses = rng.normal(0.0, 0.1, (50, 17, 3)) + [0.0, 0.0, 4.0]
    depth_only = smooth_track(poses, t, SmoothConfig(plane_s=0.0, depth_s=0.1, translation_s=0.0))
    rel, out_rel = poses - poses[:, :1], depth_only - depth_only[:, :1]
    np.testing.assert_allclose(depth_only[:, 0], poses[:, 0])  # the pelvis as it was
    np.testing.assert_allclose(out_rel[..., :2], rel[..., :2])  # x and y as they were
    assert out_rel[..., 2].std(axis=0).mean() < 0.5 * rel[..., 2].std(axis=0).mean()
    nan = poses.copy()
    nan[7] = np.nan
    assert np.isnan(smooth_track(nan, t)[7]).all() and np.isfinite(np.delete(smooth_track(nan, t), 7, axis=0)).all()


@pytest.mark.parametrize(
    "field, value", [("plane_s", -0.1), ("depth_s", float("nan")), ("translation_s", True), ("depth_s", 11.0)]
)
def test_smooth_config_names_a_bad_field(field, value):
    with pytest.raises(ValueError, match=field):
        SmoothConfig(**{field: value})

"""The focal-length search of an unknown camera (``zedo.evaluation.focal``, an experiment that
zedo-infer does not use), on the tiny prior: what it computes (its accuracy: benchmarks/focal.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import K_CAM, trajectory

from zedo.evaluation.focal import (
    FOCAL_FACTORS,
    bone_spread,
    choose,
    sample_rows,
    search_focal,
    with_focal,
)
from zedo.runtime import open_engine
from zedo.runtime.io.validation import validate_inputs


def _video(K=None, image_size=(1000, 1000)):
    kp = trajectory(16)["keypoints"]
    inputs = validate_inputs(kp, K, image_size=None if K is not None else image_size)
    return replace(inputs, frame=np.arange(16), track=np.zeros(16, int))


def test_with_focal_scales_the_focal_lengths_only():
    inputs = _video(K_CAM)
    K = with_focal(inputs, 1.5).K
    np.testing.assert_array_equal(K[:, 0, 0], 1500.0)
    np.testing.assert_array_equal(K[:, 1, 1], 1500.0)
    np.testing.assert_array_equal(K[:, :2, 2], inputs.K[:, :2, 2])
    np.testing.assert_array_equal(inputs.K[:, 0, 0], 1000.0)  # a copy


def test_sample_rows_spreads_over_valid_poses():
    inputs = _video(K_CAM)
    rows = sample_rows(inputs, 5)
    assert len(rows) == 5 and rows[0] == 0 and rows[-1] == 15
    assert len(sample_rows(inputs, 100)) == 16


def test_bone_spread_and_choose():
    poses = np.stack([trajectory(4)["pose_cam"][0]] * 4)
    assert bone_spread(poses) == pytest.approx(0.0, abs=1e-12)
    residual, spread = np.array([3.0, 1.0, 2.0]), np.array([0.1, 0.3, 0.05])
    assert choose(residual, spread, "residual") == 1
    assert choose(residual, spread, "bones") == 2
    assert choose(residual, spread, "both") == 2  # ranks 2+1, 0+2, 1+0


def test_search_focal_picks_a_focal_of_the_grid(tiny_prior):
    inputs = _video()
    found = search_focal(inputs, open_engine(tiny_prior, threads=1), sample=6, iterations=5)
    assert found.guess == pytest.approx(1200.0)
    assert found.focal / found.guess == pytest.approx(min(FOCAL_FACTORS, key=lambda f: abs(f - found.focal / 1200)))
    assert found.prior_residual.shape == found.bone_spread.shape == (len(FOCAL_FACTORS),)

"""Properties of the pose-error metrics (zedo.evaluation.metrics): mm out, metres in."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.evaluation.metrics import acceleration_error, auc, joint_errors, mpjpe, pa_mpjpe, pck, procrustes_align


def random_rotations(n, rng):
    """(n, 3, 3) uniformly random proper rotations (QR of Gaussian matrices, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return q


@pytest.fixture
def poses():
    return synthetic_poses(6, seed=4)["pose_cam"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pa_mpjpe_of_a_similarity_transformed_truth_is_zero(poses, dtype):
    rng = np.random.default_rng(0)
    R = random_rotations(6, rng)
    scale = rng.uniform(0.5, 2.0, (6, 1, 1))
    shift = rng.uniform(-1, 1, (6, 1, 3))
    pred = (scale * poses @ np.swapaxes(R, -1, -2) + shift).astype(dtype)
    err = pa_mpjpe(pred, poses.astype(dtype))
    assert err.shape == (6,)
    np.testing.assert_allclose(err, 0.0, atol=0.05 if dtype == np.float32 else 1e-8)
    np.testing.assert_allclose(procrustes_align(pred, poses), poses, atol=1e-4 if dtype == np.float32 else 1e-10)


def test_pa_mpjpe_does_not_align_a_reflection(poses):
    mirrored = poses * np.array([-1.0, 1.0, 1.0])
    assert (pa_mpjpe(mirrored, poses) > 1.0).all()


def test_pa_mpjpe_is_at_most_mpjpe(poses):
    pred = poses + 0.05 * np.random.default_rng(1).standard_normal(poses.shape)
    assert (pa_mpjpe(pred, poses) <= mpjpe(pred, poses) + 1e-9).all()


def test_mpjpe_is_translation_invariant(poses):
    pred = poses + 0.03 * np.random.default_rng(2).standard_normal(poses.shape)
    shifted = pred + np.random.default_rng(3).uniform(-2, 2, (6, 1, 3))
    np.testing.assert_allclose(mpjpe(shifted, poses), mpjpe(pred, poses), atol=1e-9)
    np.testing.assert_allclose(mpjpe(poses + np.array([0.4, -0.2, 1.0]), poses), 0.0, atol=1e-9)


def test_mpjpe_of_a_known_offset(poses):
    pred = poses.copy()
    pred[:, 5] += np.array([0.0, 0.034, 0.0])  # one joint of 17 moved by 34 mm
    np.testing.assert_allclose(joint_errors(pred, poses)[:, 5], 34.0, atol=1e-9)
    np.testing.assert_allclose(mpjpe(pred, poses), 34.0 / 17, atol=1e-9)


def test_pck_and_auc_bounds(poses):
    assert pck(poses, poses) == 100.0
    # AUC averages PCK over thresholds from 0 mm, where the strict "error < threshold" counts no joint.
    assert 96.0 < auc(poses, poses) <= 100.0
    far = poses + np.random.default_rng(4).standard_normal(poses.shape)  # metre-scale errors
    far[..., 0, :] = poses[..., 0, :]
    assert 0.0 <= pck(far, poses) < 20.0
    assert 0.0 <= auc(far, poses) <= pck(far, poses) + 1e-9
    mid = poses + 0.05 * np.random.default_rng(5).standard_normal(poses.shape)
    assert 0.0 < auc(mid, poses) < auc(poses, poses)
    # PCK grows with the threshold.
    assert pck(mid, poses, 50.0) <= pck(mid, poses, 100.0) <= pck(mid, poses, 150.0)


@pytest.mark.parametrize("fn", [mpjpe, pa_mpjpe, joint_errors, pck, auc, procrustes_align])
@pytest.mark.parametrize(
    "shapes", [((2, 17, 3), (2, 16, 3)), ((17, 3), (17, 2)), ((3,), (3,)), ((2, 17, 3), (3, 17, 3))]
)
def test_metrics_reject_mismatched_shapes(fn, shapes):
    with pytest.raises(ValueError, match="pred"):
        fn(np.zeros(shapes[0]), np.zeros(shapes[1]))


def test_acceleration_error_of_a_planted_acceleration():
    truth = np.zeros((5, 17, 3))
    truth[:, 1:, 0] = 0.001 * np.arange(5)[:, None] ** 2  # every joint but the pelvis accelerates by 2 mm/frame^2
    np.testing.assert_allclose(acceleration_error(truth, truth), 0.0)
    np.testing.assert_allclose(acceleration_error(np.zeros_like(truth), truth), 2.0 * 16 / 17)
    with pytest.raises(ValueError, match="F >= 3"):
        acceleration_error(truth[:2], truth[:2])

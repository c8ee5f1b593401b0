"""One skeleton per track (zedo.runtime.video.skeleton_fit, core.kinematics): fixed bone lengths,
directions kept (rigid: each joint on the ray from its rebuilt parent), the pelvis in place, one
skeleton per track, NaN poses left alone."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import trajectory

from zedo.runtime.core.kinematics import BRANCHES, CHILDREN, minimal_rotation, unit
from zedo.runtime.core.skeleton import BONES, bone_lengths
from zedo.runtime.video.skeleton_fit import fit_poses, fit_tracks


def noisy(frames: int = 40, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return scale * trajectory(frames)["pose_cam"] + np.random.default_rng(seed).normal(0, 0.015, (frames, 17, 3))


def test_bones_fixed_and_directions_kept():
    poses = noisy()
    fitted, lengths = fit_poses(poses)
    assert bone_lengths(fitted).std(axis=0).max() < 1e-9
    np.testing.assert_allclose(bone_lengths(fitted)[0], np.median(bone_lengths(poses), axis=0))
    np.testing.assert_allclose(lengths[[c for _, c in BONES], 0], np.median(bone_lengths(poses), axis=0))
    np.testing.assert_allclose(fitted[:, 0], poses[:, 0])
    for p, c in BONES:
        cos = (unit(fitted[:, c] - fitted[:, p]) * unit(poses[:, c] - poses[:, p])).sum(-1)
        assert cos.min() > 1 - 1e-9
    np.testing.assert_allclose(fit_poses(fitted)[0], fitted, atol=1e-9)


def test_rigid_fit_bones_fixed_and_joints_on_their_rays():
    poses = noisy()
    fitted, rest = fit_poses(poses, rigid=True)
    assert bone_lengths(fitted).std(axis=0).max() < 1e-9
    np.testing.assert_allclose(bone_lengths(fitted)[0], np.linalg.norm(rest[[c for _, c in BONES]], axis=-1))
    np.testing.assert_allclose(fitted[:, 0], poses[:, 0])
    for p, c in BONES:
        if p not in BRANCHES:  # a one-child joint: the child on the ray from its rebuilt parent
            cos = (unit(fitted[:, c] - fitted[:, p]) * unit(poses[:, c] - fitted[:, p])).sum(-1)
            assert cos.min() > 1 - 1e-9
    # The median length of each limb bone.
    np.testing.assert_allclose(np.linalg.norm(rest[2]), np.median(bone_lengths(poses)[:, 1]))
    # Errors stay of the noise's size (they do not pile up along the limbs); fitting again changes nothing.
    error = np.linalg.norm(fitted - poses, axis=-1)
    assert error.mean() < 0.025 and error[:, [3, 6, 13, 16]].mean() < 0.025
    np.testing.assert_allclose(fit_poses(fitted, rigid=True)[0], fitted, atol=1e-9)


def test_each_track_its_own_rig_and_nan_rows_kept():
    a, b = noisy(20, 1), noisy(20, 2, scale=1.1)
    b[3] = np.nan
    poses = np.concatenate([a, b])
    frame, track = np.tile(np.arange(20), 2), np.repeat([5, 2], 20)
    fitted = fit_tracks(poses, frame, track, rigid=True)
    assert np.isnan(fitted[23]).all() and np.isfinite(np.delete(fitted, 23, axis=0)).all()
    la, lb = bone_lengths(fitted[:20]), bone_lengths(np.delete(fitted[20:], 3, axis=0))
    assert la.std(axis=0).max() < 1e-9 and lb.std(axis=0).max() < 1e-9
    assert (lb[0] > la[0]).sum() >= 12  # the larger person keeps larger bones
    np.testing.assert_allclose(fit_tracks(poses[:20], rigid=True), fitted[:20])
    plain = fit_tracks(poses, frame, track)
    assert np.isnan(plain[23]).all() and bone_lengths(plain[:20]).std(axis=0).max() < 1e-9  # no indices: one track


def test_no_valid_pose_and_half_turns():
    with pytest.raises(ValueError, match="no valid pose"):
        fit_poses(np.full((3, 17, 3), np.nan))
    a = np.array([0.0, 1.0, 0.0])
    for b in (a, -a, unit(np.array([0.3, -0.2, 0.9]))):
        r = minimal_rotation(a, b[None])[0]
        np.testing.assert_allclose(r @ a, b, atol=1e-12)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert CHILDREN[0] == (1, 4, 7) and CHILDREN[8] == (9, 11, 14)

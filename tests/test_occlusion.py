"""Occluded people: poses without their pelvis or hips, or with a few joints missing, are lifted from
the joints that are there (``solve.occluded``); ``valid`` is 0 only under ``io.placing``'s rule; a
joint missing for a few frames of a track is bridged (``video.bridging``); complete poses run the
path they always ran, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import K_CAM, project, synthetic_poses, trajectory, yaw

from zedo.runtime import LoopConfig, PoseStream, estimate, open_engine
from zedo.runtime.core.geometry import keypoints_to_rays
from zedo.runtime.io.placing import MIN_JOINTS, RULE
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.solve.batch import batch_of
from zedo.runtime.solve.candidates import weak_perspective_on_rays
from zedo.runtime.solve.occluded import anchor_keypoints
from zedo.runtime.video.bridging import BRIDGE_SCORE, MAX_GAP, bridge_track
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.tracks import lift_tracks


@pytest.fixture(scope="module")
def prior():
    return open_engine("default", threads=1)


@pytest.fixture(scope="module")
def planted(prior):
    """Six of the prior's own cluster poses, turned and placed 4 m away: (camera-frame truth
    (6, 17, 3) metres, keypoints (6, 17, 2) px, the complete estimate)."""
    poses = prior.meta.initial_poses(50)[::8][:6]
    poses = poses - poses[:, :1]
    turns = np.random.default_rng(0).uniform(-1, 1, len(poses))
    cam = np.stack([p @ yaw(a).T for p, a in zip(poses, turns)]) + np.array([0.2, 0.1, 4.0])
    kp = project(cam, K_CAM)
    return cam, kp, estimate(kp, K=K_CAM, engine=prior)


def _mpjpe_mm(joints, truth):
    """Mean root-relative joint error over the poses, mm."""
    rel = lambda j: j - j[:, :1]  # noqa: E731
    return 1000 * np.linalg.norm(rel(joints) - rel(truth), axis=-1).mean()


def _lift_without(prior, kp, scores):
    return estimate(np.where(scores[..., None] > 0, kp, np.nan), K=K_CAM, scores=scores, engine=prior)


def test_poses_without_the_pelvis_and_a_hip_are_valid_and_near_the_complete_answer(prior, planted):
    cam, kp, full = planted
    sc = np.ones((len(kp), 17))
    sc[:, 0] = 0
    sc[::2, 1] = sc[1::2, 4] = 0  # the right hip of half of them, the left of the rest
    got = _lift_without(prior, kp, sc)
    assert got.valid.all() and np.isfinite(got.joints_3d).all()
    assert _mpjpe_mm(got.joints_3d, cam) < _mpjpe_mm(full.joints_3d, cam) + 10


def test_three_random_joints_missing_in_every_pose(prior, planted):
    cam, kp, full = planted
    rng = np.random.default_rng(1)
    sc = np.ones((len(kp), 17))
    for row in sc:
        row[1 + rng.choice(16, 3, replace=False)] = 0
    got = _lift_without(prior, kp, sc)
    assert got.valid.all()
    assert _mpjpe_mm(got.joints_3d, cam) < _mpjpe_mm(full.joints_3d, cam) + 15


def test_too_few_joints_leave_valid_0_under_the_stated_rule(tiny_prior):
    s = synthetic_poses(3)
    sc = np.ones((3, 17))
    sc[0, MIN_JOINTS:] = 0  # exactly enough
    sc[1, MIN_JOINTS - 1 :] = 0  # one short
    inputs = validate_inputs(s["keypoints"], s["K"], sc)
    assert inputs.valid.tolist() == [True, False, True]
    got = estimate(s["keypoints"], K=s["K"], scores=sc, engine=open_engine(tiny_prior), config=LoopConfig(iterations=3))
    assert got.valid.tolist() == [True, False, True] and np.isnan(got.joints_3d[1]).all()
    assert "at least 5 of its 17 joints" in RULE
    with pytest.raises(ValueError, match="none of the 1 poses can be placed: a pose is placed when at least 5"):
        estimate(s["keypoints"][1], K=s["K"], scores=sc[1], engine=open_engine(tiny_prior))


def test_complete_poses_are_bit_identical_with_occluded_ones_beside_them(tiny_prior):
    engine, cfg = open_engine(tiny_prior, threads=1), LoopConfig(iterations=6)
    s = synthetic_poses(8, seed=3)
    alone = estimate(s["keypoints"][:5], K=s["K"], engine=engine, config=cfg)
    sc = np.ones((8, 17))
    sc[5, 0] = sc[6, [0, 4]] = sc[7, [2, 9, 13]] = 0
    mixed = estimate(s["keypoints"], K=s["K"], scores=sc, engine=engine, config=cfg)
    np.testing.assert_array_equal(mixed.joints_3d[:5], alone.joints_3d)
    np.testing.assert_array_equal(mixed.reprojection_px[:5], alone.reprojection_px)
    assert mixed.valid.all()


def test_a_complete_batch_is_the_batch_it_always_was():
    kp = synthetic_poses(4)["keypoints"].astype(np.float32)
    sc, K = np.ones((4, 17), np.float32), np.repeat(K_CAM[None], 4, 0).astype(np.float32)
    same, centred = anchor_keypoints(kp, sc, np)
    assert same is kp and not centred.any()
    batch = batch_of(kp, sc, K, np)
    np.testing.assert_array_equal(batch.rays, keypoints_to_rays(kp, np.linalg.inv(K), np))


def test_a_missing_pelvis_is_anchored_at_the_hips_or_the_observed_mean():
    kp = synthetic_poses(2)["keypoints"]
    sc = np.ones((2, 17))
    sc[:, 0] = 0
    sc[1, 4] = 0
    anchored, centred = anchor_keypoints(kp, sc, np)
    np.testing.assert_allclose(anchored[0, 0], 0.5 * (kp[0, 1] + kp[0, 4]))
    np.testing.assert_allclose(anchored[1, 0], kp[1][sc[1] > 0].mean(0))
    assert centred.tolist() == [0, 1]
    np.testing.assert_array_equal(anchored[:, 1:], kp[:, 1:])


def test_the_centred_weak_perspective_fit_finds_the_pose_without_its_pelvis():
    """A pose seen under weak perspective (every joint at 4 m's scale) fits itself exactly about its
    observed joints' mean, at no turn and 4 m, though its pelvis and a hip are missing; fitted about
    the pelvis (not centred) it does not, and another pose does not either."""
    s = synthetic_poses(2, yaw_deg=20.0, noise=0.05)
    truth = s["pose"][0]
    rays = np.concatenate([truth[:, :2] / 4.0, np.ones((17, 1))], axis=1)[None]
    mask = np.ones((1, 17))
    mask[0, [0, 4]] = 0
    rays[0, 0, :2] = (rays[0, :, :2] * mask[0, :, None]).sum(0) / mask.sum()
    candidates = s["pose"]
    residual, turn, distance = weak_perspective_on_rays(candidates, rays, mask, np, centred=np.ones(1))
    assert residual[0, 0] < 1e-12 < residual[0, 1] and abs(turn[0, 0]) < 1e-6
    assert distance[0, 0] == pytest.approx(4.0 * np.linalg.norm(rays[0, 0]))
    about_pelvis, _, _ = weak_perspective_on_rays(candidates, rays, mask, np)
    assert about_pelvis[0, 0] > 1e-6


def test_bridging_fills_short_gaps_along_the_track_and_leaves_long_ones():
    frame = np.arange(20)
    kp = np.stack([np.stack([frame, 2.0 * frame], 1)] * 17, axis=1).astype(np.float64)  # (20, 17, 2)
    sc = np.full((20, 17), 0.8)
    sc[3:6, 2] = 0  # 3 frames: bridged
    sc[7 : 8 + MAX_GAP, 5] = 0  # MAX_GAP + 1 frames: left
    sc[:2, 9] = 0  # the start of the track: left
    got_kp, got_sc = bridge_track(np.where(sc[..., None] > 0, kp, 0.0), sc, frame)
    np.testing.assert_allclose(got_kp[3:6, 2], kp[3:6, 2])
    assert np.allclose(got_sc[3:6, 2], BRIDGE_SCORE * 0.8)
    assert (got_sc[7 : 8 + MAX_GAP, 5] == 0).all() and (got_sc[:2, 9] == 0).all()


def test_a_video_bridges_a_joint_a_few_frames_missing(tiny_prior):
    s = trajectory(12)
    sc = np.ones((12, 17))
    sc[4:7, 5:] = 0  # three frames keep 5 joints... less one: not placeable on their own
    sc[4:7, 4] = 0
    kp = np.where(sc[..., None] > 0, s["keypoints"], np.nan)
    inputs = validate_inputs(kp, K_CAM, sc)
    assert not inputs.valid[4:7].any()
    inputs = inputs.__class__(**{**inputs.__dict__, "frame": np.arange(12)})
    got = lift_tracks(inputs, open_engine(tiny_prior, threads=1), LoopConfig(iterations=3), StreamConfig(iterations=5))
    assert got.valid.all() and np.isfinite(got.joints_3d).all()


@pytest.mark.parametrize("warm", [False, True], ids=["stream", "warm"])
def test_a_live_stream_lifts_frames_without_the_pelvis_and_a_hip(prior, warm):
    s = trajectory(6)
    config = StreamConfig(iterations=20, warm=warm, warm_iterations=5)
    stream = PoseStream(prior, K=K_CAM, config=LoopConfig(iterations=20), stream_config=config)
    scores = np.ones(17)
    scores[[0, 4]] = 0
    frames = [stream.update(kp, None if i % 2 == 0 else scores) for i, kp in enumerate(s["keypoints"])]
    assert all(f.valid for f in frames) and all(np.isfinite(f.joints_3d).all() for f in frames)
    assert frames[-1].continued

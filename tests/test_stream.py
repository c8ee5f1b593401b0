"""The stream mode: PoseStream (one person, frame by frame) and Streams (many, batched)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import K_CAM, TPOSE, project, yaw

from zedo.evaluation.metrics import acceleration_error
from zedo.runtime import Engine, LoopConfig, PoseStream, estimate, open_engine
from zedo.runtime.filters import OneEuroConfig
from zedo.runtime.stream import StreamConfig, Streams

FAST = LoopConfig(iterations=20)
WARM = StreamConfig(warm_iterations=5)


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior, threads=1)


def trajectory(frames: int = 24, seed: int = 0) -> dict:
    """A planted smooth motion at 25 fps: the T-pose turning slowly and walking sideways 4 m from
    the camera, an arm swinging. Returns pose_cam (F, 17, 3) metres and keypoints (F, 17, 2) px."""
    t = np.arange(frames) / 25.0
    poses = []
    for ti in t:
        pose = TPOSE.copy()
        pose[13] = pose[12] + 0.24 * np.array([np.cos(1.5 * ti), np.sin(1.5 * ti), 0.0])  # l_wrist swings
        pose = pose @ yaw(0.4 * np.sin(ti)).T + np.array([0.5 * ti - 0.3, 0.1, 4.0 + 0.2 * ti])
        poses.append(pose)
    cam = np.stack(poses)
    return {"pose_cam": cam, "keypoints": project(cam, K_CAM)}


def test_engines_satisfy_the_protocol(engine):
    assert isinstance(engine, Engine)


def test_first_frame_is_estimate_and_later_frames_are_warm(engine):
    s = trajectory(4)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
    frames = [stream.update(kp) for kp in s["keypoints"]]
    first = estimate(s["keypoints"][:1], K_CAM, engine=engine, config=FAST)
    np.testing.assert_allclose(frames[0].joints_3d, first.joints_3d[0], atol=1e-5)  # the filter passes a first value through
    assert [f.warm for f in frames] == [False, True, True, True] and all(f.valid for f in frames)
    for f in frames:
        assert f.joints_3d.shape == (17, 3) and f.translation.shape == (3,)
        np.testing.assert_array_equal(f.translation, f.joints_3d[0])
    assert stream.last is frames[-1]


def test_a_planted_smooth_trajectory_is_smoother_than_per_frame(engine):
    """Seen through 1 px of detector noise (exact 2D of a T-pose lifts smoothly frame by frame)."""
    s = trajectory(24)
    keypoints = s["keypoints"] + np.random.default_rng(1).normal(0.0, 1.0, s["keypoints"].shape)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
    streamed = np.stack([stream.update(kp).joints_3d for kp in keypoints])
    per_frame = estimate(keypoints, K_CAM, engine=engine, config=FAST).joints_3d
    smooth, jittery = acceleration_error(streamed, s["pose_cam"]).mean(), acceleration_error(per_frame, s["pose_cam"]).mean()
    assert smooth < 0.5 * jittery, (smooth, jittery)


def test_reset_and_track_loss_start_afresh(engine):
    s = trajectory(6)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
    assert not stream.update(s["keypoints"][0]).warm
    assert stream.update(s["keypoints"][1]).warm
    stream.reset()
    assert stream.last is None and not stream.update(s["keypoints"][2]).warm
    # Hips missing: the frame cannot be placed, and the next one starts afresh.
    scores = np.ones(17)
    scores[1] = 0.0
    lost = stream.update(s["keypoints"][3], scores)
    assert not lost.valid and not lost.warm and np.isnan(lost.joints_3d).all()
    assert not stream.update(s["keypoints"][4]).warm
    # The 2D turned a quarter about the pelvis (someone else, lying down): the previous pose no
    # longer fits it, so the frame starts afresh, and the one after is warm again.
    kp = s["keypoints"][5]
    lying = kp[0] + (kp - kp[0])[:, ::-1] * [1.0, -1.0]
    assert not stream.update(lying).warm
    assert stream.update(lying).warm


def test_bad_frames_are_one_clear_error(engine):
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
    with pytest.raises(ValueError, match="16 keypoints per pose fit no known layout"):
        stream.update(np.ones((16, 2)))
    with pytest.raises(ValueError, match="one pose"):
        stream.update(np.stack([trajectory(1)["keypoints"][0]] * 2))


def test_streams_advance_together_in_one_prior_call_per_iteration(engine):
    s = trajectory(3)
    calls = []

    class Counting:
        xp, meta = engine.xp, engine.meta

        def __call__(self, x, t):
            calls.append(len(x))
            return engine(x, t)

    offsets = np.array([[0.0, 0.0], [40.0, 10.0], [-30.0, 5.0]])
    batched = Streams(Counting(), 3, FAST, WARM)
    together = [batched.step(np.arange(3), s["keypoints"][k] + offsets[:, None], np.ones((3, 17)), np.broadcast_to(K_CAM, (3, 3, 3)), np.ones(3, bool), [k] * 3) for k in range(3)]
    # The warm frames: one call per iteration for all three streams, plus the final plausibility call.
    assert calls[-(WARM.warm_iterations + 1):] == [3] * (WARM.warm_iterations + 1)
    with pytest.raises(ValueError, match="distinct"):
        batched.step([0, 0], s["keypoints"][:2], np.ones((2, 17)), np.broadcast_to(K_CAM, (2, 3, 3)), np.ones(2, bool), [3, 3])
    for i in range(3):
        alone = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
        for k in range(3):
            np.testing.assert_allclose(alone.update(s["keypoints"][k] + offsets[i]).joints_3d, together[k].joints_3d[i], atol=1e-4)


@pytest.mark.parametrize(
    "field, value",
    [("warm_iterations", 0), ("warm_t_start", 0.0), ("warm_step_scale", -1.0), ("lost_fit", 0.0), ("fps", 0.0), ("refresh_every", -1), ("joints_filter", "strong")],
)
def test_stream_config_names_a_bad_field(field, value):
    with pytest.raises(ValueError, match=field):
        StreamConfig(**{field: value})


def test_refresh_every_restarts_on_schedule(engine):
    s = trajectory(5)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=StreamConfig(warm_iterations=5, refresh_every=2, joints_filter=OneEuroConfig(min_cutoff=2.0)))
    assert [stream.update(kp).warm for kp in s["keypoints"]] == [False, True, False, True, False]


def test_a_stream_keeps_the_size_of_its_fresh_start(make_prior):
    """A prior that lets every step inflate the pose (eps = 0): the stream clamps each warm start to
    within SIZE_TOLERANCE of the fresh start's size, so 30 frames cannot compound the growth."""
    from zedo.runtime.skeleton import bone_lengths
    from zedo.runtime.stream import SIZE_TOLERANCE

    s = trajectory(30)
    stream = PoseStream(open_engine(make_prior("zero"), threads=1), K=K_CAM, config=FAST, stream_config=StreamConfig(warm_iterations=5, joints_filter=None, translation_filter=None))
    sizes = [bone_lengths(stream.update(kp).joints_3d).sum() for kp in s["keypoints"]]
    one_frame = sizes[1] / sizes[0]
    assert one_frame > 1.05  # the prior does inflate a warm frame
    assert max(sizes) / sizes[0] <= (1 + SIZE_TOLERANCE) * one_frame * 1.01

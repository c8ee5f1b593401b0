"""The stream mode: PoseStream (one person, frame by frame) and Streams (many, batched)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import K_CAM, trajectory

from zedo.evaluation.metrics import acceleration_error
from zedo.runtime import Engine, LoopConfig, PoseStream, estimate, open_engine
from zedo.runtime.video.filters import OneEuroConfig
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.streams import Streams

FAST = LoopConfig(iterations=20)
STREAM = StreamConfig(iterations=20)
WARM = StreamConfig(iterations=20, warm=True, warm_iterations=5)


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior, threads=1)


def test_engines_satisfy_the_protocol(engine):
    assert isinstance(engine, Engine)


@pytest.mark.parametrize("stream_config", [STREAM, WARM], ids=["stream", "warm"])
def test_first_frame_is_estimate_and_later_frames_continue(engine, stream_config):
    s = trajectory(4)
    stream = PoseStream(engine, K=K_CAM, config=LoopConfig(iterations=3), stream_config=stream_config)
    frames = [stream.update(kp) for kp in s["keypoints"]]
    first = estimate(
        s["keypoints"][:1], K=K_CAM, engine=engine, config=FAST
    )  # at the stream's iterations, not the config's
    np.testing.assert_allclose(
        frames[0].joints_3d, first.joints_3d[0], atol=1e-5
    )  # the filter passes a first value through
    assert [f.continued for f in frames] == [False, True, True, True] and all(f.valid for f in frames)
    for f in frames:
        assert f.joints_3d.shape == (17, 3) and f.translation.shape == (3,)
        np.testing.assert_array_equal(f.translation, f.joints_3d[0])
    assert stream.last is frames[-1]


@pytest.mark.parametrize("stream_config", [StreamConfig(iterations=20), WARM], ids=["stream", "warm"])
def test_a_planted_smooth_trajectory_is_smoother_than_per_frame(engine, stream_config):
    """Seen through 1 px of detector noise (exact 2D of a T-pose lifts smoothly frame by frame)."""
    s = trajectory(24)
    keypoints = s["keypoints"] + np.random.default_rng(1).normal(0.0, 1.0, s["keypoints"].shape)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=stream_config)
    streamed = np.stack([stream.update(kp).joints_3d for kp in keypoints])
    per_frame = estimate(keypoints, K=K_CAM, engine=engine, config=FAST).joints_3d
    smooth, jittery = (
        acceleration_error(streamed, s["pose_cam"]).mean(),
        acceleration_error(per_frame, s["pose_cam"]).mean(),
    )
    assert smooth < 0.5 * jittery, (smooth, jittery)


@pytest.mark.parametrize("stream_config", [STREAM, WARM], ids=["stream", "warm"])
def test_reset_and_track_loss_start_afresh(engine, stream_config):
    s = trajectory(6)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=stream_config)
    assert not stream.update(s["keypoints"][0]).continued
    assert stream.update(s["keypoints"][1]).continued
    stream.reset()
    assert stream.last is None and not stream.update(s["keypoints"][2]).continued
    # Four joints left: the frame cannot be placed, and the next one starts afresh.
    scores = np.ones(17)
    scores[4:] = 0.0
    lost = stream.update(s["keypoints"][3], scores)
    assert not lost.valid and not lost.continued and np.isnan(lost.joints_3d).all()
    assert not stream.update(s["keypoints"][4]).continued
    # The 2D turned a quarter about the pelvis (someone else, lying down): the previous pose no
    # longer fits it, so the frame starts afresh, and the one after continues again.
    kp = s["keypoints"][5]
    lying = kp[0] + (kp - kp[0])[:, ::-1] * [1.0, -1.0]
    assert not stream.update(lying).continued
    assert stream.update(lying).continued


def test_bad_frames_are_one_clear_error(engine):
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=WARM)
    with pytest.raises(ValueError, match="16 keypoints per pose fit no known layout"):
        stream.update(np.ones((16, 2)))
    with pytest.raises(ValueError, match="one pose"):
        stream.update(np.stack([trajectory(1)["keypoints"][0]] * 2))


@pytest.mark.parametrize(
    "stream_config, iterations", [(STREAM, STREAM.iterations), (WARM, WARM.warm_iterations)], ids=["stream", "warm"]
)
def test_streams_advance_together_in_one_prior_call_per_iteration(engine, stream_config, iterations):
    s = trajectory(3)
    calls = []

    class Counting:
        xp, meta = engine.xp, engine.meta

        def __call__(self, x, t):
            calls.append(len(x))
            return engine(x, t)

    offsets = np.array([[0.0, 0.0], [40.0, 10.0], [-30.0, 5.0]])
    batched = Streams(Counting(), 3, FAST, stream_config)
    together = [
        batched.step(
            np.arange(3),
            s["keypoints"][k] + offsets[:, None],
            np.ones((3, 17)),
            np.broadcast_to(K_CAM, (3, 3, 3)),
            np.ones(3, bool),
            [k] * 3,
        )
        for k in range(3)
    ]
    # The last frame: one call per iteration for all three streams, plus the final plausibility call.
    assert calls[-(iterations + 1) :] == [3] * (iterations + 1)
    with pytest.raises(ValueError, match="distinct"):
        batched.step(
            [0, 0], s["keypoints"][:2], np.ones((2, 17)), np.broadcast_to(K_CAM, (2, 3, 3)), np.ones(2, bool), [3, 3]
        )
    for i in range(3):
        alone = PoseStream(engine, K=K_CAM, config=FAST, stream_config=stream_config)
        for k in range(3):
            np.testing.assert_allclose(
                alone.update(s["keypoints"][k] + offsets[i]).joints_3d, together[k].joints_3d[i], atol=1e-4
            )


@pytest.mark.parametrize(
    "field, value",
    [
        ("iterations", 0),
        ("continuity", 0),
        ("warm", "yes"),
        ("warm_iterations", 0),
        ("warm_t_start", 0.0),
        ("warm_step_scale", -1.0),
        ("lost_fit", 0.0),
        ("fps", 0.0),
        ("refresh_every", -1),
        ("plane_filter", "strong"),
        ("depth_filter", 1.0),
        ("delay", -1),
        ("smoothing", "wide"),
    ],
)
def test_stream_config_names_a_bad_field(field, value):
    with pytest.raises(ValueError, match=field):
        StreamConfig(**{field: value})


def test_refresh_every_restarts_on_schedule(engine):
    s = trajectory(5)
    stream = PoseStream(
        engine,
        K=K_CAM,
        config=FAST,
        stream_config=replace(WARM, refresh_every=2, plane_filter=OneEuroConfig(min_cutoff=3.0)),
    )
    assert [stream.update(kp).continued for kp in s["keypoints"]] == [False, True, False, True, False]


def test_a_stream_keeps_the_size_of_its_fresh_start(make_prior):
    """A prior that lets every step inflate the pose (eps = 0): the stream clamps each warm start to
    within SIZE_TOLERANCE of the fresh start's size, so 30 frames cannot compound the growth."""
    from zedo.runtime.core.skeleton import bone_lengths
    from zedo.runtime.video.streams import SIZE_TOLERANCE

    s = trajectory(30)
    stream = PoseStream(
        open_engine(make_prior("zero"), threads=1), K=K_CAM, config=FAST, stream_config=WARM.unfiltered()
    )
    sizes = [bone_lengths(stream.update(kp).joints_3d).sum() for kp in s["keypoints"]]
    one_frame = sizes[1] / sizes[0]
    assert one_frame > 1.05  # the prior does inflate a warm frame
    assert max(sizes) / sizes[0] <= (1 + SIZE_TOLERANCE) * one_frame * 1.01


def test_a_frame_starts_from_its_ranked_start_closest_to_the_previous_pose(engine):
    """Planted: the previous pose is the third-ranked start of this frame's 2D, so of the three best
    starts (continuity 3) that one is taken; with continuity 1 the best, as in per-frame mode."""
    from zedo.runtime.solve.candidates import choose_starts

    keypoints = trajectory(1)["keypoints"].astype(np.float32)
    scores, K = np.ones((1, 17), np.float32), K_CAM[None].astype(np.float32)
    streams = Streams(engine, 1, FAST, STREAM)
    _, x, T = choose_starts(streams.library, keypoints, scores, K, engine, streams.config, np, 3, sde=engine.meta.sde)
    assert not np.allclose(x[:, 0], x[:, 2])
    x0, _ = streams._start(keypoints, scores, K, x[:, 2])
    np.testing.assert_array_equal(x0, x[:, 2])
    assert (
        streams._start(keypoints, scores, K, np.full((1, 17, 3), np.nan)) is None
    )  # no previous pose: the library's best
    first = Streams(engine, 1, FAST, replace(STREAM, continuity=1))
    assert first._start(keypoints, scores, K, x[:, 2]) is None


def test_a_delayed_stream_returns_each_frame_smoothed_on_both_sides(engine):
    """Planted: with a delay that covers the smoothing's reach (3 sigma), the frames a delayed stream
    returns, then flushes, are the undelayed stream's raw frames smoothed as a recorded video is."""
    from zedo.runtime.video.smoothing import SmoothConfig, smooth_track

    s = trajectory(12)
    keypoints = s["keypoints"] + np.random.default_rng(3).normal(0.0, 1.0, s["keypoints"].shape)
    widths = SmoothConfig(plane_s=0.04, depth_s=0.08, translation_s=0.04)
    raw_stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=STREAM.unfiltered())
    raw = np.stack([raw_stream.update(kp).joints_3d for kp in keypoints])
    delayed = PoseStream(engine, K=K_CAM, config=FAST, stream_config=replace(STREAM, delay=6, smoothing=widths))
    early = [delayed.update(kp) for kp in keypoints[:6]]
    assert all(not f.valid and f.index == -1 and np.isnan(f.joints_3d).all() for f in early)
    out = [delayed.update(kp) for kp in keypoints[6:]] + delayed.flush()
    assert [f.index for f in out] == list(range(12)) and all(f.valid for f in out)
    np.testing.assert_allclose(
        np.stack([f.joints_3d for f in out]), smooth_track(raw, np.arange(12) / 25.0, widths), atol=1e-9
    )
    assert delayed.flush() == [] and delayed.update(keypoints[0]).index == -1  # flushed: the delay fills again


def test_a_stream_keeps_the_layout_of_its_first_frame(engine):
    """One frame whose right leg folds onto the pelvis looks like COCO's order (eyes and ears by the
    nose) on its own; a stream that took h36m17 from its first frame lifts it rather than stop."""
    s = trajectory(2)
    folded = s["keypoints"][1].copy()
    folded[1:5] = folded[0] + [[3.0, 1.0], [4.0, 2.0], [2.0, 3.0], [-3.0, 1.0]]
    with pytest.raises(ValueError, match="COCO"):
        PoseStream(engine, K=K_CAM, config=FAST, stream_config=STREAM).update(folded)
    stream = PoseStream(engine, K=K_CAM, config=FAST, stream_config=STREAM)
    stream.update(s["keypoints"][0])
    assert stream.update(folded).valid and stream.layout == "h36m17"

"""PoseStream: one tracked person, frame by frame."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.runtime import Engine, LoopConfig, PoseStream, estimate, open_engine


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior)


def test_engines_satisfy_the_protocol(engine):
    assert isinstance(engine, Engine)


def test_stream_frames_match_estimate_and_reset_forgets(engine):
    s = synthetic_poses(3, seed=21)
    cfg = LoopConfig(iterations=10)
    stream = PoseStream(engine, K=s["K"], config=cfg)
    frames = [stream.update(kp) for kp in s["keypoints"]]
    batch = estimate(s["keypoints"], s["K"], engine=engine, config=cfg)
    for f, want in zip(frames, batch.joints_3d):
        assert f.valid and f.joints_3d.shape == (17, 3)
        np.testing.assert_allclose(f.joints_3d, want, atol=1e-6)
        np.testing.assert_array_equal(f.translation, f.joints_3d[0])
    assert stream.last is frames[-1]
    stream.reset()
    assert stream.last is None


def test_stream_frame_without_hips_is_invalid_not_an_error(engine):
    s = synthetic_poses(1, seed=22)
    stream = PoseStream(engine, K=s["K"], config=LoopConfig(iterations=5))
    scores = np.ones(17)
    scores[1] = 0.0
    f = stream.update(s["keypoints"][0], scores)
    assert not f.valid and np.isnan(f.joints_3d).all()
    with pytest.raises(ValueError, match="16 keypoints per pose fit no known layout"):
        stream.update(np.ones((16, 2)))
    with pytest.raises(ValueError, match="one pose"):
        stream.update(np.stack([s["keypoints"][0]] * 2))

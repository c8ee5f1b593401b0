"""zedo.runtime.apps.embed, the Python side of the C++ wrapper, called as the wrapper calls it (NumPy
arrays over float32 buffers, results written into an output array); no compiler needed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import synthetic_poses

from zedo.runtime import LoopConfig, PoseStream, StreamConfig, estimate, open_engine
from zedo.runtime.apps.cli import main as zedo_infer
from zedo.runtime.apps.embed import Lifter, Stream, check_output, describe_python, read_input, write_output

OPTIONS = dict(layout="h36m17", device="cpu", threads=1, iterations=10, start_candidates=0)


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def test_lifter_fills_the_callers_buffer_with_estimates_result(tiny_prior):
    s = synthetic_poses(3, seed=31)
    lifter = Lifter(engine=str(tiny_prior), **OPTIONS)
    out = np.full((3, 17, 3), -1.0, dtype=np.float32)
    lifter.lift(f32(s["keypoints"]), None, f32(s["K"]), out)
    want = estimate(
        f32(s["keypoints"]), K=f32(s["K"]), engine=open_engine(tiny_prior), config=LoopConfig(iterations=10)
    )
    np.testing.assert_allclose(out, want.joints_3d, atol=1e-6)
    assert lifter.keypoint_count == 17


def test_lifter_takes_a_camera_per_pose_and_leaves_unplaceable_poses_nan(tiny_prior):
    s = synthetic_poses(2, seed=32)
    scores = np.ones((2, 17), np.float32)
    scores[1, 4:] = 0.0  # 4 joints seen: the pose cannot be placed
    out = np.zeros((2, 17, 3), np.float32)
    Lifter(engine=str(tiny_prior), **OPTIONS).lift(f32(s["keypoints"]), scores, f32(np.stack([s["K"]] * 2)), out)
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


@pytest.mark.parametrize(
    "change, words",
    [
        (dict(threads=-1), "threads must be in [0, 1024]"),
        (dict(layout="coco18"), "unknown keypoint layout 'coco18'"),
        (dict(iterations=0), "iterations must be a whole number"),
        (dict(start_candidates=-2), "start_candidates must be a whole number"),
        (dict(engine="no-such-prior"), "neither a bundled prior"),
    ],
)
def test_bad_options_name_the_field(tiny_prior, change, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(")):
        Lifter(**{**dict(engine=str(tiny_prior), **OPTIONS), **change})


def test_stream_fills_one_frame_as_posestream(tiny_prior):
    s = synthetic_poses(2, seed=33)
    stream = Stream(f32(s["K"]), engine=str(tiny_prior), **OPTIONS)
    want = PoseStream(
        open_engine(tiny_prior), K=s["K"], config=LoopConfig(iterations=10), stream_config=StreamConfig(iterations=10)
    )  # each frame at the options' iterations
    out = np.zeros((17, 3), np.float32)
    for kp in s["keypoints"]:
        assert stream.update(f32(kp), None, out) is True
        np.testing.assert_allclose(out, want.update(f32(kp)).joints_3d, atol=1e-6)
    missing = np.ones(17, np.float32)
    missing[4:] = 0.0  # 4 joints seen: the frame cannot be placed
    assert stream.update(f32(s["keypoints"][0]), missing, out) is False and np.isnan(out).all()
    stream.reset()
    assert stream.stream.last is None


def test_read_lift_write_gives_zedo_infers_file(tiny_prior, tmp_path):
    s = synthetic_poses(3, seed=34)
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"keypoints": f32(s["keypoints"]).tolist(), "K": s["K"].tolist(), "frame": [4, 5, 6]}))
    check_output(str(tmp_path / "ours.json"), str(source))
    with pytest.raises(ValueError, match="would overwrite the input"):
        check_output(str(source), str(source))
    d = read_input(str(source))
    assert d["keypoints"].dtype == np.float32 and d["K"].shape == (3, 3, 3) and d["layout"] == "h36m17"
    out = np.zeros((3, 17, 3), np.float32)
    Lifter(engine=str(tiny_prior), **OPTIONS).lift(d["keypoints"], d["scores"], d["K"], out)
    write_output(
        str(tmp_path / "ours.json"),
        out,
        d["K"],
        d["layout"],
        d["frame"],
        d["track"],
        engine=str(tiny_prior),
        iterations=10,
        start_candidates=0,
    )
    assert (
        zedo_infer(
            [
                str(source),
                "-o",
                str(tmp_path / "theirs.json"),
                "--engine",
                str(tiny_prior),
                "--iterations",
                "10",
                "--threads",
                "1",
                "--per-frame",
                "--quiet",
            ]
        )
        == 0
    )
    ours, theirs = (json.loads((tmp_path / f"{name}.json").read_text()) for name in ("ours", "theirs"))
    for key in ("noise_px", "starts"):  # the C++ API returns poses only
        theirs.pop(key, None)
    assert sorted(ours) == sorted(theirs) and ours["frame"] == [4, 5, 6]
    np.testing.assert_allclose(ours["joints_3d"], theirs["joints_3d"], atol=1e-6)
    assert {k: v for k, v in ours.items() if k != "joints_3d"} == {k: v for k, v in theirs.items() if k != "joints_3d"}


def test_describe_python_names_the_interpreter():
    text = describe_python()
    assert text.startswith("Python 3.") and "sys.prefix" in text and "zedo from" in text

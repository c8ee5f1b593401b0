"""Video input: tracks of frames lifted in the stream mode, through the library and zedo-infer;
the animation of --plot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import K_CAM, assert_one_error_line, fast, trajectory, zedo_infer

from zedo.evaluation.metrics import acceleration_error
from zedo.runtime import LoopConfig, estimate, open_engine
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.tracks import is_video, lift_tracks, track_rows


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior, threads=1)


def video(frames=(0, 1, 2, 0, 1), track=(5, 5, 5, 2, 2)):
    """Validated inputs of two people in a clip (rows interleaved as a detector writes them)."""
    s = trajectory(max(frames) + 1)
    kp = s["keypoints"][list(frames)] + np.array([[0.0, 0.0] if t == 5 else [150.0, 20.0] for t in track])[:, None]
    inputs = validate_inputs(kp, K_CAM)
    return inputs.__class__(**{**inputs.__dict__, "frame": np.array(frames), "track": np.array(track)})


def test_track_rows_group_in_frame_order_and_name_bad_rows():
    assert [r.tolist() for r in track_rows(np.array([0, 0, 1, 1, 3]), np.array([1, 0, 1, 0, 1]))] == [[1, 3], [0, 2, 4]]
    assert [r.tolist() for r in track_rows(np.array([4, 7]))] == [[0, 1]]
    with pytest.raises(ValueError, match="track 1: frame 2 appears twice"):
        track_rows(np.array([0, 2, 2]), np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="track 3: frame 1 comes after frame 4"):
        track_rows(np.array([0, 4, 1]), np.array([3, 3, 3]))


STREAMS = [StreamConfig(iterations=20), StreamConfig(iterations=20, warm=True, warm_iterations=5)]


@pytest.mark.parametrize("stream_config", STREAMS, ids=["video", "warm"])
def test_lift_tracks_runs_each_track_and_keeps_the_row_order(engine, stream_config):
    inputs = video()
    got = lift_tracks(inputs, engine, LoopConfig(iterations=3), stream_config)
    assert got.joints_3d.shape == (5, 17, 3) and got.valid.all() and got.hypotheses.shape == (5, 1, 17, 3)
    np.testing.assert_array_equal(got.translation, got.joints_3d[:, 0])
    # Track 2 is to the right of track 5 in the image, so its poses are too (camera x).
    assert (got.translation[3:, 0] > got.translation[:2, 0].max()).all()


@pytest.mark.parametrize("stream_config", STREAMS, ids=["video", "warm"])
def test_a_track_of_one_frame_and_a_frame_with_too_few_joints(engine, stream_config):
    inputs = video(frames=(0, 1, 0), track=(1, 1, 9))
    scores = inputs.scores.copy()
    scores[1, 4:] = 0.0  # the last frame of track 1 keeps 4 joints, and nothing after it bridges them
    inputs = inputs.__class__(**{**inputs.__dict__, "scores": scores, "valid": np.array([True, False, True])})
    got = lift_tracks(inputs, engine, LoopConfig(iterations=20), stream_config)
    assert (
        got.valid.tolist() == [True, False, True]
        and np.isnan(got.joints_3d[1]).all()
        and np.isfinite(got.joints_3d[[0, 2]]).all()
    )
    assert is_video(inputs) and not is_video(video(frames=(0, 0), track=(1, 2)))


def test_a_recorded_video_is_per_frame_lifting_smoothed_and_smoother_than_it(engine):
    """Unsmoothed, a video's frames are per-frame mode's at the stream's iterations, bit for bit;
    smoothed, a planted trajectory seen through 1 px of noise has a lower acceleration error."""
    s = trajectory(24)
    keypoints = s["keypoints"] + np.random.default_rng(1).normal(0.0, 1.0, s["keypoints"].shape)
    inputs = validate_inputs(keypoints, K_CAM)
    inputs = inputs.__class__(**{**inputs.__dict__, "frame": np.arange(24)})
    per_frame = estimate(keypoints, K=K_CAM, engine=engine, config=LoopConfig(iterations=20)).joints_3d
    raw = lift_tracks(inputs, engine, LoopConfig(iterations=3), StreamConfig(iterations=20), smoothing=None).joints_3d
    np.testing.assert_array_equal(raw, per_frame)
    smooth = lift_tracks(inputs, engine, LoopConfig(iterations=3), StreamConfig(iterations=20)).joints_3d
    assert acceleration_error(smooth, s["pose_cam"]).mean() < 0.5 * acceleration_error(per_frame, s["pose_cam"]).mean()


@pytest.fixture
def video_npz(tmp_path):
    s = trajectory(6)
    path = tmp_path / "clip.npz"
    kp = np.concatenate([s["keypoints"], s["keypoints"] + [150.0, 20.0]])
    np.savez(path, keypoints=kp, K=K_CAM, frame=np.tile(np.arange(6), 2), track=np.repeat([3, 8], 6))
    return path


def test_zedo_infer_runs_a_video_in_the_stream_mode(tmp_path, video_npz, tiny_prior):
    out, per = tmp_path / "out.json", tmp_path / "per.npz"
    zedo_infer(video_npz, "-o", out, *fast(tiny_prior), check_rc=0)
    doc = json.loads(out.read_text())
    assert doc["frame"] == list(range(6)) * 2 and doc["track"] == [3] * 6 + [8] * 6 and all(doc["valid"])
    zedo_infer(video_npz, "-o", per, *fast(tiny_prior), "--per-frame", check_rc=0)
    zedo_infer(video_npz, "-o", tmp_path / "raw.npz", *fast(tiny_prior), "--no-filter", check_rc=0)
    with np.load(per) as f:
        assert f["joints_3d"].shape == (12, 17, 3)
    proc = zedo_infer(video_npz, "-o", tmp_path / "h.npz", *fast(tiny_prior), "--hypotheses", 2)
    assert_one_error_line(proc, "clip.npz", "stream mode", "--per-frame")
    for fps in ("0", "nan", "-25"):
        assert_one_error_line(
            zedo_infer(video_npz, "-o", tmp_path / "f.npz", *fast(tiny_prior), "--fps", fps), "--fps", fps
        )
    assert not (tmp_path / "f.npz").exists()


def test_zedo_infer_names_the_track_and_frame_of_out_of_order_rows(tmp_path, tiny_prior):
    s = trajectory(3)
    inp, out = tmp_path / "bad.npz", tmp_path / "out.npz"
    np.savez(inp, keypoints=s["keypoints"], K=K_CAM, frame=[0, 2, 1], track=[4, 4, 4])
    assert_one_error_line(
        zedo_infer(inp, "-o", out, *fast(tiny_prior)), "bad.npz", "track 4", "frame 1 comes after frame 2"
    )
    assert not out.exists()


def test_plot_animates_the_first_track(tmp_path, video_npz, tiny_prior):
    pytest.importorskip("matplotlib")
    gif = tmp_path / "clip.gif"
    zedo_infer(video_npz, "-o", tmp_path / "out.npz", *fast(tiny_prior), "--plot", gif, check_rc=0)
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "clip.npz", "out.npz"]  # no temporary file left
    single = tmp_path / "single.npz"
    np.savez(single, keypoints=trajectory(2)["keypoints"], K=K_CAM)
    assert_one_error_line(
        zedo_infer(single, "-o", tmp_path / "o2.npz", *fast(tiny_prior), "--plot", tmp_path / "x.gif"),
        "x.gif",
        "video input",
    )


def test_a_failed_animation_leaves_no_file(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib import animation

    from zedo.runtime.apps.plot import plot_animation

    s = trajectory(3)
    gif = tmp_path / "a.gif"
    gif.write_text("old")

    def fail(self):  # the frames are drawn; writing the file fails half way
        open(self.outfile, "wb").write(b"GIF89a half")
        raise OSError("disk full")

    monkeypatch.setattr(animation.PillowWriter, "finish", fail)
    with pytest.raises(OSError, match="disk full"):
        plot_animation(gif, s["pose_cam"], s["keypoints"], K_CAM)
    assert gif.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.gif"]


@pytest.mark.parametrize(
    "flags, iterations",
    [
        ([], StreamConfig().iterations),
        (["--iterations", "40"], 40),
        (["--preset", "v1"], 1000),
        (["--preset", "v1", "--iterations", "30"], 30),
    ],
)
def test_a_video_runs_the_stream_iterations_unless_a_flag_or_preset_names_a_count(flags, iterations):
    from zedo.runtime.apps.cli import build_parser, request_of

    stream = request_of(build_parser().parse_args(["clip.npz", "-o", "out.npz", "--fps", "50", *flags])).stream
    assert stream.iterations == iterations and stream.fps == 50.0

"""Videos, photos and cameras in; the 2D, the 3D and an overlay out (``zedo.runtime.media``,
``zedo.runtime.pipeline.media_run``, ``zedo-infer clip.mp4``). Every picture is made here: a
synthetic video written with PyAV, photos with Pillow; a stub detector returns a planted walk, so
no detector backend is needed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_error_line, fast, trajectory, zedo_infer

av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")

from zedo.runtime import Request, lift_video  # noqa: E402
from zedo.runtime.core.config import LoopConfig  # noqa: E402
from zedo.runtime.core.errors import one_line  # noqa: E402
from zedo.runtime.detect.base import Detections  # noqa: E402
from zedo.runtime.media.decode import MediaReader  # noqa: E402
from zedo.runtime.media.sources import Source, parse_source  # noqa: E402
from zedo.runtime.pipeline import media_run  # noqa: E402

W, H, FPS, FRAMES = 160, 120, 10, 12


class Stub:
    """A detector of the planted walk, scaled into the picture: one person a frame (two where
    ``two``), nobody in the frames of ``empty``; ``stop_at`` raises ``stop_with`` at that call."""

    name, layout = "stub", "h36m17"

    def __init__(self, two=False, empty=(), stop_at=None, stop_with=KeyboardInterrupt):
        self.calls, self.two, self.empty, self.stop_at, self.stop_with = 0, two, set(empty), stop_at, stop_with
        self.walk = trajectory(64)["keypoints"]

    def __call__(self, image):
        i, self.calls = self.calls, self.calls + 1
        if i == self.stop_at:
            raise self.stop_with()
        if i in self.empty:
            return Detections.empty(17)
        h, w = image.shape[:2]
        k = self.walk[i % 64]
        k = (k - k.mean(0)) * (0.6 * h / np.ptp(k[:, 1])) + [w / 2, h / 2]
        people = [k, k + [w / 4, 0]] if self.two else [k]
        return Detections(np.stack(people).astype(np.float32), np.ones((len(people), 17), np.float32))


def write_video(path: Path, frames: int = FRAMES, fps: int = FPS) -> Path:
    """A synthetic H.264 video of ``frames`` noisy frames, W x H at ``fps``."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for _ in range(frames):
            c.mux(s.encode(av.VideoFrame.from_ndarray(rng.integers(0, 255, (H, W, 3), np.uint8), format="rgb24")))
        c.mux(s.encode(None))
    return path


def request(prior) -> Request:
    """The settings of ``fast(prior)`` on the command line."""
    return Request(engine=str(prior), threads=1, config=LoopConfig(iterations=20), frame_iterations=20)


def decoded(path: Path) -> tuple[int, int, int]:
    """(frames, width, height) of a video, decoded back with PyAV."""
    with av.open(str(path)) as c:
        frames = [f for f in c.decode(video=0)]
    return len(frames), frames[0].width, frames[0].height


def test_a_video_gives_the_2d_the_3d_and_an_overlay(tmp_path, tiny_prior):
    video = write_video(tmp_path / "clip.mp4")
    got = lift_video(video, tmp_path / "out", request(tiny_prior), detector=Stub(two=True))
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["keypoints2d.npz", "overlay.mp4", "poses3d.json", "poses3d.npz"]
    assert got.frames == FRAMES and got.fps == FPS
    with np.load(out / "poses3d.npz") as f:
        assert f["joints_3d"].shape == (2 * FRAMES, 17, 3) and int(f["frames"]) == FRAMES and float(f["fps"]) == FPS
        assert sorted(set(f["track"].tolist())) == [0, 1]
    with np.load(out / "keypoints2d.npz") as f:
        assert f["keypoints"].shape == (2 * FRAMES, 17, 2) and f["frame"].max() == FRAMES - 1
        assert list(f["image_size"]) == [W, H] and float(f["fps"]) == FPS and "track" in f.files
    assert json.loads((out / "poses3d.json").read_text())["fps"] == FPS
    assert decoded(out / "overlay.mp4") == (FRAMES, W + H, H)  # the frame beside a square 3D panel


def test_the_2d_redone_keeps_the_frame_rate(tmp_path, tiny_prior):
    lift_video(write_video(tmp_path / "clip.mp4"), tmp_path / "out", request(tiny_prior), detector=Stub())
    again = tmp_path / "again.npz"
    proc = zedo_infer(tmp_path / "out" / "keypoints2d.npz", "-o", again, *fast(tiny_prior), "--image-size", W, H)
    assert proc.returncode == 0, proc.stderr
    assert "fps assumed" not in proc.stderr  # the file's fps is --fps's default
    with np.load(tmp_path / "out" / "poses3d.npz") as first, np.load(again) as redone:
        np.testing.assert_array_equal(first["joints_3d"], redone["joints_3d"])  # the same lift, bit for bit


def test_photos_one_and_a_folder_with_a_non_image(tmp_path, tiny_prior):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(np.full((H, W, 3), 90, np.uint8)).save(folder / "a.png")
    Image.fromarray(np.full((2 * H, W, 3), 140, np.uint8)).save(folder / "b.jpg")
    (folder / "notes.txt").write_text("not a picture")
    got = lift_video(folder, tmp_path / "out", request(tiny_prior), detector=Stub())
    assert sorted(p.name for p in (tmp_path / "out" / "overlay").iterdir()) == ["a.png", "b.png"]
    assert any("notes.txt" in n for n in got.notes) and got.fps is None
    with np.load(tmp_path / "out" / "keypoints2d.npz") as f:
        assert f["K"].shape == (2, 3, 3) and "fps" not in f.files  # two sizes: a camera each
    one = lift_video(folder / "a.png", tmp_path / "one", request(tiny_prior), detector=Stub())
    assert one.frames == 1 and Image.open(tmp_path / "one" / "overlay.png").size == (W + H, H)


def test_a_truncated_video_keeps_what_decoded(tmp_path, tiny_prior):
    whole = write_video(tmp_path / "whole.mkv", frames=30)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    got = lift_video(cut, tmp_path / "out", request(tiny_prior), detector=Stub())
    assert 0 < got.frames < 30
    assert any(f"stopped after {got.frames} of 30 frames" in n for n in got.notes)
    assert decoded(tmp_path / "out" / "overlay.mp4")[0] == got.frames


def test_frames_with_nobody_are_skipped_and_counted(tmp_path, tiny_prior):
    got = lift_video(write_video(tmp_path / "c.mp4"), tmp_path / "o", request(tiny_prior), detector=Stub(empty={2, 5}))
    assert "2 frames of 12 with nobody found: skipped" in got.notes
    assert len(got.lift.lifted.result.valid) == FRAMES - 2
    with pytest.raises(ValueError, match="nobody found in 12 frame"):
        lift_video(tmp_path / "c.mp4", tmp_path / "none", request(tiny_prior), detector=Stub(empty=range(99)))
    assert not (tmp_path / "none").exists()


def test_bad_sources_are_one_line_and_write_nothing(tmp_path, tiny_prior):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    proc = zedo_infer(empty, "-o", tmp_path / "out", *fast(tiny_prior))
    assert_one_error_line(proc, "empty.mp4")
    proc = zedo_infer("--source", tmp_path / "nothing.xyz", *fast(tiny_prior))
    assert_one_error_line(proc, "unknown source", "camera index")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="unknown source"):
        parse_source("clip.unknown")


def test_a_missing_extra_names_it(monkeypatch, tmp_path):
    video = write_video(tmp_path / "clip.mp4")
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ModuleNotFoundError) as e:
        MediaReader(Source("video", video))
    assert "[video]" in one_line(e.value)


@pytest.mark.parametrize("error, words", [(ModuleNotFoundError, "[rtmlib]"), (OSError, "detector_model=PATH")])
def test_a_detector_that_cannot_open_names_the_fix(monkeypatch, error, words):
    def fail(row):
        raise (
            ModuleNotFoundError("No module named 'rtmlib'", name="rtmlib")
            if error is ModuleNotFoundError
            else (OSError("download failed"))
        )

    monkeypatch.setattr("zedo.runtime.detect.table._backend", fail)
    with pytest.raises(RuntimeError, match="rtmlib") as e:
        media_run.open_media_detector("rtmlib")
    assert words in str(e.value)


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_an_interrupt_or_error_leaves_no_partial_file(tmp_path, tiny_prior, stop):
    video = write_video(tmp_path / "clip.mp4")
    with pytest.raises(stop):
        lift_video(video, tmp_path / "out", request(tiny_prior), detector=Stub(stop_at=5, stop_with=stop))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_an_interrupt_in_the_overlay_keeps_the_finished_files(tmp_path, tiny_prior, monkeypatch):
    calls = []

    def compose(rgb, scene, index, name=""):
        calls.append(index)
        if index == 4:
            raise KeyboardInterrupt
        return np.zeros((H, W + H, 3), np.uint8)

    monkeypatch.setattr(media_run, "compose", compose)
    with pytest.raises(KeyboardInterrupt, match="keypoints2d.npz"):
        lift_video(write_video(tmp_path / "clip.mp4"), tmp_path / "out", request(tiny_prior), detector=Stub())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["keypoints2d.npz", "poses3d.json", "poses3d.npz"]


def test_the_plot_says_how_many_poses_and_draws_the_truth(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from zedo.runtime.apps import plot

    titles = []
    monkeypatch.setattr(plot, "_legend", lambda fig, truth: titles.append(truth))
    walk = trajectory(20)
    kp, joints = walk["keypoints"], walk["pose_cam"]
    K = np.array([[1000.0, 0, 500], [0, 1000, 500], [0, 0, 1]])
    plot.plot_estimates(tmp_path / "a.png", joints, kp, K, truth=joints)
    assert titles == [True] and Image.open(tmp_path / "a.png").size[0] > 0
    np.savez(tmp_path / "in.npz", keypoints=kp, K=K, joints_3d=joints)
    np.testing.assert_array_equal(plot.ground_truth(tmp_path / "in.npz", 20), joints)
    assert plot.ground_truth(tmp_path / "in.npz", 3) is None  # rows that do not match: no truth


def test_a_camera_that_is_not_there_is_one_line(tiny_prior):
    proc = zedo_infer("--source", "97", *fast(tiny_prior))
    assert_one_error_line(proc, "camera 97")


@pytest.mark.parametrize("fps", [-3.0, 5000.0])
def test_a_keypoint_file_with_a_bad_fps_is_one_line(tmp_path, tiny_prior, fps):
    """Out of range for the file as for --fps (at most 1000): named with the file, not the flag."""
    walk = trajectory(6)
    bad = tmp_path / "walk.npz"
    np.savez(bad, keypoints=walk["keypoints"], image_size=[1000, 1000], frame=np.arange(6), fps=fps)
    assert_one_error_line(zedo_infer(bad, "-o", tmp_path / "out.npz", *fast(tiny_prior)), "walk.npz", "fps")
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("stop_at", [None, 4])
def test_a_camera_is_recorded_and_ctrl_c_ends_its_capture(tmp_path, tiny_prior, monkeypatch, stop_at):
    """A camera played by a video file: at most max_frames, or until Ctrl-C (here in the detector),
    then lifted with capture.mp4 beside the overlay."""
    video = write_video(tmp_path / "feed.mp4")
    feed = MediaReader._open
    monkeypatch.setattr(MediaReader, "_open", lambda r: av.open(str(video)) if r.source.camera is not None else feed(r))
    from zedo.runtime import lift_camera

    got = lift_camera(
        0, max_frames=8, output=tmp_path / "out", request=request(tiny_prior), detector=Stub(stop_at=stop_at)
    )
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["capture.mp4", "keypoints2d.npz", "overlay.mp4", "poses3d.json", "poses3d.npz"]
    assert got.frames == (8 if stop_at is None else 4)
    recorded = decoded(tmp_path / "out" / "capture.mp4")[0]
    assert recorded == (8 if stop_at is None else 5)  # the frame being detected at Ctrl-C was recorded
    assert decoded(tmp_path / "out" / "overlay.mp4")[0] == recorded

"""Exports by -o's suffix (zedo.runtime.io.exports): CSV read by pandas as documented, TRC parsed
by its header, BVH read back by bvhio within 1 mm of the exported positions, the world frame's
fields beside a .npz, every file of an export or none, and bad requests as one line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import K_CAM, assert_one_error_line, fast, trajectory, zedo_infer

from zedo.runtime import Request
from zedo.runtime.core.errors import FieldError, install_extra, one_line
from zedo.runtime.core.skeleton import JOINT_NAMES
from zedo.runtime.io import exports
from zedo.runtime.io.exports import motion_of, track_path, write_export

FRAMES = 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A video input of two tracks (ids 0 and 3), the second a shifted copy of the first."""
    t = trajectory(FRAMES)
    path = tmp_path_factory.mktemp("clip") / "clip.npz"
    kp = np.concatenate([t["keypoints"], t["keypoints"] + [40.0, 0.0]])
    np.savez(path, keypoints=kp, K=K_CAM, frame=np.tile(np.arange(FRAMES), 2), track=np.repeat([0, 3], FRAMES))
    return path


def read_trc(path):
    """A small TRC reader by the documented header: (header fields dict, marker names, frames (F,),
    times (F,), markers (F, M, 3))."""
    lines = path.read_text().split("\n")
    first = lines[0].split("\t")
    assert first[:3] == ["PathFileType", "4", "(X/Y/Z)"] and first[3] == path.name
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t")))
    names = [n for n in lines[3].split("\t")[2:] if n]
    coords = lines[4].split("\t")[2:]
    assert coords == [f"{a}{j + 1}" for j in range(len(names)) for a in "XYZ"]
    assert lines[5] == ""
    rows = [[float(v) if v else np.nan for v in line.split("\t")] for line in lines[6:] if line]
    data = np.array(rows)
    return header, names, data[:, 0].astype(int), data[:, 1], data[:, 2:].reshape(len(data), -1, 3)


def bvh_positions(path) -> np.ndarray:
    """(F, 17, 3): every joint's world position per frame of a BVH as bvhio reads it."""
    bvhio = pytest.importorskip("bvhio")
    root = bvhio.readAsHierarchy(str(path))
    joints = {joint.Name: joint for joint, *_ in root.layout()}
    frames = root.getKeyframeRange()[1] + 1
    out = []
    for f in range(frames):
        root.loadPose(f)
        out.append([list(joints[n].PositionWorld) for n in JOINT_NAMES])
    return np.array(out)


def test_csv_reads_in_pandas_as_documented(tmp_path, clip, tiny_prior):
    pd = pytest.importorskip("pandas")
    out = tmp_path / "out.csv"
    zedo_infer(clip, "-o", out, *fast(tiny_prior), check_rc=0)
    assert out.read_text().startswith("# zedo 3D joints; metres; camera coordinates")
    table = pd.read_csv(out, comment="#")
    assert list(table.columns) == ["frame", "track", "joint", "x_m", "y_m", "z_m"]
    assert len(table) == 2 * FRAMES * 17 and set(table.track) == {0, 3}
    assert list(table.joint[:17]) == list(JOINT_NAMES) and table[["x_m", "y_m", "z_m"]].notna().all().all()
    # The camera frame: the subject stands about 4 m in front of the camera.
    assert 3.0 < table.z_m.mean() < 5.5


def test_trc_one_file_per_track_with_opensim_header(tmp_path, clip, tiny_prior):
    out = tmp_path / "out.trc"
    proc = zedo_infer(clip, "-o", out, *fast(tiny_prior), "--fps", 30, check_rc=0)
    assert proc.stdout.strip().endswith(f"-> {track_path(out, 0)}, {track_path(out, 3)}")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out.track0.trc", "out.track3.trc"]
    header, names, frames, times, markers = read_trc(track_path(out, 3))
    assert header["DataRate"] == header["CameraRate"] == header["OrigDataRate"] == "30"
    assert header["NumFrames"] == header["OrigNumFrames"] == str(FRAMES) and header["NumMarkers"] == "17"
    assert header["Units"] == "m" and header["OrigDataStartFrame"] == "1"
    assert names == list(JOINT_NAMES) and markers.shape == (FRAMES, 17, 3)
    np.testing.assert_array_equal(frames, np.arange(FRAMES) + 1)
    np.testing.assert_allclose(times, np.arange(FRAMES) / 30, atol=1e-6)
    # World coordinates, Y up: the ankles near the floor, the head about 1.6 m above it.
    assert np.abs(markers[:, [3, 6], 1].min() - 0.08) < 0.02 and 1.3 < markers[:, 10, 1].mean() < 1.9
    # One skeleton per track (the default for TRC): each bone's length is the same in every frame.
    bones = np.linalg.norm(markers[:, 1:] - markers[:, [0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]], axis=-1)
    assert bones.std(axis=0).max() < 1e-5


def test_bvh_read_back_by_bvhio_reproduces_the_exported_positions(tmp_path, clip, tiny_prior):
    pytest.importorskip("bvhio")
    from zedo.runtime import LoopConfig, lift_file
    from zedo.runtime.pipeline.run import shaped, write_result

    request = Request(engine=str(tiny_prior), threads=1, config=LoopConfig(iterations=20), frame_iterations=20)
    lifted = lift_file(clip, request)
    write_result(tmp_path / "out.bvh", lifted, request)
    result, fields = shaped(tmp_path / "out.bvh", lifted, request)
    assert fields["coordinates"] == "world" and fields["fps"] == 25.0
    zedo_infer(clip, "-o", tmp_path / "out.trc", *fast(tiny_prior), check_rc=0)
    for track in (0, 3):
        text = track_path(tmp_path / "out.bvh", track).read_text()
        assert text.startswith("HIERARCHY\nROOT pelvis") and f"Frames: {FRAMES}\nFrame Time: 0.04\n" in text
        got = bvh_positions(track_path(tmp_path / "out.bvh", track))
        world = result.joints_3d[lifted.inputs.track == track]
        # BVH (X, Y, Z) = world (y, z, x): the exported positions within 1 mm.
        assert np.abs(got - world[..., [1, 2, 0]]).max() < 1e-3
        # The TRC (lengths fixed, the torso not rigid; X, Y, Z = world x, z, -y) is the same person.
        trc = read_trc(track_path(tmp_path / "out.trc", track))[4]
        assert np.linalg.norm(got - np.stack([-trc[..., 2], trc[..., 1], trc[..., 0]], -1), axis=-1).mean() < 0.05


def test_bvh_of_noisy_poses_round_trips_and_fills_gaps(tmp_path):
    pytest.importorskip("bvhio")
    from zedo.runtime.io.bvh import rig_positions

    poses = trajectory(FRAMES)["pose_cam"] + np.random.default_rng(0).normal(0, 0.01, (FRAMES, 17, 3))
    frame = np.arange(FRAMES) * 2  # every other frame: the gaps are filled
    poses[5] = np.nan
    (path,) = write_export(tmp_path / "x.bvh", motion_of(poses, frame, fps=50.0))
    got = bvh_positions(path)
    assert got.shape == (2 * FRAMES - 1, 17, 3)
    assert np.abs(got - rig_positions(poses, frame)).max() < 1e-3
    np.testing.assert_allclose(got[::2][:5, 0], poses[:5, 0], atol=1e-6)  # the root where it was


def test_npz_in_world_frame_carries_the_transform(tmp_path, clip, tiny_prior):
    zedo_infer(clip, "-o", tmp_path / "cam.npz", *fast(tiny_prior), check_rc=0)
    zedo_infer(clip, "-o", tmp_path / "world.npz", *fast(tiny_prior), "--frame", "world", check_rc=0)
    cam, world = np.load(tmp_path / "cam.npz"), np.load(tmp_path / "world.npz")
    assert "world_rotation" not in cam and str(world["coordinates"]) == "world"
    R, t = world["world_rotation"], world["world_translation"]
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-9)
    np.testing.assert_allclose(world["joints_3d"], cam["joints_3d"] @ R.T + t, atol=1e-9)
    np.testing.assert_allclose(world["translation"], world["joints_3d"][:, 0])


def test_an_export_writes_every_file_or_none(tmp_path, monkeypatch):
    from zedo.runtime.io import trc

    calls = []

    def failing(path, *args):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        path.write_text("x")

    monkeypatch.setattr(trc, "write_trc", failing)
    poses = np.tile(trajectory(4)["pose_cam"], (2, 1, 1))
    with pytest.raises(OSError, match="disk full"):
        write_export(tmp_path / "x.trc", motion_of(poses, np.tile(np.arange(4), 2), np.repeat([0, 1], 4)))
    assert list(tmp_path.iterdir()) == []


def test_bvh_without_bvhio_names_the_extra(monkeypatch):
    from zedo.runtime.pipeline.run import check_write

    monkeypatch.setitem(__import__("sys").modules, "bvhio", None)
    with pytest.raises(ModuleNotFoundError) as e:
        check_write("out.bvh", Request())
    assert one_line(e.value) == f"this needs bvhio, which is not installed: {install_extra('bvh')}"
    check_write("out.trc", Request())  # other exports do not need it


@pytest.mark.parametrize(
    "args, names",
    [
        (["-o", "{tmp}/out.xyz"], ["out.xyz", ".bvh", ".csv", ".trc"]),
        (["-o", "{tmp}/out.bvh", "--no-fixed-bones"], ["--no-fixed-bones"]),
        (["-o", "{tmp}/out.csv", "--output-format", "mmpose"], ["--output-format mmpose"]),
        (["-o", "{tmp}/out.json", "--output-format", "mmpose", "--frame", "world"], ["--frame"]),
        (["-o", "{tmp}/out.csv", "--frame", "sideways"], ["--frame"]),
    ],
)
def test_bad_export_requests_are_one_line(tmp_path, clip, tiny_prior, args, names):
    proc = zedo_infer(clip, *[a.format(tmp=tmp_path) for a in args], *fast(tiny_prior))
    assert_one_error_line(proc, *names)
    assert not any(tmp_path.iterdir())


def test_request_checks_the_export_fields():
    with pytest.raises(FieldError, match="frame"):
        Request(frame="up")
    with pytest.raises(FieldError, match="fixed_bones"):
        Request(fixed_bones="yes")
    assert exports.EXPORT_SUFFIXES == (".bvh", ".csv", ".trc")

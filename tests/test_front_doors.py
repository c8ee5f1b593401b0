"""One input, one answer: every front door (``zedo-infer -o``, ``--output-dir``, ``--ray``, the Python
API's ``lift_file``, the C++ ``zedo_lift``) lifts the same video and the same multi-person OpenPose
folder through ``pipeline.run.lift_source``, and their ``joints_3d`` agree bit for bit."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import numpy as np
import pytest
from conftest import K_CAM, cpp_environment, trajectory, write_as

from zedo.runtime import Request, lift_file
from zedo.runtime.apps.cli import main as zedo_infer
from zedo.runtime.core.config import LoopConfig
from zedo.runtime.io.layouts import get_layout

ITERATIONS = ["--iterations", "8", "--threads", "1", "--quiet"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A video of two people (12 frames each, tracks 0 and 1, one frame missing from track 1) and an
    OpenPose folder of the same people, two per frame, without person ids."""
    folder = tmp_path_factory.mktemp("doors")
    a, b = trajectory(12, seed=0), trajectory(12, seed=1)
    kp_b = b["keypoints"] + [220.0, 15.0]
    frame = np.concatenate([np.arange(12), np.delete(np.arange(12), 5)])
    track = np.concatenate([np.zeros(12, int), np.ones(11, int)])
    kp = np.concatenate([a["keypoints"], np.delete(kp_b, 5, axis=0)])
    np.savez(folder / "video.npz", keypoints=kp, K=K_CAM, frame=frame, track=track)
    openpose = folder / "openpose"
    openpose.mkdir()
    kp25, sc25 = write_as(get_layout("openpose25"), np.concatenate([a["keypoints"], kp_b]))
    for f in range(12):
        people = [
            {"person_id": [-1], "pose_keypoints_2d": np.column_stack([kp25[i], sc25[i]]).ravel().tolist()}
            for i in (f, 12 + f)
        ]
        (openpose / f"scene_{f:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    return {"video": folder / "video.npz", "openpose": openpose}


def _joints(path) -> np.ndarray:
    with np.load(path) as f:
        return f["joints_3d"]


def _by_cli(source, prior, tmp_path) -> np.ndarray:
    out = tmp_path / "o.npz"
    assert (
        zedo_infer([str(source), "-o", str(out), "--engine", str(prior), "--image-size", "1000", "1000", *ITERATIONS])
        == 0
    )
    return _joints(out)


def _by_output_dir(source, prior, tmp_path, *extra) -> np.ndarray:
    out = tmp_path / "dir"
    argv = [str(source), "--output-dir", str(out), "--engine", str(prior), "--image-size", "1000", "1000"]
    assert zedo_infer([*argv, *ITERATIONS, *extra]) == 0
    return _joints(out / (source.stem + ".npz"))


@pytest.fixture(scope="module")
def ray_outputs(inputs, tiny_prior, tmp_path_factory):
    """Both inputs through one ``--ray`` job (one local Ray), where Ray is installed; else None."""
    if importlib.util.find_spec("ray") is None:
        return None
    out = tmp_path_factory.mktemp("ray")
    argv = [str(inputs["video"]), str(inputs["openpose"]), "--output-dir", str(out), "--engine", str(tiny_prior)]
    assert zedo_infer([*argv, "--image-size", "1000", "1000", *ITERATIONS, "--ray", "--workers", "1"]) == 0
    return out


@pytest.mark.parametrize("name", ["video", "openpose"])
def test_every_front_door_gives_the_same_joints(inputs, tiny_prior, tmp_path, name, cpp_build_if_any, ray_outputs):
    source = inputs[name]
    reference = _by_cli(source, tiny_prior, tmp_path / "cli")
    assert np.isfinite(reference).all()
    got = {"--output-dir": _by_output_dir(source, tiny_prior, tmp_path / "dir")}
    got["--output-dir --chunk-size 5"] = _by_output_dir(source, tiny_prior, tmp_path / "chunks", "--chunk-size", "5")
    request = Request(
        engine=str(tiny_prior), threads=1, config=LoopConfig(iterations=8), frame_iterations=8, image_size=(1000, 1000)
    )
    got["lift_file"] = lift_file(source, request).result.joints_3d
    if ray_outputs is not None:
        got["--ray"] = _joints(ray_outputs / (source.stem + ".npz"))
    if cpp_build_if_any is not None:
        out = tmp_path / "cpp.npz"
        argv = [str(cpp_build_if_any / "zedo_lift"), str(source), str(out), "--engine", str(tiny_prior)]
        argv += ["--image-size", "1000", "1000", "--iterations", "8", "--threads", "1"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=cpp_environment())
        assert proc.returncode == 0, proc.stderr
        got["zedo_lift"] = _joints(out)
    for door, joints in got.items():
        np.testing.assert_array_equal(joints, reference, err_msg=f"{door} differs from -o")


def test_the_video_is_lifted_as_a_video_not_pose_by_pose(inputs, tiny_prior, tmp_path):
    """The doors agree on the video's own answer: smoothed per track, unlike --per-frame's."""
    video = _by_cli(inputs["video"], tiny_prior, tmp_path / "video")
    per_frame = _by_output_dir(inputs["video"], tiny_prior, tmp_path / "per-frame", "--per-frame")
    assert not np.array_equal(video, per_frame)


@pytest.fixture(scope="module")
def cpp_build_if_any(request):
    """The C++ build where it can be made here, else None (the other doors are still compared)."""
    from conftest import cpp_missing

    return None if cpp_missing() else request.getfixturevalue("cpp_build")

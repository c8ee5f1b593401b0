"""Readers of detector files (OpenPose folders, MMPose and AlphaPose JSON) and zedo-infer on them:
several people per frame, empty frames, malformed files, people without hips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_one_error_line, fast, synthetic_poses, write_as, zedo_infer

from zedo.runtime import load_input
from zedo.runtime.io.folders import read_openpose_folder
from zedo.runtime.io.layouts import get_layout
from zedo.runtime.io.readers import read_alphapose_json, read_mmpose_json


def people(layout: str, n: int, seed: int = 0):
    """n poses written in ``layout``: keypoints (n, J, 2) px and scores (n, J)."""
    s = synthetic_poses(n, seed=seed)
    return write_as(get_layout(layout), s["keypoints"])


def flat(kp, sc):
    return np.concatenate([np.nan_to_num(kp), sc[:, None]], 1).ravel().tolist()


@pytest.fixture
def openpose_folder(tmp_path):
    """Three frames: two people, nobody, one person whose hips are missing."""
    kp, sc = people("openpose25", 3, seed=1)
    sc[2, [8, 9, 12]] = 0.0
    frames = [[0, 1], [], [2]]
    folder = tmp_path / "openpose"
    folder.mkdir()
    for f, who in enumerate(frames):
        doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": flat(kp[i], sc[i])} for i in who]}
        (folder / f"clip_{f:012d}_keypoints.json").write_text(json.dumps(doc))
    return folder


def test_openpose_folder_rows_frames_and_tracks(openpose_folder):
    """No person_id (OpenPose writes -1): no track, never one made up from the people's order."""
    det = read_openpose_folder(openpose_folder)
    assert det.keypoints.shape == (3, 25, 2) and det.layout is None and det.skipped_frames == 1
    assert det.frame.tolist() == [0, 0, 2] and det.track is None
    assert load_input(openpose_folder, image_size=(1000, 1000)).layout == "openpose25"


def test_zedo_infer_on_an_openpose_folder(tmp_path, openpose_folder, tiny_prior):
    out = tmp_path / "out.npz"
    proc = zedo_infer(openpose_folder, "-o", out, "--image-size", 1000, 1000, *fast(tiny_prior), check_rc=0)
    assert "1 frames with nobody in them skipped" in proc.stderr and "1 of 3 poses could not be lifted" in proc.stderr
    assert "focal length 1200.0 px" in proc.stderr
    with np.load(out) as f:
        assert (
            f["valid"].tolist() == [1, 1, 0] and f["frame"].tolist() == [0, 0, 2] and f["track"].tolist() == [0, 1, 0]
        )
        assert (
            np.isnan(f["joints_3d"][2]).all()
            and np.isfinite(f["joints_3d"][:2]).all()
            and str(f["layout"]) == "openpose25"
        )


@pytest.mark.parametrize(
    "files, match",
    [
        ({}, "no OpenPose \\*_keypoints.json files"),
        ({"a_keypoints.json": "{"}, "a_keypoints.json: not a readable .json file"),
        ({"a_keypoints.json": '{"version": 1}'}, "a_keypoints.json: not an OpenPose frame"),
        (
            {"a_keypoints.json": '{"people": [{"face": []}]}'},
            "a_keypoints.json: people\\[0\\] has no pose_keypoints_2d",
        ),
        (
            {"a_keypoints.json": '{"people": [{"pose_keypoints_2d": [1, 2]}]}'},
            "a_keypoints.json: people\\[0\\].pose_keypoints_2d must be",
        ),
        ({"a_keypoints.json": '{"people": []}'}, "no people in any of its frames"),
    ],
)
def test_bad_openpose_folders(tmp_path, files, match):
    folder = tmp_path / "op"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(ValueError, match=match):
        read_openpose_folder(folder)


def test_mmpose_video_and_image_files(tmp_path):
    kp, sc = people("coco17", 3, seed=2)
    inst = [{"keypoints": kp[i].tolist(), "keypoint_scores": sc[i].tolist(), "track_id": 7 + i} for i in range(3)]
    video = tmp_path / "video.json"
    video.write_text(
        json.dumps(
            [
                {"frame_id": 0, "instances": inst[:2]},
                {"frame_id": 1, "instances": []},
                {"frame_id": 2, "instances": inst[2:]},
            ]
        )
    )
    det = read_mmpose_json(video)
    assert (
        det.layout == "coco17"
        and det.frame.tolist() == [0, 0, 2]
        and det.track.tolist() == [7, 8, 9]
        and det.skipped_frames == 1
    )
    image = tmp_path / "image.json"
    image.write_text(json.dumps([{k: v for k, v in i.items() if k != "track_id"} for i in inst]))
    det = read_mmpose_json(image)
    assert det.frame.tolist() == [0, 0, 0] and det.track is None
    np.testing.assert_allclose(det.keypoints, kp)
    inputs = load_input(image, image_size=(1000, 1000))
    assert inputs.layout == "coco17" and inputs.keypoints.shape == (3, 17, 2)


def test_alphapose_results(tmp_path):
    kp, sc = people("halpe26", 3, seed=3)
    doc = [
        {"image_id": name, "category_id": 1, "keypoints": flat(kp[i], sc[i]), "score": 2.5, "idx": i + 1}
        for i, name in enumerate(["0.jpg", "0.jpg", "1.jpg"])
    ]
    path = tmp_path / "alphapose-results.json"
    path.write_text(json.dumps(doc))
    det = read_alphapose_json(path)
    assert det.frame.tolist() == [0, 0, 1] and det.track.tolist() == [1, 2, 3] and det.keypoints.shape == (3, 26, 2)
    assert load_input(path, image_size=(1000, 1000)).layout == "halpe26"


def test_arrays_with_the_score_as_third_column_and_mmpose_output(tmp_path, tiny_prior):
    kp, sc = people("coco17", 2, seed=4)
    s = synthetic_poses(2, seed=4)
    inp = tmp_path / "coco.npz"
    np.savez(
        inp, keypoints=np.concatenate([kp, sc[..., None]], -1), K=s["K"], layout="coco17", frame=[3, 4], track=[1, 1]
    )
    out = tmp_path / "out.json"
    zedo_infer(inp, "-o", out, "--output-format", "mmpose", *fast(tiny_prior), check_rc=0)
    doc = json.loads(out.read_text())
    assert [d["frame_id"] for d in doc] == [3, 4] and doc[0]["instances"][0]["track_id"] == 1
    assert np.asarray(doc[1]["instances"][0]["keypoints_3d"]).shape == (17, 3)


@pytest.mark.parametrize(
    "case, names",
    [
        ("layout_clash", ["layout", "differs"]),
        ("coco_without_layout", ["--layout coco17"]),
        ("no_camera", ["give K"]),
        ("mediapipe_without_size", ["image size"]),
        ("output_is_input", ["overwrite the input"]),
    ],
)
def test_bad_layout_inputs_on_the_command_line(tmp_path, tiny_prior, case, names):
    kp, sc = people("coco17", 2, seed=5)
    s = synthetic_poses(2, seed=5)
    inp, out, extra = tmp_path / "in.npz", tmp_path / "out.npz", []
    if case == "layout_clash":
        np.savez(inp, keypoints=kp, scores=sc, K=s["K"], layout="coco17")
        extra = ["--layout", "h36m17"]
    elif case == "coco_without_layout":
        np.savez(inp, keypoints=kp, scores=sc, K=s["K"])
    elif case == "no_camera":
        np.savez(inp, keypoints=kp, scores=sc, layout="coco17")
    elif case == "mediapipe_without_size":
        np.savez(inp, keypoints=np.full((2, 33, 2), 0.5), K=s["K"])
    else:
        np.savez(inp, keypoints=kp, scores=sc, K=s["K"], layout="coco17")
        out = inp
    proc = zedo_infer(inp, "-o", out, *extra, *fast(tiny_prior))
    assert_one_error_line(proc, *names)
    assert case == "output_is_input" or not out.exists()

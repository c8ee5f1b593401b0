"""Readers of detector files (OpenPose folders, MMPose and AlphaPose JSON) and zedo-infer on them:
several people per frame, empty frames, malformed files, people with too few joints."""

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
    """Three frames: two people, nobody, one person of whom only the nose, neck and right shoulder
    are seen (too few joints to place)."""
    kp, sc = people("openpose25", 3, seed=1)
    sc[2, 3:] = 0.0
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
    assert "frames with nobody in them, skipped: 1" in proc.stderr and "1 of 3 poses could not be lifted" in proc.stderr
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


# --- Files as real tools write them, and people without ids -----------------------------------------


def test_alphapose_idx_as_a_number_a_list_or_absent(tmp_path):
    """AlphaPose's tracker writes idx as a list ([1.0], or nested); without --pose_track there is no
    id at all: no track then, never one made up from the order in the file."""
    kp, sc = people("halpe26", 3, seed=8)
    path = tmp_path / "alphapose-results.json"
    untracked = [[[0.0], [0.0]]] * 3  # what AlphaPose writes without tracking: 0 for everyone
    for idx, track in (
        ([[2.0], [5.0], [2.0]], [2, 5, 2]),
        ([[[1.0]], 3, [4]], [1, 3, 4]),
        ([None] * 3, None),
        (untracked, None),
    ):
        doc = [{"image_id": f"{i // 2}.jpg", "keypoints": flat(kp[i], sc[i]), "score": 2.0} for i in range(3)]
        for d, value in zip(doc, idx):
            if value is not None:
                d["idx"] = value
        path.write_text(json.dumps(doc))
        det = read_alphapose_json(path)
        assert (det.track is None) if track is None else det.track.tolist() == track


def test_pose2sim_renamed_openpose_files_in_natural_order(tmp_path):
    """Pose2Sim renames OpenPose's files (cam01.0000.json); frames follow the number in the name,
    2 before 10, and a missing file is a gap."""
    kp, sc = people("openpose25", 4, seed=9)
    folder = tmp_path / "pose-cam01"
    folder.mkdir()
    for f, i in ((2, 0), (10, 1), (3, 2), (9, 3)):
        doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": flat(kp[i], sc[i])}]}
        (folder / f"cam01.{f}.json").write_text(json.dumps(doc))
    det = read_openpose_folder(folder)
    assert det.frame.tolist() == [2, 3, 9, 10] and det.track is None
    np.testing.assert_allclose(np.nan_to_num(det.keypoints[1]), np.nan_to_num(kp[2]))


def test_body25b_openpose_folder_is_read_as_openpose25b(tmp_path):
    kp, sc = people("openpose25b", 2, seed=10)
    folder = tmp_path / "body25b"
    folder.mkdir()
    for f in range(2):
        doc = {"people": [{"person_id": [0], "pose_keypoints_2d": flat(kp[f], sc[f])}]}
        (folder / f"video_{f:012d}_keypoints.json").write_text(json.dumps(doc))
    inputs = load_input(folder, image_size=(1000, 1000))
    assert inputs.layout == "openpose25b" and inputs.track.tolist() == [0, 0] and inputs.valid.all()


def test_a_folder_of_mmpose_per_image_files(tmp_path):
    """MMPose's inferencer writes one JSON per image (a list of instances); its demo an object
    with meta_info and instance_info."""
    kp, sc = people("coco17", 3, seed=11)
    folder = tmp_path / "predictions"
    folder.mkdir()
    inst = [{"keypoints": kp[i].tolist(), "keypoint_scores": sc[i].tolist(), "bbox": [[0, 0, 9, 9]]} for i in range(3)]
    (folder / "frame_1.json").write_text(json.dumps(inst[:2]))
    (folder / "frame_2.json").write_text(json.dumps({"meta_info": {}, "instance_info": inst[2:]}))
    (folder / "frame_3.json").write_text("[]")
    det = read_openpose_folder(folder)
    assert det.frame.tolist() == [1, 1, 2] and det.track is None and det.layout == "coco17" and det.skipped_frames == 1
    demo = tmp_path / "results_clip.json"
    demo.write_text(json.dumps({"meta_info": {}, "instance_info": [{"frame_id": 1, "instances": inst}]}))
    assert load_input(demo, image_size=(1000, 1000)).keypoints.shape == (3, 17, 2)


def crossing_folder(tmp_path, frames: int = 12, ids: bool = False):
    """An OpenPose folder of two people walking past each other, listed in a shuffled order in each
    frame, without person ids (or with them when ``ids``); and each row's true person."""
    s = synthetic_poses(2, seed=12, yaw_deg=0.0)
    folder = tmp_path / "crowd"
    folder.mkdir()
    rng, truth = np.random.default_rng(0), []
    for f in range(frames):
        shift = np.array([[30.0 * f - 150.0, 0.0], [150.0 - 30.0 * f, 0.0]])
        people_ = []
        for who in rng.permutation(2):
            kp, sc = write_as(get_layout("openpose25"), s["keypoints"][who : who + 1] + shift[who])
            people_.append({"person_id": [int(who) if ids else -1], "pose_keypoints_2d": flat(kp[0], sc[0])})
            truth.append(int(who))
        (folder / f"clip_{f:012d}_keypoints.json").write_text(json.dumps({"people": people_}))
    return folder, np.array(truth)


def test_zedo_infer_tracks_people_without_ids(tmp_path, tiny_prior):
    """Two people crossing, listed in a shuffled order: the output track follows each person, and
    zedo-infer says it tracked them and what frame rate it assumed."""
    folder, truth = crossing_folder(tmp_path)
    out = tmp_path / "out.npz"
    proc = zedo_infer(folder, "-o", out, "--image-size", 1000, 1000, *fast(tiny_prior), check_rc=0)
    assert "associated into 2 tracks (the input has no person ids)" in proc.stderr
    assert "no frame rate given: 25 fps assumed" in proc.stderr
    with np.load(out) as f:
        track = f["track"]
    assert len(set(track.tolist())) == 2 and all(len(set(track[truth == w].tolist())) == 1 for w in (0, 1))
    proc = zedo_infer(folder, "-o", out, "--image-size", 1000, 1000, "--fps", 30, *fast(tiny_prior), check_rc=0)
    assert "frame rate" not in proc.stderr


def test_ids_given_are_kept_unless_retrack(tmp_path, tiny_prior):
    folder, truth = crossing_folder(tmp_path, frames=6, ids=True)
    out = tmp_path / "out.npz"
    zedo_infer(folder, "-o", out, "--image-size", 1000, 1000, *fast(tiny_prior), check_rc=0)
    with np.load(out) as f:
        assert f["track"].tolist() == truth.tolist()
    proc = zedo_infer(folder, "-o", out, "--image-size", 1000, 1000, "--retrack", *fast(tiny_prior), check_rc=0)
    assert "their ids redone (--retrack)" in proc.stderr


def test_a_zedo_input_with_frames_and_two_people_per_frame_is_tracked(tmp_path, tiny_prior):
    """Once refused (two rows of one frame in one track), now tracked."""
    s = synthetic_poses(2, seed=13, yaw_deg=0.0)
    kp = np.concatenate([s["keypoints"] + [3.0 * f, 0.0] for f in range(5)])
    inp = tmp_path / "two.npz"
    np.savez(inp, keypoints=kp, K=s["K"], frame=np.repeat(np.arange(5), 2))
    out = tmp_path / "out.npz"
    zedo_infer(inp, "-o", out, *fast(tiny_prior), check_rc=0)
    with np.load(out) as f:
        assert f["track"].tolist() == [0, 1] * 5


def test_keypoints_on_the_image_edge_are_uncertain_unless_trusted(tmp_path, tiny_prior):
    """With the image size known, a keypoint beyond the image or on its border keeps its place at a
    score of at most 0.1 (a note says so); --trust-edges keeps its score."""
    from zedo.runtime.io.edges import uncertain_edges
    from zedo.runtime.io.validation import validate_inputs

    s = synthetic_poses(3, seed=14)
    kp = s["keypoints"].copy()
    kp[0, 13] = [1200.0, 400.0]  # a wrist beyond the right edge
    kp[1, 16] = [999.0, 420.0]  # a wrist on the border
    inputs = validate_inputs(kp, None, None, image_size=(1000, 1000))
    got = uncertain_edges(inputs, (1000, 1000))
    assert got.scores[0, 13] == 0.1 and got.scores[1, 16] == 0.1 and (got.scores[2] == 1).all()
    assert (got.keypoints == inputs.keypoints).all() and "2 keypoints of 2 poses" in got.notes[-1]
    inp = tmp_path / "edge.npz"
    np.savez(inp, keypoints=kp)
    out = tmp_path / "out.npz"
    proc = zedo_infer(inp, "-o", out, "--image-size", 1000, 1000, *fast(tiny_prior), check_rc=0)
    assert "on or beyond the image's edge" in proc.stderr
    proc = zedo_infer(inp, "-o", out, "--image-size", 1000, 1000, "--trust-edges", *fast(tiny_prior), check_rc=0)
    assert "edge" not in proc.stderr


def test_one_person_a_frame_without_ids_is_one_track(tmp_path, tiny_prior):
    kp, sc = people("openpose25", 3, seed=15)
    folder = tmp_path / "solo"
    folder.mkdir()
    for f in range(3):
        doc = {"people": [{"person_id": [-1], "pose_keypoints_2d": flat(kp[f], sc[f])}]}
        (folder / f"solo_{f:012d}_keypoints.json").write_text(json.dumps(doc))
    out = tmp_path / "out.npz"
    proc = zedo_infer(folder, "-o", out, "--image-size", 1000, 1000, *fast(tiny_prior), check_rc=0)
    assert "associated" not in proc.stderr
    with np.load(out) as f:
        assert f["track"].tolist() == [0, 0, 0] and f["frame"].tolist() == [0, 1, 2]

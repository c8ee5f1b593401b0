"""Bad input on the surfaces added since the first corpus (issue 31): detector readers (ids and
frames), layouts, coordinates in a layout's units, cameras, output modes, Ray, the Python API and
the stream API. A refused command exits 2 with one stderr line naming the file or the field (and no
note above it), and writes nothing; an API call raises one clean exception whose text names the
argument as Python spells it (never a ``--flag``); an acceptable input gives a sound output.

Commands run in process (``main(argv)``, the boundary a user's command goes through) so the file
stays fast; a representative few run as subprocesses. Network traffic goes to loopback only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import K_CAM, assert_refused, snapshot, synthetic_poses, trajectory, write_as, zedo_infer

from zedo.runtime import LoopConfig, PoseStream, estimate, load_input, open_engine, save_output
from zedo.runtime.io.layouts import LAYOUTS
from zedo.runtime.pipeline.request import Request
from zedo.runtime.pipeline.run import lift_file
from zedo.runtime.video.crowd import CrowdStream
from zedo.runtime.video.streams import Streams

SCENE = synthetic_poses(3, seed=21)
VIDEO = trajectory(6)
SIZE = ["--image-size", 1000, 1000]


def closed_port() -> int:
    """A loopback TCP port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows_in(layout: str, kp17=SCENE["keypoints"]) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N, J, 2) px and scores (N, J) of the scene written in ``layout``; missing joints 0."""
    kp, sc = write_as(LAYOUTS[layout], kp17)
    return np.nan_to_num(kp), sc


def flat(kp: np.ndarray, sc: np.ndarray) -> list:
    """One person's keypoints as a flat x, y, score list (OpenPose, AlphaPose)."""
    return np.column_stack([kp, sc]).ravel().tolist()


def openpose(root: Path, people: list[list[dict]], name: str = "op") -> Path:
    """An OpenPose folder: frame f holds ``people[f]``, each person's keys as given plus its keypoints
    (BODY_25, the scene's pose f mod 3)."""
    kp, sc = rows_in("openpose25")
    folder = root / name
    folder.mkdir()
    for f, persons in enumerate(people):
        doc = [{**p, "pose_keypoints_2d": flat(kp[(f + k) % 3], sc[(f + k) % 3])} for k, p in enumerate(persons)]
        (folder / f"v_{f:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": doc}))
    return folder


def mmpose(root: Path, frames: list[tuple], name: str = "mm.json") -> Path:
    """MMPose's prediction JSON: one entry per (frame_id, [track_id, ...]) (None: no key), COCO 17."""
    kp, sc = rows_in("coco17")

    def instance(k, tid):
        inst = {"keypoints": kp[k % 3].tolist(), "keypoint_scores": sc[k % 3].tolist()}
        return inst if tid is None else {**inst, "track_id": tid}

    doc = [{"frame_id": f, "instances": [instance(k, t) for k, t in enumerate(ids)]} for f, ids in frames]
    path = root / name
    path.write_text(json.dumps(doc))
    return path


def alphapose(root: Path, items: list[dict]) -> Path:
    """AlphaPose's result list: each item's keys as given plus Halpe-26 keypoints (pose i mod 3)."""
    kp, sc = rows_in("halpe26")
    doc = [{"keypoints": flat(kp[i % 3], sc[i % 3]), **item} for i, item in enumerate(items)]
    for item in doc:
        for key in [k for k, v in item.items() if v is DROP]:
            del item[key]
    path = root / "alphapose-results.json"
    path.write_text(json.dumps(doc))
    return path


DROP = object()  # an AlphaPose item key to leave out


def npz(root: Path, name: str = "in.npz", **fields) -> Path:
    """zedo's .npz input: the scene's keypoints and K unless ``fields`` says (None: left out)."""
    arrays = {"keypoints": SCENE["keypoints"], "K": K_CAM, **fields}
    path = root / name
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def video(root: Path, name: str = "video.npz", **fields) -> Path:
    """A video input: 6 frames of one person (frame 0..5), K."""
    return npz(root, name, **{"keypoints": VIDEO["keypoints"], "frame": np.arange(6), **fields})


def mediapipe(root: Path, scale: float, name: str = "mp.npz") -> Path:
    """The scene in MediaPipe's 33 keypoints, pixels divided by ``scale`` (1000: [0, 1] of a 1000 px image)."""
    kp, sc = rows_in("mediapipe33")
    return npz(root, name, keypoints=kp / scale, scores=sc, K=None, layout="mediapipe33")


# ---- zedo-infer: name -> (argv(root) without the output, words its one error line holds) ----------------
# "{in}" in the words stands for the argv's first entry (the input). Every argv gets "-o out.npz"
# unless it names its own output (-o or --output-dir).

READERS = {
    "OpenPose person_id 2**70": (lambda r: [openpose(r, [[{"person_id": [2**70]}]]), *SIZE], ["person_id", "2^53"]),
    "OpenPose person_id a string": (lambda r: [openpose(r, [[{"person_id": ["7"]}]]), *SIZE], ["person_id", "str"]),
    "OpenPose person_id a fraction": (lambda r: [openpose(r, [[{"person_id": 1.5}]]), *SIZE], ["person_id", "1.5"]),
    "OpenPose person_id a boolean": (lambda r: [openpose(r, [[{"person_id": True}]]), *SIZE], ["person_id", "bool"]),
    "OpenPose person_id a dict": (lambda r: [openpose(r, [[{"person_id": {"a": 1}}]]), *SIZE], ["person_id"]),
    "OpenPose person_id -2**60": (lambda r: [openpose(r, [[{"person_id": -(2**60)}]]), *SIZE], ["person_id", "2^53"]),
    "OpenPose one person_id twice in a frame": (
        lambda r: [openpose(r, [[{"person_id": [3]}, {"person_id": [3]}]]), *SIZE],
        ["v_000000000000_keypoints.json", "person_id 3"],
    ),
    "OpenPose person_id twice, second frame": (
        lambda r: [openpose(r, [[{"person_id": 1}], [{"person_id": 4}, {"person_id": 4.0}]]), *SIZE],
        ["v_000000000001_keypoints.json", "person_id 4"],
    ),
    "OpenPose folder of non-OpenPose JSON": (
        lambda r: [_folder(r, {"a.json": {"people": 3}}), *SIZE],
        ["a.json", "people"],
    ),
    "OpenPose folder without JSON": (lambda r: [_folder(r, {"a.txt": "x"}), *SIZE], ["in", "no OpenPose"]),
    "OpenPose folder, a frame unreadable": (
        lambda r: [_folder(r, {"f0_keypoints.json": {"people": []}, "f1_keypoints.json": "{"}), *SIZE],
        ["f1_keypoints.json", "not a readable .json"],
    ),
    "MMPose track_id 2**70": (lambda r: [mmpose(r, [(0, [2**70])]), *SIZE], ["{in}", "track_id", "2^53"]),
    "MMPose track_id -3": (lambda r: [mmpose(r, [(0, [-3])]), *SIZE], ["{in}", "track_id", "-3"]),
    "MMPose track_id a string": (lambda r: [mmpose(r, [(0, ["7"])]), *SIZE], ["{in}", "track_id", "str"]),
    "MMPose track_id 1.5": (lambda r: [mmpose(r, [(0, [1.5])]), *SIZE], ["{in}", "track_id", "1.5"]),
    "MMPose track_id infinite (1e999)": (
        lambda r: [_write(r / "mm.json", _mm_text(track="1e999")), *SIZE],
        ["{in}", "track_id", "inf"],
    ),
    "MMPose one track_id twice in a frame": (
        lambda r: [mmpose(r, [(0, [1, 1])]), *SIZE],
        ["{in}", "frame 0", "track_id 1"],
    ),
    "MMPose frame_id repeated": (
        lambda r: [mmpose(r, [(0, [1]), (0, [2])]), *SIZE],
        ["{in}", "frame_id 0", "repeats"],
    ),
    "MMPose frame_id out of order": (
        lambda r: [mmpose(r, [(3, [1]), (1, [1])]), *SIZE],
        ["{in}", "frame_id 1", "after frame_id 3"],
    ),
    "MMPose frame_id -1": (lambda r: [mmpose(r, [(-1, [1])]), *SIZE], ["{in}", "frame_id", "-1"]),
    "MMPose frame_id 2**60": (lambda r: [mmpose(r, [(2**60, [1])]), *SIZE], ["{in}", "frame_id", "2^53"]),
    "MMPose frame_id 1e300": (lambda r: [mmpose(r, [(1e300, [1])]), *SIZE], ["{in}", "frame_id", "2^53"]),
    "MMPose frame_id null": (lambda r: [mmpose(r, [(None, [1])]), *SIZE], ["{in}", "frame_id", "None"]),
    "MMPose frame_id a list": (lambda r: [mmpose(r, [([0], [1])]), *SIZE], ["{in}", "frame_id", "list"]),
    "MMPose demo object with one track_id twice": (
        lambda r: [
            _write(r / "demo.json", json.dumps({"meta_info": {}, "instance_info": json.loads(_mm_text(dup=True))})),
            *SIZE,
        ],
        ["{in}", "track_id 1"],
    ),
    "MMPose per-image folder, one track_id twice": (
        lambda r: [
            _folder(r, {"0.json": json.loads(_mm_text())[0]["instances"], "1.json": _instances(1, 1)}),
            *SIZE,
        ],
        ["1.json", "track_id 1"],
    ),
    "AlphaPose item without image_id": (
        lambda r: [alphapose(r, [{"image_id": "0.jpg"}, {"image_id": DROP}]), *SIZE],
        ["{in}", "item 1", "image_id"],
    ),
    "AlphaPose item without keypoints": (
        lambda r: [
            _write(r / "ap.json", json.dumps([{"image_id": "0.jpg", "keypoints": [1, 2, 1] * 26}, {"image_id": "1"}])),
            *SIZE,
        ],
        ["{in}", "item 1", "keypoints"],
    ),
    "AlphaPose idx 2**70": (
        lambda r: [alphapose(r, [{"image_id": "0.jpg", "idx": 2**70}]), *SIZE],
        ["{in}", "item 0 idx", "2^53"],
    ),
    "AlphaPose idx [[2.5]]": (
        lambda r: [alphapose(r, [{"image_id": "0.jpg", "idx": [[2.5]]}]), *SIZE],
        ["{in}", "item 0 idx", "2.5"],
    ),
    "AlphaPose idx a boolean": (
        lambda r: [alphapose(r, [{"image_id": "0.jpg", "idx": True}]), *SIZE],
        ["{in}", "item 0 idx", "bool"],
    ),
    "AlphaPose image_id a list": (
        lambda r: [alphapose(r, [{"image_id": ["0.jpg"]}]), *SIZE],
        ["{in}", "item 0 image_id"],
    ),
    "AlphaPose image_id a boolean": (
        lambda r: [alphapose(r, [{"image_id": False}]), *SIZE],
        ["{in}", "item 0 image_id"],
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _folder(root: Path, files: dict) -> Path:
    """A folder ``in`` of the given files (text as is, anything else as JSON)."""
    folder = root / "in"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


def _instances(*ids) -> list:
    kp, sc = rows_in("coco17")
    return [{"keypoints": kp[k].tolist(), "keypoint_scores": sc[k].tolist(), "track_id": t} for k, t in enumerate(ids)]


def _mm_text(track: str = "1", dup: bool = False) -> str:
    """MMPose's JSON as text, one frame (two people with track_id 1 where ``dup``); ``track`` is
    written verbatim (1e999: a number JSON reads as infinity)."""
    inst = _instances(1, 1) if dup else _instances(1)
    text = json.dumps([{"frame_id": 0, "instances": inst}])
    return text.replace('"track_id": 1', f'"track_id": {track}') if not dup else text


LAYOUT_CASES = {
    "unknown layout in a file": (lambda r: [npz(r, layout="body25")], ["{in}", "'body25'", "layout"]),
    "layout in capitals in a JSON file": (
        lambda r: [_write(r / "in.json", json.dumps({"keypoints": SCENE["keypoints"].tolist(), "layout": "COCO17"}))],
        ["{in}", "'COCO17'"],
    ),
    "layout a number": (lambda r: [npz(r, layout=5)], ["{in}", "layout", "a string"]),
    "layout two names": (lambda r: [npz(r, layout=["coco17", "h36m17"])], ["{in}", "layout", "a string"]),
    "layout bytes not ASCII": (lambda r: [npz(r, layout=np.bytes_(b"\xffco"))], ["{in}", "layout"]),
    "layout bytes unknown": (lambda r: [npz(r, layout=np.bytes_(b"body25"))], ["{in}", "'body25'"]),
    "file layout differs from --layout": (
        lambda r: [npz(r, layout="h36m17"), "--layout", "coco17"],
        ["{in}", "layout", "differs"],
    ),
    "--layout with another keypoint count": (lambda r: [npz(r), "--layout", "halpe26"], ["{in}", "halpe26", "26"]),
    "MediaPipe in pixels with --image-size": (
        lambda r: [mediapipe(r, 1.0), *SIZE],
        ["{in}", "mediapipe33", "look like pixels", "--layout mediapipe33_px"],
    ),
    "MediaPipe beyond [-0.5, 1.5]": (lambda r: [mediapipe(r, 1000 / 3), *SIZE], ["{in}", "outside [-0.5, 1.5]"]),
    "MediaPipe without the image size": (lambda r: [mediapipe(r, 1000.0)], ["{in}", "--image-size W H"]),
    "MediaPipe NaN with a score": (
        lambda r: [npz(r, keypoints=np.full((1, 33, 2), np.nan), K=None, layout="mediapipe33"), *SIZE],
        ["{in}", "not finite"],
    ),
    "COCO keypoints in [0, 1]": (
        lambda r: [
            npz(r, keypoints=rows_in("coco17")[0] / 1000, scores=rows_in("coco17")[1], K=None, layout="coco17"),
            *SIZE,
        ],
        ["{in}", "coco17", "takes pixels"],
    ),
    "Human3.6M keypoints in [0, 1] with K": (
        lambda r: [npz(r, keypoints=SCENE["keypoints"] / 1000)],
        ["{in}", "h36m17", "look like coordinates in [0, 1]"],
    ),
    "--layout mediapipe33 on pixels": (
        lambda r: [npz(r, keypoints=rows_in("mediapipe33")[0], K=None), "--layout", "mediapipe33", *SIZE],
        ["{in}", "look like pixels"],
    ),
    "BODY_25B keypoints given as coco17": (
        lambda r: [npz(r, keypoints=rows_in("openpose25b")[0], layout="coco17")],
        ["{in}", "coco17", "25"],
    ),
    "BODY_25B in [0, 1]": (
        lambda r: [npz(r, keypoints=rows_in("openpose25b")[0] / 1000, scores=rows_in("openpose25b")[1], K=None), *SIZE],
        ["{in}", "openpose25b", "takes pixels"],
    ),
    "keypoints fitting no layout": (
        lambda r: [npz(r, keypoints=SCENE["keypoints"][:, :5])],
        ["{in}", "5 keypoints", "--layout NAME"],
    ),
    "COCO order given as Human3.6M": (
        lambda r: [npz(r, keypoints=rows_in("coco17")[0], scores=rows_in("coco17")[1])],
        ["{in}", "--layout coco17"],
    ),
}

INDEX_CASES = {
    "track a fraction": (lambda r: [npz(r, track=[0.5, 1, 2], frame=[0, 1, 2])], ["{in}", "track[0] = 0.5"]),
    "track 2**60": (lambda r: [npz(r, track=np.array([0, 1, 2**60]), frame=[0, 1, 2])], ["{in}", "track[2]", "2^53"]),
    "track -1": (lambda r: [npz(r, track=[0, -1, 0], frame=[0, 1, 2])], ["{in}", "track[1] = -1"]),
    "track booleans": (lambda r: [npz(r, track=[True, False, True], frame=[0, 1, 2])], ["{in}", "track", "bool"]),
    "track of another length": (lambda r: [npz(r, track=[0, 1], frame=[0, 1, 2])], ["{in}", "track", "(3,)"]),
    "frame NaN": (lambda r: [npz(r, frame=[0.0, np.nan, 2.0])], ["{in}", "frame[1]"]),
    "frame -5": (lambda r: [npz(r, frame=[0, 1, -5])], ["{in}", "frame[2] = -5"]),
    "frame strings": (lambda r: [npz(r, frame=np.array(["0", "1", "2"]))], ["{in}", "frame", "real numbers"]),
    "frame 1e20": (lambda r: [npz(r, frame=[0, 1, 1e20])], ["{in}", "frame[2]", "2^53"]),
    "frame a matrix": (lambda r: [npz(r, frame=np.zeros((3, 2)))], ["{in}", "frame", "(3,)"]),
    # Refused before any note: the input has no K, so a note on its focal length is due.
    "a track's frame twice, no K": (
        lambda r: [video(r, K=None, frame=[0, 1, 1, 2, 3, 4], track=[0] * 6), *SIZE],
        ["{in}", "frame 1 appears twice"],
    ),
    "a track's frames backwards, no K": (
        lambda r: [video(r, K=None, frame=[0, 1, 5, 2, 3, 4]), *SIZE],
        ["{in}", "frame 2 comes after frame 5", "--retrack", "--per-frame"],
    ),
    "a video with --hypotheses 3, no K": (
        lambda r: [video(r, K=None), *SIZE, "--hypotheses", 3],
        ["{in}", "--hypotheses 1", "--per-frame"],
    ),
    "a video of two ids in one frame": (
        lambda r: [video(r, track=[0, 0, 1, 1, 1, 1], frame=[0, 1, 0, 2, 2, 3])],
        ["{in}", "track 1", "frame 2 appears twice"],
    ),
    "an animation of a per-frame input, no K": (
        lambda r: [npz(r, K=None), *SIZE, "--plot", r / "anim.gif"],
        ["anim.gif", "--per-frame"],
    ),
}

CAMERA_CASES = {
    "--intrinsics negative focal": (lambda r: [npz(r, K=None), "--intrinsics", -1000, 1000, 500, 500], ["fx"]),
    "--intrinsics NaN": (lambda r: [npz(r, K=None), "--intrinsics", "nan", 1000, 500, 500], ["K"]),
    "--intrinsics with --camera": (
        lambda r: [npz(r, K=None), "--intrinsics", 1000, 1000, 500, 500, "--camera", r / "c.json"],
        ["--intrinsics", "--camera"],
    ),
    "--camera missing": (lambda r: [npz(r, K=None), "--camera", r / "none.yml"], ["none.yml"]),
    "--camera unknown suffix": (lambda r: [npz(r, K=None), "--camera", _write(r / "c.txt2", "x")], ["c.txt2"]),
    "--camera JSON without K": (lambda r: [npz(r, K=None), "--camera", _write(r / "c.json", "{}")], ["c.json"]),
    "--camera JSON K of strings": (
        lambda r: [npz(r, K=None), "--camera", _write(r / "c.json", json.dumps({"K": [["a"] * 3] * 3}))],
        ["c.json"],
    ),
    "--camera 3 distortion coefficients": (
        lambda r: [npz(r, K=None), "--camera", _camera(r, dist=[0.1] * 3)],
        ["c.json", "distortion"],
    ),
    "--camera size differs from --image-size": (
        lambda r: [
            npz(r, K=None),
            "--camera",
            _write(r / "c.json", json.dumps({"K": K_CAM.tolist(), "image_size": [1000, 1000]})),
            "--image-size",
            800,
            600,
        ],
        ["--image-size", "c.json"],
    ),
    "file K differs from --intrinsics": (
        lambda r: [npz(r), "--intrinsics", 900, 900, 500, 500],
        ["{in}", "K", "differs"],
    ),
    "--image-size 0 0": (lambda r: [npz(r, K=None), "--image-size", 0, 0], ["--image-size", "0.0"]),
    "--image-size inf": (lambda r: [npz(r, K=None), "--image-size", "inf", 1000], ["--image-size", "inf"]),
    "a lens on MediaPipe's coordinates": (
        lambda r: [
            mediapipe(r, 1000.0),
            *SIZE,
            "--camera",
            _write(r / "c.json", json.dumps({"K": K_CAM.tolist(), "dist": [0.1, 0, 0, 0]})),
        ],
        ["{in}", "mediapipe33", "lens"],
    ),
}

OUTPUT_CASES = {
    "-o an unknown suffix": (lambda r: [npz(r), "-o", r / "out.txt"], ["out.txt", "'.txt'"]),
    "-o a folder": (lambda r: [npz(r), "-o", _mkdir(r / "out.npz")], ["out.npz", "directory"]),
    "-o the input": (lambda r: [npz(r), "-o", r / "in.npz"], ["in.npz", "overwrite"]),
    "-o under a file": (lambda r: [npz(r), "-o", r / "in.npz" / "out.npz"], ["in.npz"]),
    "--output-format mmpose to a .csv": (
        lambda r: [video(r), "-o", r / "out.csv", "--output-format", "mmpose"],
        ["out.csv", "--output-format mmpose"],
    ),
    "--output-format mmpose with --frame world": (
        lambda r: [video(r), "-o", r / "out.json", "--output-format", "mmpose", "--frame", "world"],
        ["out.json", "--frame world"],
    ),
    "--output-format mmpose to .npz": (
        lambda r: [npz(r), "-o", r / "out.npz", "--output-format", "mmpose"],
        ["out.npz", "JSON"],
    ),
    "--output-format json to .npz": (
        lambda r: [npz(r), "-o", r / "out.npz", "--output-format", "json"],
        ["out.npz", "--output-format json"],
    ),
    "a .bvh with --no-fixed-bones": (
        lambda r: [video(r), "-o", r / "out.bvh", "--no-fixed-bones"],
        ["out.bvh", "--no-fixed-bones"],
    ),
    "-o and --output-dir": (lambda r: [npz(r), "-o", r / "o.npz", "--output-dir", r / "d"], ["-o", "--output-dir"]),
    "--output-dir a file": (lambda r: [npz(r), "--output-dir", r / "in.npz"], ["in.npz"]),
    "two inputs and -o": (lambda r: [npz(r), npz(r, "b.npz"), "-o", r / "o.npz"], ["--output-dir"]),
    "--resume without --output-dir": (lambda r: [npz(r), "-o", r / "o.npz", "--resume"], ["--resume"]),
    "--chunk-size 0": (lambda r: [npz(r), "--output-dir", r / "d", "--chunk-size", 0], ["chunk"]),
    "--plot with --output-dir": (lambda r: [npz(r), "--output-dir", r / "d", "--plot", r / "p.png"], ["--plot"]),
    "--fps 0": (lambda r: [video(r), "-o", r / "o.npz", "--fps", 0], ["--fps"]),
    "--fps NaN": (lambda r: [video(r), "-o", r / "o.npz", "--fps", "nan"], ["--fps"]),
    "--frame moon": (lambda r: [npz(r), "-o", r / "o.npz", "--frame", "moon"], ["--frame"]),
    "--fps 1e9": (lambda r: [video(r), "-o", r / "o.trc", "--fps", 1e9], ["--fps", "1000"]),
    "--gravity 0 0 0": (lambda r: [npz(r), "--gravity", 0, 0, 0], ["--gravity", "not zero"]),
    "--gravity of two numbers": (lambda r: [npz(r), "--gravity", 0, 1], ["--gravity"]),
    "--gravity sideways-ish word": (lambda r: [npz(r), "--gravity", "down"], ["--gravity"]),
}


def _camera(root: Path, **fields) -> Path:
    """An OpenCV-style JSON calibration of K_CAM, with ``fields`` added."""
    return _write(root / "c.json", json.dumps({"K": K_CAM.tolist(), **fields}))


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


RAY_CASES = {
    "--ray at a closed loopback port": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray", f"127.0.0.1:{closed_port()}", "--ray-timeout", 5],
        ["cannot reach the Ray cluster at 127.0.0.1:"],
    ),
    "--ray ray:// at a closed loopback port": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray", f"ray://127.0.0.1:{closed_port()}"],
        ["ray://127.0.0.1:"],
    ),
    "--ray with port 99999": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray", "127.0.0.1:99999"],
        ["127.0.0.1:99999", "port"],
    ),
    "--ray-timeout 0": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray", "127.0.0.1:1", "--ray-timeout", 0],
        ["--ray-timeout"],
    ),
    "--ray-timeout without --ray": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray-timeout", 5],
        ["--ray-timeout", "--ray"],
    ),
    "--ray an input's name": (lambda r: [npz(r), "--output-dir", r / "d", "--ray", r / "in.npz"], ["--ray"]),
    "--workers 0": (lambda r: [npz(r), "--output-dir", r / "d", "--ray", "127.0.0.1:1", "--workers", 0], ["workers"]),
}

# One input with --output-dir: its failure is the one error line (its notes held back).
JOB_CASES = {
    "--output-dir: OpenPose person_id 2**70": (
        lambda r: [openpose(r, [[{"person_id": [2**70]}]]), "--output-dir", r / "d", *SIZE],
        ["person_id", "2^53"],
    ),
    "--output-dir: a track's frames backwards, no K": (
        lambda r: [video(r, K=None, frame=[0, 1, 5, 2, 3, 4]), "--output-dir", r / "d", *SIZE],
        ["{in}", "frame 2 comes after frame 5", "--retrack"],
    ),
    "--output-dir: MediaPipe in pixels": (
        lambda r: [mediapipe(r, 1.0), "--output-dir", r / "d", *SIZE],
        ["{in}", "look like pixels"],
    ),
    "--output-dir --chunk-size 2: a bad layout": (
        lambda r: [npz(r, layout="body25"), "--output-dir", r / "d", "--chunk-size", 2],
        ["{in}", "'body25'"],
    ),
}

INFER = {**READERS, **LAYOUT_CASES, **INDEX_CASES, **CAMERA_CASES, **OUTPUT_CASES, **RAY_CASES, **JOB_CASES}


def _argv(root: Path, make) -> tuple[list[str], Path]:
    argv = [str(a) for a in make(root)]
    if "-o" not in argv and "--output-dir" not in argv:
        argv += ["-o", str(root / "out.npz")]
    return argv, Path(argv[0])


@pytest.mark.parametrize("case", list(INFER))
def test_zedo_infer_refuses(case, tmp_path, tiny_prior, capsys, monkeypatch):
    from zedo.runtime.apps.cli import main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    if case in RAY_CASES:
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")
    make, words = INFER[case]
    argv, source = _argv(tmp_path, make)
    argv += ["--engine", str(tiny_prior), "--iterations", "2", "--threads", "1", "--quiet"]
    start = time.monotonic()
    names = [str(source) if w == "{in}" else w for w in words]
    line = assert_refused(main, argv, "zedo-infer", names, tmp_path, capsys)
    assert time.monotonic() - start < 30, "the refusal took longer than the Ray timeout"
    assert "np.bytes_" not in line and "got shape" not in line


@contextmanager
def listener(mode: str):
    """A loopback TCP server for the block, its port: "silent" accepts and never answers, "other"
    answers as an HTTP/1.1 server would and closes."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # the server closed: the block is over
                return
            held.append(conn)
            if mode == "other":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for conn in held:
            conn.close()
        thread.join(5)


@pytest.mark.parametrize("mode, why", [("silent", "no answer within 1 s"), ("other", "not Ray")])
def test_ray_at_a_port_that_is_not_ray_fails_in_bounded_time(mode, why, tmp_path, tiny_prior, capsys, monkeypatch):
    """``ray.init`` waits minutes on a port that accepts and stays silent: the reach check bounds it."""
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")
    from zedo.runtime.apps.cli import main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    with listener(mode) as port:
        argv = [npz(tmp_path), "--output-dir", tmp_path / "d", "--ray", f"127.0.0.1:{port}", "--ray-timeout", 1]
        argv += ["--engine", tiny_prior, "--quiet"]
        start = time.monotonic()
        assert_refused(main, argv, "zedo-infer", [f"127.0.0.1:{port}", why], tmp_path, capsys)
        assert time.monotonic() - start < 10


# ---- acceptable inputs: a sound output ----------------------------------------------------------------


def _sound(path: Path, n: int, track=None) -> None:
    with np.load(path) as f:
        joints, valid = f["joints_3d"], f["valid"]
        assert joints.shape == (n, 17, 3) and valid.all()
        assert np.isfinite(joints).all() and (joints[..., 2] > 0.5).all(), "a joint behind or at the camera"
        if track is not None:
            np.testing.assert_array_equal(f["track"], track)


ACCEPTED = {
    "OpenPose person_id -1 (no tracker)": (lambda r: [openpose(r, [[{"person_id": [-1]}]] * 3), *SIZE], 3, None),
    "OpenPose person_id 3.0": (lambda r: [openpose(r, [[{"person_id": 3.0}]] * 3), *SIZE], 3, [3, 3, 3]),
    "OpenPose person_id []": (lambda r: [openpose(r, [[{"person_id": []}]] * 3), *SIZE], 3, None),
    "MMPose track_id 2.0": (lambda r: [mmpose(r, [(0, [2.0]), (1, [2.0])]), *SIZE], 2, [2, 2]),
    "MMPose frame gaps": (lambda r: [mmpose(r, [(0, [1]), (7, [1]), (9, [1])]), *SIZE], 3, [1, 1, 1]),
    "AlphaPose idx 0 for everyone (untracked)": (
        lambda r: [alphapose(r, [{"image_id": "0.jpg", "idx": 0}, {"image_id": "0.jpg", "idx": 0}]), *SIZE],
        2,
        None,
    ),
    "layout as bytes": (lambda r: [npz(r, layout=np.bytes_(b"h36m17"))], 3, None),
    "MediaPipe in [0, 1] with --image-size": (lambda r: [mediapipe(r, 1000.0), *SIZE], 3, None),
    "MediaPipe's 33 in pixels, no layout: mediapipe33_px": (
        lambda r: [npz(r, keypoints=rows_in("mediapipe33")[0], scores=rows_in("mediapipe33")[1])],
        3,
        None,
    ),
    "frame as whole floats": (lambda r: [npz(r, frame=[0.0, 1.0, 2.0], track=[0.0, 1.0, 2.0])], 3, [0, 1, 2]),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_zedo_infer_accepts(case, tmp_path, tiny_prior, capsys):
    from zedo.runtime.apps.cli import main

    make, n, track = ACCEPTED[case]
    argv, _ = _argv(tmp_path, make)
    assert main([*argv, "--engine", str(tiny_prior), "--iterations", "20", "--threads", "1", "--quiet"]) == 0
    assert "error" not in capsys.readouterr().err
    _sound(tmp_path / "out.npz", n, track)


def test_a_video_through_output_dir_is_smoothed_as_through_o(tmp_path, tiny_prior, capsys):
    """One video, -o and --output-dir: the same smoothed joints (the per-frame lift differs)."""
    from zedo.runtime.apps.cli import main

    source = video(tmp_path)
    common = ["--engine", str(tiny_prior), "--iterations", "20", "--threads", "1", "--quiet"]
    assert main([str(source), "-o", str(tmp_path / "o.npz"), *common]) == 0
    assert main([str(source), "--output-dir", str(tmp_path / "d"), *common]) == 0
    assert main([str(source), "-o", str(tmp_path / "p.npz"), "--per-frame", *common]) == 0
    with np.load(tmp_path / "o.npz") as a, np.load(tmp_path / "d" / "video.npz") as b, np.load(tmp_path / "p.npz") as c:
        np.testing.assert_array_equal(a["joints_3d"], b["joints_3d"])
        assert not np.array_equal(a["joints_3d"], c["joints_3d"])


@pytest.mark.parametrize("suffix", [".csv", ".trc", ".bvh"])
def test_a_video_exports_sound_files(suffix, tmp_path, tiny_prior, capsys):
    """An export of a video input: its file(s) written (one per track for .trc and .bvh), finite numbers."""
    if suffix == ".bvh":
        pytest.importorskip("bvhio", reason="bvhio is not installed (the bvh extra)")
    from zedo.runtime.apps.cli import main

    out = tmp_path / f"out{suffix}"
    argv = [str(video(tmp_path)), "-o", str(out), "--engine", str(tiny_prior), "--iterations", "20", "--quiet"]
    assert main(argv) == 0, capsys.readouterr().err
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix == suffix)
    assert written == ([out.name] if suffix == ".csv" else [f"out.track0{suffix}"])
    text = (tmp_path / written[0]).read_text()
    assert len(text) > 100 and "nan" not in text.lower()


# ---- the Python API: one clean exception naming the argument as Python spells it --------------------------


class Api:
    """What the API cases call with: the tiny prior (a path and an open engine), a folder, the scene."""

    def __init__(self, root: Path, prior: Path):
        self.root, self.prior = root / "inputs", prior  # the cases' inputs: written by the case itself
        self.root.mkdir()
        self.engine = open_engine(prior, threads=1)

    def estimate(self, **kw):
        args = {"keypoints": SCENE["keypoints"], "K": K_CAM, "engine": self.engine, "config": LoopConfig(iterations=2)}
        return estimate(**{**args, **kw})

    def step(self, size: int = 2, **kw):
        args = dict(
            rows=[0], keypoints=SCENE["keypoints"][:1], scores=np.ones((1, 17)), K=K_CAM[None], valid=[True], frame=[0]
        )
        return Streams(self.engine, size, LoopConfig(iterations=2)).step(**{**args, **kw})

    def lift(self, source: Path, **kw):
        return lift_file(source, Request(engine=str(self.prior), config=LoopConfig(iterations=2), **kw))


API = {
    "estimate: unknown layout": (lambda a: a.estimate(layout="body25"), ["layout", "'body25'"]),
    "estimate: layout a number": (lambda a: a.estimate(layout=17), ["layout"]),
    "estimate: no camera": (lambda a: a.estimate(K=None), ["image_size=(W, H)"]),
    "estimate: MediaPipe without image_size": (
        lambda a: a.estimate(keypoints=np.full((1, 33, 2), 0.5), K=None, layout="mediapipe33"),
        ["image_size=(W, H)"],
    ),
    "estimate: MediaPipe in pixels": (
        lambda a: a.estimate(keypoints=rows_in("mediapipe33")[0], K=None, image_size=(999, 999), layout="mediapipe33"),
        ["look like pixels"],
    ),
    "estimate: pixels all in [0, 1]": (lambda a: a.estimate(keypoints=SCENE["keypoints"] / 1000), ["takes pixels"]),
    "estimate: 5 keypoints": (lambda a: a.estimate(keypoints=SCENE["keypoints"][:, :5]), ["layout=NAME"]),
    "estimate: COCO's order": (lambda a: a.estimate(keypoints=rows_in("coco17")[0]), ["layout='coco17'"]),
    "Streams.step: row 5 of 2": (lambda a: a.step(rows=[5]), ["rows", "[0, 2)"]),
    "Streams.step: row -1": (lambda a: a.step(rows=[-1]), ["rows"]),
    "Streams.step: row 0.5": (lambda a: a.step(rows=[0.5]), ["rows"]),
    "Streams.step: rows repeated": (
        lambda a: a.step(
            rows=[0, 0],
            keypoints=SCENE["keypoints"][:2],
            scores=np.ones((2, 17)),
            K=np.stack([K_CAM] * 2),
            valid=[1, 1],
        ),
        ["rows"],
    ),
    "Streams.step: keypoints of another shape": (lambda a: a.step(keypoints=SCENE["keypoints"]), ["keypoints"]),
    "Streams.step: scores strings": (lambda a: a.step(scores=[["a"] * 17]), ["scores"]),
    "Streams.step: K of one pose missing": (lambda a: a.step(K=np.zeros((0, 3, 3))), ["K"]),
    "Streams.step: valid numbers": (lambda a: a.step(valid=[1]), ["valid"]),
    "Streams.step: frame -1": (lambda a: a.step(frame=[-1]), ["frame"]),
    "Streams.step: frame a fraction": (lambda a: a.step(frame=[0.5]), ["frame"]),
    "Streams of 0": (lambda a: a.step(size=0), ["size"]),
    "Streams of 2.5": (lambda a: a.step(size=2.5), ["size"]),
    "PoseStream: no camera": (lambda a: PoseStream(a.engine), ["K=", "image_size=(W, H)"]),
    "PoseStream: image_size (0, 0)": (lambda a: PoseStream(a.engine, image_size=(0, 0)), ["image_size"]),
    "PoseStream: K (2, 2)": (lambda a: PoseStream(a.engine, K=np.eye(2)), ["K"]),
    "PoseStream: K with negative focal": (lambda a: PoseStream(a.engine, K=np.diag([-1.0, 1, 1])), ["K", "fx"]),
    "PoseStream: unknown layout": (lambda a: PoseStream(a.engine, K=K_CAM, layout="body25"), ["layout", "'body25'"]),
    "PoseStream: config a dict": (lambda a: PoseStream(a.engine, K=K_CAM, config={}), ["config", "LoopConfig"]),
    "PoseStream: stream_config None": (lambda a: PoseStream(a.engine, K=K_CAM, stream_config=None), ["stream_config"]),
    "PoseStream: a frame of strings": (
        lambda a: PoseStream(a.engine, K=K_CAM).update([["a", "b"]] * 17),
        ["keypoints"],
    ),
    "CrowdStream: capacity 0": (lambda a: CrowdStream(a.engine, K=K_CAM, capacity=0), ["capacity"]),
    "CrowdStream: capacity True": (lambda a: CrowdStream(a.engine, K=K_CAM, capacity=True), ["capacity"]),
    "CrowdStream: capacity 1e6": (lambda a: CrowdStream(a.engine, K=K_CAM, capacity=10**6), ["capacity"]),
    "CrowdStream: tracker_config a dict": (
        lambda a: CrowdStream(a.engine, K=K_CAM, tracker_config={}),
        ["tracker_config"],
    ),
    "CrowdStream: no camera": (lambda a: CrowdStream(a.engine), ["image_size=(W, H)"]),
    "CrowdStream: a frame of strings": (
        lambda a: CrowdStream(a.engine, K=K_CAM).update([[["a", "b"]] * 17]),
        ["keypoints"],
    ),
    "Request: image_size (0, 0)": (lambda a: Request(image_size=(0, 0)), ["image_size"]),
    "Request: unknown layout": (lambda a: Request(layout="body25"), ["layout"]),
    "Request: fps 0": (lambda a: Request(fps=0), ["fps"]),
    "Request: frame 'moon'": (lambda a: Request(frame="moon"), ["frame"]),
    "Request: output_format 'x'": (lambda a: Request(output_format="x"), ["output_format"]),
    "Request: per_frame 1": (lambda a: Request(per_frame=1), ["per_frame"]),
    "lift_file: a video with hypotheses=3": (
        lambda a: a.lift(video(a.root), hypotheses=3),
        ["video.npz", "hypotheses=1", "per_frame=True"],
    ),
    "lift_file: a track's frames backwards": (
        lambda a: a.lift(video(a.root, frame=[0, 1, 5, 2, 3, 4])),
        ["video.npz", "retrack=True", "per_frame=True"],
    ),
    "lift_file: OpenPose person_id 2**70": (
        lambda a: a.lift(openpose(a.root, [[{"person_id": 2**70}]]), image_size=(1000, 1000)),
        ["person_id"],
    ),
    "lift_file: MediaPipe without image_size": (lambda a: a.lift(mediapipe(a.root, 1000.0)), ["image_size=(W, H)"]),
    "load_input: path None": (lambda a: load_input(None), ["path", "NoneType"]),
    "load_input: K strings": (lambda a: load_input(npz(a.root, K=None), K=[["a"] * 3] * 3), ["K", "real numbers"]),
    "load_input: layout a number": (lambda a: load_input(npz(a.root), layout=17), ["layout"]),
    "load_input: image_size a string": (lambda a: load_input(npz(a.root, K=None), image_size="1000"), ["image_size"]),
    "lift_file: request a dict": (lambda a: lift_file(npz(a.root), {"hypotheses": 2}), ["request", "dict"]),
    "save_output: result None": (lambda a: save_output(a.root.parent / "o.npz", None), ["result", "Estimate"]),
    "save_output: path a number": (lambda a: save_output(5, a.estimate()), ["path", "int"]),
    "save_output: inputs a number": (lambda a: save_output(a.root.parent / "o.npz", a.estimate(), 5), ["inputs"]),
    "open_detector: unknown name": (lambda a: _detector("nope"), ["detector", "'nope'", "mediapipe"]),
    "open_detector: a number for a name": (lambda a: _detector(5), ["detector", "5"]),
    "open_detector: device 'gpu9'": (lambda a: _detector("mediapipe", device="gpu9"), ["device", "'gpu9'"]),
    "open_detector: threads -1": (lambda a: _detector("mediapipe", threads=-1), ["threads"]),
    "open_detector: a missing model folder": (
        lambda a: _detector("mediapipe", model=a.root / "none"),
        ["none", "detector_model=DIR"],
    ),
    "a detector given a grey image": (
        lambda a: _detector("mediapipe")(np.zeros((8, 8), np.uint8)),
        ["image", "(8, 8)"],
    ),
    "a detector given floats": (lambda a: _detector("mediapipe")(np.zeros((8, 8, 3))), ["image", "uint8"]),
    "lift_video: an unknown source": (lambda a: _lift_video(a, a.root / "x.xyz"), ["unknown source", "x.xyz"]),
    "lift_video: detector 'nope'": (lambda a: _lift_video(a, _clip(a.root), detector="nope"), ["detector", "'nope'"]),
    "lift_video: a missing detector_model": (
        lambda a: _lift_video(a, _clip(a.root), detector="mediapipe", detector_model=a.root / "none"),
        ["none", "detector_model=PATH"],
    ),
    "lift_video: max_frames 0": (lambda a: _lift_video(a, _clip(a.root), max_frames=0), ["max_frames"]),
    "lift_video: max_frames 2.5": (lambda a: _lift_video(a, _clip(a.root), max_frames=2.5), ["max_frames"]),
    "lift_video: request a dict": (lambda a: _lift_video(a, _clip(a.root), request={}), ["request", "dict"]),
    "RayRunner: timeout 0": (lambda a: _ray_runner(timeout=0), ["timeout"]),
    "RayRunner: timeout NaN": (lambda a: _ray_runner(timeout=float("nan")), ["timeout"]),
    "ray_connect.reach: a closed loopback port": (
        lambda a: _reach(f"127.0.0.1:{closed_port()}"),
        ["cannot reach the Ray cluster at 127.0.0.1:"],
    ),
}


def _detector(name, **kw):
    from zedo.runtime.detect.table import open_detector

    return open_detector(name, **{"threads": 1, **kw})


def _lift_video(a: Api, path, **kw):
    """``lift_video`` of ``path`` into the test's folder ``out`` (which a refusal never makes)."""
    from zedo.runtime import lift_video

    return lift_video(path, a.root.parent / "out", **kw)


def _ray_runner(**kw):
    from zedo.runtime.pipeline.ray_data import RayRunner

    return RayRunner(**kw)


def _reach(address: str):
    from zedo.runtime.pipeline.ray_connect import reach

    return reach(address, timeout=5)


@pytest.mark.parametrize("case", list(API))
def test_python_api_refuses(case, tmp_path, tiny_prior):
    if case.startswith(("RayRunner", "ray_connect")):
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")
    api = Api(tmp_path, tiny_prior)
    call, words = API[case]
    before = snapshot(tmp_path)
    with pytest.raises((ValueError, RuntimeError, OSError)) as info:
        call(api)
    message = str(info.value)
    assert "\n" not in message and "--" not in message, message
    for word in words:
        assert word in message, message
    assert {p: s for p, s in snapshot(tmp_path).items() if api.root not in p.parents} == before


# ---- commands as a user runs them: a representative few as subprocesses ---------------------------------


SUBPROCESS = {
    "OpenPose person_id 2**70": (lambda r: [openpose(r, [[{"person_id": [2**70]}]]), *SIZE], ["person_id"]),
    "MediaPipe in pixels": (lambda r: [mediapipe(r, 1.0), *SIZE], ["look like pixels"]),
    "a track's frame twice, no K": (
        lambda r: [video(r, K=None, frame=[0, 1, 1, 2, 3, 4], track=[0] * 6), *SIZE],
        ["appears twice"],
    ),
    "--ray at a closed loopback port": (
        lambda r: [npz(r), "--output-dir", r / "d", "--ray", f"127.0.0.1:{closed_port()}"],
        ["127.0.0.1:"],
    ),
}


@pytest.mark.parametrize("case", list(SUBPROCESS))
def test_zedo_infer_subprocess_refuses(case, tmp_path, tiny_prior):
    if "--ray" in case:
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")
    make, words = SUBPROCESS[case]
    argv, _ = _argv(tmp_path, make)
    before = snapshot(tmp_path)
    start = time.monotonic()
    proc = zedo_infer(*argv, "--engine", tiny_prior, "--iterations", 2, "--threads", 1, "--quiet")
    assert time.monotonic() - start < 60
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("zedo-infer: error: "), proc.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_a_local_ray_job_prints_no_ray_log_lines(tmp_path, tiny_prior):
    """A local Ray started by zedo-infer --ray: stderr holds zedo's lines only (Ray's own log lines
    off: its Python logging, the workers' output and the C++ core worker's and GCS client's)."""
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'zedo[ray]')")
    argv = [npz(tmp_path), "--output-dir", tmp_path / "d", "--ray", "--workers", 1]
    proc = zedo_infer(*argv, "--engine", tiny_prior, "--iterations", 2, "--threads", 1, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert all(line.startswith("zedo-infer: ") for line in proc.stderr.splitlines()), proc.stderr
    _sound(tmp_path / "d" / "in.npz", 3)


# ---- the new surfaces of this wave: video files, detectors (cases added as those land) -----------------


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _clip(root: Path, name: str = "clip.mp4", frames: int = 6) -> Path:
    """A small H.264 video of noise (PyAV): 64 x 48 px at 10 fps."""
    av = pytest.importorskip("av", reason="PyAV is not installed (the video extra)")
    path = root / name
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for _ in range(frames):
            c.mux(s.encode(av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), np.uint8), format="rgb24")))
        c.mux(s.encode(None))
    return path


MEDIA_CASES = {
    "a zero-length video": (lambda r: [_bytes(r / "empty.mp4", b""), "-o", r / "out"], ["{in}"]),
    "a video of junk bytes": (lambda r: [_bytes(r / "junk.mkv", bytes(range(256)) * 40), "-o", r / "out"], ["{in}"]),
    "a video cut to its first 300 bytes": (
        lambda r: [_bytes(r / "cut.mp4", _clip(r, "whole.mp4").read_bytes()[:300]), "-o", r / "out"],
        ["{in}"],
    ),
    "an image of junk bytes": (lambda r: [_bytes(r / "a.png", b"\x89PNG\r\n junk"), "-o", r / "out"], ["{in}"]),
    "--source an unknown suffix": (lambda r: ["--source", r / "x.xyz", "-o", r / "out"], ["unknown source", "x.xyz"]),
    "--source and an INPUT": (lambda r: [npz(r), "--source", "0", "-o", r / "out"], ["--source"]),
    "a video with --output-dir": (lambda r: [_clip(r), "--output-dir", r / "d"], ["{in}", "-o DIR"]),
    "--max-frames 0": (lambda r: [_clip(r), "-o", r / "out", "--max-frames", 0], ["--max-frames"]),
    "-o a file for a video": (lambda r: [_clip(r), "-o", npz(r)], ["in.npz", "folder"]),
    "--detector unknown": (lambda r: [_clip(r), "-o", r / "out", "--detector", "openpose"], ["--detector"]),
    "--detector-model missing": (
        lambda r: [_clip(r), "-o", r / "out", "--detector", "mediapipe", "--detector-model", r / "none"],
        ["none", "--detector-model"],
    ),
}


@pytest.mark.parametrize("case", list(MEDIA_CASES))
def test_media_inputs_are_refused(case, tmp_path, tiny_prior, capsys):
    from zedo.runtime.apps.cli import main

    make, words = MEDIA_CASES[case]
    argv, source = _argv(tmp_path, make)
    argv += ["--engine", str(tiny_prior), "--iterations", "2", "--threads", "1", "--quiet"]
    assert_refused(main, argv, "zedo-infer", [str(source) if w == "{in}" else w for w in words], tmp_path, capsys)


@pytest.mark.parametrize(
    "text, line",
    [
        ("give layout='coco17'", "give --layout coco17"),
        (
            "no camera: give K or the image size (image_size=(W, H))",
            "no camera: give K or the image size (--image-size W H)",
        ),
        ("give hypotheses=1 or per_frame=True", "give --hypotheses 1 or --per-frame"),
        ("x.bvh: fixed_bones=False: drop it", "x.bvh: --no-fixed-bones: drop it"),
        ("/data/frame=3/a.json: keyframe=2 stays", "/data/frame=3/a.json: keyframe=2 stays"),
    ],
)
def test_a_command_names_the_flags_where_python_names_arguments(text, line):
    from zedo.runtime.core.errors import command_flags

    assert command_flags(text) == line

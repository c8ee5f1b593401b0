"""Calibrated cameras: the calibration files read (``zedo.runtime.io.cameras``), OpenCV's lens model
inverted (``zedo.runtime.io.undistort``), the Request's fields, and ``zedo-infer --intrinsics`` and
``--camera`` end to end on the tiny prior."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import K_CAM, assert_one_error_line, fast, synthetic_poses, write_as, zedo_infer

from zedo.runtime.core.errors import FieldError
from zedo.runtime.io.cameras import read_camera
from zedo.runtime.io.layouts import get_layout
from zedo.runtime.io.undistort import distort_points, undistort_points
from zedo.runtime.pipeline.request import Request

DIST = [-0.12, 0.03, 0.001, -0.0005, 0.002]

# What cv2.FileStorage writes (calibrate_camera.cpp's fields).
OPENCV_YAML = """%YAML:1.0
---
calibration_time: "Sun Dec  6 04:50:00 2026"
image_width: 1000
image_height: 1000
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 1000., 0., 500., 0., 1000., 500., 0., 0., 1. ]
distortion_coefficients: !!opencv-matrix
   rows: 1
   cols: 5
   dt: d
   data: [ -1.2000000000000000e-01, 2.9999999999999999e-02,
       1.0000000000000000e-03, -5.0000000000000001e-04,
       2.0000000000000000e-03 ]
avg_reprojection_error: 2.1e-01
"""

COLMAP = """# Camera list with one line of data per camera:
#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]
# Number of cameras: 3
1 OPENCV 1000 1000 1000 1000 500.5 500.5 -0.12 0.03 0.001 -0.0005
2 PINHOLE 1920 1080 1500 1490 960 540
3 SIMPLE_RADIAL 1000 1000 1100 500.5 500.5 -0.05
"""

# What Anipose / Pose2Sim write (python's toml: trailing commas).
TOML = """[cam_0]
name = "cam_01"
size = [ 1000, 1000,]
matrix = [ [ 1000.0, 0.0, 500.0,], [ 0.0, 1000.0, 500.0,], [ 0.0, 0.0, 1.0,],]
distortions = [ -0.12, 0.03, 0.001, -0.0005,]
rotation = [ 0.1, 0.2, 0.3,]
translation = [ 1.0, 2.0, 3.0,]
fisheye = false

[cam_1]
name = "cam_02"
size = [ 1920, 1080,]
matrix = [ [ 1500.0, 0.0, 960.0,], [ 0.0, 1500.0, 540.0,], [ 0.0, 0.0, 1.0,],]
distortions = [ 0.0, 0.0, 0.0, 0.0,]
rotation = [ 0.0, 0.0, 0.0,]
translation = [ 0.0, 0.0, 0.0,]
fisheye = false

[metadata]
adjusted = false
error = 0.0
"""


def test_opencv_yaml(tmp_path):
    path = tmp_path / "calib.yml"
    path.write_text(OPENCV_YAML)
    cam = read_camera(path)
    np.testing.assert_array_equal(cam.K, K_CAM)
    np.testing.assert_allclose(cam.distortion, DIST)
    assert cam.size == (1000.0, 1000.0)


@pytest.mark.parametrize(
    "doc",
    [
        {"K": K_CAM.tolist(), "dist": DIST},
        {"camera_matrix": K_CAM.tolist(), "dist_coeffs": [DIST]},
        {
            "camera_matrix": {
                "type_id": "opencv-matrix",
                "rows": 3,
                "cols": 3,
                "dt": "d",
                "data": K_CAM.ravel().tolist(),
            },
            "distortion_coefficients": {"type_id": "opencv-matrix", "rows": 1, "cols": 5, "dt": "d", "data": DIST},
        },
    ],
)
def test_opencv_json(tmp_path, doc):
    path = tmp_path / "calib.json"
    path.write_text(json.dumps(doc))
    cam = read_camera(path)
    np.testing.assert_array_equal(cam.K, K_CAM)
    np.testing.assert_allclose(cam.distortion, DIST)


def test_colmap_cameras_by_id(tmp_path):
    path = tmp_path / "cameras.txt"
    path.write_text(COLMAP)
    cam = read_camera(f"{path}:1")
    np.testing.assert_array_equal(cam.K, K_CAM)  # COLMAP's 500.5 is OpenCV's 500 (pixel centres)
    np.testing.assert_allclose(cam.distortion, DIST[:4])
    assert cam.size == (1000.0, 1000.0) and cam.name == "1"
    pinhole = read_camera(f"{path}:2")
    assert pinhole.distortion is None and pinhole.K[1, 1] == 1490.0 and pinhole.K[0, 2] == 959.5
    np.testing.assert_allclose(read_camera(f"{path}:3").distortion, [-0.05, 0, 0, 0])
    with pytest.raises(ValueError, match="3 cameras .*'1', '2', '3'.*choose one"):
        read_camera(path)


def test_calibration_toml_by_name(tmp_path):
    path = tmp_path / "Calib_board.toml"
    path.write_text(TOML)
    for spec in (f"{path}:cam_01", f"{path}:cam_0"):
        cam = read_camera(spec)
        np.testing.assert_array_equal(cam.K, K_CAM)
        np.testing.assert_allclose(cam.distortion, DIST[:4])
        assert cam.name == "cam_01" and cam.size == (1000.0, 1000.0)
    assert read_camera(f"{path}:cam_02").distortion is None  # all zeros: no lens to undo
    with pytest.raises(ValueError, match="no camera named 'cam_9'; the file has 'cam_01', 'cam_02'"):
        read_camera(f"{path}:cam_9")
    with pytest.raises(ValueError, match="2 cameras"):
        read_camera(path)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dist", [DIST[:4], DIST, DIST + [0.01, -0.002, 0.0005]])
def test_undistortion_inverts_a_planted_distortion(dtype, dist):
    rng = np.random.default_rng(0)
    ideal = rng.uniform(50, 950, (64, 17, 2)).astype(dtype)
    recorded = distort_points(ideal, K_CAM, dist)
    assert recorded.dtype == dtype and np.abs(recorded - ideal).max() > 5  # a real lens, not a no-op
    back = undistort_points(recorded, K_CAM, dist)
    assert back.dtype == dtype
    np.testing.assert_allclose(back, ideal, atol=1e-6 if dtype == np.float64 else 2e-3)
    assert np.isnan(undistort_points(np.full((1, 2), np.nan), K_CAM, dist)).all()


@pytest.mark.parametrize(
    "fields, field",
    [
        (dict(K=((1000.0, 0, 500), (0, -1000.0, 500), (0, 0, 1))), "K"),
        (dict(K=((1000.0, 0, 500), (0, 1000.0, 500))), "K"),
        (dict(distortion=(0.1, 0, 0, 0)), "distortion"),
        (dict(K=tuple(map(tuple, K_CAM)), distortion=(0.1, 0, 0)), "distortion"),
        (dict(K=tuple(map(tuple, K_CAM)), distortion=(0.1, float("nan"), 0, 0)), "distortion"),
    ],
)
def test_request_refuses_a_bad_camera(fields, field):
    with pytest.raises(FieldError) as e:
        Request(**fields)
    assert e.value.field == field


# --- zedo-infer end to end -----------------------------------------------------------------------------


def _openpose(folder, keypoints, lens=None):
    """An OpenPose folder of one person a frame, ``keypoints`` (N, 17, 2) prior-order pixels seen
    through the lens ``lens`` (distortion coefficients) of K_CAM, if given."""
    folder.mkdir()
    kp25, sc25 = write_as(get_layout("openpose25"), keypoints)
    kp25 = kp25 if lens is None else np.where(sc25[..., None] > 0, distort_points(kp25, K_CAM, lens), 0.0)
    for f in range(len(keypoints)):
        person = {"person_id": [-1], "pose_keypoints_2d": np.column_stack([kp25[f], sc25[f]]).ravel().tolist()}
        (folder / f"clip_{f:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": [person]}))
    return folder


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """Four poses seen by K_CAM through the lens DIST: the ideal and the recorded keypoints as
    OpenPose folders, and the calibration in each format."""
    root = tmp_path_factory.mktemp("cameras")
    ideal = synthetic_poses(4, seed=3)["keypoints"]
    (root / "calib.yml").write_text(OPENCV_YAML)
    (root / "calib.toml").write_text(TOML)
    (root / "cameras.txt").write_text(COLMAP)
    (root / "calib.json").write_text(json.dumps({"K": K_CAM.tolist(), "dist": DIST}))
    np.savez(root / "withK.npz", keypoints=ideal, K=K_CAM)
    return {
        "root": root,
        "ideal": _openpose(root / "ideal", ideal),
        "recorded": _openpose(root / "recorded", ideal, DIST),
        "recorded4": _openpose(root / "recorded4", ideal, DIST[:4]),
    }


def _run(tiny_prior, tmp_path, source, *flags, name="out.npz"):
    out = tmp_path / name
    zedo_infer(source, "-o", out, *fast(tiny_prior), *flags, check_rc=0)
    with np.load(out) as f:
        return {k: f[k] for k in ("joints_3d", "K")}


def test_intrinsics_flag(tiny_prior, tmp_path, scene):
    got = _run(tiny_prior, tmp_path, scene["ideal"], "--intrinsics", 1000, 1000, 500, 500)
    np.testing.assert_array_equal(got["K"][0], K_CAM)
    assert np.isfinite(got["joints_3d"]).all()


@pytest.mark.parametrize(
    "spec, recorded", [("calib.yml", "recorded"), ("calib.json", "recorded"), ("calib.toml:cam_01", "recorded4")]
)
def test_camera_file_undistorts_as_the_ideal_camera_sees(tiny_prior, tmp_path, scene, spec, recorded):
    """The recorded (distorted) keypoints with the calibration lift as the ideal ones with K."""
    want = _run(tiny_prior, tmp_path, scene["ideal"], "--intrinsics", 1000, 1000, 500, 500, name="ideal.npz")
    got = _run(tiny_prior, tmp_path, scene[recorded], "--camera", f"{scene['root'] / spec}")
    np.testing.assert_array_equal(got["K"][0], K_CAM)
    np.testing.assert_allclose(got["joints_3d"], want["joints_3d"], atol=1e-4)


def test_camera_file_colmap(tiny_prior, tmp_path, scene):
    got = _run(tiny_prior, tmp_path, scene["ideal"], "--camera", f"{scene['root'] / 'cameras.txt'}:2")
    assert got["K"][0][0, 0] == 1500.0


@pytest.mark.parametrize(
    "flags, names",
    [
        (["--intrinsics", 1000, 1000, 500, 500, "--camera", "calib.yml"], ["--intrinsics", "--camera"]),
        (["--intrinsics", -1000, 1000, 500, 500], ["--intrinsics", "fx"]),
        (["--camera", "calib.yml", "--image-size", 640, 480], ["--image-size", "calib.yml"]),
        (["--camera", "calib.toml"], ["calib.toml", "cam_01", "cam_02"]),
        (["--camera", "calib.toml:nobody"], ["calib.toml", "nobody", "cam_01"]),
        (["--camera", "missing.yml"], ["missing.yml"]),
    ],
)
def test_camera_refusals(tiny_prior, scene, flags, names):
    flags = [scene["root"] / f if str(f).startswith(("calib", "missing")) else f for f in flags]
    proc = zedo_infer(scene["ideal"], "-o", scene["root"] / "never.npz", *fast(tiny_prior), *flags)
    assert_one_error_line(proc, *names)


def test_a_file_with_its_own_different_K_is_refused(tiny_prior, scene):
    proc = zedo_infer(
        scene["root"] / "withK.npz",
        "-o",
        scene["root"] / "never.npz",
        *fast(tiny_prior),
        "--intrinsics",
        900,
        900,
        500,
        500,
    )
    assert_one_error_line(proc, "withK.npz", "K")


BAD_FILES = [
    ("bad.yml", "%YAML:1.0\n---\nimage_width: 10\n", "no camera matrix"),
    ("bad.yml", OPENCV_YAML.replace("rows: 3", "rows: 2", 1), "9 numbers for 2 x 3"),
    ("bad.json", json.dumps({"K": [[1000, 0, 500], [0, 1000, 500]]}), "shape (2, 3)"),
    ("bad.json", '{"K": [[1000, 0, 500], [0, NaN, 500], [0, 0, 1]]}', "non-finite"),
    ("bad.json", json.dumps({"K": K_CAM.tolist(), "dist": [0.1, 0.2, 0.3]}), "3 distortion coefficients"),
    ("cameras.txt", "1 FISHEYE 100 100 50 50 50 0.1\n", "unknown camera model 'FISHEYE'"),
    ("cameras.txt", "1 PINHOLE 100 100 50 50 50\n", "PINHOLE has 4 parameters, got 3"),
    ("bad.toml", TOML.replace("fisheye = false", "fisheye = true", 1), "fisheye"),
    ("bad.toml", "[cam_01\n", "not valid TOML"),
    ("bad.cfg", "K = 1", "unknown camera file format"),
]


@pytest.mark.parametrize("name, text, why", BAD_FILES)
def test_bad_camera_files_are_named(tmp_path, name, text, why):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError) as e:
        read_camera(path)
    line = str(e.value)
    assert str(path) in line and why in line and "\n" not in line


def test_camera_file_in_a_job(tiny_prior, tmp_path, scene):
    """--output-dir plans and lifts each input with the camera (job planning reads it too)."""
    out = tmp_path / "out"
    zedo_infer(
        scene["ideal"],
        scene["recorded"],
        "--output-dir",
        out,
        *fast(tiny_prior),
        "--camera",
        scene["root"] / "calib.yml",
        check_rc=0,
    )
    for name in ("ideal", "recorded"):
        with np.load(out / f"{name}.npz") as f:
            np.testing.assert_array_equal(f["K"][0], K_CAM)

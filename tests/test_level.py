"""Any camera orientation: rotation maths (core.rotation), the level camera (solve.level), the
``gravity`` setting of ``estimate``, ``Request`` and ``zedo-infer --gravity``; planted truths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import K_CAM, assert_one_error_line, fast, project, synthetic_poses, zedo_infer

from zedo.runtime import LoopConfig, estimate, open_engine
from zedo.runtime.core.errors import FieldError
from zedo.runtime.core.rotation import DOWN, gravity_to_matrix, homography, tilt_gravity, warp_points
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.pipeline.request import Request
from zedo.runtime.solve import level

CFG = LoopConfig(iterations=20)
EXAMPLE = Path(__file__).resolve().parents[1] / "runtime" / "examples" / "example.npz"
TILTS = [(0.0, 0.0), (30.0, 0.0), (-25.0, 10.0), (20.0, -15.0)]  # (pitch, roll) degrees


@pytest.fixture(scope="module")
def engine(tiny_prior):
    return open_engine(tiny_prior, threads=1)


def camera_to_level(pitch_deg, roll_deg):
    return gravity_to_matrix(tilt_gravity(np.deg2rad(pitch_deg), np.deg2rad(roll_deg)))


def tilted_view(pitch_deg, roll_deg, n=8, seed=0):
    """Synthetic poses (level scene) seen by a camera turned by the tilt: (truth (n, 17, 3) in the
    tilted camera, its keypoints (n, 17, 2) px, its gravity (3,))."""
    R = camera_to_level(pitch_deg, roll_deg)
    cam = synthetic_poses(n, seed=seed)["pose_cam"] @ R  # level = R cam: cam = R^T level
    return cam, project(cam, K_CAM), R.T @ DOWN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tilt", TILTS)
def test_rotation_and_homography_round_trip(tilt, dtype):
    g = tilt_gravity(*np.deg2rad(tilt))
    R = gravity_to_matrix(3.7 * g)  # any length
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    np.testing.assert_allclose(R @ g, DOWN, atol=1e-12)
    cam = synthetic_poses(4)["pose_cam"]
    kp = project(cam, K_CAM).astype(dtype)
    warped, depth = warp_points(kp, homography(K_CAM, R))
    assert warped.dtype == dtype and (depth > 0).all()
    tol = 1e-3 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(warped, project(cam @ R.T, K_CAM), atol=tol * 100)  # px
    back, _ = warp_points(warped, homography(K_CAM, R.T))
    np.testing.assert_allclose(back, kp, atol=tol * 100)


def test_level_gravity_is_the_identity_and_bad_gravity_is_refused():
    np.testing.assert_array_equal(gravity_to_matrix([0, 2, 0]), np.eye(3))
    np.testing.assert_allclose(gravity_to_matrix([0, -1, 0]) @ [0, -1, 0], DOWN, atol=1e-12)
    for bad in ([0, 0, 0], [1, np.nan, 0], [1, 2], [np.inf, 0, 0]):
        with pytest.raises(ValueError, match="gravity"):
            gravity_to_matrix(bad)
        with pytest.raises(FieldError, match="gravity"):
            Request(gravity=bad)
    with pytest.raises(FieldError, match="gravity"):
        Request(gravity="tilted")
    assert Request(gravity="level").gravity == "level" and Request(gravity=(0.1, 1, 0)).gravity == (0.1, 1, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tilt", TILTS[1:])
def test_given_gravity_lifts_a_tilted_camera_as_a_level_one(engine, tilt, dtype):
    cam, kp, g = tilted_view(*tilt)
    given = estimate(kp.astype(dtype), K=K_CAM, engine=engine, config=CFG, gravity=g.astype(dtype))
    assumed_level = estimate(kp.astype(dtype), K=K_CAM, engine=engine, config=CFG, gravity="level")
    level_scene = estimate(project(cam @ camera_to_level(*tilt).T, K_CAM), K=K_CAM, engine=engine, config=CFG)

    def up_error_deg(r):  # the pelvis -> head direction against -gravity
        up = r.joints_3d[:, 10] - r.joints_3d[:, 0]
        cos = (up / np.linalg.norm(up, axis=1, keepdims=True)) @ (-g / np.linalg.norm(g))
        return np.rad2deg(np.arccos(np.clip(cos, -1, 1))).mean()

    assert up_error_deg(given) < 3.0 < 15.0 < up_error_deg(assumed_level)
    assert np.linalg.norm(given.joints_3d - cam, axis=-1).mean() < 0.1  # metres
    assert np.linalg.norm(given.translation - cam[:, 0], axis=-1).mean() < 0.1
    np.testing.assert_allclose(given.K, np.broadcast_to(K_CAM, given.K.shape))
    # The same lift as the level camera's, turned back (float32 keypoints round a little).
    turned = level_scene.joints_3d @ camera_to_level(*tilt)
    np.testing.assert_allclose(given.joints_3d, turned, atol=0.02 if dtype == np.float32 else 1e-3)


@pytest.mark.parametrize("tilt", [(30.0, 0.0), (-20.0, 10.0), (4.0, 3.0), (0.0, 0.0)])
def test_search_recovers_a_planted_tilt_and_prefers_level(tilt):
    planted = np.deg2rad(tilt)

    def score_of(tilts):  # lowest at the planted tilt, 1 unit better than level far from it
        return np.minimum(np.linalg.norm(np.atleast_2d(tilts) - planted, axis=1), 1.0) * 5

    got = np.asarray(level.search_tilt(score_of))
    if np.hypot(*planted) < level.LEVEL_CONE:
        np.testing.assert_array_equal(got, 0.0)  # near level: level kept
    else:
        np.testing.assert_allclose(got, planted, atol=level.LAST_STEP)
    # Hysteresis: a tilt that barely beats level does not win.
    barely = lambda t: np.where(np.linalg.norm(np.atleast_2d(t), axis=1) > 0, 1.0 - level.LEVEL_MARGIN / 2, 1.0)  # noqa: E731
    assert level.search_tilt(barely) == (0.0, 0.0)


@pytest.mark.parametrize("tilt", TILTS)
def test_estimated_tilt_recovers_the_planted_one(engine, tilt):
    cam, kp, g = tilted_view(*tilt, n=12)
    R = level.estimate_tilts(validate_inputs(kp, K_CAM), engine, CFG)
    found = R[0].T @ DOWN
    assert np.rad2deg(np.arccos(np.clip(found @ g, -1, 1))) < 4.0
    assert (R == R[0]).all()  # one camera, one tilt
    got = estimate(kp, K=K_CAM, engine=engine, config=CFG)  # gravity None: estimated
    assert np.linalg.norm(got.joints_3d - cam, axis=-1).mean() < 0.1


def test_each_camera_gets_its_own_tilt(engine):
    K2 = K_CAM.copy()
    K2[0, 0] = K2[1, 1] = 1100.0
    _, kp1, g1 = tilted_view(0.0, 0.0, n=6)
    cam2 = synthetic_poses(6, seed=3)["pose_cam"] @ camera_to_level(30.0, 0.0)
    Ks = np.concatenate([np.repeat(K_CAM[None], 6, 0), np.repeat(K2[None], 6, 0)])
    kp = np.concatenate([kp1, project(cam2, K2)])
    R = level.estimate_tilts(validate_inputs(kp, Ks), engine, CFG)
    np.testing.assert_array_equal(R[:6], np.broadcast_to(np.eye(3), (6, 3, 3)))
    assert np.rad2deg(np.arccos(np.clip((R[6].T @ DOWN) @ tilt_gravity(np.deg2rad(30), 0), -1, 1))) < 4.0


@pytest.mark.parametrize("words", [["0", "0", "0"], ["1", "nan", "0"], ["1", "2"], ["x", "y", "z"], ["up"]])
def test_bad_gravity_flag_is_one_line_naming_it(tiny_prior, tmp_path, words):
    proc = zedo_infer(EXAMPLE, "-o", tmp_path / "o.npz", "--gravity", *words, *fast(tiny_prior))
    assert_one_error_line(proc, "--gravity")


def test_gravity_flag_is_used(tiny_prior, tmp_path):
    cam, kp, g = tilted_view(30.0, 0.0, n=4)
    np.savez(tmp_path / "in.npz", keypoints=kp, K=K_CAM)
    for name, words in (("given", [str(v) for v in g]), ("level", ["level"])):
        zedo_infer(
            tmp_path / "in.npz", "-o", tmp_path / f"{name}.npz", "--gravity", *words, *fast(tiny_prior), check_rc=0
        )
    given, assumed = (np.load(tmp_path / f"{name}.npz")["joints_3d"] for name in ("given", "level"))
    assert np.linalg.norm(given - cam, axis=-1).mean() < 0.1 < np.linalg.norm(assumed - cam, axis=-1).mean()

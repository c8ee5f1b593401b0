"""Human3.6M for training (zedo.training.h36m, zedo.datasets.h36m): world to camera frame, bad inputs named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zedo.datasets.h36m import Camera, load_positions, world_to_camera
from zedo.runtime.core.skeleton import bone_lengths
from zedo.training.h36m import prepare_h36m


def _tiny_h36m(tmp_path):
    rng = np.random.default_rng(0)
    positions = {"S1": {"Walk 1": rng.standard_normal((5, 32, 3)).astype(np.float32)}}
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    R = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    R *= np.sign(np.linalg.det(R))
    cam = {"R": R.tolist(), "center": [1.0, 2.0, 3.0], "f": [1000.0, 1000.0], "c": [500.0, 500.0]}
    cams = {"S1": {cid: cam for cid in ("54138969", "55011271", "58860488", "60457274")}}
    (tmp_path / "cameras.json").write_text(json.dumps(cams))
    return positions, R


def test_h36m_camera_frame_conversion(tmp_path):
    positions, R = _tiny_h36m(tmp_path)
    out = prepare_h36m(tmp_path, tmp_path / "out.npz", subjects=("S1",))
    p = np.load(out)["poses"]
    assert p.shape == (4 * 5, 17, 3)
    np.testing.assert_allclose(p[:, 0], 0, atol=1e-6)
    world = positions["S1"]["Walk 1"][:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]]
    # A rigid change of frame keeps bone lengths.
    np.testing.assert_allclose(bone_lengths(p[:5]), bone_lengths(world), rtol=1e-4)
    cam = Camera(R, np.array([1.0, 2.0, 3.0]), np.eye(3))
    back = world_to_camera(world.astype(np.float64), cam) @ R + cam.center
    np.testing.assert_allclose(back, world, atol=1e-5)


def test_h36m_bad_inputs_are_named(tmp_path):
    _tiny_h36m(tmp_path)
    with pytest.raises(ValueError, match="subject 'S9' is not in the file"):
        prepare_h36m(tmp_path, tmp_path / "o.npz", subjects=("S9",))
    assert not (tmp_path / "o.npz").exists()
    np.savez(tmp_path / "wrong.npz", other=np.zeros(2))
    with pytest.raises(ValueError, match="wrong.npz.*positions_3d"):
        load_positions(tmp_path / "wrong.npz")

"""BVH parsing and forward kinematics, the Bandai-Namco joint map, camera views and prepare_bvh.

Fixtures (hand-made, tests/fixtures/):
* tiny.bvh: Hips (6 channels) -> Chest (ZXY) -> end site, Hips -> Leg (XYZ) -> Foot (X) -> end
  site; frame 0 rest, frame 1 root moved by (1, 2, 3) and turned 90 degrees about z, frame 2
  Chest turned Z=90, X=90 and Leg X=90, Y=90 (positions below worked out by hand).
* bandai_tiny.bvh: the 22 Bandai-Namco joints with the real rig's offsets (cm); frame 0 a T-pose
  facing world +z with the subject's left towards +x, frame 1 the same with the left knee bent 60
  degrees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import NEEDS_TORCH

from zedo.runtime.core.skeleton import JOINT_NAMES, bone_lengths
from zedo.training.bvh import forward_kinematics, parse_bvh, parse_bvh_text, scale_offsets
from zedo.training.jointmaps import BANDAI_NAMCO, detect_rig, map_to_h36m
from zedo.training.mocap import camera_rotations, camera_views, prepare_bvh

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny.bvh"
BANDAI = FIXTURES / "bandai_tiny.bvh"
J = {name: i for i, name in enumerate(JOINT_NAMES)}


def test_parse_tiny():
    b = parse_bvh(TINY)
    assert b.names == ("Hips", "Chest", "Chest_end", "Leg", "Foot", "Foot_end")
    assert b.parents.tolist() == [-1, 0, 1, 0, 3, 4]
    assert b.end_site.tolist() == [False, False, True, False, False, True]
    assert b.channels[3] == ("Xrotation", "Yrotation", "Zrotation")
    assert b.motion.shape == (3, 13) and b.num_frames == 3
    assert b.frame_time == pytest.approx(0.04)
    np.testing.assert_allclose(b.offsets[4], [0, -8, 0])


def test_forward_kinematics_hand_computed():
    pos = forward_kinematics(parse_bvh(TINY))
    # Frame 0: rest pose, offsets accumulate.
    np.testing.assert_allclose(
        pos[0], [[0, 0, 0], [0, 10, 0], [0, 15, 0], [2, 0, 0], [2, -8, 0], [2, -8, 3]], atol=1e-9
    )
    # Frame 1: root at (1, 2, 3), Rz(90) maps x -> y and y -> -x for everything below it.
    np.testing.assert_allclose(pos[1], [[1, 2, 3], [-9, 2, 3], [-14, 2, 3], [1, 4, 3], [9, 4, 3], [9, 4, 6]], atol=1e-9)
    # Frame 2: Chest Rz(90) @ Rx(90) sends its (0, 5, 0) end site to +z; Leg Rx(90) @ Ry(90)
    # sends Foot's (0, -8, 0) to -z and the Foot end site's (0, 0, 3) to +x.
    np.testing.assert_allclose(
        pos[2], [[0, 0, 0], [0, 10, 0], [0, 10, 5], [2, 0, 0], [2, 0, -8], [5, 0, -8]], atol=1e-9
    )


def test_channel_order_matters():
    text = TINY.read_text()
    swapped = text.replace("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Xrotation Zrotation Yrotation")
    pos = forward_kinematics(parse_bvh_text(swapped))
    # Same values (90, 90) read as Rx(90) @ Rz(90): the end site now goes to -x instead of +z.
    np.testing.assert_allclose(pos[2, 2], [-5, 10, 0], atol=1e-9)


def test_rotations_returned_are_orthonormal():
    pos, rot = forward_kinematics(parse_bvh(TINY), with_rotations=True)
    assert rot.shape == (3, 6, 3, 3)
    np.testing.assert_allclose(rot @ np.swapaxes(rot, -1, -2), np.broadcast_to(np.eye(3), rot.shape), atol=1e-12)


def test_scale_offsets_moves_subtree_rigidly():
    b = parse_bvh(TINY)
    scaled = forward_kinematics(scale_offsets(b, {"Leg": (2.0, 1.0, 1.0)}))
    base = forward_kinematics(b)
    # Leg's (2, 0, 0) offset doubles; Foot and its end site move with it, nothing else changes.
    np.testing.assert_allclose(scaled[0, 3:] - base[0, 3:], np.broadcast_to([2, 0, 0], (3, 3)), atol=1e-9)
    np.testing.assert_allclose(scaled[:, :3], base[:, :3], atol=1e-9)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: "hello world\n", "not a BVH file"),
        (lambda t: t.split("MOTION")[0], "no MOTION section"),
        (lambda t: t.rsplit("\n", 2)[0] + "\n", "truncated motion"),
        (lambda t: t.replace("1 2 3 90 0 0 0 0 0 0 0 0 0", "1 2 3 90 0 0 0 0 0 0 0 0"), r":34: 12 channel values"),
        (lambda t: t.replace("CHANNELS 1 Xrotation", "CHANNELS 1 Wrotation"), r":22: unknown channel name 'Wrotation'"),
        (lambda t: t.replace("1 2 3 90", "1 2 x 90"), r":34: motion value must be a number"),
        (lambda t: t.replace("Frames: 3", "Frames: three"), "frame count"),
        (lambda t: t.replace("OFFSET 0 -8 0", "OFFSET 0 -8"), r":21: OFFSET of 'Foot' must be a number"),
        (lambda t: t.replace("  }\n}\nMOTION", "MOTION"), r":27: hierarchy ends early"),
    ],
)
def test_bad_files_raise_with_file_name(tmp_path, mutate, message):
    bad = tmp_path / "broken_take.bvh"
    bad.write_text(mutate(TINY.read_text()))
    with pytest.raises(ValueError, match="broken_take.bvh") as info:
        parse_bvh(bad)
    assert re.search(message, str(info.value)), str(info.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(ValueError, match="nothing_here.bvh"):
        parse_bvh(tmp_path / "nothing_here.bvh")


def test_bandai_map_gives_17_joints_with_h36m_geometry():
    b = parse_bvh(BANDAI)
    assert detect_rig(b) is BANDAI_NAMCO
    world, rig = map_to_h36m(b)
    assert world.shape == (2, 17, 3) and rig.units_to_m == 0.01
    w = world[0]
    # Subject faces +z with its left towards +x: hips widened to 12.1 cm each side of the pelvis.
    np.testing.assert_allclose(w[J["pelvis"]], [0, 93 - 2.192, 0], atol=1e-3)
    np.testing.assert_allclose(w[J["l_hip"]] - w[J["pelvis"]], [6.469 * 1.87, 0, 0], atol=1e-3)
    assert w[J["l_shoulder"], 0] > 0 > w[J["r_shoulder"], 0]
    assert w[J["head"], 1] > w[J["neck_nose"], 1] > w[J["thorax"], 1] > w[J["spine"], 1] > w[J["pelvis"], 1]
    assert w[J["neck_nose"], 2] > w[J["thorax"], 2] + 5  # the nose is in front of the neck
    # Frame 1 bends the left knee by 60 degrees: the ankle swings backwards (-z), the rest stays.
    assert world[1, J["l_ankle"], 2] < -30
    np.testing.assert_allclose(np.delete(world[1], J["l_ankle"], 0), np.delete(w, J["l_ankle"], 0), atol=1e-9)
    np.testing.assert_allclose(bone_lengths(world[1]), bone_lengths(world[0]), atol=1e-9)


def test_bandai_missing_joint_raises(tmp_path):
    text = BANDAI.read_text().replace("JOINT Neck", "JOINT NeckBase")
    bad = tmp_path / "no_neck.bvh"
    bad.write_text(text)
    with pytest.raises(ValueError, match=r"no_neck\.bvh.*'Neck'"):
        map_to_h36m(parse_bvh(bad))


def test_unknown_rig_raises():
    with pytest.raises(ValueError, match=r"tiny\.bvh: no joint map"):
        map_to_h36m(parse_bvh(TINY))


def _upright_camera_poses(seed=0, views=8):
    world, rig = map_to_h36m(parse_bvh(BANDAI))
    return world, camera_views(world, rig.units_to_m, views=views, seed=seed)


def test_camera_views_upright_pose_is_y_down_and_root_relative():
    world, cam = _upright_camera_poses()
    assert cam.shape == (2 * 8, 17, 3)
    np.testing.assert_allclose(cam[:, J["pelvis"]], 0, atol=1e-12)
    assert (cam[:, J["head"], 1] < cam[:, J["r_ankle"], 1]).all()
    assert (cam[:, J["head"], 1] < cam[:, J["l_ankle"], 1]).all()


def test_camera_views_preserve_bone_lengths_in_metres():
    world, cam = _upright_camera_poses()
    expected = np.repeat(bone_lengths(world) * 0.01, 8, axis=0)  # frame-major: 8 views per frame
    np.testing.assert_allclose(bone_lengths(cam), expected, atol=1e-9)


def _chirality(p):
    """(l_hip - r_hip) x (thorax - pelvis) . (neck_nose - thorax): positive for a right-handed frame."""
    across = p[..., J["l_hip"], :] - p[..., J["r_hip"], :]
    up_body = p[..., J["thorax"], :] - p[..., J["pelvis"], :]
    return np.einsum("...i,...i->...", np.cross(across, up_body), p[..., J["neck_nose"], :] - p[..., J["thorax"], :])


def test_camera_views_keep_handedness():
    # A proper rotation never mirrors: the subject's left stays its left, and the sign is positive
    # as in Human3.6M's own camera-frame poses (both frames are right-handed).
    world, cam = _upright_camera_poses()
    assert (_chirality(world) > 0).all() and (_chirality(cam) > 0).all()


def test_camera_views_deterministic_with_seed_and_every():
    _, a = _upright_camera_poses(seed=3)
    _, b = _upright_camera_poses(seed=3)
    _, c = _upright_camera_poses(seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    world, _ = map_to_h36m(parse_bvh(BANDAI))
    assert camera_views(world, 0.01, views=3, every=2).shape == (3, 17, 3)


def test_camera_rotation_pitch_and_roll():
    R = camera_rotations(50, seed=1, pitch_deg=(20.0, 20.0), roll_deg=(0.0, 0.0))
    optical_axis = R[:, 2, :]  # the camera's z axis in world coordinates (y up)
    np.testing.assert_allclose(np.degrees(np.arcsin(-optical_axis[:, 1])), 20.0, atol=1e-9)  # looks down 20 degrees
    np.testing.assert_allclose(R[:, 0, 1], 0.0, atol=1e-12)  # no roll: the camera's x axis stays level
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
    with pytest.raises(ValueError):
        camera_rotations(1, pitch_deg=(30.0, 10.0))


def test_prepare_bvh_writes_loadable_file(tmp_path):
    pytest.importorskip("torch", reason=NEEDS_TORCH)  # load_pose_files lives in zedo.training.train
    from zedo.training.train import load_pose_files

    data = tmp_path / "clips"
    data.mkdir()
    for name in ("a.bvh", "b.bvh"):
        (data / name).write_text(BANDAI.read_text())
    out = prepare_bvh(data, tmp_path / "out.npz", views=3, every=1, seed=5, progress=False)
    poses, prov = load_pose_files([out])
    assert poses.shape == (2 * 2 * 3, 17, 3) and poses.dtype == np.float32
    assert prov[0]["files"] == 2 and prov[0]["frames"] == 4 and prov[0]["views"] == 3 and prov[0]["seed"] == 5
    assert prov[0]["rig"] == ["bandai_namco"] and "CC BY-NC 4.0" in prov[0]["licence"]
    again = prepare_bvh(
        [data / "a.bvh", data / "b.bvh"], tmp_path / "again.npz", views=3, every=1, seed=5, progress=False
    )
    np.testing.assert_array_equal(load_pose_files([again])[0], poses)


def test_prepare_bvh_bad_file_aborts_or_is_skipped(tmp_path):
    data = tmp_path / "clips"
    data.mkdir()
    (data / "good.bvh").write_text(BANDAI.read_text())
    (data / "zz_bad.bvh").write_text(BANDAI.read_text().rsplit("\n", 2)[0] + "\n")  # last frame cut off
    out = tmp_path / "out.npz"
    with pytest.raises(ValueError, match="zz_bad.bvh"):
        prepare_bvh(data, out, progress=False)
    assert not out.exists() and list(tmp_path.glob("*.npz")) == [] and not list(tmp_path.glob(".out*"))
    prepare_bvh(data, out, views=1, every=1, skip_bad=True, progress=False)
    with np.load(out) as d:
        prov = json.loads(str(d["provenance"]))
        assert d["poses"].shape == (2, 17, 3)
    assert prov["files"] == 1 and prov["skipped"][0]["file"] == "zz_bad.bvh"

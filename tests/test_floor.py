"""The world frame (zedo.runtime.video.floor): a floor under feet seen by a pitched and rolled
camera is found, its axes as documented, and the fallbacks and the refusal."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TPOSE, yaw

from zedo.runtime.video.floor import ANKLE_HEIGHT, up_of_gravity, world_frame

# The T-pose with its ankles ANKLE_HEIGHT above a floor at y = 0 (y down: the floor below is y > 0).
STANDING = TPOSE - [0.0, TPOSE[3, 1] + ANKLE_HEIGHT, 0.0]


def rotation_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rotation_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def scene(n: int = 60, seed: int = 0, pitch: float = 20.0, roll: float = 6.0, height: float = 1.6):
    """People standing about on a floor, a foot raised in some, seen by a camera ``height`` m above
    it, pitched down and rolled (degrees). Returns (camera-frame poses (n, 17, 3), R (camera ->
    level frame with y down))."""
    rng = np.random.default_rng(seed)
    poses = []
    for i in range(n):
        pose = STANDING @ yaw(rng.uniform(-np.pi, np.pi)).T
        if i % 3 == 0:
            pose[3] -= [0.0, 0.15, 0.0]  # a raised right ankle
        poses.append(pose + [rng.uniform(-2, 2), height, rng.uniform(3, 7)])
    level = np.stack(poses)  # camera level: y down, floor at y = height
    R = rotation_z(np.radians(roll)) @ rotation_x(np.radians(-pitch))  # level -> camera
    return level @ R.T, R


def test_floor_of_a_tilted_camera():
    poses, R = scene()
    world = world_frame(poses)
    assert world.method == "plane"
    np.testing.assert_allclose(world.rotation @ world.rotation.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(world.rotation) == pytest.approx(1.0)
    up_true = R @ [0.0, -1.0, 0.0]  # the level frame's up in camera coordinates
    assert np.degrees(np.arccos(world.rotation[2] @ up_true)) < 0.5
    assert world.translation[2] == pytest.approx(1.6, abs=0.01)  # the camera's height above the floor
    w = world.apply(poses)
    assert np.abs(np.sort(w[:, [3, 6], 2].ravel())[: len(poses)] - ANKLE_HEIGHT).max() < 0.01
    # x along the camera's view on the floor: the view has no y (sideways) component.
    assert world.rotation[1] @ [0.0, 0.0, 1.0] == pytest.approx(0.0, abs=1e-9)
    assert world.rotation[0] @ [0.0, 0.0, 1.0] > 0.9


def test_a_straight_walk_keeps_its_line_and_a_single_pose_is_level():
    poses, _ = scene(40, roll=0.0, pitch=0.0)
    line = poses.copy()
    line[..., 0] -= line[:, :1, 0]  # everyone at x = 0: a line of feet away from the camera
    line[..., 0] += np.linspace(-0.05, 0.05, len(line))[:, None]
    world = world_frame(line)
    assert world.method == "line" and world.rotation[2] @ [0.0, -1.0, 0.0] > 0.999
    single = world_frame(poses[:1])
    assert single.method in ("line", "level") and single.translation[2] == pytest.approx(1.6, abs=0.01)


def test_known_up_direction_and_no_feet():
    poses, R = scene()
    up = R @ [0.0, -1.0, 0.0]
    world = world_frame(poses, up=up_of_gravity(-3.0 * up))
    assert world.method == "given" and np.allclose(world.rotation[2], up)
    assert up_of_gravity(None) is None and np.allclose(up_of_gravity("level"), [0.0, -1.0, 0.0])
    poses[:, [3, 6]] = np.nan
    with pytest.raises(ValueError, match="frame=.world. needs the feet"):
        world_frame(poses)

"""The Human3.6M 17-joint skeleton shared by training, export and runtime (no torch).

Conventions, stated once: poses are arrays of shape ``(..., 17, 3)`` in metres. Camera frame as
Human3.6M's cameras: x right, y down, z forward (depth). "Root-relative" means the pelvis (joint 0)
is at the origin. Left and right are the subject's own.
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "spine",
    "thorax",
    "neck_nose",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
)
NUM_JOINTS = len(JOINT_NAMES)

# Parent of each joint (-1 for the root), as in the Human3.6M kinematic tree.
PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

LEFT_JOINTS: tuple[int, ...] = (4, 5, 6, 11, 12, 13)
RIGHT_JOINTS: tuple[int, ...] = (1, 2, 3, 14, 15, 16)

# Joint index permutation that swaps left and right: FLIP_PERMUTATION[j] is j's mirror joint.
_MIRROR = {**dict(zip(LEFT_JOINTS, RIGHT_JOINTS)), **dict(zip(RIGHT_JOINTS, LEFT_JOINTS))}
FLIP_PERMUTATION: tuple[int, ...] = tuple(_MIRROR.get(j, j) for j in range(NUM_JOINTS))

# Bones as (parent, child) pairs, for drawing and bone-length checks.
BONES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)

# Joints the release's initial pose optimisation fits: pelvis and both hips (its IPO key list).
# The pose is placed along the pelvis ray; where these are missing, zedo.runtime.solve.occluded
# anchors it elsewhere.
IPO_JOINTS: tuple[int, ...] = (0, 1, 4)
# The torso (pelvis, hips, spine, thorax, neck/nose, head, shoulders): rigid enough to share the
# cluster pose's shape, and the nose and shoulders tell which way the subject faces, which the hips
# alone leave ambiguous (yaw +a and -a project alike).
TORSO_JOINTS: tuple[int, ...] = (0, 1, 4, 7, 8, 9, 10, 11, 14)


def flip_pose(pose: np.ndarray) -> np.ndarray:
    """Mirror poses across the camera's y-z plane (x -> -x) and swap left and right joints.

    pose: (..., 17, C) with C >= 1; the first coordinate is negated. Works for 3D poses and for 2D
    keypoints relative to the image centre. Returns a new array of the same shape.
    """
    pose = np.asarray(pose)
    if pose.ndim < 2 or pose.shape[-2] != NUM_JOINTS:
        raise ValueError(f"flip_pose expects (..., {NUM_JOINTS}, C), got shape {pose.shape}")
    out = pose[..., FLIP_PERMUTATION, :].copy()
    out[..., 0] = -out[..., 0]
    return out


def bone_lengths(pose: np.ndarray) -> np.ndarray:
    """Bone lengths of poses (..., 17, 3) in metres, returned as (..., 16) in BONES order."""
    pose = np.asarray(pose)
    parents = np.array([p for p, _ in BONES])
    children = np.array([c for _, c in BONES])
    return np.linalg.norm(pose[..., children, :] - pose[..., parents, :], axis=-1)

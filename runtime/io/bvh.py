"""BVH of one track, written through bvhio (``pip install "zedo[bvh]"``; imported only here).

The hierarchy is the prior's 17 joints (``core.skeleton.JOINT_NAMES``, ``PARENTS``) rooted at the
pelvis; offsets are the track's one rig (``core.kinematics.rest_offsets``: a T-pose facing +Z,
+Y up, the subject's left +X, bone lengths the track's medians); the root has 6 channels
(Xposition Yposition Zposition Zrotation Xrotation Yrotation), every other joint the 3 rotations
in that order; leaves end in an End Site 5 cm along their bone. Rotations are solved from the
positions by ``core.kinematics`` (no twist about a bone; pelvis and thorax from their three
children). Frames run from the track's first frame index to its last at ``1 / fps`` s; frames
missing from the input (gaps, poses that could not be lifted) are filled by linear interpolation
of the joint positions. Metres.
"""

from __future__ import annotations

import numpy as np

from ..core.kinematics import forward_kinematics, rest_offsets, solve_rotations, unit
from ..core.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS

ROOT_CHANNELS = ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
END_SITE = 0.05


def filled(poses: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Poses (F, 17, 3) on every frame from frame[0] to frame[-1], gaps and NaN poses filled by
    linear interpolation. ValueError when no pose is finite."""
    ok = np.isfinite(poses).all(axis=(1, 2))
    if not ok.any():
        raise ValueError("a track has no pose that could be lifted: nothing to write to a BVH")
    frames = np.arange(frame[0], frame[-1] + 1)
    flat = poses[ok].reshape(int(ok.sum()), -1)
    out = np.stack([np.interp(frames, frame[ok], flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape(len(frames), NUM_JOINTS, 3)


def rig(poses: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a BVH of one track holds: (rest (17, 3), local rotations (F, 17, 3, 3), root (F, 3))."""
    full = filled(np.asarray(poses, dtype=np.float64), np.asarray(frame))
    rest = rest_offsets(full)
    return rest, solve_rotations(full, rest), full[:, 0]


def rig_positions(poses: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """(F, 17, 3): the joints a BVH of one track reproduces (every frame, filled), metres."""
    return forward_kinematics(*reversed(rig(poses, frame)))


def quaternions(m: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions (w, x, y, z) of rotation matrices (..., 3, 3)."""
    w = np.sqrt(np.maximum(0.0, 1.0 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2])) / 2
    x = np.sqrt(np.maximum(0.0, 1.0 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2])) / 2
    y = np.sqrt(np.maximum(0.0, 1.0 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2])) / 2
    z = np.sqrt(np.maximum(0.0, 1.0 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2])) / 2
    x = np.copysign(x, m[..., 2, 1] - m[..., 1, 2])
    y = np.copysign(y, m[..., 0, 2] - m[..., 2, 0])
    z = np.copysign(z, m[..., 1, 0] - m[..., 0, 1])
    return unit(np.stack([w, x, y, z], axis=-1)[..., None, :])[..., 0, :]


def _joints(rest: np.ndarray, local: np.ndarray, root: np.ndarray):
    """bvhio's joints of the rig, keyframes set; returns the root."""
    import bvhio
    import glm

    joints = []
    quats = quaternions(local)
    for j, name in enumerate(JOINT_NAMES):
        joint = bvhio.BvhJoint(name, glm.vec3(*rest[j]))
        joint.Channels = ROOT_CHANNELS if PARENTS[j] < 0 else ROOT_CHANNELS[3:]
        joint.EndSite = glm.vec3(*(END_SITE * unit(rest[j])))
        position = root if PARENTS[j] < 0 else np.broadcast_to(rest[j], root.shape)
        joint.Keyframes = [bvhio.Pose(glm.vec3(*p), glm.quat(*q)) for p, q in zip(position, quats[:, j])]
        joints.append(joint)
        if PARENTS[j] >= 0:
            joints[PARENTS[j]].Children.append(joint)
    return joints[0]


def write_bvh(path, poses: np.ndarray, frame: np.ndarray, fps: float, name: str = "") -> None:
    """Write one track, poses (F, 17, 3) metres in the BVH's axes with frame ids (F,) increasing,
    to ``path`` (see the module docstring); ``name`` is unused (the TRC writer's header)."""
    import bvhio

    rest, local, root = rig(poses, frame)
    bvhio.writeBvh(str(path), bvhio.BvhContainer(_joints(rest, local, root), len(root), 1.0 / fps))

"""The 17-joint skeleton as a rig: rest offsets, per-frame joint rotations and forward kinematics
(pure maths; what the BVH export and ``video.skeleton_fit`` share).

Conventions. A joint's rotation turns the offsets of its children (as in BVH): a child sits at
``position[joint] + G[joint] @ rest[child]``, ``G`` the joint's global rotation, the product of
its ancestors' local rotations and its own. The rest pose faces +Z with +Y up and the subject's
left along +X. Rotations are solved from positions so that limbs never spin:

- the pelvis and the thorax (each with three children) take the full frame of their children:
  X from the right to the left hip (shoulder), Y towards the spine (neck) made orthogonal to X,
  Z = X x Y; their children's rest offsets are the track's median in that frame, so the hips and
  spine (shoulders and neck) move as one rigid piece;
- every other joint with a child turns by the minimal rotation (no twist about the bone) that
  takes the child's rest direction, in the parent's frame, to the direction from the joint (as
  rebuilt) to the child (as given); rest directions are a T-pose: legs down (-Y), spine, neck
  and head up (+Y), arms out (+-X);
- leaves (ankles, wrists, head) keep the identity.

Positions rebuilt from the rotations (from the root out) have the rest's bone lengths, each joint
on the ray from its rebuilt parent to where it was given, so errors do not pile up along a limb.
"""

from __future__ import annotations

import numpy as np

from .skeleton import NUM_JOINTS, PARENTS

CHILDREN: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c, p in enumerate(PARENTS) if p == j) for j in range(NUM_JOINTS)
)
# Joints with three children -> (left child, right child, up child): their frame's X and Y.
BRANCHES = {0: (4, 1, 7), 8: (11, 14, 9)}
# The rest direction of each child of a one-child joint (a T-pose, in its parent's frame).
_DOWN, _UP, _LEFT, _RIGHT = (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
REST_DIRECTIONS = {2: _DOWN, 3: _DOWN, 5: _DOWN, 6: _DOWN, 8: _UP, 10: _UP}
REST_DIRECTIONS.update({12: _LEFT, 13: _LEFT, 15: _RIGHT, 16: _RIGHT})


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` (..., 3) over its length (a zero vector stays zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def branch_frames(poses: np.ndarray, joint: int) -> np.ndarray:
    """(..., 3, 3): the frame of a joint of ``BRANCHES`` in poses (..., 17, 3), its axes as columns."""
    left, right, up = BRANCHES[joint]
    x = unit(poses[..., left, :] - poses[..., right, :])
    y = poses[..., up, :] - poses[..., joint, :]
    y = unit(y - (y * x).sum(-1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def minimal_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3): the smallest rotation taking unit vectors a (3,) or (..., 3) to b (..., 3)."""
    a, b = np.broadcast_arrays(np.asarray(a, float), b)
    v, c = np.cross(a, b), (a * b).sum(-1)
    vx = np.zeros(v.shape + (3,))
    vx[..., 0, 1], vx[..., 0, 2], vx[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    vx = vx - np.swapaxes(vx, -1, -2)
    out = np.eye(3) + vx + vx @ vx / np.maximum(1.0 + c, 1e-12)[..., None, None]
    opposite = 1.0 + c < 1e-9  # half a turn: about any axis at right angles to a
    if opposite.any():
        n = unit(np.cross(a[opposite], np.where(np.abs(a[opposite][..., :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])))
        out[opposite] = 2.0 * n[..., :, None] * n[..., None, :] - np.eye(3)
    return out


def rest_offsets(poses: np.ndarray) -> np.ndarray:
    """(17, 3): one rig for poses (F, 17, 3) (NaN rows ignored): each child's offset from its
    parent at rest (the root's is zero). The children of ``BRANCHES`` take their median position
    in the parent's frame; the other bones the median length along ``REST_DIRECTIONS``."""
    rest = np.zeros((NUM_JOINTS, 3))
    for joint in BRANCHES:
        local = np.einsum("fij,fci->fcj", branch_frames(poses, joint), poses[:, CHILDREN[joint]] - poses[:, [joint]])
        rest[list(CHILDREN[joint])] = np.nanmedian(local, axis=0)
    for child, direction in REST_DIRECTIONS.items():
        length = np.linalg.norm(poses[:, child] - poses[:, PARENTS[child]], axis=-1)
        rest[child] = np.nanmedian(length) * np.asarray(direction)
    return rest


def solve_rotations(poses: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(F, 17, 3, 3): each joint's local rotation (relative to its parent's frame) that places
    poses (F, 17, 3) on the rig ``rest`` (17, 3) by the module's conventions, from the root out:
    each bone points from its parent as rebuilt to the child as given (no error piles up)."""
    f = len(poses)
    local = np.broadcast_to(np.eye(3), (f, NUM_JOINTS, 3, 3)).copy()
    glob, built = local.copy(), np.array(poses, dtype=np.float64)
    for j in range(NUM_JOINTS):
        parent = np.eye(3) if PARENTS[j] < 0 else glob[:, PARENTS[j]]
        if PARENTS[j] >= 0:
            built[:, j] = built[:, PARENTS[j]] + parent @ rest[j]
        if j in BRANCHES:
            glob[:, j] = branch_frames(np.concatenate([poses[:, :j], built[:, j : j + 1], poses[:, j + 1 :]], 1), j)
        elif len(CHILDREN[j]) == 1:
            c = CHILDREN[j][0]
            d = np.einsum("fij,fi->fj", parent, unit(poses[:, c] - built[:, j]))
            glob[:, j] = parent @ minimal_rotation(unit(rest[c]), d)
        else:
            glob[:, j] = parent
        local[:, j] = np.swapaxes(parent, -1, -2) @ glob[:, j]
    return local


def forward_kinematics(root: np.ndarray, local: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(F, 17, 3): the joints of the rig ``rest`` (17, 3) posed by local rotations (F, 17, 3, 3),
    the root at root (F, 3)."""
    out = np.zeros(local.shape[:2] + (3,))
    glob = np.zeros_like(local)
    for j in range(NUM_JOINTS):
        p = PARENTS[j]
        if p < 0:
            out[:, j], glob[:, j] = root, local[:, j]
        else:
            out[:, j] = out[:, p] + glob[:, p] @ rest[j]
            glob[:, j] = glob[:, p] @ local[:, j]
    return out

"""The rule that decides whether a pose can be placed in the camera (``Inputs.valid``).

Units: keypoints (N, 17, 2) pixels in the prior's joints, scores (N, 17) in [0, 1] (0: missing),
K (N, 3, 3) pixel intrinsics. A pose can be placed when at least ``MIN_JOINTS`` of its 17 joints
are observed (score > 0, finite keypoint) and their keypoints spread at least ``MIN_POSE_EXTENT``
from their mean in normalised image units (K^-1 applied). The pelvis and the hips are not needed:
a pose without them is placed from the joints that are there (``zedo.runtime.solve.occluded``).
"""

from __future__ import annotations

import numpy as np

from ..core.skeleton import IPO_JOINTS

# Observed joints a pose needs: five fix a body's place, turn and size against a 16-bone prior
# (two or three leave the distance and the turn to the prior alone; docs/occlusion.md).
MIN_JOINTS = 5
# A pose whose observed keypoints all lie within this distance of their mean, in normalised image
# units (K^-1 applied: radians near the axis), gives the translation solve no extent to fit:
# 1e-4 is a 1 m subject 10 km away.
MIN_POSE_EXTENT = 1e-4
RULE = (
    f"a pose is placed when at least {MIN_JOINTS} of its 17 joints have score > 0 and their keypoints "
    f"are not all at one point (they spread at least {MIN_POSE_EXTENT:g} in normalised image units)"
)


def complete(scores: np.ndarray) -> np.ndarray:
    """(N,) True where the pelvis and both hips are observed (scores (N, 17) > 0): the poses the
    start places along the pelvis ray as it always did."""
    return (np.asarray(scores)[:, list(IPO_JOINTS)] > 0).all(-1)


def enough_joints(scores: np.ndarray) -> np.ndarray:
    """(N,) True where at least ``MIN_JOINTS`` joints of scores (N, 17) are observed."""
    return (np.asarray(scores) > 0).sum(-1) >= MIN_JOINTS


def has_extent(kp: np.ndarray, sc: np.ndarray, Km: np.ndarray) -> np.ndarray:
    """(N,) True where the observed keypoints (N, 17, 2) px of a pose spread at least
    ``MIN_POSE_EXTENT`` from their mean in normalised image units (K (N, 3, 3))."""
    fx, fy = Km[:, 0, 0, None], Km[:, 1, 1, None]
    # K is upper triangular: normalised y = (v - cy) / fy, x = (u - cx - skew y) / fx.
    y = (kp[..., 1] - Km[:, 1, 2, None]) / fy
    x = (kp[..., 0] - Km[:, 0, 2, None] - Km[:, 0, 1, None] * y) / fx
    seen = sc > 0
    count = np.maximum(seen.sum(-1, keepdims=True), 1)
    cx, cy = (np.where(seen, x, 0).sum(-1, keepdims=True) / count, np.where(seen, y, 0).sum(-1, keepdims=True) / count)
    spread = np.where(seen, np.hypot(x - cx, y - cy), 0.0).max(-1)
    return spread >= MIN_POSE_EXTENT


def placeable(kp: np.ndarray, sc: np.ndarray, Km: np.ndarray) -> np.ndarray:
    """(N,) the rule of the module docstring for keypoints (N, 17, 2) px (missing ones finite),
    scores (N, 17) and K (N, 3, 3)."""
    return enough_joints(sc) & has_extent(kp, sc, Km)

"""One skeleton per track: each bone's length fixed over a track and every frame re-solved with it,
so that exports and rigs see one person (``zedo-infer --fixed-bones``; the default for BVH and TRC).

A track's rig is ``core.kinematics.rest_offsets`` of its poses: each limb, spine, neck and head
bone the median of its lengths, and the hips and spine around the pelvis (the shoulders and neck
around the thorax) the median of their shape in the pelvis's (thorax's) own frame. Each frame is
then rebuilt from the pelvis outwards (``core.kinematics``): every bone keeps its direction and
takes the rig's length; the pelvis and thorax groups turn as rigid pieces. Invalid (NaN) poses stay
NaN. Units and frames as the poses given (metres; any frame: the fit is the same in every frame).
"""

from __future__ import annotations

import numpy as np

from ..core.kinematics import forward_kinematics, rest_offsets, solve_rotations
from .tracks import track_rows


def fit_poses(poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poses (F, 17, 3) of one person rebuilt on one rig: (fitted (F, 17, 3), rest (17, 3)).
    ValueError when no pose is finite."""
    poses = np.asarray(poses, dtype=np.float64)
    ok = np.isfinite(poses).all(axis=(1, 2))
    if not ok.any():
        raise ValueError("a track has no valid pose to fix its bone lengths from")
    rest = rest_offsets(poses[ok])
    out = np.full_like(poses, np.nan)
    out[ok] = forward_kinematics(poses[ok, 0], solve_rotations(poses[ok], rest), rest)
    return out, rest


def fit_tracks(poses: np.ndarray, frame=None, track=None) -> np.ndarray:
    """Poses (N, 17, 3) with each track's bones fixed (``fit_poses`` per track); ``frame`` and
    ``track`` (N,) as the input's (None: every row one track, in order). Tracks with no valid pose
    are left as they are (NaN)."""
    out = np.array(poses, dtype=np.float64)
    rows_of = [np.arange(len(out))] if frame is None else track_rows(frame, track)
    for rows in rows_of:
        if np.isfinite(out[rows]).all(axis=(1, 2)).any():
            out[rows] = fit_poses(out[rows])[0]
    return out

"""One skeleton per track: each bone's length fixed over a track and every frame re-solved with it,
so that exports and rigs see one person (``zedo-infer --fixed-bones``; the default for BVH and TRC).

``fit_poses`` (``rigid`` False, what ``--fixed-bones`` writes): each bone takes the median of its
lengths over the track, and each frame is rebuilt from the pelvis outwards, every bone keeping its
direction (the pelvis stays where it was lifted). ``rigid`` True (what a BVH holds, its rig:
``core.kinematics``): the hips and spine around the pelvis, and the shoulders and neck around the
thorax, also keep one shape (their median in the pelvis's, the thorax's own frame) and turn as
rigid pieces, each other joint placed on the ray from its rebuilt parent to where it was lifted.
Invalid (NaN) poses stay NaN. Units and frames as the poses given (metres, any frame).
"""

from __future__ import annotations

import numpy as np

from ..core.kinematics import forward_kinematics, rest_offsets, solve_rotations, unit
from ..core.skeleton import PARENTS
from .tracks import track_rows


def fit_poses(poses: np.ndarray, rigid: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Poses (F, 17, 3) of one person rebuilt on one skeleton: (fitted (F, 17, 3), each joint's
    offset from its parent (17, 3): at rest (``core.kinematics``) if ``rigid``, else the median
    bone lengths along x). ValueError when no pose is finite."""
    poses = np.asarray(poses, dtype=np.float64)
    ok = np.isfinite(poses).all(axis=(1, 2))
    if not ok.any():
        raise ValueError("a track has no valid pose to fix its bone lengths from")
    out = np.full_like(poses, np.nan)
    if rigid:
        rest = rest_offsets(poses[ok])
        out[ok] = forward_kinematics(poses[ok, 0], solve_rotations(poses[ok], rest), rest)
        return out, rest
    given, built = poses[ok], poses[ok].copy()
    rest = np.zeros((len(PARENTS), 3))
    for c, p in enumerate(PARENTS):
        if p >= 0:
            rest[c, 0] = np.median(np.linalg.norm(given[:, c] - given[:, p], axis=-1))
            built[:, c] = built[:, p] + rest[c, 0] * unit(given[:, c] - given[:, p])
    out[ok] = built
    return out, rest


def fit_tracks(poses: np.ndarray, frame=None, track=None, rigid: bool = False) -> np.ndarray:
    """Poses (N, 17, 3) with each track's bones fixed (``fit_poses`` per track); ``frame`` and
    ``track`` (N,) as the input's (None: every row one track, in order). Tracks with no valid pose
    are left as they are (NaN)."""
    out = np.array(poses, dtype=np.float64)
    rows_of = [np.arange(len(out))] if frame is None else track_rows(frame, track)
    for rows in rows_of:
        if np.isfinite(out[rows]).all(axis=(1, 2)).any():
            out[rows] = fit_poses(out[rows], rigid)[0]
    return out

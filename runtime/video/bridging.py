"""A joint missing for a few frames of a track, bridged from the frames on either side.

Units: keypoints (F, 17, 2) pixels, scores (F, 17) in [0, 1] (0: missing), frame (F,) increasing
frame indices of one track. A recorded video has both sides of a gap at hand: where a joint is
missing for at most ``MAX_GAP`` frames between two frames that see it, its keypoint is drawn on the
straight line between theirs (by frame index) and its score is ``BRIDGE_SCORE`` times the lower of
theirs, so that the loop trusts it less than a seen one. Longer gaps, and the ends of a track, stay
missing. A live stream sees no future and bridges nothing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..io.placing import placeable
from ..io.validation import Inputs

MAX_GAP = 8  # frames a joint may be missing and still be bridged
BRIDGE_SCORE = 0.5  # a bridged joint's score, times the lower of its two ends'


def bridge_track(keypoints: np.ndarray, scores: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (F, 17, 2) and scores (F, 17) of one track in frame order (frame (F,)) with its
    short gaps bridged (module docstring); new arrays, the input untouched."""
    kp, sc = keypoints.copy(), scores.copy()
    frame = np.asarray(frame, dtype=np.float64)
    for j in range(sc.shape[1]):
        seen = np.flatnonzero(scores[:, j] > 0)
        if len(seen) < 2:
            continue
        gap = np.flatnonzero(scores[seen[0] : seen[-1], j] <= 0) + seen[0]  # rows between two seen ones
        if not len(gap):
            continue
        after = seen[np.searchsorted(seen, gap)]
        before = seen[np.searchsorted(seen, gap) - 1]
        short = frame[after] - frame[before] - 1 <= MAX_GAP
        gap, before, after = gap[short], before[short], after[short]
        w = ((frame[gap] - frame[before]) / (frame[after] - frame[before]))[:, None]
        kp[gap, j] = (1 - w) * keypoints[before, j] + w * keypoints[after, j]
        sc[gap, j] = BRIDGE_SCORE * np.minimum(scores[before, j], scores[after, j])
    return kp, sc


def bridge_tracks(inputs: Inputs, tracks: list[np.ndarray]) -> Inputs:
    """``inputs`` (with ``frame``) with each track's short gaps bridged (``tracks``: row indices of
    each track in frame order, ``tracks.track_rows``); a pose that the bridged joints make
    placeable (``io.placing``) becomes valid."""
    kp, sc = inputs.keypoints.copy(), inputs.scores.copy()
    for rows in tracks:
        kp[rows], sc[rows] = bridge_track(inputs.keypoints[rows], inputs.scores[rows], inputs.frame[rows])
    return replace(inputs, keypoints=kp, scores=sc, valid=inputs.valid | placeable(kp, sc, inputs.K))

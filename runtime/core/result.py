"""``Estimate``: what ``zedo.runtime.estimate`` returns and ``zedo-infer`` writes.

N poses, S hypotheses; metres in the camera frame (x right, y down, z forward). Poses that could
not be placed are kept in order with ``valid`` False and NaN results, so a long run is never
stopped by one bad frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """Output of ``estimate``; N poses, S hypotheses."""

    joints_3d: np.ndarray  # (N, 17, 3) metres, camera frame, the selected hypothesis
    translation: np.ndarray  # (N, 3) metres, the pelvis of joints_3d (joints_3d - translation is root-relative)
    hypotheses: np.ndarray  # (N, S, 17, 3) metres, camera frame, every hypothesis
    selected: np.ndarray  # (N,) index of the hypothesis in joints_3d
    reprojection_px: np.ndarray  # (N, S) score-weighted mean reprojection error, pixels
    # (N, S) RMS predicted noise at scoring.PLAUSIBILITY_T (lower: more plausible to the prior)
    prior_residual: np.ndarray
    selection: str  # criterion that chose ``selected``
    # (N,) bool: False where the pose could not be placed (io.placing.RULE: fewer than 5 joints seen, or
    # all at one point) or the prior's output was not finite; its arrays hold NaN
    valid: np.ndarray
    K: np.ndarray  # (N, 3, 3) the pixel intrinsics used (given, or made from the image size)
    layout: str = "h36m17"  # the keypoint layout the input came in
    # (N,) the 2D noise sigma per coordinate, px, of the selected hypothesis: estimated per pose
    # (LoopConfig.noise_px None) or the given one; high: trust the frame less.
    noise_px: np.ndarray | None = None
    # (N,) loops the selected hypothesis ran and averaged: 1, or more where its 2D was found noisy
    # (LoopConfig.adaptive) or an ensemble was asked for; 0 where the pose is not valid.
    starts: np.ndarray | None = None

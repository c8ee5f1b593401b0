"""``Estimate``: what ``zedo.runtime.estimate`` returns and ``zedo-infer`` writes.

N poses, S hypotheses; metres in the camera frame (x right, y down, z forward).
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
    prior_residual: np.ndarray  # (N, S) RMS predicted noise at scoring.PLAUSIBILITY_T (lower: more plausible to the prior)
    selection: str  # criterion that chose ``selected``

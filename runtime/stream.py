"""``PoseStream``: one tracked person, lifted frame by frame; keeps the last frame's state.

Units and frames as ``zedo.runtime.geometry``. Each frame goes through ``estimate_inputs`` as one
pose, started as ``estimate`` starts a single hypothesis. The stream keeps
the last frame's result (``last``) and ``reset()`` forgets it, as rtmlib's ``PoseTracker`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .api import estimate_inputs
from .config import LoopConfig
from .engines import as_engine
from .skeleton import NUM_JOINTS
from .validation import validate_inputs


@dataclass(frozen=True)
class Frame:
    """The result of one ``PoseStream.update``."""

    joints_3d: np.ndarray  # (17, 3) metres, camera frame; NaN when not valid
    translation: np.ndarray  # (3,) metres, the pelvis; NaN when not valid
    valid: bool  # False when the frame could not be placed (pelvis or a hip missing)


class PoseStream:
    """Lift one person's keypoints frame by frame: one camera (K (3, 3), or ``image_size`` (w, h)
    px for the default camera of ``zedo.runtime.camera``) and one keypoint ``layout``."""

    def __init__(self, engine=None, K=None, image_size=None, layout=None, config: LoopConfig = LoopConfig()):
        self.engine = as_engine(engine)
        self.K, self.image_size, self.layout = K, image_size, layout
        self.config = config
        self.last: Frame | None = None

    def reset(self) -> None:
        """Forget the last frame: the next one starts afresh."""
        self.last = None

    def update(self, keypoints, scores=None) -> Frame:
        """Lift one frame: keypoints (J, 2) px in the stream's layout, scores (J,) in [0, 1] or None."""
        inputs = validate_inputs(keypoints, self.K, scores, source="frame", layout=self.layout, image_size=self.image_size)
        if len(inputs.keypoints) != 1:
            raise ValueError(f"frame: keypoints must be one pose (J, 2), got {len(inputs.keypoints)}")
        if not inputs.valid[0]:
            self.last = Frame(np.full((NUM_JOINTS, 3), np.nan), np.full(3, np.nan), False)
            return self.last
        cam = estimate_inputs(inputs, self.engine, config=self.config).joints_3d[0]
        self.last = Frame(cam, cam[0].copy(), True)
        return self.last

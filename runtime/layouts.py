"""Keypoint layouts as data: which joints a detector or dataset gives, and how they map onto the
17 Human3.6M joints the prior knows (``zedo.runtime.skeleton.JOINT_NAMES``).

One ``Layout`` per entry of ``LAYOUTS``; ``to_h36m[j]`` is the layout's index of prior joint j, or
None where the layout lacks it (that joint then enters as missing, score 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .skeleton import JOINT_NAMES, NUM_JOINTS


@dataclass(frozen=True)
class Layout:
    """A keypoint layout: its joint names, in order, and the map onto the prior's 17 joints."""

    name: str
    joint_names: tuple[str, ...]
    to_h36m: tuple[int | None, ...]  # (17,) the layout's index of each prior joint, None if absent

    def __post_init__(self):
        if len(self.to_h36m) != NUM_JOINTS or any(i is not None and not 0 <= i < len(self.joint_names) for i in self.to_h36m):
            raise ValueError(f"layout {self.name!r}: to_h36m must give {NUM_JOINTS} indices into its {len(self.joint_names)} joints or None")

    def to_prior(self, keypoints, scores):
        """Keypoints (N, J, C) and scores (N, J) of this layout -> (N, 17, C) and (N, 17) in the prior's
        order; joints the layout lacks get NaN keypoints and score 0."""
        keypoints, scores = np.asarray(keypoints, dtype=np.float64), np.asarray(scores, dtype=np.float64)
        have = np.array([i is not None for i in self.to_h36m])
        index = np.array([0 if i is None else i for i in self.to_h36m])
        kp = np.where(have[:, None], keypoints[:, index], np.nan)
        return kp, np.where(have, scores[:, index], 0.0)


# Human3.6M's 17-joint layout is the prior's own.
H36M17 = Layout("h36m17", JOINT_NAMES, tuple(range(NUM_JOINTS)))
# The 32-joint motion-capture layout of Human3.6M (VideoPose3D ``positions_3d``): its 17 joints.
H36M32_TO_17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (H36M17,)}


def get_layout(name: str) -> Layout:
    """The layout called ``name``; ValueError listing the known ones otherwise."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown keypoint layout {name!r}; known layouts: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]

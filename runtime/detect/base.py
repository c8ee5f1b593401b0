"""The one interface every 2D detector meets: an RGB image in, every person's keypoints out, in
pixels of that image, in a layout zedo knows (``io.layouts``).

Conventions for this package: images are ``(H, W, 3)`` uint8 RGB arrays (what PyAV's
``to_ndarray(format="rgb24")`` gives); keypoints are ``(P, J, 2)`` float32 pixels, x right and y
down, origin at the top-left corner of the top-left pixel; scores are ``(P, J)`` float32 in
[0, 1]; ``P`` may be 0 (nobody in the image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Detections:
    """The people found in one image: ``keypoints`` (P, J, 2) float32 pixels, ``scores`` (P, J)
    float32 in [0, 1]."""

    keypoints: np.ndarray
    scores: np.ndarray

    def __post_init__(self):
        k, s = self.keypoints, self.scores
        if k.ndim != 3 or k.shape[-1] != 2 or s.shape != k.shape[:2]:
            raise ValueError(f"detections must be keypoints (P, J, 2) and scores (P, J), got {k.shape} and {s.shape}")

    @classmethod
    def empty(cls, joints: int) -> Detections:
        """Nobody found: P = 0 people of ``joints`` keypoints."""
        return cls(np.zeros((0, joints, 2), np.float32), np.zeros((0, joints), np.float32))


class Detector(Protocol):
    """A 2D pose detector. ``name`` is its row in the table (``mediapipe``), ``layout`` the
    keypoint layout it returns (a key of ``io.layouts.LAYOUTS``); calling it on one image gives
    the people in it."""

    name: str
    layout: str

    def __call__(self, image: np.ndarray) -> Detections: ...


def check_image(image: np.ndarray) -> np.ndarray:
    """``image`` as a contiguous (H, W, 3) uint8 RGB array; ValueError naming the shape or dtype."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image must be (H, W, 3) RGB, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 RGB, got dtype {image.dtype}")
    return np.ascontiguousarray(image)

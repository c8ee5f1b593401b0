"""``Batch``: one batch of observed poses, with what every stage derives from its camera, computed once.

Units and frames as ``zedo.runtime.core.geometry``. The start (``start``, ``candidates``, ``ipo``),
the loop and the fusion of an ensemble all need the inverse intrinsics and the rays through the
keypoints (and through a missing pelvis's anchor, ``occluded``); ``batch_of`` computes them once
per batch, and the stages take them from the ``Batch``.
Every array is of one array module ``xp`` (NumPy or CuPy) and one dtype (the engine's, float32).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..core.geometry import keypoints_to_rays, unit
from .occluded import anchor_keypoints


@dataclass(frozen=True)
class Batch:
    """B observed poses and their camera, arrays of one ``xp``."""

    keypoints: Any  # (B, 17, 2) pixels; missing joints hold 0, a missing pelvis its anchor (``occluded``)
    scores: Any  # (B, 17) in [0, 1], 0 for a missing joint
    K: Any  # (B, 3, 3) pixel intrinsics
    K_inv: Any  # (B, 3, 3) their inverses
    rays: Any  # (B, 17, 3) rays through the keypoints, z = 1
    unit_rays: Any  # (B, 17, 3) the same rays at unit length
    mask: Any  # (B, 17) 1 where the joint is observed (score > 0), 0 where missing; the keypoints' dtype
    centred: Any  # (B,) 1 where the start centres the pose on its observed joints (``occluded``), else 0

    def __len__(self) -> int:
        """B, the number of poses."""
        return self.keypoints.shape[0]

    def repeat(self, n: int, xp) -> Batch:
        """Each pose ``n`` times over, (B * n, ...) with row b * n + i (a group of candidates or an
        ensemble of starts per pose)."""
        return Batch(*(xp.repeat(getattr(self, f.name), n, axis=0) for f in fields(self)))

    def take(self, rows) -> Batch:
        """The poses ``rows`` (indices or a boolean mask), a new batch."""
        return Batch(*(getattr(self, f.name)[rows] for f in fields(self)))

    def to(self, xp) -> Batch:
        """The same arrays in ``xp`` (no copy where they are of it already)."""
        return Batch(*(xp.asarray(getattr(self, f.name)) for f in fields(self)))


def batch_of(keypoints, scores, K, xp) -> Batch:
    """The ``Batch`` of keypoints (B, 17, 2) px, scores (B, 17) and K (B, 3, 3), arrays of ``xp``:
    a missing pelvis's anchor (``occluded.anchor_keypoints``), K^-1, the rays and the observed mask
    computed here, once."""
    keypoints, centred = anchor_keypoints(keypoints, scores, xp)
    K_inv = xp.linalg.inv(K)
    rays = keypoints_to_rays(keypoints, K_inv, xp)
    mask = (scores > 0).astype(keypoints.dtype)
    return Batch(keypoints, scores, K, K_inv, rays, unit(rays, xp), mask, centred)

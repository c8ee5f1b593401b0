"""The one check of what a run is given: keypoints, scores and intrinsics.

Both the file reader (``zedo.runtime.formats``, which names the file) and ``estimate`` (which
names its arguments) call ``validate_inputs`` once; the orchestration after it trusts its
``Inputs``. Units: keypoints (N, 17, 2) pixels in the Human3.6M joint order, scores (N, 17) in
[0, 1] (0: joint missing), K (N, 3, 3) pixel intrinsics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .skeleton import IPO_JOINTS, NUM_JOINTS


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of a run, float64 host arrays."""

    keypoints: np.ndarray  # (N, 17, 2) pixels; missing joints (score 0) hold 0
    scores: np.ndarray  # (N, 17) in [0, 1], 0 for a missing joint
    K: np.ndarray  # (N, 3, 3) pixel intrinsics


def _first(bad: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _check_keypoints(kp: np.ndarray, source: str) -> int:
    if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 2):
        raise ValueError(f"{source}: keypoints has shape {kp.shape}, expected (N, {NUM_JOINTS}, 2) pixels")
    if len(kp) == 0:
        raise ValueError(f"{source}: keypoints holds no poses")
    return len(kp)


def _check_scores(scores, n: int, source: str) -> np.ndarray:
    if scores is None:
        return np.ones((n, NUM_JOINTS))
    sc = np.asarray(scores, dtype=np.float64)
    if sc.shape != (n, NUM_JOINTS):
        raise ValueError(f"{source}: scores has shape {sc.shape}, expected ({n}, {NUM_JOINTS})")
    bad = ~np.isfinite(sc) | (sc < 0) | (sc > 1)
    if bad.any():
        i, j = _first(bad)
        raise ValueError(f"{source}: scores[{i}, {j}] = {sc[i, j]} is not in [0, 1]")
    return sc


def _check_observed(sc: np.ndarray, source: str) -> None:
    empty = (sc <= 0).all(-1)
    if empty.any():
        raise ValueError(f"{source}: scores of pose {int(np.argmax(empty))} are all zero; nothing to fit")
    ipo_missing = (sc[:, list(IPO_JOINTS)] <= 0).any(-1)
    if ipo_missing.any():
        raise ValueError(f"{source}: pose {int(np.argmax(ipo_missing))} lacks the pelvis or a hip (joints {list(IPO_JOINTS)} need score > 0 to place the pose)")


def _check_K(K, n: int, source: str) -> np.ndarray:
    Km = np.asarray(K, dtype=np.float64)
    if Km.shape == (3, 3):
        Km = np.broadcast_to(Km, (n, 3, 3))
    if Km.shape != (n, 3, 3):
        raise ValueError(f"{source}: K has shape {Km.shape}, expected (3, 3) or ({n}, 3, 3)")
    if not np.isfinite(Km).all():
        raise ValueError(f"{source}: K has non-finite entries")
    det = np.linalg.det(Km)
    scale = np.abs(Km[:, :2, :2]).max(axis=(1, 2)) ** 2
    singular = np.abs(det) <= 1e-9 * np.maximum(scale, 1e-300)
    if singular.any():
        i = int(np.argmax(singular))
        raise ValueError(f"{source}: K[{i}] is singular (det {det[i]:.3g}); expected pixel intrinsics [[fx,0,cx],[0,fy,cy],[0,0,1]]")
    return np.array(Km)


def validate_inputs(keypoints, K, scores=None, source: str = "input") -> Inputs:
    """Check shapes and values; return ``Inputs`` (float64; keypoints of missing joints zeroed).

    Raises ValueError naming ``source``, the field and the offending pose index or value.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    n = _check_keypoints(kp, source)
    sc = _check_scores(scores, n, source)
    finite = np.isfinite(kp).all(-1)
    bad = ~finite & (sc > 0)
    if bad.any():
        i, j = _first(bad)
        raise ValueError(f"{source}: keypoints[{i}, {j}] = {kp[i, j].tolist()} is not finite (give it score 0 if the joint is missing)")
    kp = np.where(finite[..., None], kp, 0.0)
    _check_observed(sc, source)
    Km = _check_K(K, n, source)
    homog = np.concatenate([kp, np.ones((n, NUM_JOINTS, 1))], -1)
    depth = np.einsum("nij,nkj->nki", np.linalg.inv(Km), homog)[..., 2]
    behind = (depth <= 0) & (sc > 0)
    if behind.any():
        i, j = _first(behind)
        raise ValueError(f"{source}: keypoints[{i}, {j}] back-projects behind the camera with K[{i}] (check the sign of fx, fy and K's last row)")
    return Inputs(kp, sc, Km)

"""Pose-error metrics in millimetres over poses (..., 17, 3) given in metres.

MPJPE (protocol 1): mean joint distance after centring both poses on the pelvis. PA-MPJPE
(protocol 2): after the similarity transform (rotation, uniform scale, translation) that best aligns
the prediction to the truth (Procrustes). PCK: fraction of joints within a threshold after pelvis
centring; AUC: mean PCK over thresholds 0..150 mm (31 steps, as MPI-INF-3DHP's evaluation).
Acceleration error (over time, VideoPose3D's and MotionBERT's): mean joint distance between the
second differences of the pelvis-centred prediction and truth, mm/frame^2.
"""

from __future__ import annotations

import numpy as np


def _check(pred, gt):
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must be equal (..., J, 3) arrays")
    return pred, gt


def joint_errors(pred, gt) -> np.ndarray:
    """Per-joint distances (..., J) in mm after pelvis (joint 0) centring."""
    pred, gt = _check(pred, gt)
    return 1000.0 * np.linalg.norm((pred - pred[..., :1, :]) - (gt - gt[..., :1, :]), axis=-1)


def mpjpe(pred, gt) -> np.ndarray:
    """Protocol 1, (...) mm."""
    return joint_errors(pred, gt).mean(-1)


def procrustes_align(pred, gt) -> np.ndarray:
    """Similarity-align pred (..., J, 3) to gt (Umeyama 1991); returns the aligned prediction."""
    pred, gt = _check(pred, gt)
    mu_p, mu_g = pred.mean(-2, keepdims=True), gt.mean(-2, keepdims=True)
    p, g = pred - mu_p, gt - mu_g
    u, s, vt = np.linalg.svd(np.swapaxes(p, -1, -2) @ g)
    # Reflection guard: flip the last singular direction when det(U V^T) < 0.
    d = np.sign(np.linalg.det(u @ vt))
    s = s.copy()
    s[..., -1] *= d
    u = u.copy()
    u[..., :, -1] *= d[..., None]
    R = u @ vt
    scale = s.sum(-1) / np.maximum((p**2).sum(axis=(-1, -2)), 1e-300)
    return scale[..., None, None] * (p @ R) + mu_g


def pa_mpjpe(pred, gt) -> np.ndarray:
    """Protocol 2, (...) mm."""
    pred, gt = _check(pred, gt)
    return 1000.0 * np.linalg.norm(procrustes_align(pred, gt) - gt, axis=-1).mean(-1)


def pck(pred, gt, threshold_mm: float = 150.0) -> float:
    """Percentage of joints within ``threshold_mm`` after pelvis centring."""
    return float(100.0 * (joint_errors(pred, gt) < threshold_mm).mean())


def auc(pred, gt) -> float:
    """Mean PCK over thresholds linspace(0, 150, 31) mm."""
    err = joint_errors(pred, gt)
    return float(np.mean([100.0 * (err < th).mean() for th in np.linspace(0, 150, 31)]))


def acceleration_error(pred, gt) -> np.ndarray:
    """Per-frame acceleration error (F - 2,) in mm/frame^2 of one clip's consecutive frames (F, J, 3):
    the mean over joints of |a_pred - a_gt|, a the second difference x[f-1] - 2 x[f] + x[f+1] of
    the pelvis-centred poses (VideoPose3D's ``mean_velocity_error`` at second order, MotionBERT)."""
    pred, gt = _check(pred, gt)
    if pred.ndim != 3 or len(pred) < 3:
        raise ValueError(f"acceleration needs (F >= 3, J, 3) consecutive frames, got {pred.shape}")
    accel = [np.diff(p - p[:, :1], n=2, axis=0) for p in (pred, gt)]
    return 1000.0 * np.linalg.norm(accel[0] - accel[1], axis=-1).mean(-1)

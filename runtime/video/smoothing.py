"""Smoothing a recorded track over time in both directions: a Gaussian in time, no lag.

A live stream can only look back (``zedo.runtime.video.filters``); a recorded video has every frame, so
each frame is averaged with its neighbours on both sides, which removes frame-to-frame jitter
without delaying the motion. Units: joints and translations in metres, times in seconds. The three
parts of a pose move differently, so each has its own width: the root-relative joints across the
image plane (x, y: pinned by the 2D, little jitter), the root-relative joints in depth (z: what a
single view leaves open, most of the jitter) and the translation. Measured: docs/decisions.md,
"Video: every frame lifted, then smoothed".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.config import check_float


@dataclass(frozen=True)
class SmoothConfig:
    """Widths (the Gaussian's sigma, seconds) of the smoothing; 0 leaves that part as it is.
    Checked on construction (ValueError naming the field)."""

    plane_s: float = 0.04  # root-relative x and y
    depth_s: float = 0.08  # root-relative z, the camera's depth
    translation_s: float = 0.04  # the pelvis

    def __post_init__(self):
        for name in ("plane_s", "depth_s", "translation_s"):
            check_float(name, getattr(self, name), 0.0, 10.0)


def gaussian_in_time(values: np.ndarray, seconds: np.ndarray, sigma: float) -> np.ndarray:
    """values (F, ...) at increasing times seconds (F,), each replaced by the Gaussian-weighted mean
    of the values within 3 sigma of its time (the weights renormalised where the track ends or has
    a gap). NaN values take no part and stay NaN. sigma 0: a copy."""
    out = np.array(values, dtype=np.float64)
    if sigma == 0 or len(values) < 2:
        return out
    shape = (-1,) + (1,) * (out.ndim - 1)
    finite = np.isfinite(out).reshape(len(out), -1).all(axis=1)
    v = np.where(finite.reshape(shape), out, 0.0)
    total, norm = v.copy(), finite.astype(np.float64)
    # Each pair of frames d apart adds to both. Times increase, so the pairs further apart in
    # index are further apart in time: the offsets stop at the first whose pairs are all beyond
    # 3 sigma.
    for d in range(1, len(v)):
        gap = seconds[d:] - seconds[:-d]
        if gap.min() > 3 * sigma:
            break
        w = np.exp(-0.5 * (gap / sigma) ** 2) * (gap <= 3 * sigma)
        total[:-d] += (w * finite[d:]).reshape(shape) * v[d:]
        total[d:] += (w * finite[:-d]).reshape(shape) * v[:-d]
        norm[:-d] += w * finite[d:]
        norm[d:] += w * finite[:-d]
    return np.where(finite.reshape(shape), total / np.maximum(norm, 1e-300).reshape(shape), np.nan)


def smooth_track(joints_3d: np.ndarray, seconds: np.ndarray, config: SmoothConfig = SmoothConfig()) -> np.ndarray:
    """One track's camera-frame poses joints_3d (F, 17, 3) metres at increasing times seconds (F,),
    smoothed (``SmoothConfig``); NaN poses (not valid) stay NaN and are skipped by their neighbours."""
    root = joints_3d[:, :1]
    rel = joints_3d - root
    out = np.empty(joints_3d.shape, np.float64)
    out[..., :2] = gaussian_in_time(rel[..., :2], seconds, config.plane_s)
    out[..., 2] = gaussian_in_time(rel[..., 2], seconds, config.depth_s)
    return out + gaussian_in_time(root, seconds, config.translation_s)

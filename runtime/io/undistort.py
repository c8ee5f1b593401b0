"""OpenCV's radial-tangential lens model without OpenCV: keypoints undistorted before lifting.

Units: pixels in and out; K (3, 3) [[fx, s, cx], [0, fy, cy], [0, 0, 1]]; ``distortion`` (4,), (5,)
or (8,) = k1 k2 p1 p2 [k3 [k4 k5 k6]] (OpenCV's order). An undistorted keypoint is where an ideal
pinhole camera with the same K would have seen the point, so a result's reprojection (K applied to
the 3D joints) is compared with the undistorted keypoints, not the detector's pixels.
"""

from __future__ import annotations

import numpy as np

DISTORTION_SIZES = (4, 5, 8)
MAX_ITERATIONS = 100  # fixed-point steps (cv2.undistortPoints' default stops at 5); stops once converged
TOLERANCE = 1e-12  # normalised units: about 1e-9 px at f = 1000


def _coefficients(distortion) -> np.ndarray:
    """(8,) k1 k2 p1 p2 k3 k4 k5 k6, zeros for those not given."""
    d = np.asarray(distortion, dtype=np.float64).ravel()
    if d.size not in DISTORTION_SIZES:
        raise ValueError(f"distortion has {d.size} coefficients; expected 4, 5 or 8 (k1 k2 p1 p2 [k3 [k4 k5 k6]])")
    return np.concatenate([d, np.zeros(8 - d.size)])


def _to_normalised(points: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = (points[..., 1] - K[1, 2]) / K[1, 1]
    return (points[..., 0] - K[0, 2] - K[0, 1] * y) / K[0, 0], y


def _to_pixels(x: np.ndarray, y: np.ndarray, K: np.ndarray) -> np.ndarray:
    return np.stack([K[0, 0] * x + K[0, 1] * y + K[0, 2], K[1, 1] * y + K[1, 2]], axis=-1)


def _radial_tangential(x, y, c):
    """(radial factor, dx, dy) of normalised points (x, y) under coefficients ``c`` (8,)."""
    r2 = x * x + y * y
    radial = (1 + ((c[4] * r2 + c[1]) * r2 + c[0]) * r2) / (1 + ((c[7] * r2 + c[6]) * r2 + c[5]) * r2)
    dx = 2 * c[2] * x * y + c[3] * (r2 + 2 * x * x)
    dy = c[2] * (r2 + 2 * y * y) + 2 * c[3] * x * y
    return radial, dx, dy


def distort_points(points, K, distortion) -> np.ndarray:
    """The forward model: ideal pinhole pixels (..., 2) -> the pixels the lens records (..., 2),
    in the dtype of ``points`` (float64 maths)."""
    pts = np.asarray(points)
    Km, c = np.asarray(K, dtype=np.float64), _coefficients(distortion)
    x, y = _to_normalised(pts.astype(np.float64), Km)
    radial, dx, dy = _radial_tangential(x, y, c)
    return _to_pixels(x * radial + dx, y * radial + dy, Km).astype(pts.dtype if pts.dtype.kind == "f" else np.float64)


def undistort_points(points, K, distortion) -> np.ndarray:
    """Recorded pixels (..., 2) -> ideal pinhole pixels (..., 2) with the same K (3, 3): the inverse
    of ``distort_points`` by fixed-point iteration, as cv2.undistortPoints (with P = K) but run to
    convergence. NaN stays NaN; a point where the model has no inverse (far beyond the calibrated
    field) comes back NaN. Float64 maths, the dtype of ``points`` out."""
    pts = np.asarray(points)
    Km, c = np.asarray(K, dtype=np.float64), _coefficients(distortion)
    x0, y0 = _to_normalised(pts.astype(np.float64), Km)
    x, y = x0.copy(), y0.copy()
    with np.errstate(all="ignore"):
        for _ in range(MAX_ITERATIONS):
            radial, dx, dy = _radial_tangential(x, y, c)
            nx, ny = (x0 - dx) / radial, (y0 - dy) / radial
            step = np.nanmax(np.abs(np.stack([nx - x, ny - y])), initial=0.0)
            x, y = nx, ny
            if not step > TOLERANCE:
                break
        radial, dx, dy = _radial_tangential(x, y, c)
        off = np.hypot(x * radial + dx - x0, y * radial + dy - y0) > 1e-6 * (1 + np.hypot(x0, y0))
    x, y = np.where(off, np.nan, x), np.where(off, np.nan, y)
    return _to_pixels(x, y, Km).astype(pts.dtype if pts.dtype.kind == "f" else np.float64)

"""Cameras people have without calibration: intrinsics from the image size alone.

Units: pixels. K = [[f, 0, cx], [0, f, cy], [0, 0, 1]] with square pixels and the principal point
at the image centre. The focal length convention is ``DEFAULT_FOCAL_FACTOR`` x max(width, height),
COLMAP's default prior for an unknown camera (its ``default_focal_length_factor``); what a wrong
focal length costs is measured in docs/decisions.md, "Unknown intrinsics".
"""

from __future__ import annotations

import numpy as np

DEFAULT_FOCAL_FACTOR = 1.2
MAX_IMAGE_SIDE = 100_000  # pixels; anything larger is a unit mistake


def check_image_size(image_size, source: str = "input") -> tuple[float, float]:
    """(width, height) in pixels as two positive finite numbers; ValueError naming ``source`` otherwise."""
    try:
        size = np.asarray(image_size)
    except (TypeError, ValueError):
        size = np.array([])
    # Booleans, strings and complex numbers are not sizes, though NumPy would convert them.
    size = size.astype(np.float64) if size.dtype.kind in "iuf" else np.array([])
    if size.shape != (2,) or not np.isfinite(size).all() or (size < 1).any() or (size > MAX_IMAGE_SIDE).any():
        raise ValueError(
            f"{source}: image_size must be (width, height) in pixels, each in [1, {MAX_IMAGE_SIDE}], got {image_size!r}"
        )
    return float(size[0]), float(size[1])


def default_K(image_size, focal_factor: float = DEFAULT_FOCAL_FACTOR) -> np.ndarray:
    """(3, 3) intrinsics for an image of (width, height) pixels: f = focal_factor x max(w, h),
    principal point at the centre."""
    w, h = check_image_size(image_size)
    f = focal_factor * max(w, h)
    return np.array([[f, 0.0, w / 2.0], [0.0, f, h / 2.0], [0.0, 0.0, 1.0]])

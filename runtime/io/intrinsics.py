"""The one check of a camera given to a run: pixel intrinsics K, or the image size to make them from.

Units: pixels. K is (3, 3) or (N, 3, 3), [[fx, s, cx], [0, fy, cy], [0, 0, 1]]; what a pinhole
camera's K can be is checked (upper triangular with a last row (0, 0, 1), positive focal lengths in
a plausible range and ratio, a small skew, a principal point on or near the image), which also
makes every accepted K invertible. Messages name the source, the field and the pose index.
"""

from __future__ import annotations

import numpy as np

from ..core.camera import check_image_size, default_K
from .numbers import as_numbers

MAX_PIXELS = 1e7  # a keypoint or principal-point coordinate beyond this is a unit mistake (and overflows float32 maths)
FOCAL_RANGE = (1e-3, 1e7)  # pixels; normalised coordinates (f = 1) are allowed
MAX_ASPECT = 10.0  # fx / fy within [1 / MAX_ASPECT, MAX_ASPECT]
# With the image size known, the principal point lies within the image widened by this fraction of
# its width and height on every side (cropped images move it off centre, not off the image).
PRINCIPAL_POINT_MARGIN = 0.5
PINHOLE = "K must be pixel intrinsics [[fx,0,cx],[0,fy,cy],[0,0,1]]"


def camera_intrinsics(K, image_size, n: int, source: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(K (n, 3, 3) px, notes): ``K`` (3, 3) or (n, 3, 3) checked, or when it is None the default
    camera of ``image_size`` (width, height) px (``camera.default_K``), with a note saying so."""
    if K is not None:
        return check_K(K, n, source, image_size), ()
    if image_size is None:
        raise ValueError(f"{source}: no camera: give K (3, 3) intrinsics or the image size (image_size=(W, H))")
    Km = default_K(check_image_size(image_size, source))
    return np.array(np.broadcast_to(Km, (n, 3, 3))), (
        f"no K given: focal length {Km[0, 0]:.1f} px from the image size (camera.default_K)",
    )


def check_K(K, n: int, source: str, image_size=None) -> np.ndarray:
    """K (3, 3) or (n, 3, 3) as a new (n, 3, 3) float64 array if it is a pinhole camera's pixel
    intrinsics (with ``image_size`` (width, height) px: for that image); ValueError otherwise."""
    Km = as_numbers(K, source, "K")
    if Km.shape == (3, 3):
        Km = np.broadcast_to(Km, (n, 3, 3))
    if Km.shape != (n, 3, 3):
        raise ValueError(f"{source}: K has shape {Km.shape}, expected (3, 3) or ({n}, 3, 3)")
    if not np.isfinite(Km).all():
        raise ValueError(f"{source}: K has non-finite entries")
    _check_form(Km, source)
    _check_focal(Km, source)
    _check_principal_point(Km, None if image_size is None else check_image_size(image_size, source), source)
    return np.array(Km)


def _check_form(Km: np.ndarray, source: str) -> None:
    """Upper triangular with the last row (0, 0, 1)."""
    last = np.abs(Km[:, 2] - [0.0, 0.0, 1.0]).max(-1) > 1e-6
    if last.any():
        i = int(np.argmax(last))
        raise ValueError(f"{source}: K[{i}]'s last row is {Km[i, 2].tolist()}, expected [0, 0, 1]; {PINHOLE}")
    lower = Km[:, 1, 0] != 0
    if lower.any():
        i = int(np.argmax(lower))
        raise ValueError(f"{source}: K[{i}][1][0] = {Km[i, 1, 0]:g}, expected 0; {PINHOLE}")


def _check_focal(Km: np.ndarray, source: str) -> None:
    """Positive focal lengths in ``FOCAL_RANGE`` (a negative one mirrors the pose, left for right),
    fx / fy within ``MAX_ASPECT``, and a skew K[0][1] no larger than fx; with the last row checked,
    det K = fx fy > 0, so K is invertible."""
    fx, fy = Km[:, 0, 0], Km[:, 1, 1]
    for name, f in (("fx", fx), ("fy", fy)):
        bad = ~((f >= FOCAL_RANGE[0]) & (f <= FOCAL_RANGE[1]))
        if bad.any():
            i = int(np.argmax(bad))
            why = (
                "not positive (a negative one mirrors the pose)"
                if f[i] <= 0
                else f"outside [{FOCAL_RANGE[0]:g}, {FOCAL_RANGE[1]:g}] px"
            )
            raise ValueError(f"{source}: K[{i}] focal length {name} = {f[i]:g} is {why}")
    aspect = fx / fy
    odd = (aspect > MAX_ASPECT) | (aspect < 1 / MAX_ASPECT)
    if odd.any():
        i = int(np.argmax(odd))
        raise ValueError(
            f"{source}: K[{i}] has fx / fy = {aspect[i]:.3g}; pixels that far from square are not a camera's"
        )
    skewed = np.abs(Km[:, 0, 1]) > fx
    if skewed.any():
        i = int(np.argmax(skewed))
        raise ValueError(
            f"{source}: K[{i}][0][1] (skew) = {Km[i, 0, 1]:g} is larger than fx = {fx[i]:g}; "
            "a camera's skew is 0 or nearly"
        )


def _check_principal_point(Km: np.ndarray, size: tuple[float, float] | None, source: str) -> None:
    """The principal point within ``MAX_PIXELS`` and, where the image's ``size`` (width, height) px
    is known, within the image widened by ``PRINCIPAL_POINT_MARGIN`` of its size on every side."""
    far = (np.abs(Km[:, :2, 2]) > MAX_PIXELS).any(-1)
    if far.any():
        i = int(np.argmax(far))
        raise ValueError(
            f"{source}: K[{i}] principal point {Km[i, :2, 2].tolist()} is beyond {MAX_PIXELS:g} px; "
            "expected pixel intrinsics"
        )
    if size is None:
        return
    for axis, name, extent in ((0, "cx", size[0]), (1, "cy", size[1])):
        c = Km[:, axis, 2]
        far = (c < -PRINCIPAL_POINT_MARGIN * extent) | (c > (1 + PRINCIPAL_POINT_MARGIN) * extent)
        if far.any():
            i = int(np.argmax(far))
            raise ValueError(
                f"{source}: K[{i}] principal point {name} = {c[i]:g} px is far outside the "
                f"{size[0]:g} x {size[1]:g} image; is K for this image size?"
            )

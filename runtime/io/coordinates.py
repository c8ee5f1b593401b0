"""Keypoint coordinates checked against their layout's convention, before anything is assumed
about them: pixels for most layouts, fractions of the image in [0, 1] for a normalised one
(MediaPipe's), which ``validation`` multiplies by the image size.

Units: keypoints (n, J, 2) in the layout's units, scores (n, J) in [0, 1] (0: missing; a missing
joint's coordinates are not checked). Messages name the source, the field and the first offending
keypoint, and say which convention the numbers look like.
"""

from __future__ import annotations

import numpy as np

from .intrinsics import MAX_PIXELS
from .layout_rules import Layout
from .layouts import LAYOUTS
from .numbers import first_index

# A normalised keypoint lies in [0, 1] of the image; a detector's guess beyond the edge by up to
# half the image is kept. Pixel keypoints all within this range span at most 2 px: normalised ones.
NORMALISED_RANGE = (-0.5, 1.5)
# Normalised keypoints beyond this are called pixels in the message (no image is 16 px wide).
PIXEL_LIKE = 16.0


def check_finite(kp: np.ndarray, sc: np.ndarray, source: str, first: int = 0) -> np.ndarray:
    """The keypoints (n, J, 2) with non-finite ones (allowed only at score 0) set to 0; ValueError
    for a non-finite or too large one of an observed joint. ``first``: the index of the first
    pose, for messages."""
    finite = np.isfinite(kp).all(-1)
    huge = (np.abs(kp) > MAX_PIXELS).any(-1) & finite & (sc > 0)
    if huge.any():
        i, j = first_index(huge)
        raise ValueError(
            f"{source}: keypoints[{first + i}, {j}] = {kp[i, j].tolist()} is beyond {MAX_PIXELS:g} px; "
            "expected pixel coordinates"
        )
    bad = ~finite & (sc > 0)
    if bad.any():
        i, j = first_index(bad)
        raise ValueError(
            f"{source}: keypoints[{first + i}, {j}] = {kp[i, j].tolist()} is not finite "
            "(give it score 0 if the joint is missing)"
        )
    return np.where(finite[..., None], kp, 0.0)


def check_units(kp: np.ndarray, sc: np.ndarray, layout: Layout, source: str) -> None:
    """ValueError naming ``source`` where the observed keypoints (n, J, 2) do not follow
    ``layout``'s convention: a normalised layout's beyond ``NORMALISED_RANGE`` (pixels given to
    MediaPipe's layout, say), or a pixel layout's all within it (normalised coordinates given as
    pixels). Non-finite keypoints are left to ``check_finite``."""
    lo, hi = NORMALISED_RANGE
    seen = _seen(kp, sc)
    inside = ((kp >= lo) & (kp <= hi)).all(-1)
    if layout.normalised and (seen & ~inside).any():
        i, j = first_index(seen & ~inside)
        why = f"; these look like pixels: {_pixel_advice(layout)}" if _pixel_like(kp, seen) else ""
        raise ValueError(
            f"{source}: keypoints[{i}, {j}] = {kp[i, j].tolist()} is outside [{lo:g}, {hi:g}], but layout "
            f"{layout.name} takes coordinates in [0, 1] of the image{why}"
        )
    if not layout.normalised and seen.any() and (inside | ~seen).all():
        raise ValueError(
            f"{source}: every keypoint lies within [{lo:g}, {hi:g}]: these look like coordinates in [0, 1] of "
            f"the image, but layout {layout.name} takes pixels; multiply x by the image width and y by its height"
        )


def pixel_twin(layout: Layout) -> Layout | None:
    """The layout with ``layout``'s joints in pixels (``mediapipe33_px`` for ``mediapipe33``), if any."""
    return next((t for t in LAYOUTS.values() if t.joint_names == layout.joint_names and not t.normalised), None)


def told_apart(kp: np.ndarray, sc: np.ndarray, inferred: Layout, notes: tuple[str, ...]):
    """(layout, notes) for keypoints (n, J, 2) whose layout was inferred from their count: a
    normalised layout's pixel twin where they are pixels (a note says so), else as inferred."""
    twin = pixel_twin(inferred) if inferred.normalised else None
    if twin is None or not _pixel_like(kp, _seen(kp, sc)):
        return inferred, notes
    return twin, (f"{kp.shape[1]} keypoints per pose in pixels: taken as layout {twin.name}",)


def _seen(kp: np.ndarray, sc: np.ndarray) -> np.ndarray:
    """(n, J) True where a joint is observed (score > 0) with a finite keypoint (n, J, 2)."""
    return (sc > 0) & np.isfinite(kp).all(-1)


def _pixel_like(kp: np.ndarray, seen: np.ndarray) -> bool:
    """Whether any ``seen`` (n, J) keypoint (n, J, 2) lies beyond ``PIXEL_LIKE``: pixels, not fractions."""
    return bool(np.abs(np.where(seen[..., None], kp, 0.0)).max(initial=0.0) > PIXEL_LIKE)


def _pixel_advice(layout: Layout) -> str:
    """What to do with pixels given to the normalised ``layout``: its pixel twin where there is
    one, else divide by the image size."""
    twin = pixel_twin(layout)
    return f"give layout={twin.name!r}" if twin else "divide x by the image width and y by its height"

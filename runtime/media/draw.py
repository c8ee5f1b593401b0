"""2D skeletons drawn on a picture with Pillow: a colour per track, the left side lighter than the
right, so both are told apart (``LEGEND_SIDES`` says so in the legend).

Keypoints are the prior's 17 joints (``core.skeleton``) in pixels of the picture, x right, y down;
a joint with score 0 is not drawn, nor any bone to it.
"""

from __future__ import annotations

import numpy as np

from ..core.skeleton import BONES, LEFT_JOINTS

PALETTE = (
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 200, 200),
    (240, 50, 230),
    (160, 160, 20),
)
LEFT_LIGHTER = 0.55  # the left side: the track's colour this far towards white
LEGEND_SIDES = "lighter: left side"


def track_colour(track: int) -> tuple[int, int, int]:
    """The RGB colour of a track (the palette repeats after 8 tracks)."""
    return PALETTE[int(track) % len(PALETTE)]


def bone_colour(track: int, child: int) -> tuple[int, int, int]:
    """The colour of the bone ending at joint ``child``: the track's, lighter on the left side."""
    c = np.array(track_colour(track), float)
    if child in LEFT_JOINTS:
        c = c + LEFT_LIGHTER * (255.0 - c)
    return tuple(int(v) for v in c)


def line_width(width: int, height: int) -> int:
    """Bones' width in pixels for a picture of this size (2 at 500 px)."""
    return max(2, round(min(width, height) / 250))


def draw_skeletons(draw, keypoints: np.ndarray, scores: np.ndarray, tracks, width: int) -> None:
    """Draw people on a ``PIL.ImageDraw`` canvas: keypoints (P, 17, 2) px, scores (P, 17) (0: not
    drawn), tracks (P,) ints, ``width`` the bones' width in pixels."""
    r = max(1, width)
    for kp, sc, track in zip(np.asarray(keypoints, float), np.asarray(scores, float), tracks):
        seen = (sc > 0) & np.isfinite(kp).all(axis=1)
        for parent, child in BONES:
            if seen[parent] and seen[child]:
                xy = [tuple(kp[parent]), tuple(kp[child])]
                draw.line(xy, fill=bone_colour(track, child), width=width)
        for j in np.flatnonzero(seen):
            x, y = kp[j]
            draw.ellipse([x - r, y - r, x + r, y + r], fill=bone_colour(track, j), outline=(0, 0, 0))

"""The 3D panel of an overlay: every track's pose from one fixed viewpoint over a ground plane, with
the frame number, the time and a legend, drawn with Pillow (no matplotlib).

Poses are world-frame joints (17, 3) metres, z up, the floor at z = 0 (``video.floor``'s frame).
The view is fixed for the whole video (``View.fit`` over all its poses), so people move in it as
they move in the room: the camera looks from ``AZIMUTH`` degrees round the vertical and
``ELEVATION`` degrees above the floor, an orthographic projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .draw import LEGEND_SIDES, draw_skeletons, track_colour

AZIMUTH, ELEVATION = -35.0, 20.0  # degrees: from the front left, a little above
GRID_STEP = 0.5  # metres between the ground plane's lines
BACKGROUND, GRID, TEXT = (250, 250, 250), (200, 200, 200), (20, 20, 20)


@dataclass(frozen=True)
class View:
    """A fixed orthographic view: ``centre`` (3,) metres looked at, ``radius`` metres shown on
    each side, ``azimuth`` and ``elevation`` degrees."""

    centre: tuple[float, float, float]
    radius: float
    azimuth: float = AZIMUTH
    elevation: float = ELEVATION

    def __post_init__(self):
        if not (np.isfinite(self.centre).all() and np.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"a view needs a finite centre and a radius > 0, got {self.centre}, {self.radius}")

    @classmethod
    def fit(cls, joints: np.ndarray) -> View:
        """The view that shows every finite joint of joints (N, 17, 3) world metres (none: a 1 m room)."""
        pts = np.asarray(joints, float).reshape(-1, 3)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if not len(pts):
            return cls((0.0, 0.0, 0.9), 1.0)
        lo, hi = np.percentile(pts, 1, axis=0), np.percentile(pts, 99, axis=0)
        centre = (lo + hi) / 2
        centre[2] = max(centre[2], 0.9)
        return cls(tuple(float(v) for v in centre), float(max(1.0, 0.6 * np.max(hi - lo))))

    def project(self, points: np.ndarray, size: int) -> np.ndarray:
        """World points (..., 3) to pixels (..., 2) of a ``size`` x ``size`` panel."""
        a, e = np.radians(self.azimuth), np.radians(self.elevation)
        p = np.asarray(points, float) - self.centre
        x = p[..., 0] * np.cos(a) - p[..., 1] * np.sin(a)
        depth = p[..., 0] * np.sin(a) + p[..., 1] * np.cos(a)
        up = p[..., 2] * np.cos(e) - depth * np.sin(e)
        scale = size / (2.2 * self.radius)
        return np.stack([size / 2 + scale * x, size / 2 - scale * up], axis=-1)


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _ground(draw, view: View, size: int) -> None:
    c, r = view.centre, 1.5 * view.radius
    ticks = np.arange(np.floor((min(c[:2]) - r) / GRID_STEP), np.ceil((max(c[:2]) + r) / GRID_STEP) + 1) * GRID_STEP
    xs = ticks[(ticks >= c[0] - r) & (ticks <= c[0] + r)]
    ys = ticks[(ticks >= c[1] - r) & (ticks <= c[1] + r)]
    for x in xs:
        a, b = view.project(np.array([[x, ys[0], 0.0], [x, ys[-1], 0.0]]), size)
        draw.line([tuple(a), tuple(b)], fill=GRID, width=1)
    for y in ys:
        a, b = view.project(np.array([[xs[0], y, 0.0], [xs[-1], y, 0.0]]), size)
        draw.line([tuple(a), tuple(b)], fill=GRID, width=1)


def _legend(draw, tracks, size: int, text: int) -> None:
    font, y = _font(text), size - text * 1.5
    draw.text((8, y), LEGEND_SIDES, fill=TEXT, font=font)
    x = 8
    y -= text * 1.5
    for track in tracks:
        label = f"track {track}"
        draw.rectangle([x, y + 2, x + text, y + text], fill=track_colour(track))
        draw.text((x + text + 4, y), label, fill=TEXT, font=font)
        x += text + 12 + int(draw.textlength(label, font=font))


def draw_panel(size: int, poses: dict[int, np.ndarray], view: View, caption: str, tracks) -> np.ndarray:
    """One panel (size, size, 3) uint8: the ground plane, each ``poses`` track -> joints (17, 3)
    world metres (NaN: not drawn), the ``caption`` (frame and time) at the top, and a legend of
    ``tracks`` (every track of the video, so colours keep their meaning) at the bottom."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _ground(draw, view, size)
    for track, joints in sorted(poses.items()):
        if np.isfinite(joints).all():
            kp = view.project(joints, size)[None]
            draw_skeletons(draw, kp, np.ones((1, len(joints))), [track], max(2, size // 180))
    text = max(10, size // 28)
    draw.text((8, 6), caption, fill=TEXT, font=_font(text))
    _legend(draw, list(tracks), size, text)
    return np.asarray(image)

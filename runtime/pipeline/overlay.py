"""The overlay of a lifted run: each frame with its 2D skeletons drawn (a colour per track, the left
side lighter), beside a 3D view of every track at that frame (``media.panels``: a fixed viewpoint
over a ground plane, the frame number and time, a legend).

The 2D drawn is the lift's input (the prior's 17 joints, ``Inputs.keypoints``; a joint with score 0
is left out); the 3D is the result in the world frame (``video.floor``: z up, the floor at z = 0;
where no pose has feet, the camera taken as level). A frame is drawn at most ``MAX_HEIGHT`` pixels
high (a larger one is scaled down), the 3D panel as a square of the same height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..media.draw import draw_skeletons, line_width
from ..media.panels import View, draw_panel
from ..video.floor import world_frame
from .run import Lifted

MAX_HEIGHT = 720
LEVEL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # camera (x, y down, z) -> (x, z, up)


def world_joints(joints: np.ndarray) -> np.ndarray:
    """Camera-frame joints (N, 17, 3) metres in the world frame of ``video.floor`` (z up, floor at
    0); a level camera with the lowest joint on the floor where no pose has finite ankles."""
    try:
        return world_frame(joints).apply(joints)
    except ValueError:
        world = np.asarray(joints, float) @ LEVEL.T
        return world - [0.0, 0.0, np.nanmin(world[..., 2]) if np.isfinite(world).any() else 0.0]


@dataclass(frozen=True)
class Scene:
    """What the overlay draws, per pose row: ``keypoints`` (N, 17, 2) px, ``scores`` (N, 17),
    ``frame`` and ``track`` (N,), ``world`` (N, 17, 3) metres; the ``view`` fixed over all of them,
    ``fps`` (None: photos, no clock)."""

    keypoints: np.ndarray
    scores: np.ndarray
    frame: np.ndarray
    track: np.ndarray
    world: np.ndarray
    view: View
    fps: float | None

    @classmethod
    def of(cls, lifted: Lifted, fps: float | None, rows: np.ndarray | None = None) -> Scene:
        """The scene of a lifted run (its inputs have frame indices), or of its ``rows`` alone (one
        photo: its own floor and view)."""
        inputs, joints = lifted.inputs, lifted.result.joints_3d
        rows = np.arange(len(joints)) if rows is None else rows
        track = np.zeros(len(joints), np.int64) if inputs.track is None else inputs.track
        world = world_joints(joints[rows])
        keypoints, scores, frame = inputs.keypoints[rows], inputs.scores[rows], inputs.frame[rows]
        return cls(keypoints, scores, frame, track[rows], world, View.fit(world), fps)

    @property
    def tracks(self) -> list[int]:
        return sorted(set(self.track.tolist()))

    def rows(self, index: int) -> np.ndarray:
        """The rows of frame ``index``."""
        return np.flatnonzero(self.frame == index)

    def caption(self, index: int, name: str = "") -> str:
        """The panel's top line: the frame number and time (a photo: its name)."""
        if self.fps is None:
            return name or f"photo {index}"
        return f"frame {index}   {index / self.fps:7.2f} s"


def compose(rgb: np.ndarray, scene: Scene, index: int, name: str = "") -> np.ndarray:
    """Frame ``index`` (H, W, 3) uint8 RGB with its skeletons drawn, beside its 3D panel:
    (h, w + h, 3) uint8 with h = min(H, ``MAX_HEIGHT``) and w the frame's width scaled alike."""
    from PIL import Image, ImageDraw

    h, w = rgb.shape[:2]
    scale = min(1.0, MAX_HEIGHT / h)
    image = Image.fromarray(rgb)
    if scale < 1.0:
        image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)
    rows = scene.rows(index)
    draw = ImageDraw.Draw(image)
    draw_skeletons(draw, scene.keypoints[rows] * scale, scene.scores[rows], scene.track[rows], line_width(*image.size))
    poses = {int(t): scene.world[r] for t, r in zip(scene.track[rows], rows)}
    panel = draw_panel(image.size[1], poses, scene.view, scene.caption(index, name), scene.tracks)
    return np.concatenate([np.asarray(image), panel], axis=1)

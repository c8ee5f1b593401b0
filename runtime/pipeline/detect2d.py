"""Frames to zedo's 2D input: each frame through a ``detect.base.Detector``, its people kept as rows
with their frame index, and the rows made ``Inputs`` the way a keypoint file's are.

``Keypoints2D`` is what ``keypoints2d.npz`` holds (zedo's own input format, ``io.formats``):
keypoints (N, J, 2) px in the detector's layout, scores (N, J), frame (N,), track (N,) once
tracked, and the camera: ``image_size`` (width, height) px where every frame has one size, else K
(N, 3, 3) per row (photos of several sizes), and ``fps`` (a video's). Frames with nobody in them
add no row and are counted (``nobody``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable

import numpy as np

from ..core.camera import default_K
from ..io.atomic import save_npz_atomic
from ..io.edges import uncertain_edges
from ..io.validation import Inputs, check_placeable, validate_inputs
from .request import Request


@dataclass(frozen=True)
class Keypoints2D:
    """The 2D of a run: ``keypoints`` (N, J, 2) float32 px, ``scores`` (N, J), ``frame`` (N,)
    int64, ``sizes`` (N, 2) each row's image (width, height) px, ``layout``, ``fps`` (None: none
    known), ``frames`` frames seen, ``nobody`` of them without a person, ``track`` (N,) or None."""

    keypoints: np.ndarray
    scores: np.ndarray
    frame: np.ndarray
    sizes: np.ndarray
    layout: str
    fps: float | None
    frames: int
    nobody: int
    track: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.keypoints)
        if self.scores.shape != self.keypoints.shape[:2] or self.frame.shape != (n,) or self.sizes.shape != (n, 2):
            raise ValueError(
                f"2D rows disagree: keypoints {self.keypoints.shape}, scores {self.scores.shape}, "
                f"frame {self.frame.shape}, sizes {self.sizes.shape}"
            )
        if not 0 <= self.nobody <= self.frames:
            raise ValueError(f"nobody must be in [0, frames = {self.frames}], got {self.nobody}")

    @property
    def one_size(self) -> bool:
        """Whether every row's image has the same size (then ``image_size`` replaces K)."""
        return len(self.sizes) > 0 and bool((self.sizes == self.sizes[0]).all())

    def fields(self) -> dict:
        """zedo's input fields (``io.formats``): what ``keypoints2d.npz`` holds."""
        out = dict(keypoints=self.keypoints, scores=self.scores, frame=self.frame, layout=self.layout)
        if self.one_size:
            out["image_size"] = self.sizes[0].astype(np.float64)
        else:
            out["K"] = np.stack([default_K(tuple(s)) for s in self.sizes])
        if self.track is not None:
            out["track"] = self.track
        return out if self.fps is None else dict(out, fps=float(self.fps))

    def save(self, path) -> None:
        """Write ``fields()`` to ``path`` (.npz) atomically."""
        save_npz_atomic(path, **self.fields())

    def inputs(self, request: Request, source: str) -> Inputs:
        """The rows as validated ``Inputs`` (prior joint order, frame indices kept): the request's
        camera (``K``, ``image_size``) where given, else this 2D's; keypoints on an image's edge
        made uncertain unless ``trust_edges``. ValueError naming ``source`` when nobody was found
        or no pose can be placed."""
        if not len(self.keypoints):
            raise ValueError(f"{source}: nobody found in {self.frames} frame(s); nothing to lift")
        if request.K is not None:
            K, size = np.array(request.K, float), request.image_size
        elif self.one_size:
            K, size = None, request.image_size or tuple(self.sizes[0])
        else:
            K, size = self.fields()["K"], None
        inputs = validate_inputs(self.keypoints, K, self.scores, source, self.layout, size)
        inputs = replace(check_placeable(inputs, source), frame=self.frame)
        return inputs if request.trust_edges or not self.one_size else uncertain_edges(inputs, tuple(self.sizes[0]))


def detect_frames(
    frames: Iterable[tuple[int, np.ndarray]],
    detector,
    fps: float | None,
    on_frame: Callable[[], None] = lambda: None,
    until_interrupt: bool = False,
) -> Keypoints2D:
    """Run ``detector`` on every ``(index, rgb)`` of ``frames`` (one at a time: memory holds the 2D
    only), calling ``on_frame()`` after each; ``fps`` is recorded. ``until_interrupt`` (a camera):
    Ctrl-C ends the frames instead of the run. Returns the ``Keypoints2D``."""
    kps, scores, frame, sizes = [], [], [], []
    seen = nobody = 0
    try:
        for index, rgb in frames:
            found = detector(rgb)
            seen += 1
            nobody += len(found.keypoints) == 0
            kps.append(np.asarray(found.keypoints, np.float32))
            scores.append(np.asarray(found.scores, np.float32))
            frame.append(np.full(len(found.keypoints), index, np.int64))
            sizes.append(np.tile([rgb.shape[1], rgb.shape[0]], (len(found.keypoints), 1)))
            on_frame()
    except KeyboardInterrupt:
        if not until_interrupt:
            raise
    joints = max((k.shape[1] for k in kps), default=0)
    if not seen or not any(len(k) for k in kps):
        empty = np.zeros((0, joints, 2), np.float32)
        return Keypoints2D(
            empty, empty[..., 0], np.zeros(0, np.int64), np.zeros((0, 2)), detector.layout, fps, seen, nobody
        )
    stack = [np.concatenate(a) for a in (kps, scores, frame, sizes)]
    return Keypoints2D(*stack, detector.layout, fps, seen, nobody)

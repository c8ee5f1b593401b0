"""Frames out: an H.264 MP4 written atomically (a temporary file beside it, renamed once the last
frame is in: an error or Ctrl-C leaves no half-written video), and a PNG of one picture.

Frames are ``(H, W, 3)`` uint8 RGB arrays of one size; H.264 in yuv420p (what every player reads)
needs even sides, so an odd row or column is cut off. PyAV: the ``[video]`` extra.
"""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..io.atomic import atomic_path

CODEC, PIXEL_FORMAT = "libx264", "yuv420p"
# x264 ultrafast: twice veryfast's rate on one core, 2.7x its bytes (docs/decisions.md, "Video in").
OPTIONS = {"preset": "ultrafast", "crf": "23"}


def even(image: np.ndarray) -> np.ndarray:
    """``image`` (H, W, 3) cut to even height and width."""
    h, w = image.shape[:2]
    return image[: h - h % 2, : w - w % 2]


class VideoWriter:
    """Writes frames to an open PyAV container: ``write(rgb)`` each frame, the first one fixing
    the size; ``count`` frames written."""

    def __init__(self, container, fps: float, threads: int):
        self.container, self.fps, self.threads = container, fps, threads
        self.stream, self.count = None, 0

    def _start(self, width: int, height: int) -> None:
        self.stream = self.container.add_stream(CODEC, rate=Fraction(self.fps).limit_denominator(1001))
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, PIXEL_FORMAT
        self.stream.options = dict(OPTIONS)
        self.stream.codec_context.thread_count = self.threads

    def write(self, rgb: np.ndarray) -> None:
        import av

        rgb = even(np.ascontiguousarray(rgb, dtype=np.uint8))
        if self.stream is None:
            self._start(rgb.shape[1], rgb.shape[0])
        if rgb.shape[:2] != (self.stream.height, self.stream.width):
            raise ValueError(
                f"frame {self.count} is {rgb.shape[1]} x {rgb.shape[0]}, the video's frames are "
                f"{self.stream.width} x {self.stream.height}"
            )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        self.container.mux(self.stream.encode(frame))
        self.count += 1

    def finish(self) -> None:
        if self.stream is not None:
            self.container.mux(self.stream.encode(None))


@contextmanager
def video_writer(path, fps: float, threads: int = 1) -> Iterator[VideoWriter]:
    """A ``VideoWriter`` onto ``path`` (.mp4) at ``fps``, encoding on ``threads`` threads (0: FFmpeg's
    choice); the file
    appears only when the block ends without error and at least one frame was written."""
    import av

    path = Path(path)
    with atomic_path(path) as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            writer = VideoWriter(container, fps, threads)
            yield writer
            if writer.count == 0:
                raise ValueError(f"{path}: no frame to write")
            writer.finish()


def write_png(path, rgb: np.ndarray) -> Path:
    """One picture (H, W, 3) uint8 RGB to ``path`` as a PNG, atomically."""
    from PIL import Image

    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(tmp, format="PNG")
    return path

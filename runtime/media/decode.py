"""Frames in: a video, an image, a folder of images or a camera, streamed one RGB frame at a time.

Frames are ``(H, W, 3)`` uint8 RGB arrays (``detect.base``'s images), yielded with their index from
0; nothing keeps more than the frame at hand, so memory stays bounded on a long video. A video is
decoded with PyAV (the ``[video]`` extra; its wheels carry FFmpeg), an image with Pillow (EXIF
orientation applied). ``MediaInfo`` gives the size and frame rate read from the file (a photo has no
frame rate). Where decoding fails part way (a truncated or damaged file) the frames decoded so far
are kept and ``MediaReader.notes`` says where it stopped; a video without any frame is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..io.frame_rate import MAX_FPS
from .sources import Source, folder_images


@dataclass(frozen=True)
class MediaInfo:
    """What a source holds: ``width`` and ``height`` in pixels (a folder: its first image's),
    ``fps`` frames per second (None where the source has none: photos, or a file without a rate),
    ``frames`` the frame count the file states (None where unknown)."""

    width: int
    height: int
    fps: float | None
    frames: int | None

    def __post_init__(self):
        if self.width < 1 or self.height < 1:
            raise ValueError(f"a picture must be at least 1 x 1 pixels, got {self.width} x {self.height}")
        if self.fps is not None and not 0 < self.fps <= MAX_FPS:
            raise ValueError(f"fps must be in (0, {MAX_FPS:g}], got {self.fps}")


def _rate(stream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(Fraction(rate)) if rate else None
    return fps if fps is not None and 0 < fps <= MAX_FPS else None


def _count(container, stream) -> int | None:
    """The frame count the file states, else its duration times its rate; None where neither is known."""
    if stream.frames:
        return int(stream.frames)
    rate = _rate(stream)
    return round(container.duration / 1e6 * rate) if container.duration and rate else None


def _image(path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


@dataclass
class MediaReader:
    """The frames of ``source``: ``info`` once opened, iterate for ``(index, rgb)``; after a
    pass, ``decoded`` frames came out and ``notes`` says what was skipped or where decoding stopped.
    A camera gives at most ``max_frames`` (None: until Ctrl-C or the stream ends); ``threads``: the
    decoder's threads (0: FFmpeg's choice)."""

    source: Source
    max_frames: int | None = None
    threads: int = 0
    info: MediaInfo = field(init=False)
    notes: list[str] = field(default_factory=list, init=False)
    decoded: int = field(default=0, init=False)
    images: list[Path] = field(default_factory=list, init=False)  # an image source's files, listed once
    skipped: list[Path] = field(default_factory=list, init=False)  # a folder's other files

    def __post_init__(self):
        frames = self.max_frames
        if frames is not None and (isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1):
            raise ValueError(f"max_frames must be a whole number >= 1 (or None: every frame), got {frames!r}")
        if self.source.kind == "image":
            self.images = [self.source.path]
        elif self.source.kind == "folder":
            self.images, self.skipped = folder_images(self.source.path)
        self.info = self._probe()

    def _open(self):
        import av

        if self.source.kind == "camera":
            return av.open(str(self.source.path), format="v4l2")
        return av.open(str(self.source.path))

    def _probe(self) -> MediaInfo:
        kind, path = self.source.kind, self.source.path
        if kind in ("image", "folder"):
            images = self.images
            if not images:
                raise ValueError(f"{path}: no image files in this folder")
            from PIL import Image

            try:
                with Image.open(images[0]) as im:
                    w, h = im.size
            except OSError as e:
                raise ValueError(f"{images[0]}: not a readable image ({e})") from None
            return MediaInfo(w, h, None, len(images))
        import av

        try:
            with self._open() as container:
                if not container.streams.video:
                    raise ValueError(f"{path}: holds no video stream")
                s = container.streams.video[0]
                return MediaInfo(s.codec_context.width, s.codec_context.height, _rate(s), _count(container, s))
        except (av.FFmpegError, OSError) as e:
            what = "this video" if self.source.camera is None else f"camera {self.source.camera}"
            raise ValueError(f"{path}: cannot open {what} ({' '.join(str(e).split())})") from None

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        self.notes, self.decoded = [], 0
        frames = self._video() if self.source.kind in ("video", "camera") else self._images()
        for index, rgb in frames:
            self.decoded += 1
            yield index, rgb
            if self.max_frames is not None and self.decoded >= self.max_frames:
                return

    def _video(self) -> Iterator[tuple[int, np.ndarray]]:
        import av

        index = 0
        with self._open() as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = self.threads
            try:
                for frame in container.decode(stream):
                    yield index, frame.to_ndarray(format="rgb24")
                    index += 1
            except (av.FFmpegError, OSError) as e:
                self.notes.append(
                    f"{self.source.path}: decoding stopped after {index} frames "
                    f"({' '.join(str(e).split())}); the frames before are kept"
                )
        expected = self.info.frames
        if not self.notes and expected and index < expected - 1 and self.max_frames is None:
            self.notes.append(
                f"{self.source.path}: decoding stopped after {index} of {expected} frames (a truncated file?); "
                "the frames before are kept"
            )
        if index == 0:
            raise ValueError(f"{self.source.path}: no frame could be decoded (an empty or unreadable video)")

    def _images(self) -> Iterator[tuple[int, np.ndarray]]:
        path = self.source.path
        if self.skipped:
            self.notes.append(f"{path}: not images, skipped: {', '.join(p.name for p in self.skipped)}")
        for index, image in enumerate(self.images):
            try:
                yield index, _image(image)
            except OSError as e:
                if self.source.kind == "image":
                    raise ValueError(f"{image}: not a readable image ({e})") from None
                self.notes.append(f"{image}: not a readable image, skipped ({e})")

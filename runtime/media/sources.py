"""What an input names: a video file, an image, a folder of images, or a camera (its index).

``media_source`` tells a media input from a keypoint file (which it leaves to ``io.formats``);
``parse_source`` reads ``--source`` (a path or a camera index) and refuses anything else in one
line. A folder is a folder of images when it holds at least one image file (an OpenPose folder holds
only ``.json``); its other files are skipped, and named (``folder_images``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
KINDS = ("video", "image", "folder", "camera")


@dataclass(frozen=True)
class Source:
    """One media input: ``kind`` (one of ``KINDS``), ``path`` (a file or folder; for a camera its
    device, e.g. ``/dev/video0``) and ``camera`` (the camera's index, else None)."""

    kind: str
    path: Path
    camera: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"source kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if (self.kind == "camera") != (self.camera is not None):
            raise ValueError("a camera source has an index, and only a camera source")

    @property
    def name(self) -> str:
        """A short name for outputs and messages: the file's stem, the folder's name, ``camera0``."""
        if self.camera is not None:
            return f"camera{self.camera}"
        return self.path.stem if self.kind != "folder" else self.path.name


def folder_images(folder: Path) -> tuple[list[Path], list[Path]]:
    """The image files of ``folder`` in name order, and the other files (skipped; hidden ones left out)."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]


def media_source(path) -> Source | None:
    """The media ``path`` names (a video, an image, a folder with images), or None where it is not
    media (a keypoint file, an OpenPose folder, a missing path: left to ``io.formats``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        return Source("folder", path) if folder_images(path)[0] else None
    if suffix in VIDEO_SUFFIXES:
        return Source("video", path)
    return Source("image", path) if suffix in IMAGE_SUFFIXES else None


def camera_device(index: int) -> str:
    """The device of camera ``index`` that FFmpeg opens on this system (Linux: ``/dev/videoN``)."""
    return f"/dev/video{index}"


def parse_source(text: str) -> Source:
    """``--source``: a camera index (``0``), or a video, image or folder of images that exists.
    ValueError naming what is accepted for anything else."""
    text = str(text).strip()
    if text.isdigit():
        return Source("camera", Path(camera_device(int(text))), int(text))
    source = media_source(text)
    if source is None or not source.path.exists():
        why = "no such file or folder" if not Path(text).exists() else "not a video, an image or a folder of images"
        raise ValueError(
            f"unknown source {text!r} ({why}): give a camera index (0), a video "
            f"({', '.join(VIDEO_SUFFIXES)}), an image ({', '.join(IMAGE_SUFFIXES)}) or a folder of images"
        )
    return source

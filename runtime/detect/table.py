"""The table of 2D detector backends, and ``open_detector``: one row per backend, as the engines'
table has one row per device.

A row names the module that builds the backend (imported only when it is opened, so a missing
optional package is reported for the backend asked for), the extra that installs it, and one line
for ``--help``. ``open_detector("auto")`` tries the rows of ``AUTO_ORDER`` in order and opens the
first that can run here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from ..engines.open import DEVICES
from .base import Detector


@dataclass(frozen=True)
class DetectorRow:
    """One backend: ``module`` (under ``zedo.runtime.detect``) defines ``open_backend(model,
    device, threads) -> Detector``; ``extra`` is the pyproject extra that installs what it needs
    ("" when the runtime's own packages suffice)."""

    name: str
    module: str
    extra: str
    help: str


DETECTORS = {
    row.name: row
    for row in (
        DetectorRow(
            "mediapipe",
            "mediapipe_pose",
            "",
            "MediaPipe Pose (BlazePose full), one person, 33 keypoints; bundled ONNX models, no network",
        ),
        DetectorRow(
            "rtmlib",
            "rtmlib_pose",
            "rtmlib",
            "RTMPose/RTMO through rtmlib, several people, COCO 17; models fetched on first use or --detector-model",
        ),
    )
}
# mediapipe first: its models ship with zedo, so it runs with no network and no extra (docs/decisions.md).
AUTO_ORDER = ("mediapipe", "rtmlib")


def open_detector(name: str = "auto", model: str | Path | None = None, device: str = "cpu", threads: int = 1):
    """The detector ``name`` (a key of ``DETECTORS``, or ``auto``), on ``device`` (``cpu`` or
    ``cuda``), with ``threads`` CPU threads; ``model`` an optional local model file the backend
    reads instead of its default; returns a ``Detector``. ValueError naming the choices for an
    unknown name."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if name == "auto":
        return _open_first(model, device, threads)
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose from auto, {', '.join(DETECTORS)}")
    return _backend(DETECTORS[name]).open_backend(model, device, threads)


def _backend(row: DetectorRow):
    return import_module(f"{__package__}.{row.module}")


def _open_first(model, device: str, threads: int) -> Detector:
    """The first row of ``AUTO_ORDER`` that opens; the last failure when none does."""
    failure: Exception | None = None
    for name in AUTO_ORDER:
        try:
            return _backend(DETECTORS[name]).open_backend(model, device, threads)
        except (ImportError, OSError, RuntimeError) as e:
            failure = e
    assert failure is not None
    raise failure

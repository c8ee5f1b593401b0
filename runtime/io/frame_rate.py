"""The frame rate a zedo input file carries: an optional ``fps`` field of zedo's own ``.npz`` or
``.json`` (what ``keypoints2d.npz`` of a video run holds), which ``zedo-infer`` takes as the default
of ``--fps``, so the 3D redone from a file is smoothed as the first run was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .readers import read_json

MAX_FPS = 1000.0  # the most frames per second any input, file or flag, may give (Request.fps too)


def _npz_fps(path: Path) -> dict:
    """{"fps": the array} of an .npz that has one (only that member is read), else {}; an
    unreadable file is left to the reader."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {"fps": f["fps"]} if "fps" in f.files else {}
    except (OSError, ValueError, zipfile.BadZipFile):
        return {}


def input_fps(path) -> float | None:
    """The ``fps`` of zedo's input at ``path`` (frames per second), or None where the file has none
    or is not zedo's .npz/.json (left to the reader). ValueError naming the file for an ``fps``
    that is not one number in (0, 1000]."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in (".npz", ".json"):
        return None
    doc = _npz_fps(path) if suffix == ".npz" else read_json(path)
    if not isinstance(doc, dict) or doc.get("fps") is None:
        return None
    try:
        fps = float(np.asarray(doc["fps"], dtype=np.float64))
    except (TypeError, ValueError):
        fps = float("nan")
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"{path}: fps must be one number of frames per second in (0, {MAX_FPS:g}], got {fps:g}")
    return fps

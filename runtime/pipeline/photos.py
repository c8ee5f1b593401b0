"""The overlays of photos: for one image ``overlay.png`` (the photo with its skeletons beside the 3D
panel, as a video's frame), for a folder of images ``overlay/NAME.png``, one per photo read."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..media.decode import MediaReader
from ..media.encode import write_png
from .overlay import Scene, compose
from .run import Lifted

OVERLAY_PNG, OVERLAY_FOLDER = "overlay.png", "overlay"


def write_photo_overlays(folder: Path, reader: MediaReader, lifted: Lifted, on_frame: Callable[[], None]) -> list[Path]:
    """Draw each photo of ``reader`` (an image or a folder of images) with its people of
    ``lifted`` into ``folder``, each over its own floor (``Scene.of`` its rows); returns the files
    written (each atomically)."""
    source = reader.source
    written = []
    for index, rgb in reader:
        name = reader.images[index]
        path = folder / OVERLAY_PNG if source.kind == "image" else folder / OVERLAY_FOLDER / f"{name.stem}.png"
        scene = Scene.of(lifted, None, np.flatnonzero(lifted.inputs.frame == index))
        written.append(write_png(path, compose(rgb, scene, index, name.name)))
        on_frame()
    return written

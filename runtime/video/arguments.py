"""The arguments of the stream API checked where they are given, each named as Python spells it
(``K``, ``image_size``, ``layout``, ``capacity``, ``rows``): ``PoseStream`` and ``CrowdStream``
check theirs when made, ``Streams.step`` its rows against the streams it has. Units: pixels (K
(3, 3), image_size (width, height)); rows and frames are whole numbers. ValueError with one line.
"""

from __future__ import annotations

import numpy as np

from ..core.camera import check_image_size
from ..core.config import LoopConfig
from ..io.intrinsics import check_K
from ..io.layout_rules import Layout
from ..io.layouts import file_layout
from ..io.numbers import as_numbers, whole_numbers
from .stream_config import StreamConfig


def check_stream_arguments(K, image_size, layout, config, stream_config) -> None:
    """A stream's camera (``K`` (3, 3) px, or ``image_size`` (width, height) px, or both), its
    ``layout`` (a known name, a ``Layout`` or None), ``config`` (a ``LoopConfig``) and
    ``stream_config`` (a ``StreamConfig``); ValueError naming the argument otherwise."""
    for name, value, kind in (("config", config, LoopConfig), ("stream_config", stream_config, StreamConfig)):
        if not isinstance(value, kind):
            raise ValueError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
    if K is None and image_size is None:
        raise ValueError("a stream needs its camera: give K=(3, 3) pixel intrinsics or image_size=(W, H)")
    if image_size is not None:
        check_image_size(image_size, "image_size")
    if K is not None:
        check_K(K, 1, "K", image_size)
    if not isinstance(layout, Layout):
        file_layout(layout, "layout")


def check_capacity(capacity) -> int:
    """``capacity`` (people tracked at once) as a whole number in [1, 4096]; ValueError otherwise."""
    if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) or not 1 <= capacity <= 4096:
        raise ValueError(f"capacity must be a whole number in [1, 4096], got {capacity!r}")
    return int(capacity)


def check_step(size: int, rows, keypoints, scores, K, valid, frame) -> tuple:
    """``Streams.step``'s arguments for ``size`` streams: rows (n,) distinct whole numbers in
    [0, size), keypoints (n, 17, 2) px, scores (n, 17), K (n, 3, 3), valid (n,) booleans and frame
    (n,) whole numbers >= 0, as arrays; ValueError naming the argument otherwise."""
    rows = np.asarray(rows)
    n = rows.size
    rows = whole_numbers(rows.reshape(-1) if rows.ndim <= 1 else rows, n, "Streams.step", "rows")
    if (rows >= size).any() or len(np.unique(rows)) != n:
        raise ValueError(f"Streams.step: rows must be distinct stream indices in [0, {size}), got {rows.tolist()}")
    shapes = {"keypoints": (n, 17, 2), "scores": (n, 17), "K": (n, 3, 3)}
    arrays = {k: as_numbers(v, "Streams.step", k) for k, v in zip(shapes, (keypoints, scores, K))}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise ValueError(f"Streams.step: {name} has shape {arrays[name].shape}, expected {shape}")
    valid = np.asarray(valid)
    if valid.shape != (n,) or valid.dtype != bool:
        raise ValueError(f"Streams.step: valid must be ({n},) booleans, got {valid.dtype} of shape {valid.shape}")
    frame = whole_numbers(frame, n, "Streams.step", "frame")
    return rows, arrays["keypoints"], arrays["scores"], arrays["K"], valid, frame

"""The Python side of the C++ wrapper (``cpp/include/zedo/zedo.hpp`` and its C ABI ``zedo_c.h``).

The wrapper hands these classes NumPy arrays over the caller's own float32 buffers (no copies):
keypoints (n, J, 2) px in the lifter's layout, scores (n, J) in [0, 1] or None, K (3, 3) or
(n, 3, 3) px, and ``out`` (n, 17, 3) over the caller's result buffer, which is filled in place
with metres in the camera frame (NaN rows for a pose that cannot be placed). Errors are the
runtime's own (ValueError naming the field); the wrapper turns them into one-line C++ exceptions
with ``one_line``.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..core.config import LoopConfig
from ..core.result import Estimate
from ..engines.open import open_engine
from ..io.formats import check_output_path, load_input, save_output
from ..io.layouts import get_layout
from ..pipeline.jobs import run_fields
from ..solve.api import estimate
from ..video.stream import PoseStream, StreamConfig
from .commands import MAX_THREADS, one_line

EXAMPLE = Path(__file__).parents[1] / "examples" / "example.npz"  # the bundled example (32 poses)

__all__ = ["EXAMPLE", "Lifter", "Stream", "check_output", "describe_python", "one_line", "read_input", "write_output"]


def describe_python() -> str:
    """Which Python runs the runtime, for messages: version, executable, ``sys.prefix``, zedo's folder."""
    return f"Python {sys.version.split()[0]} at {sys.executable} (sys.prefix {sys.prefix}; zedo from {Path(__file__).parents[1]})"


def loop_config(iterations: int, start_candidates: int) -> LoopConfig:
    """The wrapper's loop settings: ``start_candidates`` 0 keeps zedo's default."""
    return LoopConfig(iterations=iterations, start_candidates=start_candidates or LoopConfig.start_candidates)


class _Runner:
    """What a lifter and a stream share: the engine, the loop settings and the keypoint layout."""

    def __init__(self, engine: str, layout: str, device: str, threads: int, iterations: int, start_candidates: int):
        if isinstance(threads, bool) or not 0 <= threads <= MAX_THREADS:
            raise ValueError(f"threads must be in [0, {MAX_THREADS}] (0: ONNX Runtime's default), got {threads!r}")
        self.keypoint_count = len(get_layout(layout).joint_names)
        self.layout = layout
        self.config = loop_config(iterations, start_candidates)
        self.engine = open_engine(engine, device=device, threads=threads)
        # One call at a time per object: an engine on a GPU binds shared device buffers.
        self.lock = threading.Lock()


class Lifter(_Runner):
    """``estimate`` for a batch of poses, its result written into the caller's buffer."""

    def lift(self, keypoints: np.ndarray, scores, K: np.ndarray, out: np.ndarray) -> None:
        """keypoints (n, J, 2) px, scores (n, J) or None, K (3, 3) or (n, 3, 3); fills ``out`` (n, 17, 3) metres."""
        with self.lock:
            result = estimate(keypoints, K, scores, engine=self.engine, config=self.config, layout=self.layout)
        out[...] = result.joints_3d


class Stream(_Runner):
    """``PoseStream`` for one person frame by frame, each frame at the options' iterations; K (3, 3)
    px is copied (the caller's buffer may go)."""

    def __init__(self, K: np.ndarray, **options):
        super().__init__(**options)
        stream_config = StreamConfig(iterations=self.config.iterations)
        self.stream = PoseStream(
            self.engine,
            K=np.array(K, dtype=np.float64),
            layout=self.layout,
            config=self.config,
            stream_config=stream_config,
        )

    def update(self, keypoints: np.ndarray, scores, out: np.ndarray) -> bool:
        """keypoints (J, 2) px, scores (J,) or None; fills ``out`` (17, 3) metres; returns whether the frame was placed."""
        with self.lock:
            frame = self.stream.update(keypoints, scores)
        out[...] = frame.joints_3d
        return bool(frame.valid)

    def reset(self) -> None:
        with self.lock:
            self.stream.reset()


def read_input(path: str, layout: str = "", image_size=None) -> dict:
    """A ``zedo-infer`` input (``load_input``; ``layout`` "" and ``image_size`` None: the file's own
    or inferred) as C-contiguous arrays for C++: keypoints (n, 17, 2) float32 px in the h36m17
    order, scores (n, 17) float32, K (n, 3, 3) float32; the input's ``layout`` name, ``frame`` and
    ``track`` (n,) int64 or None, and ``notes`` (what was assumed)."""
    inputs = load_input(path, layout=layout or None, image_size=image_size)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return {
        "keypoints": f32(inputs.keypoints),
        "scores": f32(inputs.scores),
        "K": f32(inputs.K),
        "layout": inputs.layout,
        "frame": inputs.frame,
        "track": inputs.track,
        "notes": list(inputs.notes),
    }


def check_output(path: str, input_path: str) -> None:
    """``zedo-infer``'s check of an output path, before a run: a known suffix, not the input."""
    check_output_path(path, inputs=[input_path])


def write_output(
    path: str,
    joints_3d: np.ndarray,
    K: np.ndarray,
    layout: str,
    frame,
    track,
    engine: str,
    iterations: int,
    start_candidates: int,
) -> None:
    """Write ``zedo-infer``'s output (``save_output``, atomically) for joints_3d (n, 17, 3) metres
    lifted with these settings; ``valid`` is where the joints are finite."""
    joints = np.asarray(joints_3d, dtype=np.float64)
    n = len(joints)
    nan = np.full((n, 1), np.nan)
    valid = np.isfinite(joints).all(axis=(1, 2))
    result = Estimate(
        joints,
        joints[:, 0].copy(),
        joints[:, None],
        np.zeros(n, np.int64),
        nan,
        nan,
        "prior",
        valid,
        np.asarray(K, np.float64),
        layout,
    )
    config = loop_config(iterations, start_candidates)
    save_output(path, result, SimpleNamespace(frame=frame, track=track), **run_fields(engine, config, 0))

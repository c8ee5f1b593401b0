"""The Python side of the C++ wrapper (``cpp/include/zedo/zedo.hpp`` and its C ABI ``zedo_c.h``).

The wrapper hands these classes NumPy arrays over the caller's own float32 buffers (no copies):
keypoints (n, J, 2) px in the lifter's layout, scores (n, J) in [0, 1] or None, K (3, 3) or
(n, 3, 3) px, and ``out`` (n, 17, 3) over the caller's result buffer, which is filled in place
with metres in the camera frame (NaN rows for a pose that cannot be placed). Errors are the
runtime's own (ValueError naming the field); the wrapper turns them into one-line C++ exceptions
with ``one_line`` (settings named by their flags, as the C++ commands take them).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..core import errors
from ..core.config import LoopConfig
from ..core.result import Estimate
from ..io.formats import check_output_path, load_input
from ..io.layouts import get_layout
from ..pipeline.request import Request
from ..pipeline.run import Lifted, lift_source, lifts_as_video, write_result
from ..solve.api import estimate
from ..video.stream import PoseStream, StreamConfig

EXAMPLE = Path(__file__).parents[1] / "examples" / "example.npz"  # the bundled example (32 poses)

__all__ = [
    "EXAMPLE",
    "Lifter",
    "Stream",
    "check_output",
    "describe_python",
    "lift_file",
    "one_line",
    "read_input",
    "request",
    "write_output",
]


def one_line(e: BaseException) -> str:
    """An error as the wrapper and its commands (``zedo_lift``, ``zedo_stream``, which take
    zedo-infer's flags) report it: ``core.errors.one_line``, settings named by their flags."""
    return errors.command_flags(errors.one_line(e))


def describe_python() -> str:
    """Which Python runs the runtime, for messages: version, executable, ``sys.prefix``, zedo's folder."""
    where = f"sys.prefix {sys.prefix}; zedo from {Path(__file__).parents[1]}"
    return f"Python {sys.version.split()[0]} at {sys.executable} ({where})"


def request(
    engine: str = "default",
    layout: str = "",
    device: str = "cpu",
    threads: int = 0,
    iterations: int | None = None,
    start_candidates: int = 0,
    image_size=None,
) -> Request:
    """The wrapper's ``Request`` from ``zedo::Options``: ``iterations`` None and ``start_candidates``
    0 keep zedo's defaults (a video's frames then run the stream mode's loop, as zedo-infer's do),
    ``layout`` "" the file's own or the inferred one."""
    config = LoopConfig()
    if iterations is not None:
        config = replace(config, iterations=iterations)
    if start_candidates:
        config = replace(config, start_candidates=start_candidates)
    return Request(
        engine=engine,
        device=device,
        threads=threads,
        config=config,
        layout=layout or None,
        image_size=image_size,
        frame_iterations=iterations,
    )


class _Runner:
    """What a lifter and a stream share: the request (engine, loop settings, keypoint layout) and
    the open engine."""

    def __init__(self, **options):
        self.request = request(**options)
        self.layout = self.request.layout or "h36m17"
        self.keypoint_count = len(get_layout(self.layout).joint_names)
        self.config = self.request.config
        self.engine = self.request.open_engine()
        # One call at a time per object: an engine on a GPU binds shared device buffers.
        self.lock = threading.Lock()


class Lifter(_Runner):
    """``estimate`` for a batch of poses, its result written into the caller's buffer."""

    def lift(self, keypoints: np.ndarray, scores, K: np.ndarray, out: np.ndarray) -> None:
        """keypoints (n, J, 2) px, scores (n, J) or None, K (3, 3) or (n, 3, 3); fills ``out`` (n, 17, 3) metres."""
        with self.lock:
            result = estimate(keypoints, K=K, scores=scores, engine=self.engine, config=self.config, layout=self.layout)
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
        """keypoints (J, 2) px, scores (J,) or None; fills ``out`` (17, 3) metres; returns whether the
        frame was placed."""
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


def write_output(path: str, joints_3d: np.ndarray, K: np.ndarray, layout: str, frame, track, **options) -> None:
    """Write ``zedo-infer``'s output (``save_output``, atomically) for joints_3d (n, 17, 3) metres
    lifted with ``options`` (``request``'s); ``valid`` is where the joints are finite."""
    joints = np.asarray(joints_3d, dtype=np.float64)
    n = len(joints)
    nan = np.full((n, 1), np.nan)
    valid = np.isfinite(joints).all(axis=(1, 2))
    K = np.asarray(K, np.float64)
    result = Estimate(
        joints, joints[:, 0].copy(), joints[:, None], np.zeros(n, np.int64), nan, nan, "prior", valid, K, layout
    )
    write_result(path, Lifted(SimpleNamespace(frame=frame, track=track), result), request(**options))


def lift_file(input_path: str, output_path: str, **options) -> dict:
    """``zedo_lift``: lift an input file into an output file through ``pipeline.run.lift_source``,
    the path of ``zedo-infer -o`` (the same answer); ``options`` as ``request``'s. Returns the
    count of poses, of invalid ones, the seconds and the iterations of the lift, and the notes."""
    req = request(**options)
    check_output_path(output_path, inputs=[input_path])
    notes = []
    start = time.perf_counter()
    lifted = lift_source(input_path, req, on_read=lambda inputs: notes.extend(inputs.notes))
    seconds = time.perf_counter() - start
    write_result(output_path, lifted, req)
    video = lifts_as_video(lifted.inputs, req)
    valid = lifted.result.valid
    iterations = req.stream.iterations if video else req.config.iterations
    return {
        "n": len(valid),
        "invalid": int((~valid).sum()),
        "seconds": seconds,
        "iterations": iterations,
        "notes": notes,
    }

"""The request: every setting that decides what one run writes, made once by each front door
(``zedo-infer``'s ``-o``, ``--output-dir`` and ``--ray``, the Python API, the C++ wrapper) and
checked once, here, when it is made.

A bad setting raises ``FieldError`` naming its field (``batch_size``); the command line renders
it with its flag (``--batch-size``, ``zedo.runtime.apps.loop_settings.FLAGS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.config import LoopConfig, check_float, check_int, check_threads
from ..core.errors import FieldError
from ..engines.open import DEVICES, Engine, open_engine
from ..engines.prior_file import TENSORRT_SUFFIXES
from ..io.exports import COORDINATES
from ..io.frame_rate import MAX_FPS
from ..io.intrinsics import check_K
from ..io.layouts import get_layout
from ..io.undistort import DISTORTION_SIZES
from ..solve.api import check_run
from ..solve.level import check_gravity
from ..video.stream import StreamConfig

# --output-format -> the suffix of its files; "zedo" and "json" hold the same fields.
FORMAT_SUFFIX = {"zedo": ".npz", "json": ".json", "mmpose": ".json"}


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise FieldError(name, f"must be one of {', '.join(map(str, choices))}, got {value!r}")


def _check_image_size(value) -> None:
    if value is None:
        return
    if len(value) != 2:
        raise FieldError("image_size", f"must be (width, height) in pixels, got {value!r}")
    for v in value:
        check_float("image_size", v, 0.0, 1e6, low_open=True)


def _check_camera(K, distortion, image_size) -> None:
    """K (3, 3) a pinhole camera's pixel intrinsics (for the image size, if given); distortion
    OpenCV's 4, 5 or 8 finite coefficients, only with K."""
    if K is not None:
        try:
            check_K(K, 1, "K", image_size)
        except ValueError as e:
            raise FieldError("K", f"is not a camera's pixel intrinsics ({str(e).removeprefix('K: ')})") from None
    if distortion is None:
        return
    if K is None:
        raise FieldError("distortion", "needs the intrinsics K of the same camera")
    d = np.asarray(distortion, dtype=object).ravel()
    if d.size not in DISTORTION_SIZES or not all(
        isinstance(v, (int, float, np.floating, np.integer)) and np.isfinite(v) for v in d
    ):
        raise FieldError(
            "distortion", f"must be 4, 5 or 8 finite numbers (k1 k2 p1 p2 [k3 [k4 k5 k6]]), got {distortion!r}"
        )


@dataclass(frozen=True)
class Request:
    """How one input is read, lifted and written.

    Engine: ``engine`` (bundled prior name or file), ``device`` (``engines.open.DEVICES``),
    ``threads`` (ONNX Runtime intra-op threads; 0: its default). Loop: ``hypotheses`` per pose,
    ``config``, ``batch_size`` (pose, hypothesis) pairs per prior call, ``selection`` among
    hypotheses, ``seed`` of the "sde" sampler. Reading: ``layout`` and ``image_size`` (width,
    height) px where a file does not say; ``K`` ((3, 3) nested tuples, px) a calibrated camera's
    intrinsics where a file has none (one that has must agree) and ``distortion`` its lens (OpenCV's
    k1 k2 p1 p2 [k3 [k4 k5 k6]]; keypoints undistorted before lifting, ``io.cameras``);
    ``trust_edges`` keeps the scores of keypoints on the edge of an ``image_size`` image
    (``io.edges``). Video (an input with frame indices): ``per_frame`` lifts each pose on its own
    instead; ``smooth`` smooths each track in time; ``fps`` is the smoothing's clock;
    ``frame_iterations`` the loop of each frame (None: the stream mode's ``StreamConfig.iterations``);
    ``retrack`` redoes the person ids of an input that has them (an input without ids is always
    tracked, ``video.tracker``). Writing: ``output_format`` (a key of ``FORMAT_SUFFIX``); ``frame``
    the coordinates ("camera", "world": ``video.floor``; None: world for .bvh and .trc, camera
    otherwise); ``fixed_bones`` one skeleton per track (``video.skeleton_fit``; None: for .bvh and
    .trc, not otherwise; a .bvh always has one).
    Camera: ``gravity``, its down direction (gx, gy, gz) in camera coordinates, "level" to assume
    a level camera, None to estimate it per camera (``zedo.runtime.solve.level``).
    """

    engine: str = "default"
    device: str = "cpu"
    threads: int = 0
    hypotheses: int = 1
    config: LoopConfig = field(default_factory=LoopConfig)
    batch_size: int = 1024
    selection: str = "auto"
    seed: int = 0
    layout: str | None = None
    image_size: tuple[float, float] | None = None
    K: tuple | None = None
    distortion: tuple[float, ...] | None = None
    per_frame: bool = False
    smooth: bool = True
    fps: float = 25.0
    frame_iterations: int | None = None
    retrack: bool = False
    trust_edges: bool = False
    output_format: str = "zedo"
    frame: str | None = None
    fixed_bones: bool | None = None
    gravity: tuple[float, float, float] | str | None = None

    def __post_init__(self):
        if not isinstance(self.engine, (str, Path)):
            raise FieldError("engine", f"must be a bundled prior's name or a file, got a {type(self.engine).__name__}")
        _check_choice("device", self.device, DEVICES)
        check_threads(self.threads)
        check_run(self.hypotheses, self.config, self.batch_size, self.selection, self.seed)
        if self.layout is not None:
            get_layout(self.layout)
        _check_image_size(self.image_size)
        _check_camera(self.K, self.distortion, self.image_size)
        for name in ("per_frame", "smooth", "retrack", "trust_edges"):
            if not isinstance(getattr(self, name), bool):
                raise FieldError(name, f"must be True or False, got {getattr(self, name)!r}")
        check_float("fps", self.fps, 0.0, MAX_FPS, low_open=True)
        if self.frame_iterations is not None:
            check_int("frame_iterations", self.frame_iterations, 1, 100_000)
        _check_choice("output_format", self.output_format, tuple(FORMAT_SUFFIX))
        if self.frame is not None:
            _check_choice("frame", self.frame, COORDINATES)
        if not isinstance(self.fixed_bones, (bool, type(None))):
            raise FieldError("fixed_bones", f"must be True, False or None, got {self.fixed_bones!r}")
        check_gravity(self.gravity)

    @property
    def stream(self) -> StreamConfig:
        """A video's settings: its frame rate and each frame's loop iterations."""
        if self.frame_iterations is None:
            return StreamConfig(fps=self.fps)
        return StreamConfig(fps=self.fps, iterations=self.frame_iterations)

    @property
    def on_gpu(self) -> bool:
        """Whether the engine runs on a GPU (a CUDA or TensorRT device, or a TensorRT plan)."""
        return self.device in ("cuda", "tensorrt") or Path(str(self.engine)).suffix.lower() in TENSORRT_SUFFIXES

    def open_engine(self) -> Engine:
        return open_engine(self.engine, device=self.device, threads=self.threads)

    def check_engine(self) -> None:
        """Open the prior on the CPU (a TensorRT plan: see that the file exists), so that a bad
        engine stops a job before any input is read; the device is checked where workers run."""
        if Path(str(self.engine)).suffix.lower() in TENSORRT_SUFFIXES:
            if not Path(self.engine).is_file():
                raise FileNotFoundError(f"engine file {self.engine} does not exist")
            return
        open_engine(self.engine, device="cpu", threads=1)

"""zedo.runtime: torch-free ZeDO inference over NumPy (CPU) or CuPy (GPU) buffers.

Public API (pinned by tests/test_public_api.py): ``lift_file`` lifts one input file (any format,
single poses or a video, one or many people) with a ``Request`` (every setting of a run, checked
once), the path behind every front door; ``lift_video`` a video, a photo or a folder of photos
through a 2D detector (``lift_camera``: a camera), writing the 2D, the 3D and an overlay;
``estimate`` lifts 2D keypoint arrays to metric 3D poses; ``PoseStream`` lifts one person frame
by frame (``StreamConfig``); ``open_engine`` opens a prior (bundled name, .onnx, or TensorRT
plan); ``LoopConfig`` and ``SDEConfig`` configure the loop (``preset_config``: the named settings
of ``--preset``); ``load_input`` / ``save_output`` read and write the file formats of
``zedo-infer``.

Sub-packages, lowest layer first; a module imports only from its own layer or lower ones
(pinned by tests/test_layers.py; docs/decisions.md, "The runtime's layers"):

1. ``core``: skeleton, pinhole geometry, camera, the SDE and its samplers, settings, the result,
   errors
2. ``io``: atomic writes, .npz, keypoint layouts, the one validation of keypoints/scores/K,
   detector readers, zedo's file formats
3. ``media``: decoding videos, images and cameras into RGB frames, encoding frames back
4. ``engines``: the prior file, the Engine protocol and its table, the backends, parity
5. ``detect``: 2D detectors behind one interface (``Detector``) and their table
6. ``solve``: the initial pose, the placed start, the noise model, scoring, the loop,
   ``lift_batch`` and ``estimate``
7. ``video``: the One-Euro filter, two-sided smoothing, the live stream mode, a recorded video's
   tracks
8. ``pipeline``: the request, one input to one result (``run``), many inputs into a folder
   (``plan``, ``jobs``), the same on Ray (``ray_data``, imported only where Ray is installed)
9. ``apps``: the error boundary and options of every command, ``zedo-infer``, the picture, the
   C++ wrapper's Python side (``embed``)
"""

from .core.config import LoopConfig, preset_config
from .core.result import Estimate
from .core.sde import SDEConfig
from .engines.onnxruntime_engine import OnnxRuntimeEngine
from .engines.open import Engine, open_engine
from .engines.prior_file import BUNDLED_PRIORS, PriorMeta
from .engines.tensorrt_engine import TensorRTEngine
from .io.formats import load_input, save_output
from .pipeline.media_run import lift_camera, lift_video
from .pipeline.request import Request
from .pipeline.run import lift_file
from .solve.api import estimate
from .video.stream import PoseStream, StreamConfig

__all__ = [
    "BUNDLED_PRIORS",
    "Engine",
    "Estimate",
    "LoopConfig",
    "OnnxRuntimeEngine",
    "PoseStream",
    "PriorMeta",
    "Request",
    "SDEConfig",
    "StreamConfig",
    "TensorRTEngine",
    "estimate",
    "lift_camera",
    "lift_file",
    "lift_video",
    "load_input",
    "open_engine",
    "preset_config",
    "save_output",
]

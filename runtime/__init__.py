"""zedo.runtime: torch-free ZeDO inference over NumPy (CPU) or CuPy (GPU) buffers.

Public API (pinned by tests/test_public_api.py): ``estimate`` lifts 2D keypoints to metric 3D
poses; ``PoseStream`` lifts one person frame by frame, each frame's start kept close to the last
(``StreamConfig``); ``open_engine`` opens a prior (bundled name,
.onnx, or TensorRT plan); ``LoopConfig`` and ``SDEConfig`` configure the loop (``preset_config``:
the named settings of ``--preset``, e.g. ``v1`` and ``paper``); ``load_input`` /
``save_output`` read and write the file formats of ``zedo-infer``.

Modules, along the data flow (each states its shapes and units):

- ``skeleton``: the prior's 17 joints; ``layouts``: 2D keypoint layouts mapped onto them
- ``validation``: the one check of keypoints, scores and K; ``formats``: zedo-infer's files
- ``geometry``: pinhole projection, rays, the closed-form translation
- ``sde``: the sub-VP SDE, its time schedule and samplers; ``config``: ``LoopConfig``
- ``prior_file``: the prior file (contract, metadata, sidecar, suffixes, bundled priors)
- ``engines``: the ``Engine`` protocol and the suffix table; ``onnxruntime_engine``,
  ``tensorrt_engine``, ``split_engine``, ``numpy_engine``: the backends (``onnx_proto``: an ONNX
  file's weights and nodes without the onnx package); ``compare``: parity of any two runners
- ``ipo``: the initial pose optimisation; ``scoring``: reprojection and prior plausibility;
  ``start``: the placed start (``place_start``, ``choose_start``)
- ``loop``: the iterations from a placed start; ``lift``: ``lift_batch``, one batch on the device
- ``api``: ``estimate`` (host orchestration); ``result``: ``Estimate``
- ``stream``: the live stream mode (``Streams``, ``PoseStream``, ``StreamConfig``); ``filters``: the
  One-Euro filter; ``tracks``: a recorded video's tracks, lifted then smoothed (``lift_tracks``);
  ``smoothing``: in time, both directions
- ``commands``: the error boundary and loop options of every command; ``cli``: ``zedo-infer``
- ``jobs``: many inputs into an output folder (chunks, ``--resume``, one bad input never stops the
  others); ``jobs_cli``: its options; ``ray_data``: the same on Ray, and ``lift_dataset`` for a Ray
  Dataset of poses (imported only where Ray is installed)
- ``embed``: the Python side of the C++ wrapper and C ABI (``cpp/``)
- ``atomic``: atomic writes; ``plot``: the picture (or animation) of ``--plot``
"""

from .core.config import LoopConfig, preset_config
from .core.result import Estimate
from .core.sde import SDEConfig
from .engines.onnxruntime_engine import OnnxRuntimeEngine
from .engines.open import Engine, open_engine
from .engines.prior_file import BUNDLED_PRIORS, PriorMeta
from .engines.tensorrt_engine import TensorRTEngine
from .io.formats import load_input, save_output
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
    "SDEConfig",
    "StreamConfig",
    "TensorRTEngine",
    "estimate",
    "load_input",
    "open_engine",
    "preset_config",
    "save_output",
]

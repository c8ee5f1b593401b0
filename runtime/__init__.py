"""zedo.runtime: torch-free ZeDO inference over NumPy (CPU) or CuPy (GPU) buffers.

Public API (pinned by tests/test_public_api.py): ``estimate`` lifts 2D keypoints to metric 3D
poses; ``open_engine`` opens a prior (bundled name, .onnx, or TensorRT plan); ``LoopConfig`` and
``SDEConfig`` configure the loop; ``load_input`` / ``save_output`` read and write the file formats
of ``zedo-infer``.
"""

from .api import Estimate, estimate
from .engines import BUNDLED_PRIORS, OnnxRuntimeEngine, TensorRTEngine, open_engine
from .inputs import load_input, save_output
from .loop import LoopConfig
from .metadata import PriorMeta
from .sde import SDEConfig

__all__ = [
    "BUNDLED_PRIORS",
    "Estimate",
    "LoopConfig",
    "OnnxRuntimeEngine",
    "PriorMeta",
    "SDEConfig",
    "TensorRTEngine",
    "estimate",
    "load_input",
    "open_engine",
    "save_output",
]

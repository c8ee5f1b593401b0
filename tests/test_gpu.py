"""The CuPy path: the same loop on device buffers gives the NumPy result. Runs only where CuPy sees a GPU."""

from __future__ import annotations

import numpy as np
import pytest

from zedo.runtime import LoopConfig, OnnxRuntimeEngine, estimate

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.gpu

try:
    _GPU = cupy.cuda.runtime.getDeviceCount() > 0
except cupy.cuda.runtime.CUDARuntimeError:
    _GPU = False
if not _GPU:
    pytest.skip("CuPy finds no GPU", allow_module_level=True)


class _CupyWrapped:
    """The CPU ONNX engine behind CuPy buffers: isolates the loop's CuPy arithmetic from the engine."""

    def __init__(self, engine):
        self.engine, self.meta, self.xp = engine, engine.meta, cupy

    def __call__(self, x, t):
        return cupy.asarray(self.engine(cupy.asnumpy(x), cupy.asnumpy(t)))


def test_cupy_loop_matches_numpy(tiny_prior, synth):
    s = synth(6)
    cpu = OnnxRuntimeEngine(tiny_prior)
    cfg = LoopConfig(iterations=30)
    a = estimate(s["keypoints"], K=s["K"], engine=cpu, config=cfg, hypotheses=2)
    b = estimate(s["keypoints"], K=s["K"], engine=_CupyWrapped(cpu), config=cfg, hypotheses=2)
    np.testing.assert_allclose(a.hypotheses, b.hypotheses, atol=1e-4)


def test_onnxruntime_cuda_engine(tiny_prior, synth):
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime without the CUDA execution provider")
    s = synth(4)
    cfg = LoopConfig(iterations=30)
    a = estimate(s["keypoints"], K=s["K"], engine=OnnxRuntimeEngine(tiny_prior), config=cfg)
    b = estimate(s["keypoints"], K=s["K"], engine=OnnxRuntimeEngine(tiny_prior, device="cuda"), config=cfg)
    np.testing.assert_allclose(a.joints_3d, b.joints_3d, atol=1e-3)

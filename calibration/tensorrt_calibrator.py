"""A TensorRT INT8 calibrator over a calibration set, for implicit (legacy) INT8 engine builds.

Implicit quantization lets TensorRT pick INT8 layers of an FP32 ONNX prior itself, with ranges from
this calibrator (x (N, 17, 3) float32 metres, t (N,) float32, ``zedo.calibration.dataset``). It is
deprecated since TensorRT 10.1 and removed in 11: prefer ``zedo.calibration.int8.quantize_int8``'s
Q/DQ file, which TensorRT builds without a calibrator. Needs TensorRT and CuPy (GPU buffers).
"""

from __future__ import annotations

from pathlib import Path

from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.engines.prior_file import INPUT_T, INPUT_X
from zedo.runtime.io.atomic import atomic_path

from .int8 import check_set


def tensorrt_calibrator(calib_x, calib_t, cache_file=None, batch_size: int = 256):
    """A TensorRT ``IInt8EntropyCalibrator2`` over a calibration set, for implicit INT8 builds.

    calib_x (N, 17, 3) float32 metres, calib_t (N,) float32, served ``batch_size`` rows at a time
    from GPU buffers (CuPy); a remainder smaller than a batch is dropped. cache_file: where
    TensorRT's calibration table is read from (if it exists: calibration is then skipped) and
    written to. Pass it to ``zedo.export.tensorrt.build_engine(..., int8=True, calibrator=...)``
    with the FP32 ONNX file. Implicit quantization is deprecated since TensorRT 10.1 (removed in
    11): prefer ``quantize_int8``'s Q/DQ file, which TensorRT builds without a calibrator.

    Raises RuntimeError if TensorRT or CuPy is missing, ValueError for a bad set or batch size.
    """
    x, t = check_set(calib_x, calib_t)
    if not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be in 1..{len(x)} (the set's size), got {batch_size}")
    try:
        import tensorrt as trt
    except ImportError:
        raise RuntimeError("TensorRT is not installed: pip install tensorrt on a machine with an NVIDIA GPU") from None
    if not hasattr(trt, "IInt8EntropyCalibrator2"):
        raise RuntimeError(
            f"TensorRT {trt.__version__} has no calibrators (removed in 11); build the Q/DQ file from quantize_int8"
        )
    try:
        import cupy
    except ImportError:
        raise RuntimeError("the TensorRT calibrator needs CuPy for its GPU buffers: pip install 'zedo[gpu]'") from None

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        """Serves the calibration set to TensorRT batch by batch; caches the resulting table."""

        def __init__(self):
            # TensorRT's Python bindings need the base initialiser called explicitly.
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.batches = len(x) // batch_size
            self.index = 0
            self.cache_file = None if cache_file is None else Path(cache_file)
            self._x = cupy.empty((batch_size, NUM_JOINTS, 3), dtype=cupy.float32)
            self._t = cupy.empty((batch_size,), dtype=cupy.float32)

        def get_batch_size(self):
            return batch_size

        def get_batch(self, names):
            if self.index >= self.batches:
                return None
            s = slice(self.index * batch_size, (self.index + 1) * batch_size)
            self._x.set(x[s])
            self._t.set(t[s])
            self.index += 1
            pointers = {INPUT_X: int(self._x.data.ptr), INPUT_T: int(self._t.data.ptr)}
            return [pointers[n] for n in names]

        def read_calibration_cache(self):
            if self.cache_file is not None and self.cache_file.is_file():
                return self.cache_file.read_bytes()
            return None

        def write_calibration_cache(self, cache):
            if self.cache_file is not None:
                with atomic_path(self.cache_file) as tmp:
                    tmp.write_bytes(bytes(cache))

    return EntropyCalibrator()

"""A serialized TensorRT plan (TensorRT 10 Python API) with its metadata sidecar; CuPy buffers.
Shapes as ``zedo.runtime.engines.open.Engine``."""

from __future__ import annotations

from pathlib import Path

from .prior_file import INPUT_T, INPUT_X, OUTPUT_EPS, read_sidecar


class TensorRTEngine:
    """A TensorRT plan built by ``zedo-export --engine`` on this GPU and TensorRT version."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = read_sidecar(self.path)
        try:
            import tensorrt as trt
        except ImportError:
            raise RuntimeError(
                f"{self.path}: TensorRT is not installed; run the .onnx prior on ONNX Runtime instead"
            ) from None
        import cupy

        self.xp = cupy
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        engine = runtime.deserialize_cuda_engine(self.path.read_bytes())
        if engine is None:
            raise ValueError(
                f"{self.path}: TensorRT could not deserialize the engine (built by another TensorRT version or GPU?)"
            )
        names = {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)}
        if names != {INPUT_X, INPUT_T, OUTPUT_EPS}:
            raise ValueError(f"{self.path}: engine tensors {sorted(names)} are not a zedo prior's (x, t -> eps)")
        self._engine = engine
        self._context = engine.create_execution_context()
        self._stream = cupy.cuda.Stream(non_blocking=True)

    def __call__(self, x, t):
        ctx = self._context
        eps = self.xp.empty_like(x)
        ctx.set_input_shape(INPUT_X, tuple(x.shape))
        ctx.set_input_shape(INPUT_T, tuple(t.shape))
        ctx.set_tensor_address(INPUT_X, x.data.ptr)
        ctx.set_tensor_address(INPUT_T, t.data.ptr)
        ctx.set_tensor_address(OUTPUT_EPS, eps.data.ptr)
        # The loop's own kernels run on the current stream; wait for them, then let them wait for us.
        self._stream.wait_event(self.xp.cuda.get_current_stream().record())
        if not ctx.execute_async_v3(self._stream.ptr):
            raise RuntimeError(f"{self.path}: TensorRT execution failed")
        self.xp.cuda.get_current_stream().wait_event(self._stream.record())
        return eps

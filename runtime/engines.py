"""Engines that evaluate the prior network: ONNX Runtime (CPU, CUDA) and TensorRT.

An engine is called as ``engine(x, t) -> eps`` on buffers of its array module ``engine.xp``
(``numpy`` on the CPU, ``cupy`` on a GPU): x (B, 17, 3) float32 metres, t (B,) float32, eps
(B, 17, 3) float32. GPU engines read and write device buffers in place (ONNX Runtime I/O
binding, TensorRT tensor addresses), so the loop makes no host-device copies.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .metadata import INPUT_T, INPUT_X, META_KEY, OUTPUT_EPS, PriorMeta, sidecar_path

BUNDLED_PRIORS: tuple[str, ...] = ("default", "h36m")
DEVICES: tuple[str, ...] = ("cpu", "cuda", "tensorrt")  # ONNX Runtime execution providers
ONNX_SUFFIXES = (".onnx",)
TENSORRT_SUFFIXES = (".trt", ".engine", ".plan")


def bundled_prior_path(name: str) -> Path:
    """Path of a prior shipped inside the package (``default``, ``h36m``)."""
    if name not in BUNDLED_PRIORS:
        raise ValueError(f"unknown bundled prior {name!r}; bundled priors are {', '.join(BUNDLED_PRIORS)}")
    path = Path(str(resources.files("zedo.runtime") / "priors" / f"{name}.onnx"))
    if not path.exists():
        raise FileNotFoundError(f"bundled prior {name!r} is missing from the installation ({path})")
    return path


def _read_sidecar(path: Path) -> PriorMeta:
    side = sidecar_path(path)
    if not side.exists():
        raise ValueError(f"{path}: no metadata sidecar {side.name} beside the engine (zedo-export writes it)")
    return PriorMeta.from_json(side.read_text(), source=str(side))


class OnnxRuntimeEngine:
    """A prior in an ONNX file on ONNX Runtime; ``device`` "cpu" (NumPy buffers), "cuda" (CUDA execution
    provider, CuPy buffers) or "tensorrt" (ONNX Runtime's TensorRT execution provider, CuPy buffers)."""

    def __init__(self, path: str | Path, device: str = "cpu", threads: int = 0):
        import onnxruntime as ort

        self.path = Path(path)
        if device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        providers = ["CPUExecutionProvider"]
        if device != "cpu":
            wanted = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}[device]
            if wanted not in ort.get_available_providers():
                raise RuntimeError(f"device {device!r} needs onnxruntime-gpu with the {wanted}")
            # TensorRT's provider hands the nodes it cannot build to CUDA, and CUDA its own to the CPU.
            providers = [wanted] + (["CUDAExecutionProvider"] if device == "tensorrt" else []) + ["CPUExecutionProvider"]
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types for unreadable models
            raise ValueError(f"{self.path}: not a readable ONNX model ({str(e).splitlines()[0][:200]})") from None
        names_in = [i.name for i in self.session.get_inputs()]
        names_out = [o.name for o in self.session.get_outputs()]
        if sorted(names_in) != sorted([INPUT_X, INPUT_T]) or names_out != [OUTPUT_EPS]:
            raise ValueError(f"{self.path}: inputs {names_in} and outputs {names_out} are not a zedo prior's (x, t -> eps)")
        custom = self.session.get_modelmeta().custom_metadata_map
        if META_KEY in custom:
            self.meta = PriorMeta.from_json(custom[META_KEY], source=str(self.path))
        else:
            self.meta = _read_sidecar(self.path)
        self.device = device
        if device != "cpu":
            import cupy

            self.xp = cupy
            self._binding = self.session.io_binding()
        else:
            self.xp = np

    def __call__(self, x, t):
        # ONNX Runtime's exceptions derive from Exception only; callers (zedo-infer) expect RuntimeError.
        try:
            if self.device == "cpu":
                return self.session.run([OUTPUT_EPS], {INPUT_X: x, INPUT_T: t})[0]
            eps = self.xp.empty_like(x)
            b = self._binding
            b.bind_input(INPUT_X, "cuda", 0, np.float32, list(x.shape), x.data.ptr)
            b.bind_input(INPUT_T, "cuda", 0, np.float32, list(t.shape), t.data.ptr)
            b.bind_output(OUTPUT_EPS, "cuda", 0, np.float32, list(eps.shape), eps.data.ptr)
            self.session.run_with_iobinding(b)
            return eps
        except Exception as e:
            raise RuntimeError(f"{self.path}: ONNX Runtime failed to run the prior ({str(e).splitlines()[0][:300]})") from e


class TensorRTEngine:
    """A serialized TensorRT plan (TensorRT 10 API) with its metadata sidecar; CuPy buffers."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = _read_sidecar(self.path)
        try:
            import tensorrt as trt
        except ImportError:
            raise RuntimeError(f"{self.path}: TensorRT is not installed; run the .onnx prior on ONNX Runtime instead") from None
        import cupy

        self.xp = cupy
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        engine = runtime.deserialize_cuda_engine(self.path.read_bytes())
        if engine is None:
            raise ValueError(f"{self.path}: TensorRT could not deserialize the engine (built by another TensorRT version or GPU?)")
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


def open_engine(engine: str | Path | None = None, device: str = "cpu", threads: int = 0):
    """Open a prior by bundled name (``default``, ``h36m``) or path (.onnx, .trt/.engine/.plan).

    None means the bundled default prior. Unknown names, missing files and unknown suffixes raise
    ValueError (FileNotFoundError for a missing path).
    """
    if engine is None:
        engine = "default"
    text = str(engine)
    if text in BUNDLED_PRIORS:
        return OnnxRuntimeEngine(bundled_prior_path(text), device=device, threads=threads)
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in ONNX_SUFFIXES + TENSORRT_SUFFIXES:
        raise ValueError(
            f"engine {text!r} is neither a bundled prior ({', '.join(BUNDLED_PRIORS)}) nor a file ending in "
            f"{', '.join(ONNX_SUFFIXES + TENSORRT_SUFFIXES)}"
        )
    if not path.exists():
        raise FileNotFoundError(f"engine file {path} does not exist")
    if suffix in ONNX_SUFFIXES:
        return OnnxRuntimeEngine(path, device=device, threads=threads)
    return TensorRTEngine(path)

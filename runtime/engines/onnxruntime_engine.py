"""A prior in an ONNX file on ONNX Runtime: CPU (NumPy buffers), CUDA or TensorRT execution
providers (CuPy buffers, I/O binding, so the loop makes no host-device copies). Shapes as
``zedo.runtime.engines.open.Engine``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.config import check_threads
from .prior_file import INPUT_T, INPUT_X, OUTPUT_EPS, check_contract, read_meta

# This engine's devices -> ONNX Runtime execution providers, in order of preference. TensorRT's
# provider hands the nodes it cannot build to CUDA, and CUDA its own to the CPU. What ``--device``
# takes, these among others, is the table of ``zedo.runtime.engines.open``.
PROVIDERS: dict[str, list[str]] = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}


def session_options(threads: int = 0, log_severity: int | None = None):
    """ONNX Runtime session options with ``threads`` intra-op threads (0: its default; at most
    ``MAX_THREADS``: ``core.config.check_threads``) and, if given, ``log_severity`` (0 verbose .. 4 fatal)."""
    import onnxruntime as ort

    threads = check_threads(threads)
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    if log_severity is not None:
        opts.log_severity_level = log_severity
    return opts


def _providers(device: str) -> list[str]:
    """The execution providers of ``device``, a key of ``PROVIDERS``; RuntimeError where this
    ONNX Runtime lacks the first."""
    import onnxruntime as ort

    if device not in PROVIDERS:
        raise ValueError(f"device must be one of {', '.join(PROVIDERS)}, got {device!r}")
    wanted = PROVIDERS[device][0]
    if wanted not in ort.get_available_providers():
        raise RuntimeError(
            f"device {device!r} needs onnxruntime-gpu with the {wanted}; "
            "onnxruntime and onnxruntime-gpu cannot be installed together: "
            "pip uninstall -y onnxruntime && pip install onnxruntime-gpu"
        )
    return PROVIDERS[device]


class OnnxRuntimeEngine:
    """An ONNX prior on ONNX Runtime; ``device`` a key of ``PROVIDERS``; ``threads`` and
    ``log_severity`` as ``session_options`` (default 4: ONNX Runtime logs nothing of its own, so a
    command's one error line is not buried; its errors still raise, and their text is in it)."""

    def __init__(self, path: str | Path, device: str = "cpu", threads: int = 0, log_severity: int | None = 4):
        import onnxruntime as ort

        self.path = Path(path)
        providers, options = _providers(device), session_options(threads, log_severity)
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types for unreadable models
            raise ValueError(f"{self.path}: not a readable ONNX model ({str(e).splitlines()[0][:200]})") from None
        check_contract(
            [i.name for i in self.session.get_inputs()], [o.name for o in self.session.get_outputs()], self.path
        )
        self.meta = read_meta(self.session.get_modelmeta().custom_metadata_map, self.path, sidecar=True)
        self.device = device
        if device == "cpu":
            self.xp = np
        else:
            import cupy

            self.xp = cupy
            self._binding = self.session.io_binding()

    def _run_bound(self, x, t):
        eps = self.xp.empty_like(x)
        b = self._binding
        b.bind_input(INPUT_X, "cuda", 0, np.float32, list(x.shape), x.data.ptr)
        b.bind_input(INPUT_T, "cuda", 0, np.float32, list(t.shape), t.data.ptr)
        b.bind_output(OUTPUT_EPS, "cuda", 0, np.float32, list(eps.shape), eps.data.ptr)
        self.session.run_with_iobinding(b)
        return eps

    def __call__(self, x, t):
        # ONNX Runtime's exceptions derive from Exception only; callers expect RuntimeError.
        try:
            if self.device == "cpu":
                return self.session.run([OUTPUT_EPS], {INPUT_X: x, INPUT_T: t})[0]
            return self._run_bound(x, t)
        except Exception as e:
            raise RuntimeError(
                f"{self.path}: ONNX Runtime failed to run the prior ({str(e).splitlines()[0][:300]})"
            ) from e

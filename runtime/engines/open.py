"""Engines evaluate the prior network; one protocol, and one table from file suffix to engine.

An engine is called as ``engine(x, t) -> eps`` on buffers of its array module ``engine.xp``
(``numpy`` on the CPU, ``cupy`` on a GPU): x (B, 17, 3) float32 root-relative metres, t (B,)
float32 diffusion time, eps (B, 17, 3) float32 predicted noise; ``engine.meta`` is the prior's
``PriorMeta``. A backend is one class and one row of ``OPENERS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .onnxruntime_engine import PROVIDERS
from .prior_file import BUNDLED_PRIORS, ONNX_SUFFIXES, TENSORRT_SUFFIXES, PriorMeta, bundled_prior_path

NUMPY_DEVICE, SPLIT_DEVICE, WHOLE_DEVICE = "cpu-numpy", "cpu-split", "cpu-whole"
DEVICES: tuple[str, ...] = (*PROVIDERS, SPLIT_DEVICE, WHOLE_DEVICE, NUMPY_DEVICE)  # what --device takes


@runtime_checkable
class Engine(Protocol):
    """A prior network on some device: ``__call__(x (B,17,3), t (B,)) -> eps (B,17,3)``, float32
    arrays of ``xp``."""

    xp: Any  # the array module of the buffers: numpy or cupy
    meta: PriorMeta  # the prior's metadata (SDE, clusters, ...)

    def __call__(self, x, t): ...


def _open_onnx(path: Path, device: str, threads: int) -> Engine:
    """ "cpu" is the split engine where the graph splits (zedo-export's ScoreNet: the same eps bit
    for bit, a third less work; docs/decisions.md, "A quarter of the time"), else the whole graph;
    "cpu-split" insists on the split, "cpu-whole" on the whole graph."""
    if device == NUMPY_DEVICE:
        from .numpy_engine import NumpyEngine

        return NumpyEngine(path, threads=threads)
    from .split_engine import SplitEngine

    if device == SPLIT_DEVICE:
        return SplitEngine(path, threads=threads)
    if device == "cpu":
        try:
            return SplitEngine(path, threads=threads)
        except ValueError:  # a graph that does not split (not zedo-export's FP32 ScoreNet): run it whole
            pass
    from .onnxruntime_engine import OnnxRuntimeEngine

    return OnnxRuntimeEngine(path, device="cpu" if device == WHOLE_DEVICE else device, threads=threads)


def _open_tensorrt(path: Path, device: str, threads: int) -> Engine:
    from .tensorrt_engine import TensorRTEngine

    if device != "cpu":
        raise ValueError(f"{path}: a TensorRT plan always runs on the GPU; device {device!r} applies to .onnx priors")
    if threads:
        raise ValueError(
            f"{path}: threads set ONNX Runtime's CPU threads; a TensorRT plan runs on the GPU (leave them 0)"
        )
    return TensorRTEngine(path)


# File suffix -> opener(path, device, threads). An .onnx prior runs on ONNX Runtime with one of its
# execution providers (``onnxruntime_engine.PROVIDERS``); on ``SPLIT_DEVICE``: ONNX Runtime's CPU
# provider with the t-only layers cut out and computed once per t (``split_engine``); or on
# ``NUMPY_DEVICE``: its weights as NumPy matrix products (``numpy_engine``).
OPENERS = {**{s: _open_onnx for s in ONNX_SUFFIXES}, **{s: _open_tensorrt for s in TENSORRT_SUFFIXES}}


def open_engine(engine: str | Path | None = None, device: str = "cpu", threads: int = 0) -> Engine:
    """Open a prior by bundled name (``default``, ``h36m``) or path (.onnx, .trt/.engine/.plan).

    None means the bundled default prior. ``device`` is an ONNX Runtime execution provider
    ("cpu", "cuda", "tensorrt"; ``threads`` its intra-op threads, 0: its default; "cpu" computes the
    t-only layers once per t where the graph allows), "cpu-split" (that, or ValueError),
    "cpu-whole" (the whole graph on the CPU; ``threads`` as "cpu") or "cpu-numpy" (the
    prior's weights as NumPy matrix products; ``threads`` must be 0). Unknown names,
    missing files and unknown suffixes raise ValueError (FileNotFoundError for a missing path).
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    text = "default" if engine is None else str(engine)
    if text in BUNDLED_PRIORS:
        return _open_onnx(bundled_prior_path(text), device, threads)
    path = Path(text)
    opener = OPENERS.get(path.suffix.lower())
    if opener is None:
        raise ValueError(
            f"engine {text!r} is neither a bundled prior ({', '.join(BUNDLED_PRIORS)}) nor a file ending in {', '.join(OPENERS)}"
        )
    if not path.exists():
        raise FileNotFoundError(f"engine file {path} does not exist")
    return opener(path, device, threads)


def as_engine(engine) -> Engine:
    """``engine`` itself if it is an engine object, else ``open_engine(engine)`` on the CPU (a bundled
    prior's name, a path, or None for the default prior); ValueError for anything else."""
    if engine is None or isinstance(engine, str) or hasattr(engine, "__fspath__"):
        return open_engine(engine)
    if not (callable(engine) and hasattr(engine, "xp") and isinstance(getattr(engine, "meta", None), PriorMeta)):
        raise ValueError(
            f"engine must be a bundled prior's name, a prior file or an Engine (callable, with xp and meta), got a {type(engine).__name__}"
        )
    return engine

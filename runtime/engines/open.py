"""Engines evaluate the prior network; one protocol, and two tables: file suffix -> opener, device -> engine.

An engine is called as ``engine(x, t) -> eps`` on buffers of its array module ``engine.xp``
(``numpy`` on the CPU, ``cupy`` on a GPU): x (B, 17, 3) float32 root-relative metres, t (B,)
float32 diffusion time, eps (B, 17, 3) float32 predicted noise; ``engine.meta`` is the prior's
``PriorMeta``. A backend is one class and a row of ``OPENERS`` (its file suffixes) or of
``DEVICE_TABLE`` (the devices an .onnx prior runs on).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from .prior_file import BUNDLED_PRIORS, ONNX_SUFFIXES, TENSORRT_SUFFIXES, PriorMeta, bundled_prior_path

NUMPY_DEVICE, SPLIT_DEVICE, WHOLE_DEVICE = "cpu-numpy", "cpu-split", "cpu-whole"


@runtime_checkable
class Engine(Protocol):
    """A prior network on some device: ``__call__(x (B,17,3), t (B,)) -> eps (B,17,3)``, float32
    arrays of ``xp``."""

    xp: Any  # the array module of the buffers: numpy or cupy
    meta: PriorMeta  # the prior's metadata (SDE, clusters, ...)

    def __call__(self, x, t): ...


def _onnxruntime(device: str) -> Callable[[Path, int], Engine]:
    """The opener of ONNX Runtime's ``device`` (a key of ``onnxruntime_engine.PROVIDERS``)."""

    def open_on(path: Path, threads: int) -> Engine:
        from .onnxruntime_engine import OnnxRuntimeEngine

        return OnnxRuntimeEngine(path, device=device, threads=threads)

    return open_on


def _split(path: Path, threads: int) -> Engine:
    from .split_engine import SplitEngine

    return SplitEngine(path, threads=threads)


def _split_or_whole(path: Path, threads: int) -> Engine:
    """The split engine where the graph splits (zedo-export's ScoreNet: the same eps bit for bit, a
    third less work; docs/decisions.md, "A quarter of the time"), else the whole graph."""
    try:
        return _split(path, threads)
    except ValueError:  # a graph that does not split (not zedo-export's FP32 ScoreNet): run it whole
        return _onnxruntime("cpu")(path, threads)


def _numpy(path: Path, threads: int) -> Engine:
    from .numpy_engine import NumpyEngine

    return NumpyEngine(path, threads=threads)


@dataclass(frozen=True)
class Device:
    """A row of ``DEVICE_TABLE``: how an .onnx prior opens on the device, and what that is."""

    opener: Callable[[Path, int], Engine]  # (path, threads) -> engine
    description: str


# Device -> row, in the order ``--device`` lists them. ``threads`` are ONNX Runtime's intra-op
# threads (0: its default) but on NUMPY_DEVICE, which takes NumPy's BLAS threads (threads 0).
DEVICE_TABLE: dict[str, Device] = {
    "cpu": Device(_split_or_whole, "ONNX Runtime's CPU provider, the t-only layers once per t where the graph allows"),
    "cuda": Device(_onnxruntime("cuda"), "ONNX Runtime's CUDA provider (CuPy buffers)"),
    "tensorrt": Device(_onnxruntime("tensorrt"), "ONNX Runtime's TensorRT provider (CuPy buffers)"),
    SPLIT_DEVICE: Device(_split, "as cpu, the t-only layers split off or ValueError (split_engine)"),
    WHOLE_DEVICE: Device(_onnxruntime("cpu"), "ONNX Runtime's CPU provider on the whole graph"),
    NUMPY_DEVICE: Device(_numpy, "the prior's weights as NumPy matrix products (numpy_engine)"),
}
DEVICES: tuple[str, ...] = tuple(DEVICE_TABLE)  # what --device takes


def _open_onnx(path: Path, device: str, threads: int) -> Engine:
    return DEVICE_TABLE[device].opener(path, threads)


def _open_tensorrt(path: Path, device: str, threads: int) -> Engine:
    from .tensorrt_engine import TensorRTEngine

    if device != "cpu":
        raise ValueError(f"{path}: a TensorRT plan always runs on the GPU; device {device!r} applies to .onnx priors")
    if threads:
        raise ValueError(
            f"{path}: threads set ONNX Runtime's CPU threads; a TensorRT plan runs on the GPU (leave them 0)"
        )
    return TensorRTEngine(path)


# File suffix -> opener(path, device, threads): an .onnx prior on a device of ``DEVICE_TABLE``, a
# TensorRT plan (``tensorrt_engine``) on the GPU it was built for.
OPENERS = {**{s: _open_onnx for s in ONNX_SUFFIXES}, **{s: _open_tensorrt for s in TENSORRT_SUFFIXES}}


def open_engine(engine: str | Path | None = None, device: str = "cpu", threads: int = 0) -> Engine:
    """Open a prior by bundled name (``default``, ``h36m``) or path (.onnx, .trt/.engine/.plan).

    None means the bundled default prior. ``device``: a key of ``DEVICE_TABLE`` ("cpu", "cuda",
    "tensorrt": ONNX Runtime's execution providers, ``threads`` its intra-op threads, 0: its
    default, "cpu" computing the t-only layers once per t where the graph allows; "cpu-split":
    that, or ValueError; "cpu-whole": the whole graph on the CPU; "cpu-numpy": the prior's weights
    as NumPy matrix products, ``threads`` 0). Unknown names, missing files and unknown suffixes
    raise ValueError (FileNotFoundError for a missing path).
    """
    if device not in DEVICE_TABLE:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    text = "default" if engine is None else str(engine)
    if text in BUNDLED_PRIORS:
        return _open_onnx(bundled_prior_path(text), device, threads)
    path = Path(text)
    opener = OPENERS.get(path.suffix.lower())
    if opener is None:
        raise ValueError(
            f"engine {text!r} is neither a bundled prior ({', '.join(BUNDLED_PRIORS)}) "
            f"nor a file ending in {', '.join(OPENERS)}"
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
            "engine must be a bundled prior's name, a prior file or an Engine (callable, with xp and meta), "
            f"got a {type(engine).__name__}"
        )
    return engine

"""Build a TensorRT engine (serialized plan) from an exported ONNX prior (TensorRT 10 Python API).

The plan is specific to the GPU model and TensorRT version that built it, so it is built on the
deployment machine. Its optimisation profile covers batches min_batch..max_batch of x (B, 17, 3)
and t (B,), tuned for opt_batch. A plan has no metadata of its own: the ONNX file's ``zedo``
metadata is copied into the sidecar ``<engine>.json``. The plan is written only once it agrees with
the ONNX file on ONNX Runtime (``zedo.runtime.engines.compare``). Written against TensorRT 10; TensorRT 8.6
also works (explicit-batch flag).

Reduced precision, two ways. Recommended: build a reduced-precision ONNX file
(``zedo.calibration``: FP16, or INT8 with Q/DQ nodes) as it is typed; TensorRT >= 10 builds it
strongly typed, so layers the file keeps in float32 stay float32 and INT8 scales come from the
Q/DQ nodes. Legacy (deprecated since TensorRT 10.1): the ``fp16`` builder flag on the FP32 file,
where TensorRT picks each layer's precision itself; INT8 needs a Q/DQ file (implicit INT8
calibration is gone in TensorRT 11, and zedo ships no calibrator for it).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from zedo.calibration.parity import TOLERANCES, onnx_runner
from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.engines.compare import CompareReport
from zedo.runtime.engines.prior_file import (
    INPUT_T,
    INPUT_X,
    TENSORRT_SUFFIXES,
    read_onnx_meta,
    sidecar_path,
    write_sidecar,
)

from .parity import PARITY_BATCHES, check_parity, clean_poses

# Largest allowed max |eps_TensorRT - eps_ONNX Runtime| by the engine's precision: TF32 (FP32
# builds on Ampere and newer) and FP16 kernels round like an FP16 file, INT8 kernels like an INT8
# file, so calibration's tolerances apply; not yet measured on a GPU: see docs/decisions.md,
# "TensorRT engine parity tolerances".
ENGINE_TOLERANCES: dict[str, float] = {"fp32": TOLERANCES["fp16"], **TOLERANCES}


@dataclass(frozen=True)
class EngineBuild:
    """A built TensorRT engine: the plan (+ sidecar) and its parity against the ONNX file."""

    path: Path  # the plan written; its sidecar is sidecar_path(path)
    precision: str  # fp32, fp16 or int8: the file's, or the builder flag's
    parity: CompareReport | None  # TensorRT vs ONNX Runtime; None where CuPy is missing (not checked)


def require_tensorrt(onnx_path=None):
    """The ``tensorrt`` module; RuntimeError naming the fallback if it is not installed."""
    try:
        import tensorrt as trt
    except ImportError:
        fallback = f"; the ONNX file {onnx_path} runs on ONNX Runtime meanwhile" if onnx_path is not None else ""
        raise RuntimeError(
            f"TensorRT is not installed: pip install tensorrt on a machine with an NVIDIA GPU{fallback}"
        ) from None
    return trt


def check_engine_path(path) -> Path:
    """``path`` as a Path; ValueError unless it ends in .trt, .engine or .plan (the runtime picks engines by suffix)."""
    path = Path(path)
    if path.suffix.lower() not in TENSORRT_SUFFIXES:
        raise ValueError(f"{path}: a TensorRT engine's file name must end in {', '.join(TENSORRT_SUFFIXES)}")
    return path


def build_engine(
    onnx_path,
    engine_path,
    fp16: bool = False,
    int8: bool = False,
    min_batch: int = 1,
    opt_batch: int = 1024,
    max_batch: int = 4096,
    workspace_gb: float = 2,
    parity_atol: float | None = None,
) -> EngineBuild:
    """Build ``engine_path`` (.trt, .engine or .plan) and its sidecar from ``onnx_path``, checked against it.

    fp16: let TensorRT run layers in half precision where faster (weights stored in FP16). int8:
    let it run INT8 kernels, with scales from the file's Q/DQ nodes (an FP32 file is refused:
    quantize it with ``zedo.calibration`` first). Without either flag the
    network is built strongly typed (TensorRT >= 10): in the precision the file says, float32 for
    an FP32 export (TensorRT's default TF32 tensor-core math applies on Ampere and newer), FP16 or
    INT8 where a ``zedo.calibration`` file says so. On TensorRT 8.6, which has no strong typing, a
    file whose metadata says fp16 or int8 gets the matching flag. workspace_gb: scratch GPU memory
    the builder may use for a layer's tactics, in GiB.

    Parity: the engine and the ONNX file on ONNX Runtime's CPU provider are run on the prior's
    clusters noised at each t (``zedo.export.parity``, batches within min_batch..max_batch); above
    ``parity_atol`` (default ``ENGINE_TOLERANCES[precision]``) ParityError is raised and nothing is
    written. It needs CuPy; without it the engine is written unchecked (``parity`` None).

    Raises RuntimeError if TensorRT is not installed or the build fails, ValueError for bad
    arguments or an ONNX file that is not a zedo prior, FileNotFoundError for a missing file.
    """
    onnx_path, engine_path = Path(onnx_path), check_engine_path(engine_path)
    if not onnx_path.is_file():
        raise FileNotFoundError(f"{onnx_path}: no such ONNX file")
    _check_build_args(min_batch, opt_batch, max_batch, workspace_gb)
    if int8 and read_onnx_meta(onnx_path).precision != "int8":
        raise ValueError(
            f"{onnx_path}: int8 needs a quantized (Q/DQ) file; make one with zedo-export --precision int8 "
            "(zedo.calibration) and build that"
        )
    trt = require_tensorrt(onnx_path)
    meta = read_onnx_meta(onnx_path)
    if int(trt.__version__.split(".")[0]) < 10:
        fp16, int8 = fp16 or meta.precision == "fp16", int8 or meta.precision == "int8"
    plan = _build_plan(trt, onnx_path, fp16, int8, (min_batch, opt_batch, max_batch), workspace_gb)
    precision = "int8" if int8 or meta.precision == "int8" else "fp16" if fp16 or meta.precision == "fp16" else "fp32"
    atol = ENGINE_TOLERANCES[precision] if parity_atol is None else parity_atol
    batches = tuple(sorted({min(max(b, min_batch), max_batch) for b in PARITY_BATCHES}))
    engine_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{engine_path.stem}.", dir=engine_path.parent) as tmp:
        staged = Path(tmp) / engine_path.name
        staged.write_bytes(plan)
        write_sidecar(staged, replace(meta, precision=precision))
        parity = _check_engine(onnx_path, staged, engine_path, atol, batches)
        # Same folder, so both moves are renames; the sidecar last, as zedo.calibration.convert does.
        os.replace(staged, engine_path)
        os.replace(sidecar_path(staged), sidecar_path(engine_path))
    return EngineBuild(engine_path, precision, parity)


def _check_build_args(min_batch: int, opt_batch: int, max_batch: int, workspace_gb: float) -> None:
    if not 1 <= min_batch <= opt_batch <= max_batch:
        raise ValueError(f"need 1 <= min_batch <= opt_batch <= max_batch, got {min_batch}, {opt_batch}, {max_batch}")
    if not workspace_gb > 0:
        raise ValueError(f"workspace_gb must be > 0, got {workspace_gb}")


def _build_plan(
    trt, onnx_path: Path, fp16: bool, int8: bool, batches: tuple[int, int, int], workspace_gb: float
) -> bytes:
    """The serialized plan (TensorRT 10 Python API: parse, configure, build_serialized_network)."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(_network_flags(trt, fp16 or int8))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"{onnx_path}: TensorRT's ONNX parser failed: {errors}")
    names = {network.get_input(i).name for i in range(network.num_inputs)}
    if names != {INPUT_X, INPUT_T}:
        raise ValueError(f"{onnx_path}: network inputs {sorted(names)} are not a zedo prior's (x, t)")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * (1 << 30)))
    for wanted, flag in ((fp16, "FP16"), (int8, "INT8")):
        if wanted:
            config.set_flag(getattr(trt.BuilderFlag, flag))
    config.add_optimization_profile(_profile(builder, *batches))
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise RuntimeError(f"{onnx_path}: TensorRT could not build an engine (see its log above)")
    return bytes(plan)


def _profile(builder, low: int, opt: int, high: int):
    """An optimisation profile for batches low..high of x (B, 17, 3) and t (B,), tuned for opt."""
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT_X, (low, NUM_JOINTS, 3), (opt, NUM_JOINTS, 3), (high, NUM_JOINTS, 3))
    profile.set_shape(INPUT_T, (low,), (opt,), (high,))
    return profile


def _has_cupy() -> bool:
    return importlib.util.find_spec("cupy") is not None


def _check_engine(
    onnx_path: Path, staged: Path, engine_path: Path, atol: float, batches: tuple[int, ...]
) -> CompareReport | None:
    """The staged plan (TensorRT, CuPy buffers) vs ``onnx_path`` on ONNX Runtime (CPU); None without CuPy."""
    if not _has_cupy():
        return None
    from zedo.runtime.engines.tensorrt_engine import TensorRTEngine

    engine = TensorRTEngine(staged)
    poses = clean_poses(engine.meta)
    return check_parity(
        onnx_runner(onnx_path),
        engine,
        poses,
        atol,
        ("ONNX Runtime", "TensorRT"),
        f"{engine_path}: TensorRT disagrees with ONNX Runtime",
        batches,
    )


def _network_flags(trt, reduced_precision: bool) -> int:
    """Network creation flags for this TensorRT version.

    TensorRT < 10 needs the explicit-batch flag (10 made it the only mode). From 10 on, a float32
    build is strongly typed (types follow the ONNX file; weak typing is deprecated since 10.12),
    while FP16/INT8 builder flags need a weakly typed network (flags 0). TensorRT 11 removed weak
    typing and those flags: reduced precision there needs an FP16 or Q/DQ ONNX model.
    """
    major = int(trt.__version__.split(".")[0])
    if major < 10:
        return 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    if not reduced_precision:
        return 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    if not hasattr(trt.BuilderFlag, "FP16"):
        raise RuntimeError(
            f"TensorRT {trt.__version__} builds strongly typed networks only, so FP16/INT8 builder flags do not "
            "exist; build from an FP16 or quantized ONNX model instead"
        )
    return 0

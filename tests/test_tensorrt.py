"""build_engine: a clear error without TensorRT; its parity check wired to a stand-in engine; real
builds where TensorRT and a GPU exist."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import NEEDS_ONNX, NEEDS_TORCH

import zedo.runtime.engines.tensorrt_engine as tensorrt_engine
from zedo.export import tensorrt
from zedo.export.tensorrt import build_engine
from zedo.runtime.engines.compare import ParityError
from zedo.runtime.engines.onnxruntime_engine import OnnxRuntimeEngine
from zedo.runtime.engines.prior_file import (
    INPUT_T,
    INPUT_X,
    OUTPUT_EPS,
    PriorMeta,
    read_onnx_meta,
    read_sidecar,
    sidecar_path,
    write_sidecar,
)


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    """The tiny ScoreNet exported by export_onnx (fake_prior): skips without torch or onnx."""
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    pytest.importorskip("onnx", reason=NEEDS_ONNX)
    from fake_prior import write_onnx

    return write_onnx(tmp_path_factory.mktemp("trt") / "prior.onnx")


def test_missing_tensorrt_gives_clear_error(tmp_path, monkeypatch):
    onnx_path = tmp_path / "prior.onnx"
    onnx_path.write_bytes(b"stand-in: TensorRT's absence is reported before the file is read")
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # makes `import tensorrt` raise ImportError
    with pytest.raises(
        RuntimeError, match=r"TensorRT is not installed: pip install tensorrt .*prior\.onnx runs on ONNX Runtime"
    ):
        build_engine(onnx_path, tmp_path / "prior.trt")
    assert not (tmp_path / "prior.trt").exists()


def test_bad_arguments(tmp_path):
    onnx_path = tmp_path / "prior.onnx"
    onnx_path.write_bytes(b"stand-in")
    with pytest.raises(ValueError, match=r"\.trt"):
        build_engine(onnx_path, tmp_path / "prior.bin")
    with pytest.raises(ValueError, match="min_batch"):
        build_engine(onnx_path, tmp_path / "prior.trt", min_batch=8, opt_batch=4)
    with pytest.raises(FileNotFoundError):
        build_engine(tmp_path / "absent.onnx", tmp_path / "prior.trt")


@pytest.mark.parametrize("offset, passes", [(0.0, True), (1e-2, False)])
def test_engine_parity_runs_the_plan_against_onnxruntime(tmp_path, monkeypatch, tiny_onnx, offset, passes):
    """The parity step of build_engine with a stand-in for the TensorRT plan: the ONNX file itself
    on ONNX Runtime (plus a planted offset), reading the plan's sidecar as TensorRTEngine does."""

    class StandIn(OnnxRuntimeEngine):
        def __init__(self, path):
            super().__init__(tiny_onnx, threads=1)
            self.meta = read_sidecar(path)

        def __call__(self, x, t):
            return super().__call__(x, t) + np.float32(offset)

    monkeypatch.setattr(tensorrt_engine, "TensorRTEngine", StandIn)
    monkeypatch.setattr(tensorrt, "_has_cupy", lambda: True)
    staged = tmp_path / "staged.trt"
    staged.write_bytes(b"stand-in plan")
    write_sidecar(staged, read_onnx_meta(tiny_onnx))
    check = lambda: tensorrt._check_engine(tiny_onnx, staged, tmp_path / "prior.trt", 1e-3, (1, 64))  # noqa: E731
    if passes:
        report = check()
        assert (
            report.passed
            and report.max_error == 0.0
            and (report.candidate, report.reference) == ("TensorRT", "ONNX Runtime")
        )
    else:
        with pytest.raises(
            ParityError, match=r"prior\.trt: TensorRT disagrees with ONNX Runtime: max \|eps error\| 0\.01 at t="
        ):
            check()
    monkeypatch.setattr(tensorrt, "_has_cupy", lambda: False)
    assert check() is None  # without CuPy the plan cannot be run here: not checked


@pytest.mark.tensorrt
@pytest.mark.parametrize("fp16", [False, True])
def test_build_and_run_engine(tmp_path, tiny_onnx, fp16):
    trt = pytest.importorskip("tensorrt")
    built = build_engine(tiny_onnx, tmp_path / "prior.trt", fp16=fp16, opt_batch=8, max_batch=64, workspace_gb=1)

    meta = PriorMeta.from_json(sidecar_path(built.path).read_text())
    assert meta.precision == built.precision == ("fp16" if fp16 else "fp32") and sorted(meta.clusters) == [1, 50]
    engine = trt.Runtime(trt.Logger(trt.Logger.WARNING)).deserialize_cuda_engine(built.path.read_bytes())
    assert {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)} == {INPUT_X, INPUT_T, OUTPUT_EPS}
    assert tuple(engine.get_tensor_profile_shape(INPUT_X, 0)[2]) == (64, 17, 3)

    cupy = pytest.importorskip("cupy")
    from zedo.runtime import TensorRTEngine

    # build_engine compared it with ONNX Runtime on noised clusters; check a batch of its own too.
    assert built.parity.passed and built.parity.samples == 4 * 65
    x = np.random.default_rng(1).normal(0.0, 0.3, (33, 17, 3)).astype(np.float32)
    t = np.full(33, 0.05, dtype=np.float32)
    want = OnnxRuntimeEngine(tiny_onnx, threads=1)(x, t)
    got = cupy.asnumpy(TensorRTEngine(built.path)(cupy.asarray(x), cupy.asarray(t)))
    # TF32 (fp32 builds on Ampere+) and FP16 round the matmuls; eps is of order 1.
    assert np.abs(got - want).max() < (5e-2 if fp16 else 1e-2)

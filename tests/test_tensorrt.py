"""build_engine: a clear error without TensorRT; real builds where TensorRT and a GPU exist."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from zedo.export.onnx_export import export_onnx
from zedo.export.tensorrt import build_engine
from zedo.runtime.prior_file import INPUT_T, INPUT_X, OUTPUT_EPS, PriorMeta, sidecar_path
from zedo.runtime.sde import SDEConfig
from zedo.training.model import PriorConfig, ScoreNet

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work

TINY = PriorConfig(hidden_dim=64, embed_dim=32, groups=8)


def _tiny_onnx(path):
    torch.manual_seed(0)
    poses = np.random.default_rng(0).normal(0.0, 0.3, (4, 17, 3)).astype(np.float32)
    meta = PriorMeta(sde=SDEConfig(), clusters={4: poses - poses[:, :1]}, name="tiny")
    export_onnx(ScoreNet(TINY).eval(), meta, path)
    return path


def test_missing_tensorrt_gives_clear_error(tmp_path, monkeypatch):
    onnx_path = tmp_path / "prior.onnx"
    onnx_path.write_bytes(b"stand-in: TensorRT's absence is reported before the file is read")
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # makes `import tensorrt` raise ImportError
    with pytest.raises(RuntimeError, match=r"TensorRT is not installed: pip install tensorrt .*prior\.onnx runs on ONNX Runtime"):
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


@pytest.mark.tensorrt
@pytest.mark.parametrize("fp16", [False, True])
def test_build_and_run_engine(tmp_path, fp16):
    trt = pytest.importorskip("tensorrt")
    onnx_path = _tiny_onnx(tmp_path / "prior.onnx")
    engine_path = build_engine(onnx_path, tmp_path / "prior.trt", fp16=fp16, opt_batch=8, max_batch=64, workspace_gb=1)

    meta = PriorMeta.from_json(sidecar_path(engine_path).read_text())
    assert meta.precision == ("fp16" if fp16 else "fp32") and sorted(meta.clusters) == [4]
    engine = trt.Runtime(trt.Logger(trt.Logger.WARNING)).deserialize_cuda_engine(engine_path.read_bytes())
    assert {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)} == {INPUT_X, INPUT_T, OUTPUT_EPS}
    assert tuple(engine.get_tensor_profile_shape(INPUT_X, 0)[2]) == (64, 17, 3)

    cupy = pytest.importorskip("cupy")
    import onnxruntime as ort

    from zedo.runtime import TensorRTEngine

    x = np.random.default_rng(1).normal(0.0, 0.3, (33, 17, 3)).astype(np.float32)
    t = np.full(33, 0.05, dtype=np.float32)
    want = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(["eps"], {"x": x, "t": t})[0]
    got = cupy.asnumpy(TensorRTEngine(engine_path)(cupy.asarray(x), cupy.asarray(t)))
    # TF32 (fp32 builds on Ampere+) and FP16 round the matmuls; eps is of order 1.
    assert np.abs(got - want).max() < (5e-2 if fp16 else 1e-2)

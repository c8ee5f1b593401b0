"""zedo.calibration: calibration sets, FP16 and INT8 priors, parity, and zedo-export --precision.

A tiny ScoreNet (random weights) exported with export_onnx stands in for a trained prior; poses
are random root-relative joints (metres). No data set, no trained prior, no GPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import NEEDS_ONNX, NEEDS_TORCH, command
from conftest import random_poses as _poses

pytest.importorskip("torch", reason=NEEDS_TORCH)
pytest.importorskip("onnx", reason=NEEDS_ONNX)

import onnx
import torch
from fake_prior import write_checkpoint as _checkpoint
from fake_prior import write_onnx as _onnx
from onnx import TensorProto

from zedo.calibration import dataset, fp16, int8
from zedo.calibration.convert import convert_precision
from zedo.calibration.dataset import (
    build_shipped_calibration_set,
    holdout_split,
    load_calibration_set,
    make_calibration_set,
    save_calibration_set,
    shipped_calibration_path,
)
from zedo.calibration.graph import stores_fp16, to_fp32
from zedo.calibration.parity import TOLERANCES, compare_precision, onnx_runner
from zedo.export import cli
from zedo.export.tensorrt import build_engine
from zedo.runtime import open_engine
from zedo.runtime.core.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.engines.compare import ParityError, run
from zedo.runtime.engines.prior_file import PriorMeta, load_prior_model, sidecar_path

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work


@pytest.fixture(scope="module")
def fp32_prior(tmp_path_factory):
    return _onnx(tmp_path_factory.mktemp("fp32") / "tiny.onnx")


@pytest.fixture(scope="module")
def calib():
    """(x (1024, 17, 3), t (1024,)) noised from 500 random poses."""
    return make_calibration_set(_poses(500, 2), 1024, seed=3)


@pytest.fixture(scope="module")
def calib_file(tmp_path_factory, calib):
    path = tmp_path_factory.mktemp("calib") / "calib.npz"
    return save_calibration_set(path, *calib, provenance={"source": "random test poses"})


@pytest.fixture(scope="module")
def int8_prior(tmp_path_factory, fp32_prior, calib):
    (cx, ct), _ = holdout_split(*calib)
    return int8.quantize_int8(fp32_prior, tmp_path_factory.mktemp("int8") / "tiny-int8.onnx", cx, ct)


@pytest.fixture(scope="module")
def fp16_prior(tmp_path_factory, fp32_prior):
    return fp16.convert_fp16(fp32_prior, tmp_path_factory.mktemp("fp16") / "tiny-fp16.onnx")


# --- calibration sets ----------------------------------------------------------------------------


def test_calibration_set_shapes_and_t_range(calib):
    x, t = calib
    assert x.shape == (1024, 17, 3) and t.shape == (1024,)
    assert x.dtype == np.float32 and t.dtype == np.float32
    assert 0.01 <= t.min() < 0.02 and 0.09 < t.max() <= 0.1
    again = make_calibration_set(_poses(500, 2), 1024, seed=3)
    np.testing.assert_array_equal(again[0], x)
    assert not np.array_equal(make_calibration_set(_poses(500, 2), 1024, seed=4)[0], x)


def test_noise_follows_the_sde_marginal():
    """x_t - mean_coeff(t) x0 is N(0, std(t)^2) per coordinate; one pose, so x0 is known."""
    pose = _poses(1, 5) + 0.7  # not root-relative on purpose: the pelvis is subtracted
    x, t = make_calibration_set(pose, 4000, seed=0, t_range=(0.02, 0.08))
    x0 = (pose - pose[:, :1]).astype(np.float64)
    z = (x - mean_coeff(t.astype(np.float64), SDEConfig(), np)[:, None, None] * x0) / marginal_std(
        t.astype(np.float64), SDEConfig(), np
    )[:, None, None]
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert 0.02 <= t.min() and t.max() <= 0.08


def test_make_calibration_set_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"\(M, 17, 3\)"):
        make_calibration_set(np.zeros((4, 16, 3)), 8)
    with pytest.raises(ValueError, match="size"):
        make_calibration_set(_poses(4), 0)
    with pytest.raises(ValueError, match="t_range"):
        make_calibration_set(_poses(4), 8, t_range=(0.1, 0.01))
    bad = _poses(4)
    bad[1, 3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make_calibration_set(bad, 8)


def test_save_load_round_trip(tmp_path, calib):
    x, t = calib
    path = save_calibration_set(tmp_path / "c.npz", x, t, {"source": "test", "seed": 3})
    x2, t2, prov = load_calibration_set(path)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(t2, t)
    assert prov == {"format": dataset.CALIBRATION_FORMAT, "source": "test", "seed": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary left behind


@pytest.mark.parametrize(
    "arrays, message",
    [
        (dict(x=np.zeros((4, 16, 3)), t=np.full(4, 0.05)), r"x has shape \(4, 16, 3\), expected \(N, 17, 3\)"),
        (dict(x=np.zeros((4, 17, 3)), t=np.full((4, 1), 0.05)), r"t has shape \(4, 1\), expected \(N,\)"),
        (dict(x=np.zeros((4, 17, 3)), t=np.full(3, 0.05)), "4 poses but t 3 times"),
        (dict(x=np.zeros((0, 17, 3)), t=np.zeros(0)), "empty"),
        (dict(x=np.full((4, 17, 3), np.nan), t=np.full(4, 0.05)), "NaN"),
        (dict(x=np.zeros((4, 17, 3)), t=np.full(4, 2.0)), r"t must lie in \(0, 1\]"),
        (dict(x=np.zeros((4, 17, 3))), r"missing keys \['t'\]"),
    ],
)
def test_load_rejects_bad_sets(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, provenance=np.array(json.dumps({"source": "test"})), **arrays)
    with pytest.raises(ValueError, match=message):
        load_calibration_set(path)


def test_load_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_calibration_set(tmp_path / "absent.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="not a readable"):
        load_calibration_set(tmp_path / "text.npz")
    np.savez(tmp_path / "prov.npz", x=np.zeros((2, 17, 3)), t=np.full(2, 0.05), provenance=np.array("[1, 2]"))
    with pytest.raises(ValueError, match="JSON object"):
        load_calibration_set(tmp_path / "prov.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        save_calibration_set(tmp_path / "c.npy", np.zeros((2, 17, 3)), np.full(2, 0.05), {})


def test_holdout_split(calib):
    (cx, ct), (hx, ht) = holdout_split(*calib)
    assert len(cx) == len(ct) == 768 and len(hx) == len(ht) == 256
    np.testing.assert_array_equal(np.concatenate([cx, hx]), calib[0])
    with pytest.raises(ValueError, match="at least 2"):
        holdout_split(calib[0][:1], calib[1][:1])


def test_build_shipped_set_keeps_provenance_and_refuses_h36m(tmp_path):
    src = tmp_path / "mocap_train.npz"
    np.savez(
        src, poses=_poses(300, 6), provenance=np.array(json.dumps({"source": "open mocap", "licence": "CC BY-NC 4.0"}))
    )
    out = build_shipped_calibration_set(src, tmp_path / "calibration.npz", size=256)
    x, t, prov = load_calibration_set(out)
    assert x.shape == (256, 17, 3) and prov["licence"] == "CC BY-NC 4.0" and prov["source_poses"] == 300
    assert prov["source_provenance"]["source"] == "open mocap" and prov["t_range"] == [0.01, 0.1]
    h36m = tmp_path / "poses.npz"
    np.savez(h36m, poses=_poses(10), provenance=np.array(json.dumps({"source": "h36m"})))
    with pytest.raises(ValueError, match="Human3.6M"):
        build_shipped_calibration_set(h36m, tmp_path / "no.npz")
    assert not (tmp_path / "no.npz").exists()


def test_shipped_calibration_set():
    path = shipped_calibration_path()
    assert path.stat().st_size < 1_000_000
    x, t, prov = load_calibration_set(path)
    assert len(x) == dataset.SHIPPED_SIZE and 0.01 <= t.min() and t.max() <= 0.1
    assert "CC BY-NC 4.0" in prov["licence"] and "Bandai" in prov["source_provenance"]["source"]


# --- INT8 ------------------------------------------------------------------------------------------


def test_int8_graph_is_qdq_with_excluded_layers_float(int8_prior):
    proto = onnx.load(str(int8_prior))
    ops = {n.op_type for n in proto.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    layers = int8.qdq_summary(proto)
    assert not layers["pre_dense"] and not layers["post_dense"]  # DEFAULT_EXCLUDE
    assert all(q for name, q in layers.items() if name not in ("pre_dense", "post_dense"))
    inits = {i.name: i for i in proto.graph.initializer}
    assert (
        inits["pre_dense.weight"].data_type == TensorProto.FLOAT
        and inits["post_dense.weight"].data_type == TensorProto.FLOAT
    )
    # What TensorRT needs: INT8 tensors with zero point 0 only (symmetric), no INT32 (bias) DQ.
    for node in (n for n in proto.graph.node if n.op_type == "DequantizeLinear"):
        if node.input[0] in inits:  # a weight
            assert inits[node.input[0]].data_type == TensorProto.INT8
        zero = onnx.numpy_helper.to_array(inits[node.input[2]])
        assert zero.dtype == np.int8 and not zero.any()
    meta = PriorMeta.from_json(sidecar_path(int8_prior).read_text())
    assert meta.precision == "int8" and meta.name == "tiny" and sorted(meta.clusters) == [1, 50]
    assert load_prior_model(int8_prior)[1].precision == "int8"


def test_int8_exclude_groups_and_layers(tmp_path, fp32_prior, calib):
    out = int8.quantize_int8(fp32_prior, tmp_path / "q.onnx", *calib, exclude=("time_embed", "b1_dense1"))
    layers = int8.qdq_summary(onnx.load(str(out)))
    assert not layers["b1_dense1"] and not layers["shared_time_embed.0"] and not layers["b2_dense2_t"]
    assert layers["pre_dense"] and layers["b1_dense2"] and layers["post_dense"]


@pytest.mark.parametrize("batch", [1, 257])
def test_int8_runs_at_any_batch_within_tolerance(int8_prior, fp32_prior, batch):
    x, t = make_calibration_set(_poses(40, 9), batch, seed=batch)
    got, want = run(onnx_runner(int8_prior), x, t), run(onnx_runner(fp32_prior), x, t)
    assert got.shape == (batch, 17, 3) and got.dtype == np.float32
    assert np.abs(got - want).max() <= TOLERANCES["int8"]


def test_int8_bad_arguments(tmp_path, fp32_prior, int8_prior, calib):
    x, t = calib
    with pytest.raises(ValueError, match="not a layer group"):
        int8.quantize_int8(fp32_prior, tmp_path / "q.onnx", x, t, exclude=("nope",))
    with pytest.raises(ValueError, match="method"):
        int8.quantize_int8(fp32_prior, tmp_path / "q.onnx", x, t, method="kl")
    with pytest.raises(ValueError, match=r"\(N, 17, 3\)"):
        int8.quantize_int8(fp32_prior, tmp_path / "q.onnx", x[:, :16], t)
    with pytest.raises(ValueError, match="quantize an FP32 prior, not an int8 one"):
        int8.quantize_int8(int8_prior, tmp_path / "q.onnx", x, t)
    with pytest.raises(ValueError, match=r"\.onnx"):
        int8.quantize_int8(fp32_prior, tmp_path / "q.bin", x, t)
    assert list(tmp_path.iterdir()) == []


def test_sensitivity_rows(fp32_prior, calib):
    rows = int8.sensitivity(fp32_prior, *calib)
    names = [r.variant for r in rows]
    assert names[0] == "all layers INT8" and "only pre_dense INT8" in names and names[-2].startswith("default")
    assert all(np.isfinite(r.max_error) and r.mean_error <= r.max_error for r in rows)


# --- FP16 ------------------------------------------------------------------------------------------


def test_fp16_graph_keeps_float32_io_and_first_layer(fp16_prior):
    proto = onnx.load(str(fp16_prior))
    assert [i.type.tensor_type.elem_type for i in proto.graph.input] == [TensorProto.FLOAT] * 2
    assert proto.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    inits = {i.name: i.data_type for i in proto.graph.initializer}
    assert inits["pre_dense.weight"] == TensorProto.FLOAT  # KEEP_FP32
    assert inits["b1_dense1.weight"] == TensorProto.FLOAT16 and stores_fp16(proto)
    assert PriorMeta.from_json(sidecar_path(fp16_prior).read_text()).precision == "fp16"


def test_fp16_and_int8_parity_within_tolerance(fp32_prior, calib):
    """convert_precision measures parity on the held-out quarter (256 of 1024 samples)."""
    reports = {}
    for precision in ("fp16", "int8"):
        out = fp32_prior.parent / f"parity-{precision}.onnx"
        reports[precision] = convert_precision(fp32_prior, out, precision, *calib)
        assert out.exists() and sidecar_path(out).exists()
    assert reports["fp16"].passed and reports["fp16"].max_error <= TOLERANCES["fp16"] and reports["fp16"].samples == 256
    assert reports["int8"].passed and reports["int8"].max_error <= TOLERANCES["int8"]
    # FP16 is much closer to FP32 than INT8, and both differ from it at all.
    assert 0 < reports["fp16"].mean_error < reports["int8"].mean_error
    assert sum(n for *_, n in reports["int8"].rows) == 256 and len(reports["int8"].rows) == 4
    assert reports["int8"].lines()[0].startswith("int8 vs fp32 on 256 held-out samples: max |eps error| ")


def test_parity_failure_raises_and_writes_nothing(tmp_path, fp32_prior, calib):
    out = tmp_path / "q.onnx"
    with pytest.raises(
        ParityError,
        match=r"q\.onnx: the int8 prior disagrees with FP32: .* at t in \[.*\) > atol 1e-09 "
        r"on 256 held-out samples; nothing written",
    ) as info:
        convert_precision(fp32_prior, out, "int8", *calib, atol=1e-9)
    assert not info.value.report.passed
    assert list(tmp_path.iterdir()) == []


def test_to_fp32_undoes_fp16_storage(tmp_path, fp16_prior, fp32_prior, calib):
    proto, meta = load_prior_model(fp16_prior)
    back = to_fp32(proto)
    # Every Cast (the converter's and the exporter's identity Cast on t * 999) is float -> float now.
    assert not stores_fp16(back) and not any(n.op_type == "Cast" for n in back.graph.node)
    onnx.checker.check_model(back, full_check=True)
    path = tmp_path / "back.onnx"
    onnx.save(back, str(path))
    # Exactly the FP16 file's weights, as float32.
    half = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    for init in back.graph.initializer:
        value = onnx.numpy_helper.to_array(init)
        assert value.dtype != np.float16 and np.array_equal(value, half[init.name].astype(value.dtype))
    _, (hx, ht) = holdout_split(*calib)
    assert compare_precision(path, fp32_prior, hx, ht, "fp16").passed
    with pytest.raises(ValueError, match="INT8"):
        to_fp32(_qdq_stub())


def _qdq_stub():
    from onnx import helper

    g = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["q", "s"], ["y"])],
        "stub",
        [helper.make_tensor_value_info("q", TensorProto.INT8, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [helper.make_tensor("s", TensorProto.FLOAT, [], [0.1])],
    )
    return helper.make_model(g)


# --- TensorRT (build flags) --------------------------------------------------------------------------


def test_build_engine_int8_needs_a_quantized_file(tmp_path, fp32_prior):
    with pytest.raises(ValueError, match="int8 needs a quantized"):
        build_engine(fp32_prior, tmp_path / "p.trt", int8=True)


@pytest.mark.tensorrt
def test_tensorrt_builds_qdq_file(tmp_path, int8_prior, calib):
    pytest.importorskip("tensorrt")
    pytest.importorskip("cupy")
    built = build_engine(int8_prior, tmp_path / "qdq.trt", opt_batch=8, max_batch=64, workspace_gb=1)
    assert PriorMeta.from_json(sidecar_path(built.path).read_text()).precision == "int8" and built.parity.passed
    x, t = calib
    eng = open_engine(built.path)
    got = eng(eng.xp.asarray(x[:8]), eng.xp.asarray(t[:8]))
    assert got.shape == (8, 17, 3)


# --- zedo-export --precision ----------------------------------------------------------------------


def _run(name, *args) -> subprocess.CompletedProcess:
    exe = command(name)
    if exe is None:
        pytest.skip(f"the {name} command is not installed (pip install -e .)")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=180)


def test_cli_int8_with_shipped_set_then_zedo_infer_runs_it(tmp_path):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    done = _run("zedo-export", "--ckpt", ckpt, "--precision", "int8")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "tiny-int8.onnx"
    assert out.exists() and not (tmp_path / "tiny.onnx").exists()  # the FP32 intermediate is not kept
    assert PriorMeta.from_json(sidecar_path(out).read_text()).precision == "int8"
    assert "int8 vs fp32 on 512 held-out samples" in done.stdout and str(shipped_calibration_path()) in done.stdout
    assert "t = 0.01" in done.stdout  # the FP32 export's parity against torch comes first

    K = np.array([[1000.0, 0.0, 500.0], [0.0, 1000.0, 500.0], [0.0, 0.0, 1.0]])
    cam = _poses(3, 8) * 0.5 + np.array([0.0, 0.0, 4.0])
    uvw = cam @ K.T
    np.savez(tmp_path / "kp.npz", keypoints=uvw[..., :2] / uvw[..., 2:], K=K)
    done = _run(
        "zedo-infer",
        tmp_path / "kp.npz",
        "-o",
        tmp_path / "res.npz",
        "--engine",
        out,
        "--iterations",
        "20",
        "--quiet",
        "--threads",
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "res.npz")["joints_3d"].shape == (3, 17, 3)


def test_cli_fp16_with_given_set(tmp_path, calib_file):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    out = tmp_path / "named.onnx"
    done = _run("zedo-export", "--ckpt", ckpt, "--precision", "fp16", "--calibration-set", calib_file, "-o", out)
    assert done.returncode == 0, done.stderr
    assert PriorMeta.from_json(sidecar_path(out).read_text()).precision == "fp16"
    assert f"calibration {calib_file} (1024 samples from random test poses" in done.stdout
    assert "fp16 vs fp32 on 256 held-out samples" in done.stdout


def test_cli_errors(tmp_path, calib_file):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    done = _run("zedo-export", "--ckpt", ckpt, "--precision", "int4")
    assert done.returncode == 2 and "invalid choice: 'int4'" in done.stderr
    assert cli.main(["--ckpt", str(ckpt), "--calibration-set", str(calib_file)]) == 2
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((4, 16, 3)), t=np.full(4, 0.05), provenance=np.array("{}"))
    done = _run("zedo-export", "--ckpt", ckpt, "--precision", "int8", "--calibration-set", bad)
    assert done.returncode == 2 and done.stderr.startswith(f"zedo-export: error: {bad}: x has shape (4, 16, 3)")
    done = _run(
        "zedo-export",
        "--ckpt",
        ckpt,
        "--precision",
        "int8",
        "--calibration-set",
        calib_file,
        "--precision-atol",
        "1e-9",
    )
    assert done.returncode == 2 and "int8 prior disagrees with FP32" in done.stderr and "nothing written" in done.stderr
    assert not (tmp_path / "tiny-int8.onnx").exists()


def test_cli_engine_without_tensorrt_fails_before_writing(tmp_path, monkeypatch, capsys):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    assert cli.main(["--ckpt", str(ckpt), "--precision", "int8", "--engine", str(tmp_path / "p.trt")]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("zedo-export: error: TensorRT is not installed: pip install tensorrt")
        and "tiny-int8.onnx runs on ONNX Runtime" in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.pt"]


def test_cli_bundled_fp16_prior_as_source(tmp_path, monkeypatch, capsys, fp16_prior, calib_file):
    """A bundled prior stored in FP16 is made FP32 first; int8 parity is against that FP32 file."""
    import zedo.export.sources as sources

    monkeypatch.setattr(sources, "bundled_prior_path", lambda name: fp16_prior)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--ckpt", "default", "--precision", "int8", "--calibration-set", str(calib_file)]) == 0
    out = capsys.readouterr().out
    assert "bundled prior 'default'" in out and "stored fp16; made FP32 exactly" in out and "int8 vs fp32" in out
    assert (tmp_path / "default-int8.onnx").exists()
    assert cli.main(["--ckpt", "default", "-o", "full.onnx"]) == 0
    assert (
        not stores_fp16(onnx.load("full.onnx"))
        and PriorMeta.from_json(sidecar_path(tmp_path / "full.onnx").read_text()).precision == "fp32"
    )
    assert cli.main(["--ckpt", "default", "--clusters", "c.npy"]) == 2
    assert "--clusters applies to checkpoints" in capsys.readouterr().err

"""export_onnx (graph, metadata, sidecar, dynamic batch, parity), the option table of export_prior,
and the zedo-export command."""

from __future__ import annotations

import inspect
import os
import re
import subprocess

import numpy as np
import pytest
from conftest import NEEDS_ONNX, NEEDS_TORCH, command
from conftest import random_poses as _poses

pytest.importorskip("torch", reason=NEEDS_TORCH)
pytest.importorskip("onnx", reason=NEEDS_ONNX)

import onnx
import torch
from fake_prior import TINY
from fake_prior import meta as _meta
from fake_prior import model as _model
from fake_prior import write_checkpoint as _checkpoint

from zedo.export import cli, export_prior, onnx_export
from zedo.export.onnx_export import export_onnx
from zedo.export.options import ENGINE, PRECISIONS, REFUSALS, SOURCES, check_options
from zedo.export.parity import PARITY_TIMES
from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.engines.compare import ParityError
from zedo.runtime.engines.onnxruntime_engine import OnnxRuntimeEngine
from zedo.runtime.engines.prior_file import META_KEY, PriorMeta, sidecar_path

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "tiny.onnx"
    model, meta = _model(), _meta()
    report = export_onnx(model, meta, path)
    return path, model, meta, report


def test_graph_passes_checker_at_opset_17(exported):
    path = exported[0]
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17
    assert [i.name for i in proto.graph.input] == ["x", "t"] and [o.name for o in proto.graph.output] == ["eps"]


def test_metadata_round_trips_through_onnxruntime_and_sidecar(exported):
    path, _, meta, _ = exported
    embedded = OnnxRuntimeEngine(path, threads=1).session.get_modelmeta().custom_metadata_map[META_KEY]
    back = PriorMeta.from_json(embedded, source=str(path))
    assert back.sde == meta.sde and back.name == "tiny" and back.prior_config == TINY.to_dict()
    assert sorted(back.clusters) == [1, 50]
    np.testing.assert_allclose(back.clusters[50], meta.clusters[50], atol=1e-6)
    assert sidecar_path(path).read_text() == embedded


@pytest.mark.parametrize("batch", [1, 3, 257])
def test_dynamic_batch_matches_torch(exported, batch):
    path, model, _, _ = exported
    x = np.random.default_rng(batch).normal(0.0, 0.3, (batch, 17, 3)).astype(np.float32)
    t = np.linspace(0.01, 0.1, batch, dtype=np.float32)
    got = OnnxRuntimeEngine(path, threads=1)(x, t)
    with torch.no_grad():
        want = model(torch.from_numpy(x), torch.from_numpy(t)).numpy()
    assert got.shape == (batch, 17, 3)
    assert np.abs(got - want).max() <= 1e-4


def test_parity_report(exported):
    report = exported[3]
    assert [(lo, hi) for lo, hi, _, _ in report.rows] == [(float(np.float32(t)),) * 2 for t in PARITY_TIMES]  # t as fed
    assert report.inputs == "51 poses noised at each t, batch 1 and 64"
    assert report.samples == 4 * 65 and all(n == 65 for *_, n in report.rows)  # each t: batch 1, then batch 64
    assert (
        report.passed and report.max_error <= 1e-4 and (report.candidate, report.reference) == ("ONNX Runtime", "torch")
    )


def test_caller_parity_poses_and_training_mode_restored(tmp_path):
    model = _model().train()
    report = export_onnx(model, _meta(), tmp_path / "p.onnx", parity_poses=_poses(7, 3))
    assert report.inputs.startswith("7 poses") and report.passed
    assert model.training


def test_parity_failure_raises_and_writes_nothing(tmp_path, monkeypatch):
    real = onnx_export.TorchRunner.__call__
    monkeypatch.setattr(onnx_export.TorchRunner, "__call__", lambda self, x, t: real(self, x, t) + 1e-2)
    out = tmp_path / "bad.onnx"
    with pytest.raises(
        ParityError,
        match=r"bad\.onnx: ONNX Runtime disagrees with torch: max \|eps error\| 0\.01 at t=0\.01 > atol 0\.0001",
    ) as info:
        export_onnx(_model(), _meta(), out)
    assert not info.value.report.passed
    assert list(tmp_path.iterdir()) == []  # no file, no sidecar, no temporary left behind

    out.write_bytes(b"previous export")
    with pytest.raises(ParityError):
        export_onnx(_model(), _meta(), out)
    assert out.read_bytes() == b"previous export"  # a failed export never replaces a good file


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"\.onnx"):
        export_onnx(_model(), _meta(), tmp_path / "prior.bin")
    with pytest.raises(ValueError, match="clusters"):
        export_onnx(_model(), PriorMeta(sde=SDEConfig()), tmp_path / "prior.onnx")
    with pytest.raises(ValueError, match="parity_poses"):
        export_onnx(_model(), _meta(), tmp_path / "prior.onnx", parity_poses=np.zeros((4, 16, 3)))
    assert list(tmp_path.iterdir()) == []


# --- the option table of export_prior ----------------------------------------------------------


@pytest.mark.parametrize(
    "source, precision, engine, options, message",
    [
        ("p.pt", "fp32", None, {"fp16": True}, "--fp16 sets the TensorRT FP16 flag; pass --engine"),
        (
            "p.pt",
            "int8",
            None,
            {"engine_atol": 0.1},
            "--engine-atol is the TensorRT engine's parity tolerance; pass --engine",
        ),
        (
            "p.pt",
            "fp32",
            "p.trt",
            {"calibration_set": "c.npz"},
            "--calibration-set applies to --precision fp16 or int8",
        ),
        ("p.pt", "fp32", None, {"precision_atol": 0.0}, "--precision-atol applies to --precision fp16 or int8"),
        (
            "default",
            "fp16",
            None,
            {"clusters": "c.npy"},
            "--clusters applies to checkpoints; 'default' is an ONNX prior (the file is the source)",
        ),
        ("p.onnx", "int8", "p.trt", {"opset": 17}, "--opset applies to checkpoints; 'p.onnx' is an ONNX prior"),
        ("p.pt", "int4", None, {}, "precision must be one of fp32, fp16, int8, got 'int4'"),
    ],
)
def test_option_table_refuses_each_bad_combination(source, precision, engine, options, message):
    kind = "bundled" if source == "default" else "onnx" if source.endswith(".onnx") else "checkpoint"
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        check_options(source, kind, precision, engine, options)
    # export_prior checks the table before it touches any file (none of these exist).
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        export_prior(source, precision=precision, engine=engine, log=None, **options)


def test_option_table_accepts_what_its_rows_take():
    check_options(
        "p.pt",
        "checkpoint",
        "int8",
        "p.trt",
        {
            "fp16": True,
            "engine_atol": 0.1,
            "calibration_set": "c.npz",
            "precision_atol": 0.5,
            "clusters": "c.npy",
            "opset": 17,
        },
    )
    check_options(
        "default", "bundled", "fp16", None, {"calibration_set": "c.npz", "atol": None, "fp16": False, "opset": None}
    )
    # Every option of a row, and every refused one, is a keyword of export_prior.
    keywords = set(inspect.signature(export_prior).parameters)
    rows = [*SOURCES.values(), *PRECISIONS.values(), ENGINE]
    assert set(REFUSALS) <= keywords and {o for r in rows for o in r.options} <= keywords
    assert set(REFUSALS) <= {o for r in rows for o in r.options}  # a refused option is taken somewhere


def test_export_prior_names_and_checks_files_before_work(tmp_path):
    onnx_source = tmp_path / "p.onnx"
    with pytest.raises(ValueError, match="would overwrite it; pass -o"):
        export_prior(onnx_source, log=None)
    with pytest.raises(ValueError, match=r"x\.bin: an ONNX prior's file name must end in \.onnx"):
        export_prior(tmp_path / "p.pt", out=tmp_path / "x.bin", log=None)
    with pytest.raises(ValueError, match=r"p\.bin: a TensorRT engine's file name must end in \.trt"):
        export_prior(tmp_path / "p.pt", engine=tmp_path / "p.bin", log=None)
    assert list(tmp_path.iterdir()) == []


def test_export_prior_library_call(tmp_path):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    lines = []
    report = export_prior(ckpt, log=lines.append)
    assert report.out == tmp_path / "tiny.onnx" and report.out.exists() and sidecar_path(report.out).exists()
    assert (report.source, report.precision, report.precision_parity, report.engine) == (
        "checkpoint",
        "fp32",
        None,
        None,
    )
    assert report.parity.passed and lines[0].startswith("checkpoint  ") and lines[-1].startswith("wrote       ")
    assert lines[3] == "parity      " + report.parity.lines()[0]


def _zedo_export(*args) -> subprocess.CompletedProcess:
    exe = command("zedo-export")
    if exe is None:
        pytest.skip("the zedo-export command is not installed (pip install -e .)")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_cli_command_success(tmp_path):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    done = _zedo_export("--ckpt", ckpt)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "tiny.onnx").exists() and (tmp_path / "tiny.onnx.json").exists()
    assert (
        "parity      ONNX Runtime vs torch on 51 poses noised at each t, batch 1 and 64: max |eps error|" in done.stdout
    )
    for t in PARITY_TIMES:
        assert f"              t = {t:<5g} max " in done.stdout
    assert "parameters" in done.stdout


def test_cli_command_bad_checkpoint(tmp_path):
    done = _zedo_export("--ckpt", tmp_path / "absent.pt")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"zedo-export: error: {tmp_path / 'absent.pt'}: no such checkpoint file"]


def test_cli_in_process_options(tmp_path, capsys):
    ckpt = tmp_path / "tiny.pt"
    _checkpoint(ckpt)
    assert cli.main(["--ckpt", str(ckpt), "--fp16"]) == 2
    assert capsys.readouterr().err.strip() == "zedo-export: error: --fp16 sets the TensorRT FP16 flag; pass --engine"

    clusters = tmp_path / "c.npz"
    np.savez(clusters, c3=_poses(3))
    out = tmp_path / "sub" / "named.onnx"
    assert cli.main(["--ckpt", str(ckpt), "-o", str(out), "--clusters", str(clusters), "--atol", "1e-3"]) == 0
    assert sorted(PriorMeta.from_json(sidecar_path(out).read_text()).clusters) == [3]
    assert "S = 3" in capsys.readouterr().out

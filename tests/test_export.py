"""export_onnx (graph, metadata, sidecar, dynamic batch, parity) and the zedo-export command."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from zedo.export import cli, onnx_export
from zedo.export.onnx_export import PARITY_TIMES, ParityError, export_onnx
from zedo.runtime.prior_file import META_KEY, PriorMeta, sidecar_path
from zedo.runtime.sde import SDEConfig
from fake_prior import TINY
from fake_prior import meta as _meta
from fake_prior import model as _model
from fake_prior import poses as _poses
from fake_prior import write_checkpoint as _checkpoint

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work






@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "tiny.onnx"
    model, meta = _model(), _meta()
    report = export_onnx(model, meta, path)
    return path, model, meta, report


def _session(path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def test_graph_passes_checker_at_opset_17(exported):
    path = exported[0]
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17
    assert [i.name for i in proto.graph.input] == ["x", "t"] and [o.name for o in proto.graph.output] == ["eps"]


def test_metadata_round_trips_through_onnxruntime_and_sidecar(exported):
    path, _, meta, _ = exported
    embedded = _session(path).get_modelmeta().custom_metadata_map[META_KEY]
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
    got = _session(path).run(["eps"], {"x": x, "t": t})[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x), torch.from_numpy(t)).numpy()
    assert got.shape == (batch, 17, 3)
    assert np.abs(got - want).max() <= 1e-4


def test_parity_report(exported):
    report = exported[3]
    assert [t for t, _ in report.errors] == list(PARITY_TIMES)
    assert report.batch_sizes == (1, 64) and report.poses == 51
    assert report.passed and report.max_error <= 1e-4


def test_caller_parity_poses_and_training_mode_restored(tmp_path):
    model = _model().train()
    report = export_onnx(model, _meta(), tmp_path / "p.onnx", parity_poses=_poses(7, 3))
    assert report.poses == 7 and report.passed
    assert model.training


def test_parity_failure_raises_and_writes_nothing(tmp_path, monkeypatch):
    real = onnx_export._reference_eps
    monkeypatch.setattr(onnx_export, "_reference_eps", lambda m, x, t: real(m, x, t) + 1e-2)
    out = tmp_path / "bad.onnx"
    with pytest.raises(ParityError, match="disagrees with torch") as info:
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



def _zedo_export(*args) -> subprocess.CompletedProcess:
    exe = shutil.which("zedo-export")
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
    for t in PARITY_TIMES:
        assert f"t = {t:<5g}" in done.stdout
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

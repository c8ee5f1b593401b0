"""The torch network read back from an ONNX prior's weights (``load_onnx_prior``), which
benchmarks/speed.py runs the release's eager-torch loop with: the same eps as the ONNX prior."""

from __future__ import annotations

import pytest
from conftest import NEEDS_ONNX, NEEDS_TORCH
from conftest import random_poses as _poses

pytest.importorskip("torch", reason=NEEDS_TORCH)
pytest.importorskip("onnx", reason=NEEDS_ONNX)

import torch
from fake_prior import meta as _meta
from fake_prior import model as _model
from fake_prior import write_onnx as _onnx

from zedo.export.onnx_export import TorchRunner
from zedo.export.parity import parity_inputs
from zedo.runtime import open_engine
from zedo.runtime.engines.compare import compare, require
from zedo.training.checkpoint import load_onnx_prior

torch.set_num_threads(1)  # tiny networks; leave the machine's cores to other work


@pytest.fixture(scope="module")
def scorenet_prior(tmp_path_factory):
    return _onnx(tmp_path_factory.mktemp("reference") / "tiny.onnx")


def test_weights_and_eps_of_the_onnx_prior(scorenet_prior):
    model, meta = load_onnx_prior(scorenet_prior)
    assert not model.training and meta.to_json() == _meta().to_json()
    for name, value in _model().state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], value, rtol=0, atol=0, msg=name)
    x, t, calls, _ = parity_inputs(_poses(64, 3))
    report = require(
        compare(open_engine(scorenet_prior), TorchRunner(model), x, t, 1e-5, batch=calls),
        "torch from ONNX vs ONNX Runtime",
    )
    assert report.max_error < 1e-5


def test_refuses_what_is_not_an_fp32_scorenet(tiny_prior, tmp_path):
    with pytest.raises(ValueError, match="tiny.onnx: its weight set does not match the network: missing keys"):
        load_onnx_prior(tiny_prior)  # conftest's eps = x * (a + c t), no ScoreNet weights
    with pytest.raises(FileNotFoundError, match="absent.onnx"):
        load_onnx_prior(tmp_path / "absent.onnx")

"""The cpu-numpy engine (a ScoreNet prior's ONNX weights as NumPy products) and the cpu-split engine
(ONNX Runtime with the t-only layers cut out) against ONNX Runtime on the whole graph, and
onnx_proto (initializers, metadata, nodes without the onnx package) against onnx itself.

Most cases run on a tiny ScoreNet that torch exports (``scorenet_prior``: skipped without torch
and onnx); the engines are also checked on the bundled default prior, which needs neither."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NEEDS_ONNX, NEEDS_TORCH
from conftest import random_poses as _poses

from zedo.export.parity import parity_inputs
from zedo.runtime import LoopConfig, OnnxRuntimeEngine, estimate, open_engine
from zedo.runtime.engines import numpy_engine
from zedo.runtime.engines.compare import compare, require
from zedo.runtime.engines.numpy_engine import NumpyEngine
from zedo.runtime.engines.onnx_proto import read_onnx, torch_parameters
from zedo.runtime.engines.prior_file import META_KEY
from zedo.runtime.engines.split_engine import SplitEngine

ATOL = 1e-5  # float32 rounding of eps (about unit size) through a few dense layers


@pytest.fixture(scope="module")
def scorenet_prior(tmp_path_factory):
    """A tiny ScoreNet (hidden 64) exported by export_onnx: the graph zedo-export writes. Skips
    without torch or onnx, so the tests that take it may import both."""
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    pytest.importorskip("onnx", reason=NEEDS_ONNX)
    from fake_prior import write_onnx

    return write_onnx(tmp_path_factory.mktemp("numpy") / "tiny.onnx")


def test_reader_matches_onnx(scorenet_prior):
    import onnx
    from onnx import numpy_helper

    got = read_onnx(scorenet_prior)
    proto = onnx.load(str(scorenet_prior))
    want = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    assert set(got.initializers) == set(want)
    for name, value in want.items():
        assert got.initializers[name].dtype == np.float32 and np.array_equal(got.initializers[name], value), name
    assert got.metadata == {p.key: p.value for p in proto.metadata_props}
    assert got.nodes == tuple((n.name, n.op_type, tuple(n.input), tuple(n.output)) for n in proto.graph.node)


def test_torch_parameters_found_through_shared_initializers(scorenet_prior):
    """torch's exporter stores parameters of equal value once (the tiny network's GroupNorms are
    all ones and zeros) and copies it under the others' names with Identity nodes."""
    from fake_prior import model as _model

    model = _model()
    got = torch_parameters(read_onnx(scorenet_prior), model.state_dict())
    assert "b1_gnorm1.weight" not in read_onnx(scorenet_prior).initializers  # shared, under another name
    assert set(got) == set(model.state_dict())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(got[name], value.numpy(), err_msg=name)


def test_reader_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such ONNX file"):
        read_onnx(tmp_path / "absent.onnx")
    bad = tmp_path / "bad.onnx"
    for content in (b"", b"\x08", b"not protobuf at all" * 3):
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="bad.onnx: not a readable ONNX model"):
            read_onnx(bad)


def test_engine_names_a_weight_that_is_not_float32(tmp_path, scorenet_prior):
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(scorenet_prior))
    w = next(i for i in proto.graph.initializer if i.name == "b1_dense1.weight")
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w).astype(np.float64), w.name))
    path = tmp_path / "f64.onnx"
    onnx.save(proto, str(path))
    assert read_onnx(path).other_types == {"b1_dense1.weight": 11}
    with pytest.raises(
        ValueError,
        match=r"f64.onnx: not a zedo FP32 ScoreNet prior "
        r"\('b1_dense1.weight' stored as ONNX data type 11, not float32\)",
    ):
        NumpyEngine(path)


@pytest.mark.parametrize("device, kind", [("cpu-numpy", NumpyEngine), ("cpu-split", SplitEngine)])
def test_matches_onnx_runtime(scorenet_prior, device, kind):
    """eps of the same inputs within float32 rounding: at each t of the loop's range, batch 1 and
    64, and in a batch of mixed t (one time term per distinct t)."""
    eng, ort_eng = open_engine(scorenet_prior, device=device), open_engine(scorenet_prior, device="cpu-whole")
    assert isinstance(eng, kind) and eng.meta.to_json() == ort_eng.meta.to_json()
    x, t, calls, _ = parity_inputs(_poses(64, 3))
    require(compare(ort_eng, eng, x, t, ATOL, batch=calls), f"{device} vs ONNX Runtime")
    mixed = np.random.default_rng(0).uniform(0.01, 0.1, len(x)).astype(np.float32)
    require(compare(ort_eng, eng, x, mixed, ATOL, batch=100), f"{device} vs ONNX Runtime, mixed t")


@pytest.mark.parametrize("device, kind", [("cpu-numpy", NumpyEngine), ("cpu-split", SplitEngine)])
def test_matches_onnx_runtime_on_the_bundled_prior(device, kind):
    """As test_matches_onnx_runtime, on the bundled default prior (the FP32 ScoreNet, hidden 512,
    that zedo-export wrote): the check that runs where neither torch nor onnx is installed."""
    eng, ort_eng = open_engine("default", device=device), open_engine("default", device="cpu-whole", threads=1)
    assert isinstance(eng, kind) and eng.meta.to_json() == ort_eng.meta.to_json()
    x, t, calls, _ = parity_inputs(_poses(64, 3))
    require(compare(ort_eng, eng, x, t, ATOL, batch=calls), f"{device} vs ONNX Runtime, bundled prior")
    mixed = np.random.default_rng(0).uniform(0.01, 0.1, len(x)).astype(np.float32)
    require(compare(ort_eng, eng, x, mixed, ATOL, batch=100), f"{device} vs ONNX Runtime, bundled prior, mixed t")


def test_split_graphs(scorenet_prior):
    """The graph of t reads t and makes the five terms; the graph of x reads x and the terms and
    makes eps; the terms are the whole graph's to float32 rounding."""
    import onnx

    eng = SplitEngine(scorenet_prior, threads=1)
    assert [i.name for i in eng.of_t.get_inputs()] == ["t"] and [o.name for o in eng.of_t.get_outputs()] == eng.terms
    assert [i.name for i in eng.of_x.get_inputs()] == ["x", *eng.terms] and len(eng.terms) == 5
    assert [o.name for o in eng.of_x.get_outputs()] == ["eps"]
    proto = onnx.load(str(scorenet_prior))
    proto.graph.output.extend(
        [onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["B", 64]) for name in eng.terms]
    )
    import onnxruntime as ort

    whole = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    t = np.array([0.01, 0.05, 0.05, 0.1], np.float32)
    want = whole.run(eng.terms, {"x": _poses(4, 5), "t": t})
    for got, ref in zip(eng._terms(t), want):
        np.testing.assert_allclose(got, ref, atol=1e-6)


def test_time_terms_cache_is_bounded(scorenet_prior, monkeypatch):
    """Past its size the cache starts again; results do not depend on it."""
    monkeypatch.setattr(numpy_engine, "CACHE_BYTES", 3 * 5 * 64 * 4)  # three t values of the tiny prior
    eng, ref = NumpyEngine(scorenet_prior), open_engine(scorenet_prior, device="cpu-whole")
    x = _poses(1, 4)
    for t in np.linspace(0.01, 0.1, 10, dtype=np.float32):
        tt = np.full(1, t, np.float32)
        np.testing.assert_allclose(eng(x, tt), ref(x, tt), atol=ATOL)
        assert len(eng.terms._cache) <= 3


@pytest.mark.parametrize("device", ["cpu-numpy", "cpu-split"])
def test_estimate_on_it_matches_onnx_runtime(scorenet_prior, synth, device):
    s = synth(2, seed=5)
    kw = dict(config=LoopConfig(iterations=20, start_candidates=1))
    a = estimate(s["keypoints"], K=s["K"], engine=open_engine(scorenet_prior, device="cpu-whole"), **kw)
    b = estimate(s["keypoints"], K=s["K"], engine=open_engine(scorenet_prior, device=device), **kw)
    np.testing.assert_allclose(b.joints_3d, a.joints_3d, atol=1e-4)


def test_cpu_splits_the_graph_where_it_can(scorenet_prior, tiny_prior):
    """ "cpu" is the split engine on a ScoreNet, the same eps bit for bit as the whole graph, and the
    whole graph where the graph does not split (the tiny prior)."""
    split, whole = open_engine(scorenet_prior), open_engine(scorenet_prior, device="cpu-whole")
    assert isinstance(split, SplitEngine) and isinstance(whole, OnnxRuntimeEngine)
    x = _poses(64, 6)
    for t in (np.full(64, 0.05, np.float32), np.random.default_rng(1).uniform(0.01, 0.1, 64).astype(np.float32)):
        np.testing.assert_array_equal(split(x, t), whole(x, t))
    assert isinstance(open_engine(tiny_prior), OnnxRuntimeEngine)


def test_refusals_of_a_prior_that_is_not_a_scorenet(tiny_prior):
    with pytest.raises(
        ValueError,
        match="tiny.onnx: the prior's metadata does not give its network's widths .* the cpu-numpy engine needs them",
    ):
        NumpyEngine(tiny_prior)  # conftest's eps = x * (a + c t): no ScoreNet, no widths
    with pytest.raises(ValueError, match="the cpu-split engine needs them"):
        open_engine(tiny_prior, device="cpu-split")


def test_refusals(scorenet_prior, tmp_path):
    import onnx

    with pytest.raises(ValueError, match="threads=N sets ONNX Runtime's threads"):
        open_engine(scorenet_prior, device="cpu-numpy", threads=2)
    proto = onnx.load(str(scorenet_prior))
    proto.graph.initializer.remove(next(i for i in proto.graph.initializer if i.name == "post_dense.bias"))
    path = tmp_path / "no-bias.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(
        ValueError,
        match=r"no-bias.onnx: not a zedo FP32 ScoreNet prior "
        r"\('post_dense.bias' missing or not of shape \(51,\)\); the cpu-split engine",
    ):
        open_engine(path, device="cpu-split")
    with pytest.raises(
        ValueError, match="device must be one of cpu, cuda, tensorrt, cpu-split, cpu-whole, cpu-numpy, got 'gpu'"
    ):
        open_engine(scorenet_prior, device="gpu")
    proto = onnx.load(str(scorenet_prior))
    for p in proto.metadata_props:
        if p.key == META_KEY:
            p.value = p.value.replace('"precision": "fp32"', '"precision": "fp16"')
    path = tmp_path / "says-fp16.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ValueError, match="says-fp16.onnx: the cpu-numpy engine runs FP32 priors; this one is fp16"):
        NumpyEngine(path)

"""A ScoreNet prior on ONNX Runtime with its t-only layers computed once per t (device ``cpu-split``).

Of the h36m prior's 1.8 M multiply-adds per pose, 0.7 M depend on t alone: the time embedding and
the dense layer applied to it beside each dense layer of x. The loop calls the prior with one t for
the whole batch, so those rows are the same B times over. This engine splits the ONNX graph in two
as it opens the file, at the outputs of the five ``/<layer>_t/Gemm`` nodes (the "terms"):

- the graph of t: the same graph with the terms as its outputs, and only what computes them; run
  once per distinct t, its terms kept (up to ``numpy_engine.CACHE_BYTES``) for later calls;
- the graph of x: the terms' nodes removed and their outputs made inputs of shape (1 or B,
  hidden); what nothing then reads (the embedding) is dropped.

Both run on ONNX Runtime's CPU provider, so the arithmetic is the whole graph's (eps agrees with
it to float32 rounding; tests/test_cpu_engines.py) and no second thread pool (NumPy's BLAS) fights
ONNX Runtime's for the cores. Shapes as ``zedo.runtime.engines.open.Engine``.

The graph is edited as protobuf bytes (``onnx_proto``): ModelProto.graph = 7; GraphProto node = 1,
initializer = 5, input = 11, output = 12, value_info = 13; ValueInfoProto name = 1, type = 2;
TypeProto tensor_type = 1; TypeProto.Tensor elem_type = 1, shape = 2; TensorShapeProto dim = 1;
Dimension dim_value = 1, dim_param = 2; TensorProto name = 8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .numpy_engine import CACHE_BYTES, open_scorenet
from .onnx_proto import BYTES, encode_field, fields, node_fields, raw_fields, read_onnx
from .onnxruntime_engine import session_options
from .prior_file import INPUT_T, INPUT_X, OUTPUT_EPS


def _float_tensor(name: str, dims) -> bytes:
    """A ValueInfoProto of a float32 tensor; dims are ints or symbolic names."""
    shape = b"".join(
        encode_field(1, encode_field(2, d.encode()) if isinstance(d, str) else encode_field(1, d)) for d in dims
    )
    return encode_field(1, name.encode()) + encode_field(
        2, encode_field(1, encode_field(1, 1) + encode_field(2, shape))
    )


def _name_of(message, number: int) -> str:
    """The string field ``number`` of a message (a ValueInfoProto's or TensorProto's name)."""
    return next((bytes(v).decode("utf-8") for n, w, v in fields(message) if n == number and w == BYTES), "")


def edit_graph(model: bytes, remove=(), inputs=(), outputs=None) -> bytes:
    """``model`` (ONNX bytes) with the nodes named in ``remove`` dropped, the ValueInfoProtos
    ``inputs`` added as graph inputs and, if given, ``outputs`` as the graph's outputs instead of
    its own; then nodes whose outputs nothing reads, and inputs, initializers and value_info
    nothing reads or makes, are dropped too."""
    top = list(raw_fields(memoryview(model)))
    parts = list(raw_fields(next(v for n, w, v, _ in top if n == 7 and w == BYTES)))
    nodes = [(node_fields(v), bytes(raw)) for n, w, v, raw in parts if n == 1 and node_fields(v)[0] not in remove]
    out_msgs = (
        [bytes(raw) for n, _, _, raw in parts if n == 12] if outputs is None else [encode_field(12, o) for o in outputs]
    )
    wanted = {_name_of(next(raw_fields(memoryview(m)))[2], 1) for m in out_msgs}
    while True:
        read = {i for node, _ in nodes for i in node[2]} | wanted
        alive = [(node, raw) for node, raw in nodes if any(o in read for o in node[3])]
        if len(alive) == len(nodes):
            break
        nodes = alive
    read = {i for node, _ in nodes for i in node[2]}
    made = {o for node, _ in nodes for o in node[3]}
    keep = {
        5: lambda v: _name_of(v, 8) in read,
        11: lambda v: _name_of(v, 1) in read,
        13: lambda v: _name_of(v, 1) in made,
        12: lambda v: outputs is None,
    }
    body = [bytes(raw) for n, w, v, raw in parts if n != 1 and keep.get(n, lambda v: True)(v)]
    # Repeated fields keep their order among themselves: nodes stay topologically sorted.
    body += (
        [raw for _, raw in nodes] + [encode_field(11, i) for i in inputs] + (out_msgs if outputs is not None else [])
    )
    graph = b"".join(body)
    return b"".join(encode_field(7, graph) if n == 7 and w == BYTES else bytes(raw) for n, w, v, raw in top)


def split_graph(model: bytes, cut: list[str], hidden: int) -> tuple[bytes, bytes, list[str]]:
    """(graph of t, graph of x, the terms' names) of ``model`` split at the outputs of the nodes
    named ``cut`` (see the module docstring); ValueError if one is absent or has more outputs."""
    graph = next(v for n, w, v, _ in raw_fields(memoryview(model)) if n == 7 and w == BYTES)
    by_name = {}
    for n, _, v, _ in raw_fields(graph):
        if n == 1:
            node = node_fields(v)
            by_name[node[0]] = node
    for name in cut:
        if name not in by_name or len(by_name[name][3]) != 1:
            raise ValueError(f"no node {name!r} with one output in the graph")
    terms = [by_name[name][3][0] for name in cut]
    of_t = edit_graph(model, outputs=[_float_tensor(o, ["B", hidden]) for o in terms])
    of_x = edit_graph(model, remove=set(cut), inputs=[_float_tensor(o, ["T", hidden]) for o in terms])
    return of_t, of_x, terms


class SplitEngine:
    """An FP32 ScoreNet prior on ONNX Runtime's CPU provider (``threads`` intra-op, 0: its default),
    its graph split into that of t, run once per t, and that of x (see the module docstring)."""

    xp = np
    device = "cpu-split"

    def __init__(self, path: str | Path, threads: int = 0, log_severity: int | None = 3):
        import onnxruntime as ort

        self.path = Path(path)
        contents = read_onnx(self.path)  # the one read of the file: its weights, metadata and bytes
        self.meta, weights, layers, _ = open_scorenet(contents, self.path, self.device)
        hidden = weights["pre_dense_t.weight"].shape[0]
        cpu = ["CPUExecutionProvider"]
        try:
            of_t, of_x, self.terms = split_graph(contents.model, [f"/{n}_t/Gemm" for n in layers], hidden)
            # The graph of t runs on the calling thread: a second pool would fight the first for the cores.
            self.of_t = ort.InferenceSession(of_t, session_options(1, log_severity), providers=cpu)
            self.of_x = ort.InferenceSession(of_x, session_options(threads, log_severity), providers=cpu)
        except Exception as e:  # a graph zedo-export did not write: ValueError or ONNX Runtime's own
            raise ValueError(
                f"{self.path}: cannot split this graph at its t-only layers ({str(e).splitlines()[0][:200]}); "
                "use device='cpu'"
            ) from None
        got = ({i.name for i in self.of_t.get_inputs()}, {i.name for i in self.of_x.get_inputs()})
        if got != ({INPUT_T}, {INPUT_X, *self.terms}):
            raise ValueError(
                f"{self.path}: the split graphs read {sorted(got[0])} and {sorted(got[1])}, "
                "not t, and x with the t-only terms; use device='cpu'"
            )
        self._kept: dict[float, list[np.ndarray]] = {}
        self._kept_size = max(1, CACHE_BYTES // (4 * hidden * len(layers)))

    def _terms(self, t: np.ndarray) -> list[np.ndarray]:
        """The terms for t (B,) float32: (1, hidden) each when all B share one t (kept per t), else
        (B, hidden)."""
        if not (t.size and (t == t[0]).all()):
            values, index = np.unique(t, return_inverse=True)
            return [term[index] for term in self.of_t.run(self.terms, {INPUT_T: values})]
        key = float(t[0])
        terms = self._kept.get(key)
        if terms is None:
            if len(self._kept) >= self._kept_size:
                self._kept.clear()
            terms = self._kept[key] = self.of_t.run(self.terms, {INPUT_T: t[:1]})
        return terms

    def __call__(self, x, t):
        """eps (B, 17, 3) float32 of x (B, 17, 3) and t (B,), float32 NumPy arrays."""
        try:
            terms = self._terms(np.asarray(t, dtype=np.float32).reshape(x.shape[0]))
            return self.of_x.run([OUTPUT_EPS], {INPUT_X: x, **dict(zip(self.terms, terms))})[0]
        except Exception as e:
            raise RuntimeError(
                f"{self.path}: ONNX Runtime failed to run the prior ({str(e).splitlines()[0][:300]})"
            ) from e

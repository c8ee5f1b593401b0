"""A ScoreNet prior on ONNX Runtime with its t-only layers computed once per t (device ``cpu-split``).

Of the h36m prior's 1.8 M multiply-adds per pose, 0.7 M depend on t alone: the time embedding and
the dense layer applied to it beside each dense layer of x. The loop calls the prior with one t for
the whole batch, so those rows are the same B times over. This engine cuts them out of the ONNX
graph as it opens the file: the outputs of the five ``/<layer>_t/Gemm`` nodes become inputs of
shape (1 or B, hidden), and nodes and initializers nothing then reads are dropped (the embedding).
The cut graph runs on ONNX Runtime's CPU provider; the terms come from NumPy
(``numpy_engine.TimeTerms``, once per distinct t, kept). eps agrees with the whole graph to
float32 rounding (tests/test_cpu_engines.py). Shapes as ``zedo.runtime.engines.Engine``.

The graph is edited as protobuf bytes (``onnx_proto``): ModelProto.graph = 7; GraphProto node = 1,
initializer = 5, input = 11, value_info = 13; ValueInfoProto name = 1, type = 2; TypeProto
tensor_type = 1; TypeProto.Tensor elem_type = 1, shape = 2; TensorShapeProto dim = 1; Dimension
dim_value = 1, dim_param = 2; TensorProto name = 8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .numpy_engine import TimeTerms, open_scorenet
from .onnx_proto import BYTES, encode_field, fields, node_fields, raw_fields
from .onnxruntime_engine import session_options
from .prior_file import INPUT_X, OUTPUT_EPS


def _float_input(name: str, dims) -> bytes:
    """A ValueInfoProto of a float32 tensor; dims are ints or symbolic names."""
    shape = b"".join(encode_field(1, encode_field(2, d.encode()) if isinstance(d, str) else encode_field(1, d)) for d in dims)
    return encode_field(1, name.encode()) + encode_field(2, encode_field(1, encode_field(1, 1) + encode_field(2, shape)))


def _name_of(raw_value, number: int) -> str:
    """The string field ``number`` of a message (a ValueInfoProto's or TensorProto's name)."""
    return next((bytes(v).decode("utf-8") for n, w, v in fields(raw_value) if n == number and w == BYTES), "")


def cut_graph(model: bytes, cut: list[str], hidden: int) -> tuple[bytes, list[str]]:
    """(``model`` (ONNX bytes) with the nodes named ``cut`` removed and their outputs made float32
    inputs (T, hidden), those inputs' names in the order of ``cut``). Nodes whose outputs nothing
    reads any more, and inputs, initializers and value_info nothing reads, are dropped. ValueError
    if a node of ``cut`` is absent or has more than one output."""
    buf = memoryview(model)
    top = list(raw_fields(buf))
    graph = next(v for n, w, v, _ in top if n == 7 and w == BYTES)
    parts = list(raw_fields(graph))
    nodes = [(node_fields(v), raw) for n, w, v, raw in parts if n == 1]
    by_name = {node[0]: node for node, _ in nodes}
    for name in cut:
        if name not in by_name or len(by_name[name][3]) != 1:
            raise ValueError(f"no node {name!r} with one output in the graph")
    cut_outputs = [by_name[name][3][0] for name in cut]
    kept = [(node, raw) for node, raw in nodes if node[0] not in cut]
    outputs = {_name_of(v, 1) for n, w, v, _ in parts if n == 12}
    while True:  # drop nodes whose outputs nothing reads
        read = {i for node, _ in kept for i in node[2]} | outputs
        alive = [(node, raw) for node, raw in kept if any(o in read for o in node[3])]
        if len(alive) == len(kept):
            break
        kept = alive
    read = {i for node, _ in kept for i in node[2]}
    made = {o for node, _ in kept for o in node[3]}
    body = []
    for n, w, v, raw in parts:
        if n == 1:
            continue
        if (n == 5 and _name_of(v, 8) not in read) or (n == 11 and _name_of(v, 1) not in read) or (n == 13 and _name_of(v, 1) not in made):
            continue
        body.append(bytes(raw))
    # Repeated fields keep their order among themselves: nodes stay topologically sorted.
    body += [bytes(raw) for _, raw in kept] + [encode_field(11, _float_input(o, ["T", hidden])) for o in cut_outputs]
    new_graph = b"".join(body)
    return b"".join(encode_field(7, new_graph) if n == 7 and w == BYTES else bytes(raw) for n, w, v, raw in top), cut_outputs


class SplitEngine:
    """An FP32 ScoreNet prior: the graph of x on ONNX Runtime's CPU provider (``threads`` intra-op,
    0: its default), the t-only terms from NumPy once per t (see the module docstring)."""

    xp = np
    device = "cpu-split"

    def __init__(self, path: str | Path, threads: int = 0, log_severity: int | None = 3):
        import onnxruntime as ort

        self.path = Path(path)
        self.meta, weights, layers, _ = open_scorenet(self.path, self.device)
        self.terms = TimeTerms(weights, layers, fold_bias=False)
        hidden = weights["pre_dense_t.weight"].shape[0]
        try:
            graph, self.term_inputs = cut_graph(self.path.read_bytes(), [f"/{n}_t/Gemm" for n in layers], hidden)
            self.session = ort.InferenceSession(graph, session_options(threads, log_severity), providers=["CPUExecutionProvider"])
        except Exception as e:  # a graph zedo-export did not write: ValueError or ONNX Runtime's own
            raise ValueError(f"{self.path}: cannot cut the t-only layers out of this graph ({str(e).splitlines()[0][:200]}); use --device cpu") from None
        self._one_t: dict[float, dict[str, np.ndarray]] = {}
        names = {i.name for i in self.session.get_inputs()}
        if names != {INPUT_X, *self.term_inputs}:
            raise ValueError(f"{self.path}: the cut graph's inputs {sorted(names)} are not x and the t-only terms; use --device cpu")

    def _feeds(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """The term inputs for t (B,): (1, hidden) each when all B share one t (kept per t), else
        (B, hidden)."""
        if t.size and (t == t[0]).all():
            key = float(t[0])
            feeds = self._one_t.get(key)
            if feeds is None:
                terms, _ = self.terms.at(t[:1])
                if len(self._one_t) >= self.terms.cache_size:
                    self._one_t.clear()
                feeds = self._one_t[key] = {name: np.ascontiguousarray(terms[:, k]) for k, name in enumerate(self.term_inputs)}
            return feeds
        terms, index = self.terms.at(t)
        return {name: np.ascontiguousarray(terms[index, k]) for k, name in enumerate(self.term_inputs)}

    def __call__(self, x, t):
        """eps (B, 17, 3) float32 of x (B, 17, 3) and t (B,), float32 NumPy arrays."""
        feeds = {INPUT_X: x, **self._feeds(np.asarray(t, dtype=np.float32).reshape(x.shape[0]))}
        try:
            return self.session.run([OUTPUT_EPS], feeds)[0]
        except Exception as e:
            raise RuntimeError(f"{self.path}: ONNX Runtime failed to run the prior ({str(e).splitlines()[0][:300]})") from e

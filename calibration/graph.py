"""ONNX graph edits of the precision converters: FP16 storage detected and undone, nodes sorted.

Reading and writing prior files (metadata, sidecar, contract) is ``zedo.runtime.engines.prior_file``'s.
Reduced-precision priors keep float32 inputs x (B, 17, 3) and t (B,) and output eps (B, 17, 3),
so the runtime feeds them exactly as it feeds an FP32 one.
"""

from __future__ import annotations

import numpy as np


def stores_fp16(proto) -> bool:
    """Whether any initializer or Constant of the graph is float16 (an FP16-stored prior)."""
    from onnx import TensorProto

    tensors = list(proto.graph.initializer) + [
        a.t for n in proto.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"
    ]
    return any(t.data_type == TensorProto.FLOAT16 for t in tensors)


def to_fp32(proto):
    """A float32 copy of an FP16-stored prior (float16 initializers, Constants, Casts and value types).

    Every float16 tensor becomes float32, every Cast to float16 a Cast to float32, and Cast nodes
    that thereby cast float32 to float32 are removed (their consumers, or the graph output, are
    rewired to the Cast's input). The weights keep the values FP16 rounded them to; the FP32 graph
    computes with them exactly. Q/DQ (int8) graphs are refused: dequantising is not undoing.
    """
    import onnx
    from onnx import TensorProto, numpy_helper

    out = onnx.ModelProto()
    out.CopyFrom(proto)
    g = out.graph
    if any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in g.node):
        raise ValueError("an INT8 (Q/DQ) prior cannot be turned back into FP32; export FP32 from the checkpoint")

    def fix(tensor):
        if tensor.data_type == TensorProto.FLOAT16:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name))

    for init in g.initializer:
        fix(init)
    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                fix(attr.t)
            elif node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                attr.i = TensorProto.FLOAT
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT16:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT

    # Casts to float32 whose input is float32 are now identities; drop them. Types come from shape
    # inference on the converted graph (the stale value_info of the FP16 graph is dropped first).
    del g.value_info[:]
    inferred = onnx.shape_inference.infer_shapes(out)
    types = {vi.name: vi.type.tensor_type.elem_type for vi in list(inferred.graph.value_info) + list(g.input)}
    types.update({i.name: i.data_type for i in g.initializer})
    outputs = {o.name for o in g.output}
    inputs = {i.name for i in g.input}
    for node in [n for n in g.node if n.op_type == "Cast"]:
        src, dst = node.input[0], node.output[0]
        to = next(a.i for a in node.attribute if a.name == "to")
        if to != TensorProto.FLOAT or types.get(src) != TensorProto.FLOAT or (dst in outputs and src in inputs):
            continue
        g.node.remove(node)
        # A graph output keeps its name: the producer's tensor takes it. Otherwise consumers read src.
        old, new = (src, dst) if dst in outputs else (dst, src)
        for other in g.node:
            other.input[:] = [new if i == old else i for i in other.input]
            other.output[:] = [new if o == old else o for o in other.output]
    return out


def sort_nodes(proto) -> None:
    """Reorder ``proto``'s nodes topologically in place (keeping the given order where it is valid).

    Converters that append nodes (ONNX Runtime's float16 converter puts its input Casts last)
    leave graphs the ONNX checker refuses and some runtimes cannot load.
    """
    g = proto.graph
    ready = {i.name for i in g.input} | {i.name for i in g.initializer} | {""}
    pending = list(g.node)
    ordered = []
    while pending:
        rest = []
        for node in pending:
            if all(i in ready for i in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ValueError(f"the graph has a cycle or reads undefined tensors (at node {rest[0].name!r})")
        pending = rest
    copies = [type(n)() for n in ordered]
    for c, n in zip(copies, ordered):
        c.CopyFrom(n)
    del g.node[:]
    g.node.extend(copies)

"""FP16 priors: weights and activations in half precision, float32 inputs and outputs kept.

``convert_fp16`` rewrites an FP32 ONNX prior with ONNX Runtime's float16 converter
(``onnxruntime.transformers.float16``, the one onnxconverter-common ships too): float initializers
become float16, and Cast nodes are inserted at the float32 inputs x (B, 17, 3) metres and t (B,)
and the float32 output eps (B, 17, 3), so the runtime feeds the file like an FP32 prior. Regions
that lose accuracy in half precision stay float32 (``KEEP_FP32``), with Casts around them.

The file halves the prior's size on disk. TensorRT builds it as it is (strongly typed: FP16
kernels where the graph says float16); ONNX Runtime's CPU provider has few float16 kernels and
runs most nodes in float32 behind inserted Casts, so on a CPU FP16 saves space, not time (see
docs/decisions.md, "FP16 and INT8 on a CPU: smaller, not faster").
"""

from __future__ import annotations

from pathlib import Path

from zedo.runtime.engines.prior_file import load_prior_model, save_prior_model

from .graph import sort_nodes

# pre_dense stays float32: float16 rounds x by up to 0.24 mm, a tenth of the noise at t_min that the
# network must see; see docs/decisions.md, "FP16 regions kept in FP32".
KEEP_FP32: tuple[str, ...] = ("pre_dense",)
REGIONS: dict[str, str] = {
    "time_embed": "the sinusoidal time embedding: every node computed from t alone before its first Gemm",
    "pre_dense": "the first layer: x reshaped to (B, 51) and its Gemm",
    "gnorm": "GroupNorm's InstanceNormalization nodes",
}


def time_embedding_nodes(proto) -> list[str]:
    """Names of the nodes computed from the input t (and constants) alone, up to the first Gemm/MatMul.

    In a ScoreNet export that is t * 999, the frequencies' product, Sin, Cos and their Concat.
    """
    inits = {i.name for i in proto.graph.initializer}
    from_t = {"t"}
    names = []
    for node in proto.graph.node:  # ONNX graphs are topologically sorted
        if node.op_type in ("Gemm", "MatMul"):
            continue
        ins = [i for i in node.input if i]
        if any(i in from_t for i in ins) and all(i in from_t or i in inits or i in _constants(proto) for i in ins):
            from_t.update(node.output)
            names.append(node.name)
    return names


def input_layer_nodes(proto) -> list[str]:
    """Names of the nodes on the input x's path up to and including the first Gemm/MatMul reading it.

    In a ScoreNet export that is the Reshape of x (B, 17, 3) to (B, 51) and pre_dense's Gemm.
    """
    from_x = {"x"}
    names = []
    for node in proto.graph.node:
        if node.op_type == "Shape" or not any(i in from_x for i in node.input):
            continue
        names.append(node.name)
        if node.op_type in ("Gemm", "MatMul"):
            return names
        from_x.update(node.output)
    return names


def _constants(proto) -> set[str]:
    return {o for n in proto.graph.node if n.op_type == "Constant" for o in n.output}


def convert_fp16(fp32_onnx, out_onnx, keep_fp32=KEEP_FP32) -> Path:
    """Write an FP16 copy of the FP32 prior ``fp32_onnx`` to ``out_onnx`` (.onnx) plus sidecar.

    keep_fp32: regions (``REGIONS``: ``time_embed``, ``pre_dense``, ``gnorm``) or node names left in float32.
    Inputs x, t and output eps stay float32. The metadata says precision "fp16". Both files are
    written atomically; ValueError for unknown regions or a file that is not an FP32 zedo prior.
    """
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    proto, meta = load_prior_model(fp32_onnx)
    if meta.precision != "fp32":
        raise ValueError(f"{fp32_onnx}: convert an FP32 prior, not an {meta.precision} one")
    node_names = {n.name for n in proto.graph.node}
    ops, nodes = list(DEFAULT_OP_BLOCK_LIST), []
    for item in keep_fp32:
        if item == "time_embed":
            nodes += time_embedding_nodes(proto)
        elif item == "pre_dense":
            nodes += input_layer_nodes(proto)
        elif item == "gnorm":
            ops.append("InstanceNormalization")
        elif item in node_names:
            nodes.append(item)
        else:
            raise ValueError(
                f"cannot keep {item!r} in float32: not a region ({', '.join(REGIONS)}) nor a node of {fp32_onnx}"
            )
    half = convert_float_to_float16(proto, keep_io_types=True, op_block_list=ops, node_block_list=nodes)
    sort_nodes(half)
    return save_prior_model(half, out_onnx, meta, "fp16")

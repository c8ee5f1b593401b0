"""INT8 priors: explicit (Q/DQ) quantization with ONNX Runtime, and a TensorRT calibrator.

The recommended path is explicit quantization: ``quantize_int8`` writes an ONNX prior whose Gemm
(Linear) layers read their activations and weights through QuantizeLinear/DequantizeLinear pairs
with scales fixed by calibration on a calibration set (``zedo.calibration.dataset``: noised poses
x (N, 17, 3) float32 metres, t (N,) in ZeDO's range). The same file runs on ONNX Runtime and is
consumed directly by TensorRT (``zedo-export --engine`` builds it as typed; TensorRT takes the
scales from the Q/DQ nodes and needs no calibrator). ONNX Runtime's CPU provider fuses Q/DQ Gemms
into integer kernels only when their outputs are quantized too, which costs accuracy, so on a CPU
it dequantizes and multiplies in float: the file is smaller, not faster (see docs/decisions.md,
"FP16 and INT8 on a CPU: smaller, not faster").
TensorRT's constraints shape the choices here: symmetric INT8 activations and weights (zero
point 0), per-channel weight scales along the output axis, and float biases (TensorRT does not
dequantize INT32 tensors).

Inputs and outputs stay float32 (x, t -> eps), so the runtime feeds the file like an FP32 prior.
The legacy alternative, implicit quantization with a TensorRT calibrator on the FP32 file, is
deprecated since TensorRT 10.1 and removed in 11; zedo no longer ships a calibrator for it.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.runtime.engines.compare import check_inputs
from zedo.runtime.engines.prior_file import INPUT_T, INPUT_X, load_prior_model, save_prior_model

METHODS: tuple[str, ...] = ("minmax", "entropy", "percentile")
QUANTIZED_OPS: tuple[str, ...] = ("Gemm", "MatMul")
# Layer groups (torch module names of the Gemm layers, see zedo.training.model.ScoreNet).
GROUPS: dict[str, str] = {
    "time_embed": "the time MLP shared_time_embed.0 and every *_t projection of the embedding",
    "pre_dense": "the first layer, pose (51) -> hidden",
    "post_dense": "the last layer, hidden -> eps (51)",
    "blocks": "the residual blocks' hidden -> hidden layers",
}
# pre_dense reads the pose (one INT8 step of x, about 9 mm, exceeds the 2 mm noise at t_min) and
# post_dense writes eps: both stay FP32; see docs/decisions.md, "INT8 layers kept in FP32". MinMax:
# entropy and percentile clip to a larger worst case; see "INT8 calibration: MinMax, Q/DQ on Gemm inputs only".
DEFAULT_METHOD = "minmax"
DEFAULT_EXCLUDE: tuple[str, ...] = ("pre_dense", "post_dense")
CALIBRATION_BATCH = 256  # rows per calibration run; ranges do not depend on it, memory does
# Entropy: the KL search TensorRT's entropy calibrator does, 2048 histogram bins folded into 128
# levels (ORT's default of 128 bins into 128 levels can never clip, so it equals minmax).
HISTOGRAM_BINS = 2048
QUANTIZED_BINS = 128
PERCENTILE = 99.999  # percentile method: the range keeps this percentage of |values|


def gemm_layers(proto) -> dict[str, str]:
    """Layer name -> node name of every Gemm/MatMul with a constant weight (the layer is the weight's
    module, ``pre_dense.weight`` -> ``pre_dense``)."""
    inits = {i.name for i in proto.graph.initializer}
    out = {}
    for node in proto.graph.node:
        if node.op_type in QUANTIZED_OPS and len(node.input) > 1 and node.input[1] in inits:
            out[node.input[1].removesuffix(".weight")] = node.name
    return out


def group_of(layer: str) -> str:
    """The group (GROUPS) a ScoreNet layer belongs to."""
    if layer.startswith("shared_time_embed") or layer.endswith("_t"):
        return "time_embed"
    if layer in ("pre_dense", "post_dense"):
        return layer
    return "blocks"


def resolve_exclude(proto, exclude) -> list[str]:
    """Node names for ``exclude``: group names (GROUPS) and layer names; ValueError for unknown ones."""
    layers = gemm_layers(proto)
    nodes = []
    for item in exclude:
        if item in GROUPS:
            nodes += [n for layer, n in layers.items() if group_of(layer) == item]
        elif item in layers:
            nodes.append(layers[item])
        else:
            raise ValueError(
                f"cannot keep {item!r} in float32: not a layer group ({', '.join(GROUPS)}) "
                f"nor a layer ({', '.join(layers)})"
            )
    return sorted(set(nodes))


def _reader(x: np.ndarray, t: np.ndarray, batch: int):
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        """The calibration set in batches of ``batch`` rows, as the prior's inputs."""

        def __init__(self):
            self.start = 0

        def get_next(self):
            if self.start >= len(x):
                return None
            s = slice(self.start, self.start + batch)
            self.start += batch
            return {INPUT_X: x[s], INPUT_T: t[s]}

        def rewind(self):
            self.start = 0

    return Reader()


def _method_enum(method: str):
    from onnxruntime.quantization import CalibrationMethod

    return {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }[method]


def calibrate_ranges(fp32_onnx, x: np.ndarray, t: np.ndarray, method: str, ops, augmented_path):
    """ONNX Runtime's calibration of every input and output of the ``ops`` nodes over x (N, 17, 3), t (N,).

    Returns its TensorsData (tensor -> range). augmented_path: where the calibrator may write its
    copy of the model with every such tensor made an output (a temporary file).
    """
    from onnxruntime.quantization import create_calibrator

    # Symmetric ranges (|min| = max), as the symmetric INT8 scales they become.
    options = {"symmetric": True}
    if method == "entropy":
        options.update(num_bins=HISTOGRAM_BINS, num_quantized_bins=QUANTIZED_BINS)
    elif method == "percentile":
        options.update(num_bins=HISTOGRAM_BINS, percentile=PERCENTILE)
    calibrator = create_calibrator(
        Path(fp32_onnx),
        list(ops),
        augmented_model_path=str(augmented_path),
        calibrate_method=_method_enum(method),
        extra_options=options,
    )
    # The histogram calibrators print progress to stdout; zedo-export's output is its report.
    with contextlib.redirect_stdout(io.StringIO()):
        calibrator.collect_data(_reader(x, t, CALIBRATION_BATCH))
        return calibrator.compute_data()


def check_set(x, t) -> tuple[np.ndarray, np.ndarray]:
    """x (N, 17, 3), t (N,) as float32; ValueError for bad shapes or NaN/inf values."""
    x, t = check_inputs(x, t)
    if not (np.isfinite(x).all() and np.isfinite(t).all()):
        raise ValueError("the calibration set holds NaN or infinite values")
    return x, t


def quantize_int8(
    fp32_onnx,
    out_onnx,
    calib_x,
    calib_t,
    exclude=DEFAULT_EXCLUDE,
    method: str = DEFAULT_METHOD,
    quantize_outputs: bool = False,
    ops: tuple[str, ...] = QUANTIZED_OPS,
) -> Path:
    """Write an INT8 (Q/DQ) copy of the FP32 prior ``fp32_onnx`` to ``out_onnx`` (.onnx) plus sidecar.

    calib_x (N, 17, 3) float32 metres, calib_t (N,) float32: the calibration set (keep a held-out
    part for parity, ``dataset.holdout_split``). exclude: layer groups (``GROUPS``) or layer names
    (torch module names, e.g. ``post_dense``) kept in float32. method: ``minmax`` (range of every
    activation), ``entropy`` (KL-optimal clipping) or ``percentile`` (99.999th percentile).
    quantize_outputs: also insert Q/DQ on each Gemm's output (off: TensorRT fuses the bias add and
    needs none, and the extra rounding only adds error).

    Weights: symmetric INT8 per output channel; activations: symmetric INT8 per tensor; biases stay
    float32. The metadata says precision "int8". Both files are written atomically; ValueError for
    bad arguments or a file that is not a zedo prior, FileNotFoundError for a missing one.
    """
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quant_pre_process, quantize_static
    from onnxruntime.quantization.calibrate import save_tensors_data

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    x, t = check_set(calib_x, calib_t)
    _, meta = load_prior_model(fp32_onnx)
    if meta.precision != "fp32":
        raise ValueError(f"{fp32_onnx}: quantize an FP32 prior, not an {meta.precision} one")
    extra = {
        # TensorRT runs symmetric INT8 only (zero point 0) for activations and weights alike.
        "ActivationSymmetric": True,
        "WeightSymmetric": True,
        # TensorRT's DequantizeLinear takes INT8 (and FP8/INT4) inputs, not INT32 biases.
        "QuantizeBias": False,
        # Gemm weights are (out, in) with transB = 1: one scale per output channel.
        "QDQOpTypePerChannelSupportToAxis": {"Gemm": 0, "MatMul": 1},
    }
    if not quantize_outputs:
        extra["OpTypesToExcludeOutputQuantization"] = list(QUANTIZED_OPS)
    with tempfile.TemporaryDirectory(prefix="zedo-int8-") as tmp:
        # ONNX Runtime's pre-processing folds shape arithmetic into constants (standard ops, TensorRT
        # still parses them) at no cost in accuracy; see docs/decisions.md, "ONNX Runtime pre-processing before INT8".
        source = Path(tmp) / "fp32.onnx"
        quant_pre_process(str(fp32_onnx), str(source))
        nodes_to_exclude = resolve_exclude(onnx.load(str(source)), exclude)
        # Ranges are computed here rather than inside quantize_static, which cannot pass the
        # histogram size to the entropy calibrator (its 128 bins into 128 levels never clip).
        ranges = Path(tmp) / "ranges.json"
        save_tensors_data(calibrate_ranges(source, x, t, method, ops, Path(tmp) / "augmented.onnx"), ranges)
        quantized = Path(tmp) / "int8.onnx"
        quantize_static(
            str(source),
            str(quantized),
            None,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(ops),
            per_channel=True,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=nodes_to_exclude,
            calibrate_method=_method_enum(method),
            extra_options=extra,
            calibration_cache_path=str(ranges),
        )
        out_proto = onnx.load(str(quantized))
    return save_prior_model(out_proto, out_onnx, meta, "int8")


def qdq_summary(proto) -> dict[str, bool]:
    """Layer name -> whether its Gemm/MatMul reads its activation through a DequantizeLinear (runs in INT8)."""
    producers = {o: n.op_type for n in proto.graph.node for o in n.output}
    return {
        node.input[1].split(".weight")[0]: producers.get(node.input[0]) == "DequantizeLinear"
        for node in proto.graph.node
        if node.op_type in QUANTIZED_OPS
    }


@dataclass(frozen=True)
class SensitivityRow:
    """|eps - eps_fp32| on held-out samples of one quantization variant."""

    variant: str  # what is INT8 and what stays FP32
    exclude: tuple[str, ...]  # the groups/layers kept in FP32
    max_error: float  # unitless, max over samples and coordinates
    mean_error: float


def sensitivity(fp32_onnx, x: np.ndarray, t: np.ndarray, method: str = DEFAULT_METHOD) -> list[SensitivityRow]:
    """Per-layer and per-group sensitivity of a prior to INT8, the measurements behind DEFAULT_EXCLUDE.

    x (N, 17, 3), t (N,): a calibration set; the last quarter is held out (``holdout_split``).
    Variants: everything INT8; each group kept FP32; each layer alone INT8; the default; the
    default with GroupNorm's InstanceNormalization input quantized as well. One quantization and
    comparison per variant; files go to a temporary folder.
    """
    import onnx

    from .dataset import holdout_split
    from .parity import compare_precision

    (cx, ct), (hx, ht) = holdout_split(*check_set(x, t))
    layers = list(gemm_layers(onnx.load(str(fp32_onnx))))
    default = " + ".join(DEFAULT_EXCLUDE)
    variants = [("all layers INT8", (), QUANTIZED_OPS)]
    variants += [(f"{g} kept FP32", (g,), QUANTIZED_OPS) for g in GROUPS]
    variants += [(f"only {layer} INT8", tuple(m for m in layers if m != layer), QUANTIZED_OPS) for layer in layers]
    variants.append((f"default: {default} kept FP32", DEFAULT_EXCLUDE, QUANTIZED_OPS))
    variants.append(("default + GroupNorm input INT8", DEFAULT_EXCLUDE, (*QUANTIZED_OPS, "InstanceNormalization")))
    rows = []
    with tempfile.TemporaryDirectory(prefix="zedo-sensitivity-") as tmp:
        out = Path(tmp) / "variant.onnx"
        for name, exclude, ops in variants:
            quantize_int8(fp32_onnx, out, cx, ct, exclude=exclude, method=method, ops=ops)
            r = compare_precision(out, fp32_onnx, hx, ht, "int8")
            rows.append(SensitivityRow(name, tuple(exclude), r.max_error, r.mean_error))
    return rows

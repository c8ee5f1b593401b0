"""Convert MediaPipe Pose's two TFLite models (BlazePose detector and full landmark model) from the
mediapipe 0.10.14 wheel to the ONNX files zedo ships in ``runtime/detect/models/``.

Run in a throwaway environment, never zedo's own (it needs TensorFlow)::

    python3 -m venv /tmp/venv-convert
    /tmp/venv-convert/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 ai-edge-litert==2.3.0 onnxruntime
    pip download mediapipe==0.10.14 --no-deps -d /tmp/mp
    /tmp/venv-convert/bin/python tools/convert_mediapipe.py /tmp/mp/mediapipe-0.10.14-*.whl \
        -o runtime/detect/models --check ../shared/data/media/images/*.jpg

Steps: the ``.tflite`` files are read from the wheel (a zip); the detector's sparse weights
(``DENSIFY`` ops, which tf2onnx cannot read) are made dense with the values TFLite itself computes;
tf2onnx converts both models (opset 17, NHWC input as in TFLite); the float32 weights, which were
float16 in the TFLite files, are stored as float16 with a ``Cast`` (exactly the same values, half
the size). ``--check`` runs TFLite and the ONNX model on the given images and prints the largest
absolute difference of every output.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MODELS = {
    "pose_detection": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "pose_landmark_full": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
DENSIFY = 124  # the TFLite builtin operator code


def densify(tflite: bytes) -> bytes:
    """The model with every DENSIFY op removed: its output tensor (and its sparse input, left
    unused) becomes a constant holding the dense values TFLite computes for it."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from flatbuffers import Builder
    from tensorflow.lite.python import schema_py_generated as schema

    interpreter = Interpreter(
        model_content=tflite,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,  # XNNPACK keeps no tensors
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    interpreter.invoke()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite, 0))
    graph = model.subgraphs[0]
    kept = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) != DENSIFY:
            kept.append(op)
            continue
        out = int(op.outputs[0])
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(interpreter.get_tensor(out).tobytes(), np.uint8)
        model.buffers.append(buffer)
        for tensor in (graph.tensors[out], graph.tensors[int(op.inputs[0])]):
            tensor.buffer, tensor.sparsity = len(model.buffers) - 1, None
    graph.operators = kept
    builder = Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def to_onnx(tflite: bytes, output: Path):
    """Convert one TFLite model to ONNX at ``output``, its large float32 weights stored as float16."""
    import tf2onnx

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(tflite)
        proto, _ = tf2onnx.convert.from_tflite(str(path), opset=17)
    half_weights(proto)
    output.write_bytes(proto.SerializeToString())


def half_weights(proto):
    """Store every float32 initializer of more than 64 values as float16 followed by a Cast to
    float32 (the values were float16 in the TFLite file, so nothing changes)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(init)
        if values.size <= 64 or not np.array_equal(values.astype(np.float16).astype(np.float32), values):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(values.astype(np.float16), name + "_f16"))
        casts.append(helper.make_node("Cast", [name + "_f16"], [name], to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def check(tflite: bytes, onnx_path: Path, images: list[Path]) -> dict[str, float]:
    """Largest absolute difference per output between TFLite and ONNX Runtime on ``images``
    (each resized to the model's input, RGB in [-1, 1] for the detector and [0, 1] for landmarks,
    as MediaPipe feeds them)."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    interpreter = Interpreter(model_content=tflite)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    size = tuple(int(s) for s in inp["shape"][1:3])
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst: dict[str, float] = {}
    for image in images:
        rgb = np.asarray(Image.open(image).convert("RGB").resize(size[::-1]), np.float32) / 255.0
        x = (rgb * 2 - 1 if "detection" in onnx_path.name else rgb)[None]
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        got = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input_1": x})))
        for detail in interpreter.get_output_details():
            diff = float(np.abs(interpreter.get_tensor(detail["index"]) - got[detail["name"]]).max())
            worst[detail["name"]] = max(worst.get(detail["name"], 0.0), diff)
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the mediapipe 0.10.14 wheel")
    parser.add_argument("-o", "--output-dir", type=Path, required=True)
    parser.add_argument("--check", type=Path, nargs="*", default=[], help="images to compare TFLite and ONNX on")
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.wheel) as wheel:
        for name, member in MODELS.items():
            tflite = wheel.read(member)
            dense = densify(tflite)
            output = args.output_dir / f"{name}.onnx"
            to_onnx(dense, output)
            print(f"{output}: {output.stat().st_size} bytes")
            if args.check:
                worst = check(tflite, output, args.check)
                print(f"  max |tflite - onnx| over {len(args.check)} images: {worst}")


if __name__ == "__main__":
    main()

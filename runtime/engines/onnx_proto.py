"""An ONNX file's weights, metadata and nodes read without the ``onnx`` package: its protobuf wire
format, read here (and written by ``encode_field``, for ``split_engine``'s graph edit).

The runtime's dependencies are NumPy and ONNX Runtime, and ONNX Runtime shows neither a graph's
initializers nor lets one read them; ``onnx`` comes with the export extra only. An ONNX file is one
protobuf message (``ModelProto``), and the few fields read here have fixed numbers that ONNX keeps
for compatibility (onnx/onnx.proto):

- ``ModelProto``: graph = 7, metadata_props = 14 (``StringStringEntryProto``: key = 1, value = 2);
- ``GraphProto``: node = 1, initializer = 5;
- ``NodeProto``: input = 1, output = 2, name = 3, op_type = 4;
- ``TensorProto``: dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9,
  data_location = 14 (1: the values live in an external file).

Float32 initializers (data_type 1) are read into arrays; others are listed by name and data type.
``torch_parameters`` maps a torch network's parameter names onto them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

_VARINT, _FIXED64, BYTES, _FIXED32 = 0, 1, 2, 5
_FLOAT = 1  # TensorProto.FLOAT
_EXTERNAL = 1  # TensorProto.EXTERNAL
MAX_FILE_BYTES = 2**31  # protobuf's own limit on one message; larger models keep weights outside


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    """(value, next position) of the base-128 varint at ``pos``."""
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("not a readable ONNX model (a truncated or malformed varint)")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(buf: memoryview):
    """Yield (field number, wire type, value) of one message's bytes: an int for varints, a
    memoryview of the payload for the other wire types. ValueError for a malformed message."""
    for number, wire, value, _ in raw_fields(buf):
        yield number, wire, value


def raw_fields(buf: memoryview):
    """``fields`` with each field's own bytes (tag included) last: (number, wire, value, raw)."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            value, pos = buf[pos : pos + size], pos + size
        elif wire == BYTES:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ValueError(f"not a readable ONNX model (protobuf wire type {wire} in field {number})")
        if pos > len(buf) or number == 0:
            raise ValueError("not a readable ONNX model (a truncated or malformed protobuf message)")
        yield number, wire, value, buf[start:pos]


def encode_field(number: int, payload: bytes | int) -> bytes:
    """One protobuf field: a varint for an int, else length-delimited bytes."""
    if isinstance(payload, int):
        return _encode_varint(number << 3 | _VARINT) + _encode_varint(payload)
    return _encode_varint(number << 3 | BYTES) + _encode_varint(len(payload)) + payload


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packed_varints(wire: int, value) -> list[int]:
    """A repeated integer field's values: one varint, or a packed run of them."""
    if wire == _VARINT:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def _tensor(buf: memoryview) -> tuple[str, int, np.ndarray | None]:
    """(name, ONNX data type, float32 array or None if it is not float32) of one ``TensorProto``;
    ValueError naming it if its values are not in the file or do not fill its shape."""
    name, dims, dtype, raw, floats, external = "", [], None, None, [], False
    for number, wire, value in fields(buf):
        if number == 1:
            dims += _packed_varints(wire, value)
        elif number == 2:
            dtype = value
        elif number == 4:
            floats.append(np.frombuffer(value, "<f4"))  # packed (bytes) or one fixed32 value
        elif number == 8:
            name = bytes(value).decode("utf-8")
        elif number == 9:
            raw = value
        elif number == 14:
            external = value == _EXTERNAL
    if dtype != _FLOAT:
        return name, dtype, None
    if external:
        raise ValueError(f"initializer {name!r} is stored in an external file; not supported")
    data = np.frombuffer(raw, "<f4") if raw is not None else np.concatenate(floats or [np.empty(0, "<f4")])
    if data.size != int(np.prod(dims)):
        raise ValueError(f"initializer {name!r} holds {data.size} values for shape {tuple(dims)}")
    return name, dtype, data.astype(np.float32).reshape(dims)


@dataclass(frozen=True)
class OnnxContents:
    """What the runtime reads of an ONNX file."""

    initializers: dict[str, np.ndarray]  # name -> float32 array
    other_types: dict[str, int]  # name -> ONNX data type of the initializers that are not float32
    metadata: dict[str, str]  # metadata_props
    nodes: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # (name, op_type, inputs, outputs), in order
    model: bytes  # the file's bytes as read (``split_engine`` edits them without reading the file again)


def node_fields(buf: memoryview) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    strings = {1: [], 2: [], 3: [], 4: []}
    for number, wire, value in fields(buf):
        if number in strings and wire == BYTES:
            strings[number].append(bytes(value).decode("utf-8"))
    return "".join(strings[3]), "".join(strings[4]), tuple(strings[1]), tuple(strings[2])


def read_onnx(path) -> OnnxContents:
    """The initializers, metadata_props and nodes of the ONNX file ``path``, and its bytes.

    FileNotFoundError if absent; ValueError naming the file if it is not a readable ONNX model or
    a float32 initializer's values are not in the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: larger than 2 GB, not one ONNX protobuf message")
    model = path.read_bytes()
    buf = memoryview(model)
    weights, other, meta, nodes, graphs = {}, {}, {}, [], 0
    try:
        for number, wire, value in fields(buf):
            if number == 7 and wire == BYTES:
                graphs += 1
                for n, w, v in fields(value):
                    if n == 5 and w == BYTES:
                        name, dtype, array = _tensor(v)
                        if array is None:
                            other[name] = dtype
                        else:
                            weights[name] = array
                    elif n == 1 and w == BYTES:
                        nodes.append(node_fields(v))
            elif number == 14 and wire == BYTES:
                entry = {n: bytes(v).decode("utf-8") for n, w, v in fields(value) if w == BYTES}
                meta[entry.get(1, "")] = entry.get(2, "")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a readable ONNX model (a name is not UTF-8)") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if graphs != 1:
        raise ValueError(f"{path}: not a readable ONNX model (no graph)")
    return OnnxContents(weights, other, meta, tuple(nodes), model)


def torch_parameters(contents: OnnxContents, names) -> dict[str, np.ndarray]:
    """The arrays of a torch network's parameters ``names`` in a graph torch's exporter wrote: the
    initializer of that name, or, where the exporter stored parameters of equal value once, the
    initializer that an Identity node named after the parameter copies. Parameters found neither
    way are left out."""
    copy_of = {
        outputs[0]: inputs[0] for _, op, inputs, outputs in contents.nodes if op == "Identity" and inputs and outputs
    }
    out = {}
    for name in names:
        source, seen = name, set()
        while source not in contents.initializers and source in copy_of and source not in seen:
            seen.add(source)
            source = copy_of[source]
        if source in contents.initializers:
            out[name] = contents.initializers[source]
    return out

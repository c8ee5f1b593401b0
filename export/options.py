"""The export's table: source kinds and precisions, the options each accepts, checked in one place.

``export_prior`` (and ``zedo-export``) reads ``SOURCES``, ``PRECISIONS`` and ``ENGINE``: a row is
one kind, what it does, and the options it takes beyond the common ones (out, precision, engine).
``check_options`` refuses an option that no row of the request takes, with one line naming its
flag (messages name the command's flags; the library's keywords are the same words in snake case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from . import sources


@dataclass(frozen=True)
class Row:
    """One kind of source, precision or target: what it does and the options it takes."""

    help: str
    options: tuple[str, ...] = ()
    writer: Callable | None = None  # sources only: writer(source, fp32_out, log, **options)


SOURCES: dict[str, Row] = {
    "checkpoint": Row(
        "a torch checkpoint (zedo-train's .pt or the ZeDO release), exported and checked against torch",
        ("clusters", "opset", "atol"),
        sources.fp32_from_checkpoint,
    ),
    "bundled": Row(
        "a bundled prior's name (default, h36m): its ONNX file is the source", (), sources.fp32_from_bundled
    ),
    "onnx": Row(
        "an ONNX prior file (.onnx): the file is the source, made FP32 first if stored in FP16",
        (),
        sources.fp32_from_onnx,
    ),
}
PRECISIONS: dict[str, Row] = {
    "fp32": Row("the FP32 export itself"),
    "fp16": Row(
        "FP16 converted from the FP32 export, checked against it on held-out calibration samples",
        ("calibration_set", "precision_atol"),
    ),
    "int8": Row(
        "INT8 (Q/DQ) calibrated on the calibration set, checked against FP32 on its held-out samples",
        ("calibration_set", "precision_atol"),
    ),
}
ENGINE = Row(
    "a TensorRT engine built from the ONNX file of the chosen precision, checked against it", ("fp16", "engine_atol")
)

# Option -> (flag, why it is refused where the request's rows do not take it).
REFUSALS: dict[str, tuple[str, str]] = {
    "fp16": ("--fp16", "sets the TensorRT FP16 flag; pass --engine"),
    "engine_atol": ("--engine-atol", "is the TensorRT engine's parity tolerance; pass --engine"),
    "calibration_set": ("--calibration-set", "applies to --precision fp16 or int8"),
    "precision_atol": ("--precision-atol", "applies to --precision fp16 or int8"),
    "clusters": ("--clusters", "applies to checkpoints; {source!r} is an ONNX prior (the file is the source)"),
    "opset": ("--opset", "applies to checkpoints; {source!r} is an ONNX prior (the file is the source)"),
    "atol": (
        "--atol",
        "is the checkpoint export's tolerance (ONNX Runtime vs torch); "
        "{source!r} is an ONNX prior (the file is the source)",
    ),
}
# Opsets the exporter writes and ONNX Runtime runs this network at (torch 2.13, onnx 1.23, ONNX
# Runtime 1.32: 7-23 pass the parity check; below 7 its Sin has no ONNX op, above 23 torch refuses).
OPSET_RANGE = (7, 23)
TOLERANCE_FLAGS = {"atol": "--atol", "precision_atol": "--precision-atol", "engine_atol": "--engine-atol"}


def check_options(source: str, kind: str, precision: str, engine, options: dict) -> None:
    """ValueError naming the first option (in ``REFUSALS`` order) that is set (not None or False)
    but taken by none of the rows of ``kind``, ``precision`` and, if ``engine``, ``ENGINE``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    taken = set(SOURCES[kind].options) | set(PRECISIONS[precision].options) | set(ENGINE.options if engine else ())
    for name, (flag, why) in REFUSALS.items():
        value = options.get(name)
        if value is not None and value is not False and name not in taken:
            raise ValueError(f"{flag} {why.format(source=source)}")
    _check_values(options)


def _check_values(options: dict) -> None:
    """ValueError naming the flag for an opset outside ``OPSET_RANGE`` or a tolerance that is not a
    finite number > 0."""
    opset = options.get("opset")
    if opset is not None and (
        isinstance(opset, bool) or not isinstance(opset, int) or not OPSET_RANGE[0] <= opset <= OPSET_RANGE[1]
    ):
        raise ValueError(
            f"--opset must be in [{OPSET_RANGE[0]}, {OPSET_RANGE[1]}] "
            f"(the opsets this network exports and runs at; default 17), got {opset!r}"
        )
    for name, flag in TOLERANCE_FLAGS.items():
        value = options.get(name)
        if value is not None and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
        ):
            raise ValueError(f"{flag} must be a finite number > 0, got {value!r}")

"""The export's table: source kinds and precisions, the options each accepts, checked in one place.

``export_prior`` (and ``zedo-export``) reads ``SOURCES``, ``PRECISIONS`` and ``ENGINE``: a row is
one kind, what it does, and the options it takes beyond the common ones (out, precision, engine).
``check_options`` refuses an option that no row of the request takes, with one line naming its
flag (messages name the command's flags; the library's keywords are the same words in snake case).
"""

from __future__ import annotations

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
    "checkpoint": Row("a torch checkpoint (zedo-train's .pt or the ZeDO release), exported and checked against torch",
                      ("clusters", "opset", "atol"), sources.fp32_from_checkpoint),
    "bundled": Row("a bundled prior's name (default, h36m): its ONNX file is the source", (), sources.fp32_from_bundled),
    "onnx": Row("an ONNX prior file (.onnx): the file is the source, made FP32 first if stored in FP16", (), sources.fp32_from_onnx),
}
PRECISIONS: dict[str, Row] = {
    "fp32": Row("the FP32 export itself"),
    "fp16": Row("FP16 converted from the FP32 export, checked against it on held-out calibration samples",
                ("calibration_set", "precision_atol")),
    "int8": Row("INT8 (Q/DQ) calibrated on the calibration set, checked against FP32 on its held-out samples",
                ("calibration_set", "precision_atol")),
}
ENGINE = Row("a TensorRT engine built from the ONNX file of the chosen precision, checked against it", ("fp16", "engine_atol"))

# Option -> (flag, why it is refused where the request's rows do not take it). Options missing
# here (atol) have a default and are never refused: a source that does not take them ignores them.
REFUSALS: dict[str, tuple[str, str]] = {
    "fp16": ("--fp16", "sets the TensorRT FP16 flag; pass --engine"),
    "engine_atol": ("--engine-atol", "is the TensorRT engine's parity tolerance; pass --engine"),
    "calibration_set": ("--calibration-set", "applies to --precision fp16 or int8"),
    "precision_atol": ("--precision-atol", "applies to --precision fp16 or int8"),
    "clusters": ("--clusters", "applies to checkpoints; {source!r} is an ONNX prior (the file is the source)"),
    "opset": ("--opset", "applies to checkpoints; {source!r} is an ONNX prior (the file is the source)"),
}


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

"""One entry point for reduced-precision priors: FP32 ONNX -> FP16 or INT8 ONNX, checked against FP32.

``convert_precision`` splits a calibration set (x (N, 17, 3) float32 metres, t (N,) float32, see
``zedo.calibration.dataset``) into a calibration part and a held-out part, converts (FP16 needs no
calibration; INT8 calibrates on the first part), and compares eps with the FP32 file on the
held-out part (``zedo.calibration.parity``). The result is moved into place only when it is within
tolerance; otherwise ParityError (``zedo.runtime.engines.compare``) is raised and nothing is written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from zedo.runtime.engines.compare import CompareReport, require
from zedo.runtime.engines.prior_file import check_onnx_suffix, sidecar_path

from .dataset import holdout_split
from .fp16 import convert_fp16
from .int8 import DEFAULT_EXCLUDE, DEFAULT_METHOD, quantize_int8
from .parity import compare_precision


def convert_precision(
    fp32_onnx,
    out_onnx,
    precision: str,
    x: np.ndarray,
    t: np.ndarray,
    atol: float | None = None,
    exclude=DEFAULT_EXCLUDE,
    method: str = DEFAULT_METHOD,
) -> CompareReport:
    """Write the ``precision`` ("fp16" or "int8") copy of ``fp32_onnx`` to ``out_onnx`` (+ sidecar); return parity.

    x (N, 17, 3), t (N,): a calibration set, N >= 2; its last quarter is held out for parity, the
    rest calibrates INT8. atol: parity tolerance on max |eps - eps_fp32| (default
    ``parity.TOLERANCES[precision]``). exclude, method: INT8 options (``quantize_int8``).
    Raises ParityError (a RuntimeError) above tolerance, leaving ``out_onnx`` as it was.
    """
    if precision not in ("fp16", "int8"):
        raise ValueError(f"precision must be fp16 or int8 (fp32 is the export itself), got {precision!r}")
    out_onnx = Path(out_onnx)
    check_onnx_suffix(out_onnx)
    (cx, ct), (hx, ht) = holdout_split(np.asarray(x, np.float32), np.asarray(t, np.float32))
    out_onnx.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_onnx.stem}.", dir=out_onnx.parent) as tmp:
        staged = Path(tmp) / out_onnx.name
        if precision == "fp16":
            convert_fp16(fp32_onnx, staged)
        else:
            quantize_int8(fp32_onnx, staged, cx, ct, exclude=exclude, method=method)
        report = compare_precision(staged, fp32_onnx, hx, ht, precision, atol)
        require(
            report,
            f"{out_onnx}: the {precision} prior disagrees with FP32",
            f" on {report.samples} held-out samples; nothing written",
        )
        # Same folder, so both moves are renames; the sidecar goes last so that a reader never
        # finds a new sidecar beside an old model.
        os.replace(staged, out_onnx)
        os.replace(sidecar_path(staged), sidecar_path(out_onnx))
    return report

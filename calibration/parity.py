"""Parity of a reduced-precision prior against its FP32 original on ONNX Runtime (CPU).

Both files are run on the same held-out noised poses (``zedo.calibration.dataset``: x (N, 17, 3)
float32 metres, t (N,) float32 in ZeDO's range 0.01..0.1) and their predicted noise eps (unitless,
about unit variance) compared with ``zedo.runtime.engines.compare``: max and mean |eps - eps_fp32| overall
and per t bin. A reduced-precision file is accepted only below its tolerance (``TOLERANCES``).
"""

from __future__ import annotations

import numpy as np

from zedo.runtime.engines.compare import CompareReport, compare
from zedo.runtime.engines.onnxruntime_engine import OnnxRuntimeEngine

# Largest allowed max |eps - eps_fp32| on the held-out set (eps is unitless, std about 1): above the
# error measured, below what a broken conversion gives; see docs/decisions.md, "Precision tolerances".
TOLERANCES: dict[str, float] = {"fp16": 3e-2, "int8": 0.5}
T_BINS: tuple[float, ...] = (0.01, 0.0325, 0.055, 0.0775, 0.1)  # four equal bins of ZeDO's t range
QUIET = 3  # ONNX Runtime log severity: the quantized graph's benign fusion notes are not for the user


def onnx_runner(path) -> OnnxRuntimeEngine:
    """An ONNX prior on ONNX Runtime's CPU provider, one thread (leaves the machine's cores alone), quiet."""
    return OnnxRuntimeEngine(path, threads=1, log_severity=QUIET)


def compare_precision(
    candidate, reference, x: np.ndarray, t: np.ndarray, precision: str, atol: float | None = None
) -> CompareReport:
    """Run the ``candidate`` (fp16 or int8) and ``reference`` (FP32) ONNX files on held-out x (N,
    17, 3), t (N,) and compare eps per ``T_BINS`` bin; never raises on a mismatch (see
    ``zedo.runtime.engines.compare.require``).

    atol: the tolerance (default ``TOLERANCES[precision]``). ValueError for an unknown precision,
    atol <= 0 or bad shapes.
    """
    if precision not in TOLERANCES:
        raise ValueError(f"precision must be one of {', '.join(TOLERANCES)}, got {precision!r}")
    atol = TOLERANCES[precision] if atol is None else atol
    inputs = f"{len(x)} held-out samples"
    return compare(
        onnx_runner(reference),
        onnx_runner(candidate),
        x,
        t,
        atol,
        bins=T_BINS,
        names=("fp32", precision),
        inputs=inputs,
    )

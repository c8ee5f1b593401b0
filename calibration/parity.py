"""Parity of a reduced-precision prior against its FP32 original on ONNX Runtime (CPU).

Both files are run on the same held-out noised poses (``zedo.calibration.dataset``: x (N, 17, 3)
float32 metres, t (N,) float32 in ZeDO's range 0.01..0.1) and their predicted noise eps (unitless,
about unit variance) compared: max and mean |eps - eps_fp32| overall and per t bin. A
reduced-precision file is accepted only below its tolerance (``TOLERANCES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zedo.runtime.prior_file import INPUT_T, INPUT_X, OUTPUT_EPS

# Largest allowed max |eps - eps_fp32| on the held-out set (eps is unitless, std about 1).
# Measured on the pilot prior (hidden 512) on the 512 held-out samples of the shipped set:
# fp16 (KEEP_FP32 in zedo.calibration.fp16): max 1.4e-2, mean 9.6e-4; float16's 11 significant
#   bits in the hidden activations alone give about that (its weights alone: max 6.4e-3). 3e-2
#   leaves a 2x margin.
# int8 (DEFAULT_EXCLUDE, minmax in zedo.calibration.int8): max 0.26, mean 0.022. 0.5 leaves a 2x
#   margin and still catches a broken quantization: with pre_dense quantized the max is 1.04.
#   What the error costs in accuracy is measured end to end by benchmarks/precision.py.
TOLERANCES: dict[str, float] = {"fp16": 3e-2, "int8": 0.5}
T_BINS: tuple[float, ...] = (0.01, 0.0325, 0.055, 0.0775, 0.1)  # four equal bins of ZeDO's t range
BATCH = 256  # rows per ONNX Runtime call: results do not depend on it, memory does


@dataclass(frozen=True)
class PrecisionReport:
    """|eps - eps_fp32| of a reduced-precision prior on held-out noised poses."""

    precision: str  # fp16 or int8
    max_error: float  # max over samples and coordinates, unitless
    mean_error: float  # mean over samples and coordinates
    bins: tuple[tuple[float, float, float, int], ...]  # (t_lo, t_hi, max error, samples) per t bin
    samples: int  # held-out samples compared
    atol: float  # the tolerance max_error is held to

    @property
    def passed(self) -> bool:
        return self.max_error <= self.atol

    def lines(self) -> list[str]:
        """Human-readable summary: one line overall, one per t bin."""
        out = [f"{self.precision} vs fp32 on {self.samples} held-out samples: max |eps error| {self.max_error:.2e}, mean {self.mean_error:.2e} (atol {self.atol:g})"]
        out += [f"  t in [{lo:.4f}, {hi:.4f}): max {err:.2e} ({n} samples)" for lo, hi, err, n in self.bins]
        return out


class PrecisionError(RuntimeError):
    """A reduced-precision prior disagrees with FP32 beyond its tolerance; ``report`` has the numbers."""

    def __init__(self, message: str, report: PrecisionReport):
        super().__init__(message)
        self.report = report


def session(path, threads: int = 1):
    """An ONNX Runtime CPU session (``threads`` intra-op threads; 1 leaves the machine's cores alone)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3  # the quantized graph's benign fusion notes are not for the user
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def predict(sess, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """eps (N, 17, 3) float32 of a session for x (N, 17, 3), t (N,) float32, BATCH rows per call."""
    out = [sess.run([OUTPUT_EPS], {INPUT_X: x[i : i + BATCH], INPUT_T: t[i : i + BATCH]})[0] for i in range(0, len(x), BATCH)]
    return np.concatenate(out)


def errors(reference: np.ndarray, got: np.ndarray, t: np.ndarray) -> tuple[float, float, tuple]:
    """(max, mean, per-bin) |got - reference| for eps arrays (N, 17, 3) at times t (N,); NaN counts as inf."""
    err = np.abs(got.astype(np.float64) - reference).reshape(len(t), -1)
    err[~np.isfinite(err)] = np.inf
    bins = []
    for lo, hi in zip(T_BINS[:-1], T_BINS[1:]):
        last = hi == T_BINS[-1]
        sel = (t >= lo) & ((t <= hi) if last else (t < hi))
        bins.append((lo, hi, float(err[sel].max()) if sel.any() else 0.0, int(sel.sum())))
    return float(err.max()), float(err.mean()), tuple(bins)


def compare(candidate, reference, x: np.ndarray, t: np.ndarray, precision: str, atol: float | None = None) -> PrecisionReport:
    """Run the ``candidate`` and ``reference`` (FP32) ONNX files on x (N, 17, 3), t (N,) and compare eps.

    atol: the tolerance (default ``TOLERANCES[precision]``). Returns the report without raising;
    see ``check`` for the raising form.
    """
    if precision not in TOLERANCES:
        raise ValueError(f"precision must be one of {', '.join(TOLERANCES)}, got {precision!r}")
    atol = TOLERANCES[precision] if atol is None else float(atol)
    if not atol > 0:
        raise ValueError(f"atol must be > 0, got {atol}")
    x, t = np.asarray(x, np.float32), np.asarray(t, np.float32)
    if x.ndim != 3 or x.shape[1:] != (17, 3) or t.shape != (len(x),) or len(x) == 0:
        raise ValueError(f"need x (N, 17, 3) and t (N,) with N >= 1, got {x.shape} and {t.shape}")
    want = predict(session(reference), x, t)
    got = predict(session(candidate), x, t)
    worst, mean, bins = errors(want, got, t)
    return PrecisionReport(precision=precision, max_error=worst, mean_error=mean, bins=bins, samples=len(x), atol=atol)


def check(candidate, reference, x, t, precision: str, atol: float | None = None) -> PrecisionReport:
    """``compare``, raising PrecisionError (a RuntimeError) when the max error exceeds the tolerance."""
    report = compare(candidate, reference, x, t, precision, atol)
    if not report.passed:
        raise PrecisionError(
            f"{Path(candidate)}: {precision} prior disagrees with FP32: max |eps error| {report.max_error:.3g} > atol {report.atol:g}",
            report,
        )
    return report

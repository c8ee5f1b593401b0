"""Parity of two priors: anything ``(x, t) -> eps`` is a runner, and one comparison serves them all.

A runner is called as ``runner(x, t) -> eps`` with x (B, 17, 3) float32 root-relative metres, t (B,)
float32 diffusion time and eps (B, 17, 3) float32 predicted noise (unitless, about unit variance),
on arrays of ``runner.xp`` (NumPy where the runner has no ``xp``; CuPy for a GPU engine). Every
``Engine`` is one (ONNX Runtime, TensorRT); a torch network is wrapped as one by ``zedo.export``.

``compare`` feeds both runners the same inputs, call by call, and measures |eps_candidate -
eps_reference| in float64: max and mean over samples and coordinates, and the max per row of t
(each distinct t, or bins of t). A NaN or infinite difference counts as infinite, so it always
fails. ``require`` is the raising form. It serves torch vs ONNX (``zedo.export``), FP16/INT8 vs
FP32 (``zedo.calibration``) and ONNX Runtime vs TensorRT (``zedo.export.tensorrt``), as
Polygraphy's runners + ``Comparator.run`` + ``compare_accuracy`` do. NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..core.skeleton import NUM_JOINTS

Runner = Callable  # runner(x (B, 17, 3), t (B,)) -> eps (B, 17, 3), float32 arrays of runner.xp
BATCH = 256  # rows per runner call by default: results do not depend on it, memory does


@dataclass(frozen=True)
class CompareReport:
    """|eps_candidate - eps_reference| on the same inputs (eps is unitless)."""

    candidate: str  # what was checked, e.g. "int8", "ONNX Runtime"
    reference: str  # what it was checked against, e.g. "fp32", "torch"
    max_error: float  # max over samples and coordinates; inf where any difference is NaN or inf
    mean_error: float  # mean over samples and coordinates
    rows: tuple[tuple[float, float, float, int], ...]  # (t_lo, t_hi, max error, samples); t_lo == t_hi: one t
    samples: int  # rows of x compared (a sample fed at two batch sizes counts twice)
    atol: float  # the tolerance max_error is held to
    inputs: str = ""  # what the samples were, for the report line (default "N samples")

    @property
    def passed(self) -> bool:
        return self.max_error <= self.atol

    def lines(self) -> list[str]:
        """Human-readable summary: one line overall, then one per row of t (indented by two)."""
        inputs = self.inputs or f"{self.samples} samples"
        out = [
            f"{self.candidate} vs {self.reference} on {inputs}: max |eps error| {self.max_error:.2e}, "
            f"mean {self.mean_error:.2e} (atol {self.atol:g})"
        ]
        return out + [f"  {_row(lo, hi)} max {err:.2e} ({n} samples)" for lo, hi, err, n in self.rows]


class ParityError(RuntimeError):
    """Two runners disagree beyond the tolerance; ``report`` has the numbers."""

    def __init__(self, message: str, report: CompareReport):
        super().__init__(message)
        self.report = report


def _row(lo: float, hi: float) -> str:
    return f"t = {lo:<5g}" if lo == hi else f"t in [{lo:.4f}, {hi:.4f}):"


def check_inputs(x, t) -> tuple[np.ndarray, np.ndarray]:
    """x (N, 17, 3), t (N,) as contiguous float32; ValueError naming the shapes otherwise (N >= 1)."""
    x, t = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(t, np.float32)
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 3) or t.shape != (len(x),) or len(x) == 0:
        raise ValueError(f"need x (N, {NUM_JOINTS}, 3) and t (N,) with N >= 1, got {x.shape} and {t.shape}")
    return x, t


def _call_bounds(n: int, batch) -> list[tuple[int, int]]:
    """(start, stop) of each runner call: ``batch`` rows at a time, or the given call sizes in order."""
    if isinstance(batch, (int, np.integer)):
        if batch < 1:
            raise ValueError(f"batch must be >= 1, got {batch}")
        sizes = [min(int(batch), n - i) for i in range(0, n, int(batch))]
    else:
        sizes = [int(b) for b in batch]
        if sum(sizes) != n or min(sizes) < 1:
            raise ValueError(f"call sizes {sizes} must be >= 1 and add up to the {n} samples")
    stops = np.cumsum(sizes).tolist()
    return list(zip([0, *stops[:-1]], stops))


def run(runner: Runner, x: np.ndarray, t: np.ndarray, batch=BATCH) -> np.ndarray:
    """eps (N, 17, 3) as a NumPy array: ``runner`` on x (N, 17, 3), t (N,) float32, one call per
    ``batch`` rows (an int) or per given call size (a sequence adding up to N)."""
    xp = getattr(runner, "xp", np)
    host = getattr(xp, "asnumpy", np.asarray)
    out = [host(runner(xp.asarray(x[a:b]), xp.asarray(t[a:b]))) for a, b in _call_bounds(len(x), batch)]
    return np.concatenate(out)


def eps_errors(reference: np.ndarray, candidate: np.ndarray, t: np.ndarray, bins: Sequence[float] | None = None):
    """(max, mean, rows) of |candidate - reference| for eps (N, 17, 3) at times t (N,), in float64.

    rows: (t_lo, t_hi, max error, samples) for each distinct t (t_lo == t_hi) when ``bins`` is None,
    else for each bin between successive edges of ``bins`` (half-open, the last one closed; an
    empty bin has error 0). NaN and inf differences count as inf.
    """
    err = np.abs(np.asarray(candidate, np.float64) - np.asarray(reference, np.float64)).reshape(len(t), -1)
    err[~np.isfinite(err)] = np.inf
    if bins is None:
        edges = [(v, v, t == v) for v in np.unique(t).tolist()]
    else:
        last = float(bins[-1])
        edges = [(lo, hi, (t >= lo) & ((t <= hi) if hi == last else (t < hi))) for lo, hi in zip(bins[:-1], bins[1:])]
    rows = tuple(
        (float(lo), float(hi), float(err[sel].max()) if sel.any() else 0.0, int(sel.sum())) for lo, hi, sel in edges
    )
    return float(err.max()), float(err.mean()), rows


def compare(
    reference: Runner,
    candidate: Runner,
    x,
    t,
    atol: float,
    *,
    batch=BATCH,
    bins=None,
    names=("reference", "candidate"),
    inputs: str = "",
) -> CompareReport:
    """Run ``reference`` and ``candidate`` on x (N, 17, 3), t (N,) and compare their eps; never raises on a mismatch.

    atol: the tolerance (> 0) on max |eps error|. batch: rows per call, or the call sizes in
    order (a sequence adding up to N: e.g. the same poses at batch 1 and at batch 64). bins: edges
    of the t rows (None: a row per distinct t). names: (reference, candidate) for the report.
    inputs: what the samples are, for the report line. ``require`` raises on a failed report.
    """
    atol = float(atol)
    if not atol > 0:
        raise ValueError(f"atol must be > 0, got {atol}")
    x, t = check_inputs(x, t)
    want, got = run(reference, x, t, batch), run(candidate, x, t, batch)
    worst, mean, rows = eps_errors(want, got, t, bins)
    return CompareReport(
        candidate=names[1],
        reference=names[0],
        max_error=worst,
        mean_error=mean,
        rows=rows,
        samples=len(x),
        atol=atol,
        inputs=inputs,
    )


def require(report: CompareReport, failure: str, note: str = "") -> CompareReport:
    """``report`` if it passed; else ParityError "<failure>: max |eps error| E at <t row> > atol A<note>"."""
    if report.passed:
        return report
    worst = [(lo, hi) for lo, hi, err, _ in report.rows if err == report.max_error][:1]
    at = "".join(f" at t={lo:g}" if lo == hi else f" at t in [{lo:.4f}, {hi:.4f})" for lo, hi in worst)
    raise ParityError(f"{failure}: max |eps error| {report.max_error:.3g}{at} > atol {report.atol:g}{note}", report)

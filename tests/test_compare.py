"""zedo.runtime.engines.compare: planted differences are found where they were planted; NaN fails; the
tiny ONNX prior of conftest.py as a runner. NumPy only."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EPS_GAIN, EPS_T_GAIN

from zedo.runtime.engines.compare import ParityError, compare, eps_errors, require, run
from zedo.runtime.engines.onnxruntime_engine import OnnxRuntimeEngine

T_VALUES = (0.01, 0.05, 0.1)


def _inputs(n_per_t: int = 4, dtype=np.float32):
    rng = np.random.default_rng(0)
    t = np.repeat(np.asarray(T_VALUES, dtype), n_per_t)
    return rng.normal(0.0, 0.3, (len(t), 17, 3)).astype(dtype), t


def reference(x, t):
    """eps = x (0.5 + 0.1 t), the tiny prior's formula."""
    return x * (EPS_GAIN + EPS_T_GAIN * t[:, None, None])


def planted(offset: float, at_t: float | None = None, joint: int = 3):
    """The reference plus ``offset`` on one coordinate of every sample at ``at_t`` (all if None)."""

    def runner(x, t):
        eps = reference(x, t).copy()
        rows = np.ones(len(t), bool) if at_t is None else np.isclose(t, at_t)
        eps[rows, joint, 1] += offset
        return eps

    return runner


def test_identical_runners_agree():
    x, t = _inputs()
    report = compare(reference, reference, x, t, 1e-6)
    assert report.passed and report.max_error == 0.0 and report.mean_error == 0.0 and report.samples == 12


def test_planted_difference_found_at_its_t():
    x, t = _inputs()
    report = compare(reference, planted(0.25, at_t=0.05), x, t, 0.1, names=("fp32", "int8"))
    assert not report.passed and report.max_error == pytest.approx(0.25, rel=1e-6)
    assert report.mean_error == pytest.approx(0.25 * 4 / (12 * 51), rel=1e-5)
    by_t = {round(lo, 4): (err, n) for lo, hi, err, n in report.rows}
    assert by_t[0.05][0] == pytest.approx(0.25, rel=1e-6) and by_t[0.01][0] == by_t[0.1][0] == 0.0
    assert all(n == 4 for _, n in by_t.values())
    assert report.lines()[0].startswith("int8 vs fp32 on 12 samples: max |eps error| 2.50e-01")
    with pytest.raises(
        ParityError, match=r"^p\.onnx: int8 disagrees: max \|eps error\| 0\.25 at t=0\.05 > atol 0\.1; nothing$"
    ) as info:
        require(report, "p.onnx: int8 disagrees", "; nothing")
    assert info.value.report is report


def test_bins_half_open_and_last_closed():
    x, t = _inputs()
    report = compare(reference, planted(1e-3, at_t=0.1), x, t, 1.0, bins=(0.01, 0.05, 0.1))
    assert [(lo, hi, n) for lo, hi, _, n in report.rows] == [
        (0.01, 0.05, 4),
        (0.05, 0.1, 8),
    ]  # 0.05 and 0.1 in the last
    assert report.rows[1][2] == pytest.approx(1e-3, rel=1e-3) and report.rows[0][2] == 0.0
    assert "t in [0.0500, 0.1000): max" in report.lines()[2]
    empty = compare(reference, reference, x[:4], t[:4], 1.0, bins=(0.01, 0.05, 0.1))
    assert [r[2:] for r in empty.rows] == [(0.0, 4), (0.0, 0)]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_fails_whatever_the_tolerance(bad):
    x, t = _inputs()
    report = compare(reference, planted(bad, at_t=0.01), x, t, 1e30)
    assert not report.passed and report.max_error == np.inf
    with pytest.raises(ParityError, match=r"max \|eps error\| inf at t=0\.01 > atol 1e\+30"):
        require(report, "broken")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_inputs(dtype):
    """Runners always receive float32; a float64 runner output is compared in float64."""
    x, t = _inputs(dtype=dtype)
    seen = []

    def float64_runner(x, t):
        seen.append((x.dtype.name, t.dtype.name, x.flags.c_contiguous))
        return reference(x, t).astype(np.float64) + 1e-9

    report = compare(reference, float64_runner, x, t, 1e-6)
    assert set(seen) == {("float32", "float32", True)}
    assert report.passed and report.max_error == pytest.approx(1e-9, rel=1e-3)  # float32 eps would round 1e-9 away


def test_call_sizes_and_batches():
    x, t = _inputs()
    sizes = []

    def counting(x, t):
        sizes.append(len(x))
        return reference(x, t)

    run(counting, x, t, batch=5)
    assert sizes == [5, 5, 2]
    sizes.clear()
    run(counting, x, t, batch=(1, 4, 7))
    assert sizes == [1, 4, 7]
    with pytest.raises(ValueError, match="add up to the 12 samples"):
        run(counting, x, t, batch=(1, 4))
    with pytest.raises(ValueError, match="batch must be >= 1"):
        run(counting, x, t, batch=0)


def test_runner_on_another_array_module():
    """A runner with ``xp`` receives xp arrays and its output comes back through xp.asnumpy."""

    class Wrapped(np.ndarray):
        pass

    class XP:
        @staticmethod
        def asarray(a):
            return np.asarray(a).view(Wrapped)

        @staticmethod
        def asnumpy(a):
            assert isinstance(a, Wrapped)
            return np.asarray(a).view(np.ndarray)

    def gpu_like(x, t):
        assert isinstance(x, Wrapped) and isinstance(t, Wrapped)
        return reference(x, t)

    gpu_like.xp = XP
    x, t = _inputs()
    assert type(run(gpu_like, x, t)) is np.ndarray
    assert compare(reference, gpu_like, x, t, 1e-6).passed


def test_engine_is_a_runner(tiny_prior):
    x, t = _inputs()
    engine = OnnxRuntimeEngine(tiny_prior, threads=1)
    report = compare(reference, engine, x, t, 1e-5, batch=4, names=("formula", "ONNX Runtime"))
    assert report.passed and report.max_error < 1e-6


@pytest.mark.parametrize(
    "x, t, atol, message",
    [
        (np.zeros((4, 16, 3)), np.full(4, 0.05), 1.0, r"need x \(N, 17, 3\) and t \(N,\)"),
        (np.zeros((4, 17, 3)), np.full(3, 0.05), 1.0, r"got \(4, 17, 3\) and \(3,\)"),
        (np.zeros((0, 17, 3)), np.zeros(0), 1.0, "N >= 1"),
        (np.zeros((4, 17, 3)), np.full(4, 0.05), 0.0, "atol must be > 0"),
    ],
)
def test_bad_inputs(x, t, atol, message):
    with pytest.raises(ValueError, match=message):
        compare(reference, reference, x, t, atol)


def test_eps_errors_directly():
    t = np.array([0.01, 0.02], np.float32)
    a = np.zeros((2, 17, 3), np.float32)
    b = a.copy()
    b[1, 0, 0] = -2.0
    worst, mean, rows = eps_errors(a, b, t)
    assert worst == 2.0 and mean == pytest.approx(2.0 / 102) and [r[2] for r in rows] == [0.0, 2.0]

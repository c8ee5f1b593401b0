"""``export_prior``: a checkpoint, bundled prior or ONNX prior -> an ONNX prior in FP32, FP16 or INT8
(+ sidecar), optionally a TensorRT engine. The library call behind ``zedo-export``.

Steps: the request is checked against the table (``zedo.export.options``); the output is named;
TensorRT's presence is checked before any work when an engine is asked for; fp16/int8 load their
calibration set (x (N, 17, 3) float32 metres, t (N,)); the source's writer makes the FP32 file (a
temporary intermediate for fp16/int8); ``zedo.calibration.convert`` makes and checks the reduced
precision; ``zedo.export.tensorrt`` builds and checks the engine. Every file is written atomically
and only once its parity check holds (``zedo.runtime.engines.compare``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from zedo.runtime.core.errors import install_extra
from zedo.runtime.engines.compare import CompareReport
from zedo.runtime.engines.prior_file import check_onnx_suffix, sidecar_path

from .options import SOURCES, check_options
from .sources import Log, default_out, source_kind
from .tensorrt import EngineBuild, build_engine, check_engine_path, require_tensorrt


@dataclass(frozen=True)
class ExportReport:
    """What ``export_prior`` wrote and the parity checks it passed."""

    out: Path  # the ONNX prior; its sidecar is sidecar_path(out)
    precision: str  # fp32, fp16 or int8
    source: str  # the source's kind: checkpoint, bundled or onnx
    parity: CompareReport | None  # ONNX Runtime vs torch (checkpoint sources only)
    precision_parity: CompareReport | None  # fp16/int8 vs fp32 on held-out calibration samples
    engine: EngineBuild | None  # the TensorRT engine, when one was asked for


def export_prior(
    source,
    out=None,
    precision: str = "fp32",
    engine=None,
    fp16: bool = False,
    calibration_set=None,
    precision_atol: float | None = None,
    clusters=None,
    opset: int | None = None,
    atol: float | None = None,
    engine_atol: float | None = None,
    log: Log = print,
) -> ExportReport:
    """Export ``source`` (checkpoint path, bundled prior name or .onnx path) to ``out`` (.onnx).

    out: default the source's name with -fp16/-int8, .onnx (``sources.default_out``). engine: also
    build this TensorRT engine (.trt/.engine/.plan). fp16: TensorRT's FP16 builder flag (needs
    engine). calibration_set: .npz for fp16/int8 (default the shipped one). precision_atol: fp16/int8
    vs fp32 tolerance (default ``zedo.calibration.parity.TOLERANCES``). clusters, opset, atol:
    checkpoint sources only (opset in ``options.OPSET_RANGE``, default 17; atol: ONNX Runtime vs
    torch, default 1e-4). An option the request does not use is refused. engine_atol: engine
    vs ONNX Runtime tolerance (default ``tensorrt.ENGINE_TOLERANCES``). log: receives the report
    lines. ValueError for a refused option (one line naming its flag) or bad input; RuntimeError
    (ParityError) when a check fails; nothing is then written.
    """
    source = str(source)
    kind = source_kind(source)
    options = dict(
        fp16=fp16,
        engine_atol=engine_atol,
        calibration_set=calibration_set,
        precision_atol=precision_atol,
        clusters=clusters,
        opset=opset,
        atol=atol,
    )
    check_options(source, kind, precision, engine, options)
    out = Path(out) if out else default_out(source, kind, precision)
    check_onnx_suffix(out)
    if kind != "bundled" and out.exists() and out.resolve() == Path(source).resolve():
        raise ValueError(f"{out}: the output would overwrite the source; pass another -o")
    if engine:
        check_engine_path(engine)
        # Before any work: a machine without TensorRT cannot build the engine of any precision.
        require_tensorrt(out)
    calib = _calibration_set(calibration_set, log) if precision != "fp32" else None
    row, converted = SOURCES[kind], None
    # The FP32 file that fp16/int8 are made from is an intermediate: it lives in a temporary folder.
    with tempfile.TemporaryDirectory(prefix="zedo-export-") as tmp:
        fp32_out = out if precision == "fp32" else Path(tmp) / "fp32.onnx"
        parity = row.writer(source, fp32_out, log, **{name: options[name] for name in row.options})
        _log_report(log, "parity", parity)
        if calib is not None:
            from zedo.calibration.convert import convert_precision

            converted = convert_precision(fp32_out, out, precision, *calib, atol=precision_atol)
            _log_report(log, "precision", converted)
    log(f"wrote       {out} ({_size(out)}, {precision}), {sidecar_path(out)} ({_size(sidecar_path(out))})")
    built = _build(out, engine, precision, fp16, engine_atol, log) if engine else None
    return ExportReport(out, precision, kind, parity, converted, built)


def _calibration_set(path, log: Log):
    """(x (N, 17, 3), t (N,)) of ``path`` or the shipped set, logged with its provenance."""
    from zedo.calibration.dataset import load_calibration_set, shipped_calibration_path

    path = Path(path) if path else shipped_calibration_path()
    x, t, provenance = load_calibration_set(path)
    origin = provenance.get("poses_file") or provenance.get("source") or "?"
    log(f"calibration {path} ({len(x)} samples from {origin}; the last quarter held out for parity)")
    return x, t


def _build(out: Path, engine, precision: str, fp16: bool, engine_atol: float | None, log: Log) -> EngineBuild:
    """The TensorRT engine of the ONNX file ``out``, checked against it, logged."""
    built = build_engine(out, engine, fp16=fp16, parity_atol=engine_atol)
    if built.parity is None:
        log(f"parity      TensorRT vs ONNX Runtime not checked: CuPy is missing ({install_extra('gpu')})")
    _log_report(log, "parity", built.parity)
    side = sidecar_path(built.path)
    log(
        f"wrote       {built.path} ({_size(built.path)}, {precision}{' + TensorRT fp16 flag' if fp16 else ''}), "
        f"{side} ({_size(side)})"
    )
    return built


def _log_report(log: Log, key: str, report: CompareReport | None) -> None:
    """A comparison's lines under ``key`` (the report's column is 12 characters in)."""
    if report is not None:
        head, *rows = report.lines()
        log(f"{key:<12}{head}")
        for line in rows:
            log(f"{'':<12}{line}")


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"

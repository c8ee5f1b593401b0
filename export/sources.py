"""The export's sources: what a source names, its default output name, and its FP32 ONNX file.

A source is a torch checkpoint (zedo-train's .pt or the official ZeDO release), a bundled prior's
name (``default``, ``h36m``) or an ONNX prior file (.onnx). Each kind has a writer
``writer(source, fp32_out, log, **options)`` that writes the FP32 ONNX prior (+ sidecar) at
``fp32_out`` and returns the parity report of the export (torch vs ONNX Runtime) or None; ``log``
receives the report lines, one string a call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from zedo.runtime.core.errors import install_extra
from zedo.runtime.engines.compare import CompareReport
from zedo.runtime.engines.prior_file import BUNDLED_PRIORS, bundled_prior_path, load_prior_model, save_prior_model

Log = Callable[[str], None]


def source_kind(source: str) -> str:
    """``bundled``, ``onnx`` or ``checkpoint``: what ``source`` names. A file of a bundled prior's
    name in the current folder wins over the bundled prior: it is what the user pointed at."""
    if source in BUNDLED_PRIORS and not Path(source).exists():
        return "bundled"
    return "onnx" if Path(source).suffix.lower() == ".onnx" else "checkpoint"


def default_out(source: str, kind: str, precision: str) -> Path:
    """The source's name, with -fp16/-int8 for those precisions, .onnx: beside a file source, in the
    current folder for a bundled prior. ValueError where it would overwrite the source."""
    suffix = "" if precision == "fp32" else f"-{precision}"
    if kind == "bundled":
        return Path(f"{source}{suffix}.onnx")
    path = Path(source)
    out = path.with_name(path.stem + suffix + ".onnx")
    if out.resolve() == path.resolve():
        raise ValueError(f"{path}: the FP32 export of an ONNX prior would overwrite it; pass -o")
    return out


def _clusters_line(clusters) -> str:
    return f"clusters    S = {', '.join(map(str, sorted(clusters))) or 'none'}"


def fp32_from_checkpoint(
    source: str, fp32_out: Path, log: Log, clusters=None, opset: int | None = None, atol: float | None = None
) -> CompareReport:
    """Torch checkpoint -> FP32 ONNX at ``fp32_out``, parity checked against torch (``export_onnx``).

    clusters: a .npy/.npz of (S, 17, 3) initial poses in metres, replacing the checkpoint's.
    opset: ONNX opset (default 17). atol: largest allowed max |eps error| ONNX Runtime vs torch
    (default 1e-4).
    """
    try:
        import onnx  # noqa: F401  (torch's exporter needs it; checked before any work)

        from zedo.training.checkpoint import load_prior
        from zedo.training.model import count_parameters

        from .onnx_export import DEFAULT_OPSET, export_onnx
    except ImportError as e:
        raise RuntimeError(f"zedo-export needs the export extras ({install_extra('export')}): {e}") from None

    ckpt = Path(source)
    model, info = load_prior(ckpt, clusters=clusters)
    cfg = info.prior_config
    log(f"checkpoint  {ckpt}  ({info.format}, step {info.step}, {info.weights} weights)")
    log(
        f"network     hidden {cfg.hidden_dim}, embed {cfg.embed_dim}, {cfg.n_blocks} blocks: "
        f"{count_parameters(model):,} parameters"
    )
    log(_clusters_line(info.clusters))
    return export_onnx(
        model, info.to_meta(name=ckpt.stem), fp32_out, opset=opset or DEFAULT_OPSET, atol=1e-4 if atol is None else atol
    )


def fp32_from_bundled(source: str, fp32_out: Path, log: Log) -> None:
    """Bundled prior -> FP32 ONNX at ``fp32_out`` (as ``fp32_from_onnx``)."""
    path = bundled_prior_path(source)
    _fp32_from_file(path, f"bundled prior {source!r}: {path}", fp32_out, log)


def fp32_from_onnx(source: str, fp32_out: Path, log: Log) -> None:
    """ONNX prior file -> FP32 ONNX at ``fp32_out``: FP16 storage undone exactly, INT8 refused."""
    _fp32_from_file(Path(source), f"ONNX prior {source}", fp32_out, log)


def _fp32_from_file(path: Path, what: str, fp32_out: Path, log: Log) -> None:
    from zedo.calibration.graph import stores_fp16, to_fp32

    proto, meta = load_prior_model(path)
    if meta.precision == "int8":
        raise ValueError(f"{path}: the prior is INT8; export other precisions from its checkpoint or FP32 file")
    stored = "fp16" if stores_fp16(proto) else "fp32"
    if stored == "fp16":
        proto = to_fp32(proto)
    save_prior_model(proto, fp32_out, meta, "fp32")
    note = "; made FP32 exactly: the same FP16-rounded weights" if stored == "fp16" else ""
    log(f"source      {what} (stored {stored}{note})")
    log(_clusters_line(meta.clusters))

"""``zedo-export``: a trained checkpoint or bundled prior -> ONNX prior (+ sidecar) in FP32, FP16 or INT8,
optionally a TensorRT engine.

    zedo-export --ckpt runs/prior.pt                      # runs/prior.onnx + runs/prior.onnx.json
    zedo-export --ckpt zedo_release.pth --clusters h36m_cluster50.npy -o h36m.onnx
    zedo-export --ckpt runs/prior.pt --precision int8     # runs/prior-int8.onnx, calibrated
    zedo-export --ckpt default --precision fp16 -o prior-fp16.onnx   # from the bundled prior
    zedo-export --ckpt runs/prior.pt --precision int8 --engine prior-int8.trt

Sources: a torch checkpoint (parity of the FP32 ONNX file is checked against torch), a bundled
prior's name (``default``, ``h36m``) or an ONNX prior file: the ONNX file is then the source, made
FP32 first if it is stored in FP16.
Precisions: ``fp32`` is the export itself; ``fp16`` and ``int8`` are converted from it
(``zedo.calibration``) and checked against it on held-out samples of the calibration set (the
shipped one unless --calibration-set is given), failing above tolerance. ``--fp16`` is TensorRT's
FP16 builder flag (TensorRT picks FP16 per layer; needs --engine, TensorRT <= 10); it combines
with any --precision. The engine is built from the file of the chosen precision.

Errors print one line ``zedo-export: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PRECISIONS = ("fp32", "fp16", "int8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zedo-export", description="Export a ZeDO prior to ONNX in FP32, FP16 or INT8 (and TensorRT).")
    p.add_argument("--ckpt", required=True, help="checkpoint (zedo-train's .pt or the official ZeDO release), a bundled prior's name "
                   "(default, h36m) or an ONNX prior (.onnx)")
    p.add_argument("-o", "--out", help="ONNX file to write (default: the source's name, with -fp16/-int8 for those precisions, .onnx; "
                   "beside a checkpoint, in the current folder for a bundled prior)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="precision of the ONNX file (default fp32); fp16/int8 are checked against fp32")
    p.add_argument("--calibration-set", metavar="FILE",
                   help="calibration set (.npz: x (N,17,3), t (N,), provenance) for int8 scales and fp16/int8 parity; default: the shipped one")
    p.add_argument("--precision-atol", type=float, default=None,
                   help="largest allowed max |eps| difference of fp16/int8 vs fp32 (default 3e-2 fp16, 0.5 int8)")
    p.add_argument("--engine", help="also build a TensorRT engine here (.trt, .engine or .plan; needs TensorRT and a GPU)")
    p.add_argument("--fp16", action="store_true", help="TensorRT FP16 builder flag (needs --engine); see --precision fp16 for an FP16 file")
    p.add_argument("--clusters", help="initial-pose clusters (.npy or .npz of (S, 17, 3) poses, metres); "
                   "replaces the checkpoint's, required for release checkpoints")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17: TensorRT 8.6 and 10 parse it)")
    p.add_argument("--atol", type=float, default=1e-4, help="largest allowed |eps| difference ONNX Runtime vs torch (default 1e-4)")
    return p


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _bundled(name: str) -> bool:
    from zedo.runtime.prior_file import BUNDLED_PRIORS

    # A file of that name in the current folder wins: it is what the user pointed at.
    return name in BUNDLED_PRIORS and not Path(name).exists()


def _onnx_source(name: str) -> bool:
    """Whether --ckpt names an ONNX prior (bundled or a .onnx file) rather than a torch checkpoint."""
    return _bundled(name) or Path(name).suffix.lower() == ".onnx"


def _default_out(args: argparse.Namespace) -> Path:
    suffix = "" if args.precision == "fp32" else f"-{args.precision}"
    if _bundled(args.ckpt):
        return Path(f"{args.ckpt}{suffix}.onnx")
    ckpt = Path(args.ckpt)
    out = ckpt.with_name(ckpt.stem + suffix + ".onnx")
    if out.resolve() == ckpt.resolve():
        raise ValueError(f"{ckpt}: the FP32 export of an ONNX prior would overwrite it; pass -o")
    return out


def _calibration_set(args: argparse.Namespace):
    from zedo.calibration.dataset import load_calibration_set, shipped_calibration_path

    path = Path(args.calibration_set) if args.calibration_set else shipped_calibration_path()
    x, t, provenance = load_calibration_set(path)
    source = provenance.get("poses_file") or provenance.get("source") or "?"
    print(f"calibration {path} ({len(x)} samples from {source}; the last quarter held out for parity)")
    return x, t


def _export_checkpoint(args: argparse.Namespace, fp32_out: Path) -> None:
    """Torch checkpoint -> FP32 ONNX at ``fp32_out``, parity checked against torch."""
    try:
        from zedo.training.checkpoint import load_prior
        from zedo.training.model import count_parameters

        from .onnx_export import DEFAULT_OPSET, export_onnx
    except ImportError as e:
        raise RuntimeError(f"zedo-export needs the export extras (pip install 'zedo[export]'): {e}") from None

    ckpt = Path(args.ckpt)
    model, info = load_prior(ckpt, clusters=args.clusters)
    cfg = info.prior_config
    print(f"checkpoint  {ckpt}  ({info.format}, step {info.step}, {info.weights} weights)")
    print(f"network     hidden {cfg.hidden_dim}, embed {cfg.embed_dim}, {cfg.n_blocks} blocks: {count_parameters(model):,} parameters")
    print(f"clusters    S = {', '.join(map(str, sorted(info.clusters))) or 'none'}")
    report = export_onnx(model, info.to_meta(name=ckpt.stem), fp32_out, opset=args.opset or DEFAULT_OPSET, atol=args.atol)
    print(f"parity      ONNX Runtime vs torch, batch {' and '.join(map(str, report.batch_sizes))}, max |eps error| (atol {report.atol:g}):")
    for t, err in report.errors:
        print(f"              t = {t:<5g} {err:.2e}")


def _export_onnx_source(args: argparse.Namespace, fp32_out: Path) -> None:
    """Bundled prior or ONNX file -> FP32 ONNX at ``fp32_out`` (undoing FP16 storage)."""
    from zedo.calibration.graph import load_prior_model, save_prior_model, stores_fp16, to_fp32
    from zedo.runtime.prior_file import bundled_prior_path

    for option in ("clusters", "opset"):
        if getattr(args, option) is not None:
            raise ValueError(f"--{option} applies to checkpoints; {args.ckpt!r} is an ONNX prior (the file is the source)")
    path = bundled_prior_path(args.ckpt) if _bundled(args.ckpt) else Path(args.ckpt)
    proto, meta = load_prior_model(path)
    if meta.precision == "int8":
        raise ValueError(f"{path}: the prior is INT8; export other precisions from its checkpoint or FP32 file")
    stored = "fp16" if stores_fp16(proto) else "fp32"
    if stored == "fp16":
        proto = to_fp32(proto)
    save_prior_model(proto, fp32_out, meta, "fp32")
    note = "; made FP32 exactly: the same FP16-rounded weights" if stored == "fp16" else ""
    what = f"bundled prior {args.ckpt!r}: {path}" if _bundled(args.ckpt) else f"ONNX prior {path}"
    print(f"source      {what} (stored {stored}{note})")
    print(f"clusters    S = {', '.join(map(str, sorted(meta.clusters))) or 'none'}")


def _run(args: argparse.Namespace) -> None:
    if args.fp16 and not args.engine:
        raise ValueError("--fp16 sets the TensorRT FP16 flag; pass --engine")
    if args.precision == "fp32" and (args.calibration_set or args.precision_atol is not None):
        raise ValueError("--calibration-set and --precision-atol apply to --precision fp16 or int8")
    from zedo.runtime.prior_file import sidecar_path

    from .tensorrt import build_engine, require_tensorrt

    out = Path(args.out) if args.out else _default_out(args)
    if out.suffix.lower() != ".onnx":
        raise ValueError(f"{out}: an ONNX prior's file name must end in .onnx (the runtime picks engines by suffix)")
    if args.engine:
        # Before any work: a machine without TensorRT cannot build the engine of any precision.
        require_tensorrt(out)
    calib = _calibration_set(args) if args.precision != "fp32" else None
    # The FP32 file that fp16/int8 are made from is an intermediate: it lives in a temporary folder.
    with tempfile.TemporaryDirectory(prefix="zedo-export-") as tmp:
        fp32_out = out if args.precision == "fp32" else Path(tmp) / "fp32.onnx"
        (_export_onnx_source if _onnx_source(args.ckpt) else _export_checkpoint)(args, fp32_out)
        if args.precision != "fp32":
            from zedo.calibration.convert import convert_precision

            report = convert_precision(fp32_out, out, args.precision, *calib, atol=args.precision_atol)
            print(f"precision   {report.lines()[0]}")
            for line in report.lines()[1:]:
                print(f"           {line}")
    side = sidecar_path(out)
    print(f"wrote       {out} ({_size(out)}, {args.precision}), {side} ({_size(side)})")
    if args.engine:
        engine = build_engine(out, args.engine, fp16=args.fp16)
        side = sidecar_path(engine)
        print(f"wrote       {engine} ({_size(engine)}, {args.precision}{' + TensorRT fp16 flag' if args.fp16 else ''}), {side} ({_size(side)})")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    # OSError covers FileNotFoundError and failed writes (permissions, a full disk).
    except (ValueError, OSError, RuntimeError) as e:
        message = " ".join(str(e).split("\n"))
        print(f"zedo-export: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``zedo-export``: a trained checkpoint -> ONNX prior (+ sidecar), optionally a TensorRT engine.

    zedo-export --ckpt runs/prior.pt                      # runs/prior.onnx + runs/prior.onnx.json
    zedo-export --ckpt zedo_release.pth --clusters h36m_cluster50.npy -o h36m.onnx
    zedo-export --ckpt runs/prior.pt --engine prior.trt --fp16

Errors print one line ``zedo-export: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zedo-export", description="Export a trained ZeDO prior to ONNX (and TensorRT).")
    p.add_argument("--ckpt", required=True, help="checkpoint: zedo-train's .pt or the official ZeDO release")
    p.add_argument("-o", "--out", help="ONNX file to write (default: the checkpoint's name with .onnx, beside it)")
    p.add_argument("--engine", help="also build a TensorRT engine here (.trt, .engine or .plan; needs TensorRT and a GPU)")
    # --fp16 writes the same destination a --precision option will, so it can stay as its alias.
    p.add_argument("--fp16", dest="precision", action="store_const", const="fp16", default="fp32",
                   help="TensorRT FP16 builder flag (needs --engine)")
    p.add_argument("--clusters", help="initial-pose clusters (.npy or .npz of (S, 17, 3) poses, metres); "
                   "replaces the checkpoint's, required for release checkpoints")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17: TensorRT 8.6 and 10 parse it)")
    p.add_argument("--atol", type=float, default=1e-4, help="largest allowed |eps| difference ONNX Runtime vs torch (default 1e-4)")
    return p


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _run(args: argparse.Namespace) -> None:
    if args.precision != "fp32" and not args.engine:
        raise ValueError("--fp16 sets the TensorRT FP16 flag; pass --engine")
    try:
        from zedo.runtime.metadata import sidecar_path
        from zedo.training.checkpoint import load_prior
        from zedo.training.model import count_parameters

        from .onnx_export import DEFAULT_OPSET, export_onnx
        from .tensorrt import build_engine
    except ImportError as e:
        raise RuntimeError(f"zedo-export needs the export extras (pip install 'zedo[export]'): {e}") from None

    ckpt = Path(args.ckpt)
    out = Path(args.out) if args.out else ckpt.with_suffix(".onnx")
    model, info = load_prior(ckpt, clusters=args.clusters)
    cfg = info.prior_config
    print(f"checkpoint  {ckpt}  ({info.format}, step {info.step}, {info.weights} weights)")
    print(f"network     hidden {cfg.hidden_dim}, embed {cfg.embed_dim}, {cfg.n_blocks} blocks: {count_parameters(model):,} parameters")
    print(f"clusters    S = {', '.join(map(str, sorted(info.clusters))) or 'none'}")
    report = export_onnx(model, info.to_meta(name=ckpt.stem), out, opset=args.opset or DEFAULT_OPSET, atol=args.atol)
    print(f"parity      ONNX Runtime vs torch, batch {' and '.join(map(str, report.batch_sizes))}, max |eps error| (atol {report.atol:g}):")
    for t, err in report.errors:
        print(f"              t = {t:<5g} {err:.2e}")
    side = sidecar_path(out)
    print(f"wrote       {out} ({_size(out)}), {side} ({_size(side)})")
    if args.engine:
        engine = build_engine(out, args.engine, fp16=args.precision == "fp16")
        side = sidecar_path(engine)
        print(f"wrote       {engine} ({_size(engine)}, {args.precision}), {side} ({_size(side)})")


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

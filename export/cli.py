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

The engine is checked against the ONNX file on ONNX Runtime before it is written (--engine-atol).
The command is ``zedo.export.export_prior`` behind ``zedo.runtime.apps.commands.run_command``: errors
print one line ``zedo-export: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from zedo.runtime.apps.commands import run_command

from .exporter import export_prior
from .options import OPSET_RANGE, PRECISIONS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zedo-export", description="Export a ZeDO prior to ONNX in FP32, FP16 or INT8 (and TensorRT)."
    )
    p.add_argument(
        "--ckpt",
        required=True,
        help="checkpoint (zedo-train's .pt or the official ZeDO release), a bundled prior's name "
        "(default, h36m) or an ONNX prior (.onnx)",
    )
    p.add_argument(
        "-o",
        "--out",
        help="ONNX file to write (default: the source's name, with -fp16/-int8 for those precisions, .onnx; "
        "beside a checkpoint, in the current folder for a bundled prior)",
    )
    p.add_argument(
        "--precision",
        choices=tuple(PRECISIONS),
        default="fp32",
        help="precision of the ONNX file (default fp32); fp16/int8 are checked against fp32",
    )
    p.add_argument(
        "--calibration-set",
        metavar="FILE",
        help="calibration set (.npz: x (N,17,3), t (N,), provenance) for int8 scales and fp16/int8 parity; "
        "default: the shipped one",
    )
    p.add_argument(
        "--precision-atol",
        type=float,
        default=None,
        help="largest allowed max |eps| difference of fp16/int8 vs fp32 (default 3e-2 fp16, 0.5 int8)",
    )
    p.add_argument(
        "--engine", help="also build a TensorRT engine here (.trt, .engine or .plan; needs TensorRT and a GPU)"
    )
    p.add_argument(
        "--fp16",
        action="store_true",
        help="TensorRT FP16 builder flag (needs --engine); see --precision fp16 for an FP16 file",
    )
    p.add_argument(
        "--clusters",
        help="initial-pose clusters (.npy or .npz of (S, 17, 3) poses, metres); "
        "replaces the checkpoint's, required for release checkpoints",
    )
    p.add_argument(
        "--opset",
        type=int,
        default=None,
        help=f"ONNX opset of a checkpoint's export, {OPSET_RANGE[0]} to {OPSET_RANGE[1]} "
        "(default 17: TensorRT 8.6 and 10 parse it)",
    )
    p.add_argument(
        "--atol",
        type=float,
        default=None,
        help="largest allowed |eps| difference ONNX Runtime vs torch of a checkpoint's export (default 1e-4)",
    )
    p.add_argument(
        "--engine-atol",
        type=float,
        default=None,
        help="largest allowed max |eps| difference of the TensorRT engine vs ONNX Runtime (default 3e-2, 0.5 for int8)",
    )
    return p


def _run(args: argparse.Namespace) -> None:
    export_prior(
        args.ckpt,
        out=args.out,
        precision=args.precision,
        engine=args.engine,
        fp16=args.fp16,
        calibration_set=args.calibration_set,
        precision_atol=args.precision_atol,
        clusters=args.clusters,
        opset=args.opset,
        atol=args.atol,
        engine_atol=args.engine_atol,
    )


def main(argv: list[str] | None = None) -> int:
    return run_command("zedo-export", _parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())

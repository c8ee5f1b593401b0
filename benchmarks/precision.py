"""What FP16 and INT8 priors cost and save against FP32, on this machine, in one run.

    python benchmarks/precision.py --prior runs/prior.pt          # or a bundled name, or an FP32 .onnx
    python benchmarks/precision.py --prior default --limit 64 --iterations 100   # a quick check

Per precision (fp32, fp16, int8, each made by ``zedo.export.export_prior``, as ``zedo-export
--precision`` makes them): size on disk; the prior alone on ONNX Runtime's CPU provider, calls per
second at batch 1 and 1024 (best of 3 rounds, --threads intra-op threads); parity against FP32 on
the held-out calibration samples (max and mean |eps error|, unitless, as the export measured it);
and accuracy end to end through ``zedo.evaluation.evaluate`` on Human3.6M (default S9, every 64th
frame, ground-truth 2D, 1000 iterations): MPJPE and PA-MPJPE in millimetres and their change
against FP32. --sensitivity adds the INT8 per-layer table
(``zedo.calibration.int8.sensitivity``) behind the layers kept in FP32.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from zedo.calibration.dataset import load_calibration_set, shipped_calibration_path
from zedo.export import export_prior
from zedo.export.options import PRECISIONS
from zedo.runtime import open_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import add_preset_options, preset_of  # noqa: E402
from timing import best_of  # noqa: E402


def throughput(path: Path, batch: int, x: np.ndarray, t: np.ndarray, threads: int) -> float:
    """Prior calls per second at ``batch`` rows (x, t cycled from the calibration set)."""
    engine = open_engine(path, threads=threads)
    xb = np.resize(x, (batch, 17, 3)).astype(np.float32)
    tb = np.resize(t, (batch,)).astype(np.float32)
    engine(xb, tb)  # first call: ONNX Runtime's lazy allocations
    # About 0.2 s per round at either size on a 2-core machine for a hidden-512 prior.
    reps = max(3, min(500, 4096 // batch))
    return reps / best_of(lambda: [engine(xb, tb) for _ in range(reps)])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--prior", required=True, help="checkpoint (.pt), bundled prior name or FP32 .onnx, as zedo-export --ckpt takes"
    )
    p.add_argument("--calibration-set", help="calibration set .npz (default: the shipped one)")
    p.add_argument("--data", default="../shared/data/h36m", help="Human3.6M folder for zedo.evaluation")
    p.add_argument("--subject", default="S9")
    p.add_argument("--every", type=int, default=64, help="every N-th frame per action and camera")
    add_preset_options(p)
    p.add_argument("--limit", type=int, default=0, help="evaluate at most this many poses (0: all)")
    p.add_argument(
        "--threads", type=int, default=1, help="ONNX Runtime intra-op threads for the throughput and accuracy runs"
    )
    p.add_argument("--batches", type=int, nargs="+", default=[1, 1024])
    p.add_argument("--skip-accuracy", action="store_true", help="sizes, throughput and parity only")
    p.add_argument("--sensitivity", action="store_true", help="also print the INT8 per-layer sensitivity table")
    p.add_argument("--workdir", help="keep the exported files here (default: a temporary folder)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)

    calib_path = Path(a.calibration_set) if a.calibration_set else shipped_calibration_path()
    x, t, _ = load_calibration_set(calib_path)
    out: dict = {"prior": a.prior, "calibration_set": str(calib_path), "threads": a.threads, "precisions": {}}
    with tempfile.TemporaryDirectory(prefix="zedo-precision-") as tmp:
        work = Path(a.workdir) if a.workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        paths, checked = {}, {}
        for precision in PRECISIONS:
            paths[precision] = work / f"prior-{precision}.onnx"
            calibration = str(calib_path) if precision != "fp32" else None
            print(
                f"== export_prior({a.prior!r}, precision={precision!r}, out={str(paths[precision])!r}, "
                f"calibration_set={calibration!r})",
                flush=True,
            )
            # fp16/int8 parity: against the FP32 export on the calibration set's held-out samples.
            checked[precision] = export_prior(
                a.prior, paths[precision], precision, calibration_set=calibration
            ).precision_parity
        print()
        for precision, path in paths.items():
            row = {"size_mb": path.stat().st_size / 1e6}
            for b in a.batches:
                row[f"calls_per_s_batch_{b}"] = throughput(path, b, x, t, a.threads)
            if checked[precision] is not None:
                row.update(parity_max=checked[precision].max_error, parity_mean=checked[precision].mean_error)
            out["precisions"][precision] = row
            speed = ", ".join(f"batch {b}: {row[f'calls_per_s_batch_{b}']:8.1f} calls/s" for b in a.batches)
            parity = (
                f", |eps - fp32| max {row['parity_max']:.2e} mean {row['parity_mean']:.2e}"
                if precision != "fp32"
                else ""
            )
            print(f"{precision}: {row['size_mb']:5.2f} MB, {speed}{parity}", flush=True)

        if a.sensitivity:
            from zedo.calibration.int8 import sensitivity

            print("\nINT8 sensitivity, max / mean |eps - eps_fp32| on held-out samples:")
            rows = sensitivity(paths["fp32"], x, t)
            for r in rows:
                print(f"  {r.variant:48s} {r.max_error:.3f} / {r.mean_error:.4f}")
            out["sensitivity"] = [asdict(r) for r in rows]

        if not a.skip_accuracy:
            from zedo.evaluation import evaluate

            cfg = preset_of(a)
            print(
                f"\naccuracy on {a.subject}, every {a.every}th frame, {cfg.iterations} iterations"
                f"{f', {a.limit} poses' if a.limit else ''}:"
            )
            for precision, path in paths.items():
                engine = open_engine(path, threads=a.threads)
                r = evaluate(a.data, engine, a.subject, a.every, "gt", 1, cfg, limit=a.limit, progress=False)
                row = out["precisions"][precision]
                row.update(mpjpe=r["mpjpe"], pa_mpjpe=r["pa_mpjpe"], poses=r["poses"], eval_seconds=r["seconds"])
                delta = ""
                if precision != "fp32":
                    ref = out["precisions"]["fp32"]
                    row.update(mpjpe_delta=r["mpjpe"] - ref["mpjpe"], pa_mpjpe_delta=r["pa_mpjpe"] - ref["pa_mpjpe"])
                    delta = f"  (delta {row['mpjpe_delta']:+.2f} / {row['pa_mpjpe_delta']:+.2f})"
                print(
                    f"{precision}: MPJPE {r['mpjpe']:6.2f} mm, PA-MPJPE {r['pa_mpjpe']:6.2f} mm{delta}  "
                    f"({r['poses']} poses, {r['seconds']:.0f} s)",
                    flush=True,
                )
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

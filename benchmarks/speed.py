"""Speed of zedo's runtime against the eager-PyTorch reference of the release, in one run.

    python benchmarks/speed.py --ckpt runs/h36m.pt --engine h36m [--batches 1 1024] [--iterations 1000]

Prints poses per second of the whole estimate (initial pose optimisation plus the loop) for the
reference (benchmarks/reference_zedo.py, torch eager) and zedo (zedo.runtime.estimate on the ONNX
prior), at each batch size, on the same Human3.6M S9 poses (ground-truth 2D), and their ratio.
Also the prior alone: calls per second for torch eager and the engine, the FLOP rate that implies,
and this CPU's float32 matrix-multiply rate measured by a large NumPy matmul in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_zedo import reference_loop  # noqa: E402
from timing import best_of  # noqa: E402

from zedo.evaluation import load_h36m_eval  # noqa: E402
from zedo.runtime import LoopConfig, estimate, open_engine  # noqa: E402
from zedo.training.checkpoint import load_prior  # noqa: E402



def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """float32 GEMM rate of this CPU (GFLOP/s) with NumPy's BLAS: 2 n^3 flops per product."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    return 2 * n**3 / best_of(lambda: a @ b, repeats) / 1e9


def prior_flops(params: int, batch: int) -> float:
    """Multiply-adds of the MLP are about its weight count per pose: 2 flops each."""
    return 2.0 * params * batch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True, help="the torch checkpoint behind the engine")
    p.add_argument("--engine", default="default", help="bundled prior name or .onnx (the same weights)")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 1024])
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="torch and engine threads (0: library defaults)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model, info = load_prior(a.ckpt)
    params = sum(q.numel() for q in model.parameters())
    engine = open_engine(a.engine, threads=a.threads)
    data = load_h36m_eval(a.data, every=16)
    out = {"threads": torch.get_num_threads(), "iterations": a.iterations, "params": params, "matmul_gflops": matmul_gflops()}
    print(f"CPU float32 matmul (NumPy, 2048^3): {out['matmul_gflops']:.1f} GFLOP/s; torch threads {out['threads']}")
    print(f"prior: {params / 1e6:.2f} M parameters")
    for b in a.batches:
        x = (data.gt[:b] - data.gt[:b, :1]).astype(np.float32)
        t = np.full(b, 0.05, np.float32)
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        reps = max(3, min(200, 2000 // b))
        with torch.no_grad():
            model(xt, tt)
            torch_s = best_of(lambda: [model(xt, tt) for _ in range(reps)], 3) / reps
        engine(x, t)
        eng_s = best_of(lambda: [engine(x, t) for _ in range(reps)], 3) / reps
        row = {
            "torch_calls_per_s": 1 / torch_s,
            "engine_calls_per_s": 1 / eng_s,
            "engine_gflops": prior_flops(params, b) / eng_s / 1e9,
            "torch_gflops": prior_flops(params, b) / torch_s / 1e9,
        }
        out[f"prior_batch_{b}"] = row
        print(
            f"prior alone, batch {b:5}: torch {row['torch_calls_per_s']:8.1f} calls/s ({row['torch_gflops']:.1f} GFLOP/s), "
            f"engine {row['engine_calls_per_s']:8.1f} calls/s ({row['engine_gflops']:.1f} GFLOP/s, "
            f"{100 * row['engine_gflops'] / out['matmul_gflops']:.0f}% of matmul)"
        )
    cfg = LoopConfig(iterations=a.iterations)
    init = info.clusters[1]
    for b in a.batches:
        kp, sc, K, gt = data.keypoints[:b], data.scores[:b], data.K[:b], data.gt[:b]
        # No torch.no_grad() here: the reference's IPO takes gradients (its loop turns them off itself).
        t0 = time.perf_counter()
        ref = reference_loop(model, np.repeat(init - init[:, :1], b, 0), kp, sc, K, iterations=a.iterations)
        ref_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = estimate(kp, K, sc, engine=engine, config=cfg, batch_size=max(b, 1))
        zedo_s = time.perf_counter() - t0
        # The release's start (the mean pose) as well: the chosen start costs 50 IPO fits per pose.
        t0 = time.perf_counter()
        res_mean = estimate(kp, K, sc, engine=engine, config=replace(cfg, start_candidates=1), batch_size=max(b, 1))
        mean_s = time.perf_counter() - t0
        err = lambda p: float(np.linalg.norm((p - p[:, :1]) - (gt - gt[:, :1]), axis=-1).mean() * 1000)  # noqa: E731
        row = {
            "reference_poses_per_s": b / ref_s,
            "zedo_poses_per_s": b / zedo_s,
            "speedup": ref_s / zedo_s,
            "zedo_mean_start_poses_per_s": b / mean_s,
            "speedup_mean_start": ref_s / mean_s,
            "reference_mpjpe": err(ref),
            "zedo_mpjpe": err(res.joints_3d),
            "zedo_mean_start_mpjpe": err(res_mean.joints_3d),
        }
        out[f"estimate_batch_{b}"] = row
        print(
            f"estimate, batch {b:5}, {a.iterations} it: reference {row['reference_poses_per_s']:8.2f} poses/s, "
            f"zedo {row['zedo_poses_per_s']:8.2f} poses/s (x{row['speedup']:.2f}), "
            f"zedo from the mean pose {row['zedo_mean_start_poses_per_s']:8.2f} poses/s (x{row['speedup_mean_start']:.2f}); "
            f"MPJPE of these poses: reference {row['reference_mpjpe']:.1f} mm, zedo {row['zedo_mpjpe']:.1f} mm, from the mean pose {row['zedo_mean_start_mpjpe']:.1f} mm"
        )
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

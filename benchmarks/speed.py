"""Speed of zedo's runtime against the eager-PyTorch loop of the release, in one run.

    python benchmarks/speed.py --engine h36m [-o benchmarks/results/speed.json] \
[--curve-png benchmarks/results/speed-curve.png]

Needs torch (``pip install -e ".[export]"``) and Human3.6M in ../shared/data/h36m; matplotlib for
the curve's PNG. The torch network is read back from the ONNX prior's weights
(``zedo.training.checkpoint.load_onnx_prior``), and its eps is checked against the engine's.

Prints, measured in this run:
- this CPU's float32 matrix-multiply rate (NumPy, 2048^3);
- the prior alone at batch 1 (one thread) and batch 1024: calls/s and GFLOP/s (2 flops per
  weight per pose) of torch eager and of the engines: ONNX Runtime on the whole graph
  ("cpu-whole"), ONNX Runtime with the layers of t alone computed once per t ("cpu", the default,
  where the graph splits) and NumPy ("cpu-numpy"), at one t (these two then reuse their terms of
  t, as the loop does from its second batch on);
- the whole estimate (start and loop) at batch 1 (``--poses-batch-1`` poses one at a time, one
  thread) and at batch 1024 (1024 poses), poses/s and MPJPE (mm) on the same Human3.6M S9 poses
  (ground-truth 2D): the release's loop in eager torch (benchmarks/reference_zedo.py) and each
  zedo setting of ``--settings`` (benchmarks/settings.py: zedo's default, the paper's 1000
  iterations from the mean pose, ...), with its speed-up over the release's loop;
- unless ``--no-curve``: poses/s against MPJPE on S9 every ``--curve-every``-th frame at batch
  1024 for the settings of ``--curve-settings`` and the release's loop, drawn to ``--curve-png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_zedo import reference_loop  # noqa: E402
from settings import SETTINGS, parse_setting, setting_config  # noqa: E402
from timing import best_of  # noqa: E402

from zedo.evaluation import load_h36m_eval  # noqa: E402
from zedo.evaluation.metrics import mpjpe  # noqa: E402
from zedo.export.onnx_export import TorchRunner  # noqa: E402
from zedo.export.parity import parity_inputs  # noqa: E402
from zedo.runtime import estimate, open_engine  # noqa: E402
from zedo.runtime.engines.compare import compare  # noqa: E402
from zedo.runtime.engines.open import NUMPY_DEVICE, WHOLE_DEVICE  # noqa: E402
from zedo.runtime.engines.prior_file import BUNDLED_PRIORS, bundled_prior_path  # noqa: E402
from zedo.training.checkpoint import load_onnx_prior  # noqa: E402

# Settings on the curve (names of SETTINGS or NAME=FLAGS): the iteration sweep from each start.
CURVE_SETTINGS = [
    "default",
    "it500=--iterations 500",
    "it100=--iterations 100",
    "it50=--iterations 50",
    "v1",
    "v1-it200=--preset v1 --iterations 200",
    "paper",
    "mean-it200=--iterations 200 --start-candidates 1",
    "mean-it50=--iterations 50 --start-candidates 1",
]
PARITY_ATOL = 1e-4  # torch read back from the ONNX weights vs the engine (the export's tolerance)


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """float32 GEMM rate of this CPU (GFLOP/s) with NumPy's BLAS: 2 n^3 flops per product."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    return 2 * n**3 / best_of(lambda: a @ b, repeats) / 1e9


@contextmanager
def threads_for(batch: int, threads: int):
    """One thread for torch and NumPy's BLAS at batch 1 (BLAS only with threadpoolctl installed),
    ``threads`` (0: the libraries' defaults) above it."""
    saved = torch.get_num_threads()
    n = 1 if batch == 1 else threads
    if n:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    try:
        if threadpool_limits is not None and n:
            with threadpool_limits(limits=n, user_api="blas"):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(saved)


class Engines:
    """Engines opened once per (device, threads): batch 1 runs ONNX Runtime on one thread."""

    def __init__(self, name: str, threads: int):
        self.name, self.threads, self.open = name, threads, {}

    def get(self, device: str, batch: int):
        threads = 0 if device == NUMPY_DEVICE else (1 if batch == 1 else self.threads)
        key = (device, threads)
        if key not in self.open:
            self.open[key] = open_engine(self.name, device=device, threads=threads)
        return self.open[key]


def onnx_path(engine: str) -> Path:
    return bundled_prior_path(engine) if engine in BUNDLED_PRIORS else Path(engine)


def prior_rates(model, engines: Engines, data, batches, threads: int) -> dict:
    """Calls/s and GFLOP/s (2 flops per weight per pose) of the prior alone per engine and batch."""
    params = sum(q.numel() for q in model.parameters())
    out = {}
    for b in batches:
        x = (data.gt[:b] - data.gt[:b, :1]).astype(np.float32)
        t = np.full(b, 0.05, np.float32)
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        reps = max(3, min(200, 2000 // b))
        runners = {"torch": lambda xt=xt, tt=tt: model(xt, tt)} | {
            device: (lambda d=device, b=b, x=x, t=t: engines.get(d, b)(x, t))
            for device in (WHOLE_DEVICE, "cpu", NUMPY_DEVICE)
        }
        row = {}
        with threads_for(b, threads), torch.no_grad():
            for name, fn in runners.items():
                fn()
                s = best_of(lambda fn=fn, reps=reps: [fn() for _ in range(reps)], 3) / reps
                row[name] = {"calls_per_s": 1 / s, "gflops": 2.0 * params * b / s / 1e9}
        out[b] = row
    return out


def time_estimates(model, engines: Engines, data, batch: int, n: int, settings, threads: int) -> dict:
    """Seconds, poses/s and MPJPE of the release's loop and of each setting on the first n poses."""
    kp, sc, K, gt = data.keypoints[:n], data.scores[:n], data.K[:n], data.gt[:n]
    mean_pose = engines.get("cpu", batch).meta.clusters[1]
    mean_pose = mean_pose - mean_pose[:, :1]
    rows = {}
    with threads_for(batch, threads):
        t0 = time.perf_counter()
        # No torch.no_grad(): the reference's IPO takes gradients (its loop turns them off itself).
        ref = np.concatenate(
            [reference_loop(model, np.repeat(mean_pose, len(r), 0), kp[r], sc[r], K[r]) for r in _chunks(n, batch)]
        )
        rows["release"] = _row(time.perf_counter() - t0, n, ref, gt)
        for name, flags in settings:
            config, device = setting_config(flags)
            engine = engines.get(device, batch)
            t0 = time.perf_counter()
            res = estimate(kp, K=K, scores=sc, engine=engine, config=config, batch_size=batch)
            rows[name] = _row(time.perf_counter() - t0, n, res.joints_3d, gt) | {"flags": flags}
    for row in rows.values():
        row["speedup"] = rows["release"]["seconds"] / row["seconds"]
    return rows


def _chunks(n: int, batch: int) -> list[np.ndarray]:
    return [np.arange(i, min(i + batch, n)) for i in range(0, n, batch)]


def _row(seconds: float, n: int, joints: np.ndarray, gt: np.ndarray) -> dict:
    return {"seconds": seconds, "poses_per_s": n / seconds, "mpjpe_mm": float(mpjpe(joints, gt).mean())}


def plot_curve(rows: dict, path: Path, title: str) -> None:
    """Poses/s (log) against MPJPE, one point per setting, settings of one start joined by iterations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups = {}
    for name, r in rows.items():
        groups.setdefault(r.get("start", "release"), []).append(
            (r["iterations"], r["poses_per_s"], r["mpjpe_mm"], name)
        )
    for start, pts in groups.items():
        pts.sort()
        ax.plot([p[1] for p in pts], [p[2] for p in pts], "o-" if len(pts) > 1 else "s", label=start)
        for _, x, y, name in pts:
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("poses per second (batch 1024)")
    ax.set_ylabel("MPJPE, mm")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def curve(model, engines: Engines, data_dir: str, every: int, limit: int, names, threads: int) -> dict:
    """Poses/s and MPJPE at batch 1024 on S9 every ``every``-th frame (``limit`` > 0: that many
    poses spread over it) for the release's loop and each setting of ``names``."""
    data = load_h36m_eval(data_dir, every=every)
    if limit:
        data = data.take(np.linspace(0, len(data.gt) - 1, min(limit, len(data.gt))).astype(int))
    settings = [parse_setting(s) for s in names]
    rows = time_estimates(model, engines, data, 1024, len(data.gt), settings, threads)
    rows["release"] |= {"iterations": 1000, "start": "release (eager torch)"}
    for name, flags in settings:
        config, device = setting_config(flags)
        start = (
            f"chosen start ({config.start_shortlist} shortlisted, {config.start_fit} fit)"
            if config.start_candidates > 1
            else "mean-pose start"
        )
        rows[name] |= {"iterations": config.iterations, "start": start if device == "cpu" else f"{start}, {device}"}
    return {"poses": len(data.gt), "every": every, "rows": rows}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or FP32 .onnx prior (default: %(default)s)")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 1024])
    p.add_argument(
        "--poses-batch-1", type=int, default=8, help="poses run one at a time at batch 1 (default: %(default)s)"
    )
    p.add_argument(
        "--settings",
        nargs="+",
        default=list(SETTINGS),
        help=f"zedo settings to time: names of benchmarks/settings.py ({', '.join(SETTINGS)}) "
        "or NAME=FLAGS (zedo-infer flags)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch and ONNX Runtime threads above batch 1 (0: library defaults); batch 1 runs one",
    )
    p.add_argument("--no-curve", action="store_true", help="skip the poses/s-against-MPJPE curve")
    p.add_argument(
        "--curve-every", type=int, default=64, help="the curve's S9 frames: every N-th (default: %(default)s)"
    )
    p.add_argument(
        "--curve-limit", type=int, default=0, help="the curve on this many poses spread over those frames (0: all)"
    )
    p.add_argument(
        "--curve-settings", nargs="+", default=CURVE_SETTINGS, help="settings on the curve (names or NAME=FLAGS)"
    )
    p.add_argument("--curve-png", default="benchmarks/results/speed-curve.png")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    settings = [parse_setting(s) for s in a.settings]
    for _, flags in settings:
        setting_config(flags)  # a bad setting fails here, before any timing
    model, meta = load_onnx_prior(onnx_path(a.engine))
    engines = Engines(a.engine, a.threads)
    data = load_h36m_eval(a.data, every=16)
    x, t, calls, _ = parity_inputs(np.concatenate([meta.clusters[s] for s in sorted(meta.clusters)]))
    parity = compare(
        engines.get(WHOLE_DEVICE, 1024),
        TorchRunner(model),
        x,
        t,
        PARITY_ATOL,
        batch=calls,
        names=("ONNX Runtime", "torch from the ONNX weights"),
    )
    out = {
        "engine": a.engine,
        "threads": a.threads,
        "params": sum(q.numel() for q in model.parameters()),
        "matmul_gflops": matmul_gflops(),
        "parity_max_abs_eps": parity.max_error,
    }
    try:
        import threadpoolctl  # noqa: F401

        blas = "NumPy's BLAS one thread at batch 1 too"
    except ImportError:
        blas = (
            "NumPy's BLAS at its own thread count throughout (pip install threadpoolctl to hold it to one at batch 1)"
        )
    print(
        f"CPU float32 matmul (NumPy, 2048^3): {out['matmul_gflops']:.1f} GFLOP/s; "
        f"torch and ONNX Runtime threads {a.threads or 'default'} (batch 1: one); {blas}"
    )
    print(f"prior {a.engine}: {out['params'] / 1e6:.2f} M parameters; {parity.lines()[0]}")
    if not parity.passed:
        raise SystemExit(f"the torch network read back from {a.engine} disagrees with the engine beyond {PARITY_ATOL}")
    out["prior"] = prior_rates(model, engines, data, a.batches, a.threads)
    for b, row in out["prior"].items():
        cells = ", ".join(
            f"{k} {v['calls_per_s']:8.1f} calls/s {v['gflops']:6.1f} GFLOP/s "
            f"({100 * v['gflops'] / out['matmul_gflops']:.0f}%)"
            for k, v in row.items()
        )
        print(f"prior alone, batch {b:5}: {cells}")
    out["estimate"] = {}
    for b in a.batches:
        n = a.poses_batch_1 if b == 1 else b
        rows = time_estimates(model, engines, data, b, n, settings, a.threads)
        out["estimate"][b] = rows
        for name, r in rows.items():
            print(
                f"estimate, batch {b:5}, {n} poses: {name:<16} {r['poses_per_s']:9.2f} poses/s  "
                f"x{r['speedup']:6.2f}  MPJPE {r['mpjpe_mm']:6.1f} mm  "
                f"{r.get('flags', '(eager torch, 1000 iterations, mean pose)')}"
            )
    if not a.no_curve:
        out["curve"] = curve(model, engines, a.data, a.curve_every, a.curve_limit, a.curve_settings, a.threads)
        for name, r in out["curve"]["rows"].items():
            print(
                f"curve, S9 every {a.curve_every}, {out['curve']['poses']} poses, batch 1024: {name:<12} "
                f"{r['poses_per_s']:8.1f} poses/s  MPJPE {r['mpjpe_mm']:6.1f} mm"
            )
        try:
            plot_curve(
                out["curve"]["rows"],
                Path(a.curve_png),
                f"{a.engine} prior, Human3.6M S9 every {a.curve_every}th frame ({out['curve']['poses']} poses), "
                "ground-truth 2D",
            )
            print(f"wrote {a.curve_png}")
        except ImportError:
            print("the curve's PNG needs matplotlib (pip install matplotlib); numbers above")
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

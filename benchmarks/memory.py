"""Peak memory of zedo-infer as the input grows: one fresh process per input size.

    python benchmarks/memory.py --sizes 1000 10000 100000 --iterations 2 -o benchmarks/results/memory.json

Each input is the shipped example's 32 poses (runtime/examples/example.npz) repeated to N poses,
each copy jittered by up to a pixel, written as zedo's .npz (or .json with --format json). The
installed zedo-infer lifts it to an .npz (--engine default, --threads 1, --quiet, and the loop
options given); the peak resident set size of that process (ru_maxrss from wait4) is its peak
memory. A run of one pose gives the baseline (the interpreter, NumPy, ONNX Runtime and the prior);
what a pose adds is (peak at the largest N - peak at the smallest N) / the difference in N.
Memory, not speed: the figures do not depend on other load on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "runtime" / "examples" / "example.npz"


def write_input(path: Path, n: int, seed: int = 0) -> None:
    """N poses: the example's keypoints repeated and jittered, its K, as .npz or .json (by suffix)."""
    with np.load(EXAMPLE) as f:
        keypoints, K = f["keypoints"], f["K"]
    reps = -(-n // len(keypoints))
    kp = np.tile(keypoints, (reps, 1, 1))[:n] + np.random.default_rng(seed).uniform(
        -1.0, 1.0, (n, *keypoints.shape[1:])
    )
    if path.suffix == ".json":
        path.write_text(json.dumps({"keypoints": kp.tolist(), "K": K.tolist()}))
    else:
        np.savez(path, keypoints=kp, K=K)


def peak_rss_mb(argv: list[str]) -> tuple[float, float]:
    """(peak resident set size in MiB, wall seconds) of the command ``argv``; raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {err.strip()}")
    return usage.ru_maxrss / 1024.0, wall  # ru_maxrss is in KiB on Linux


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="input sizes N (poses)")
    p.add_argument("--format", choices=("npz", "json"), default="npz", help="input file format (default: npz)")
    p.add_argument(
        "--iterations", type=int, default=2, help="loop iterations (default 2: memory does not grow with them)"
    )
    p.add_argument(
        "--loop",
        nargs=argparse.REMAINDER,
        default=[],
        help="further zedo-infer options, e.g. --loop --start-candidates 1",
    )
    p.add_argument("-o", "--output", help="write the figures as JSON")
    a = p.parse_args(argv)
    exe = shutil.which("zedo-infer") or shutil.which("zedo-infer", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("zedo-infer is not installed (pip install -e .)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [1, *a.sizes]:
            inp, out = Path(tmp) / f"in{n}.{a.format}", Path(tmp) / f"out{n}.npz"
            write_input(inp, n)
            cmd = [
                exe,
                str(inp),
                "-o",
                str(out),
                "--engine",
                "default",
                "--threads",
                "1",
                "--quiet",
                "--iterations",
                str(a.iterations),
                *a.loop,
            ]
            rss, wall = peak_rss_mb(cmd)
            rows.append(
                {
                    "poses": n,
                    "input_mb": inp.stat().st_size / 2**20,
                    "output_mb": out.stat().st_size / 2**20,
                    "peak_rss_mb": rss,
                    "seconds": wall,
                }
            )
            print(
                f"{n:>7} poses  input {rows[-1]['input_mb']:7.1f} MiB  output {rows[-1]['output_mb']:6.1f} MiB  "
                f"peak RSS {rss:7.1f} MiB  {wall:6.1f} s",
                flush=True,
            )
    small, large = rows[1], rows[-1]
    per_pose = (large["peak_rss_mb"] - small["peak_rss_mb"]) * 2**20 / max(large["poses"] - small["poses"], 1)
    print(
        f"baseline (1 pose) {rows[0]['peak_rss_mb']:.1f} MiB; "
        f"each further pose adds {per_pose:.0f} bytes of peak memory"
    )
    if a.output:
        doc = {
            "command": "python benchmarks/memory.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "format": a.format,
            "iterations": a.iterations,
            "loop": a.loop,
            "rows": rows,
            "bytes_per_pose": per_pose,
        }
        Path(a.output).write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

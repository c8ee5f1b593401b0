"""Occluded people: Human3.6M S9 with joints taken away, lifted from the joints that are left.

    python benchmarks/occlusion.py --engine h36m --threads 1 -o benchmarks/results/occlusion-h36m.json
    python benchmarks/occlusion.py --engine default --threads 1 -o benchmarks/results/occlusion-default.json
    python benchmarks/occlusion.py --engine h36m --every 512 --variants pelvis-hip   # a quick look

Every variant starts from the same poses (S9, every ``--every``-th frame, each camera, ground-truth
2D and 3D) and takes joints away (score 0, keypoint NaN), the rest as recorded:

- ``complete``: nothing taken (the reference);
- ``pelvis``: the pelvis of every pose;
- ``pelvis-hip``: the pelvis and one hip (left or right, at random) of 30 % of the poses;
- ``random3``: 3 joints other than the pelvis, at random, of every pose.

Each row: the poses changed, the fraction of them ``valid``, and their MPJPE (mm, as ``zedo-eval``)
beside the same poses' complete MPJPE, through ``zedo.runtime.estimate`` with the library's
defaults. Done when every pose is valid and the difference is within 8 mm (``pelvis-hip``) and
12 mm (``random3``) for both priors (docs/occlusion.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from zedo.evaluation.evalset import load_h36m_eval
from zedo.evaluation.metrics import mpjpe
from zedo.runtime import estimate, open_engine
from zedo.runtime.io.atomic import write_json_atomic

VARIANTS = ("complete", "pelvis", "pelvis-hip", "random3")
SHARE = 0.3  # of the poses losing the pelvis and a hip
HIPS = (1, 4)  # right, left


def occlude(name: str, scores: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 17) bool: the joints the variant ``name`` takes away from N poses (module docstring)."""
    n, rng = len(scores), np.random.default_rng(seed)
    gone = np.zeros(scores.shape, bool)
    if name == "pelvis":
        gone[:, 0] = True
    elif name == "pelvis-hip":
        rows = rng.permutation(n)[: round(SHARE * n)]
        gone[rows, 0] = True
        gone[rows, rng.choice(HIPS, len(rows))] = True
    elif name == "random3":
        for i in range(n):
            gone[i, 1 + rng.choice(16, 3, replace=False)] = True
    elif name != "complete":
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    return gone


def lift(data, engine, gone: np.ndarray):
    """The estimate of ``data``'s poses with the joints ``gone`` (N, 17) missing, and its seconds."""
    scores = np.where(gone, 0.0, data.scores)
    keypoints = np.where(gone[..., None], np.nan, data.keypoints)
    start = time.perf_counter()
    got = estimate(keypoints, K=data.K, scores=scores, engine=engine)
    return got, time.perf_counter() - start


def row(name: str, data, engine, complete_errors: np.ndarray, seed: int) -> dict:
    """One variant's row (module docstring), against the complete poses' errors (N,) mm."""
    gone = occlude(name, data.scores, seed)
    changed = gone.any(1) if gone.any() else np.ones(len(gone), bool)
    got, seconds = lift(data, engine, gone)
    ok = got.valid[changed]
    errors = mpjpe(got.joints_3d[changed][ok], data.gt[changed][ok])
    reference = complete_errors[changed][ok]
    return {
        "variant": name,
        "poses": int(len(gone)),
        "changed": int(changed.sum()),
        "valid_fraction": float(ok.mean()),
        "mpjpe": float(errors.mean()),
        "complete_mpjpe": float(reference.mean()),
        "difference": float(errors.mean() - reference.mean()),
        "seconds": seconds,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior or file (default: %(default)s)")
    p.add_argument("--data", default="../shared/data/h36m", help="the VideoPose3D files (default: %(default)s)")
    p.add_argument("--every", type=int, default=64, help="every N-th frame of S9 (default: %(default)s)")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS[1:]), choices=VARIANTS[1:], help="default: all")
    p.add_argument("--seed", type=int, default=0, help="which joints are taken (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads; 0: its default")
    p.add_argument("-o", "--output", help="write the rows as JSON here")
    a = p.parse_args(argv)
    data = load_h36m_eval(a.data, "S9", a.every, "gt")
    engine = open_engine(a.engine, threads=a.threads)
    complete, seconds = lift(data, engine, np.zeros(data.scores.shape, bool))
    errors = mpjpe(complete.joints_3d, data.gt)
    rows = [{"variant": "complete", "poses": len(errors), "mpjpe": float(errors.mean()), "seconds": seconds}]
    print(f"{'complete':>10}  MPJPE {errors.mean():6.1f}  ({len(errors)} poses, {seconds:.0f} s)", flush=True)
    for name in a.variants:
        r = row(name, data, engine, errors, a.seed)
        rows.append(r)
        print(
            f"{name:>10}  MPJPE {r['mpjpe']:6.1f} vs {r['complete_mpjpe']:6.1f} complete ({r['difference']:+.1f})  "
            f"valid {r['valid_fraction']:.1%} of {r['changed']} changed poses, {r['seconds']:.0f} s "
            f"(x{r['seconds'] / seconds:.2f} the complete run)",
            flush=True,
        )
    if a.output:
        report = {"engine": a.engine, "every": a.every, "seed": a.seed, "rows": rows, "argv": sys.argv[1:]}
        write_json_atomic(Path(a.output), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

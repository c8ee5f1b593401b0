"""Fit the rules that synthesise the joints COCO-style layouts lack (zedo.runtime.io.layouts), on
Human3.6M's training subjects (never S9): each as base + k * direction in the image, k by least
squares over every 50th frame of S1, S5, S6, S7, S8 seen by the four cameras (projected ground
truth, pixels). Prints k and the median / mean distance to the true joint.

    python benchmarks/layout_rules.py --data ../shared/data/h36m
"""

from __future__ import annotations

import argparse

import numpy as np

from zedo.datasets.h36m import iter_takes, load_cameras, load_positions
from zedo.runtime.core.geometry import project


def fit(target, base, direction):
    """k minimising |base + k direction - target|^2 over all poses; returns k, median and mean error px."""
    k = float(((target - base) * direction).sum() / (direction * direction).sum())
    err = np.linalg.norm(target - (base + k * direction), axis=-1)
    return k, float(np.median(err)), float(err.mean())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--every", type=int, default=50)
    a = p.parse_args(argv)
    positions, cameras = load_positions(f"{a.data}/data_3d_h36m.npz"), load_cameras(f"{a.data}/cameras.json")
    takes = iter_takes(positions, cameras, ("S1", "S5", "S6", "S7", "S8"), f"{a.data}/data_3d_h36m.npz")
    uv = np.concatenate([project(P[:: a.every], cam.K) for *_, cam, P in takes])
    pel, rh, lh, sp, th, nose, head, ls, rs = (uv[:, i] for i in (0, 1, 4, 7, 8, 9, 10, 11, 14))
    mid_sh, mid_hip = (ls + rs) / 2, (lh + rh) / 2
    torso = mid_sh - mid_hip
    print(
        f"{len(uv)} poses; pelvis vs middle of the hips: "
        f"median {np.median(np.linalg.norm(pel - mid_hip, axis=-1)):.1f} px; "
        f"thorax vs middle of the shoulders: {np.median(np.linalg.norm(th - mid_sh, axis=-1)):.1f} px; "
        f"torso median {np.median(np.linalg.norm(torso, axis=-1)):.1f} px"
    )
    rows = [
        ("THORAX_ABOVE_SHOULDERS: thorax = mid shoulders + k torso", th, mid_sh, torso),
        ("SPINE_ALONG_TORSO: spine = mid hips + k torso", sp, mid_hip, torso),
        ("SPINE_ALONG_PELVIS_THORAX: spine = pelvis + k (thorax - pelvis)", sp, pel, th - pel),
        ("HEAD_ABOVE_NOSE: head = nose + k torso", head, nose, torso),
        ("(not used) head = nose + k (nose - mid shoulders)", head, nose, nose - mid_sh),
    ]
    for name, target, base, direction in rows:
        k, med, mean = fit(target, base, direction)
        print(f"{name}: k = {k:.3f}, error median {med:.1f} px, mean {mean:.1f} px")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The focal length of an unknown camera, searched per video clip (``zedo.evaluation.focal``).

    python benchmarks/focal.py --engine h36m -o benchmarks/results/focal-h36m.json
    python benchmarks/focal.py --engine h36m --clips 12 --sample 75 --search-iterations 200 \
        -o benchmarks/results/focal-h36m-200it-12clips.json

Clips: ``zedo.evaluation.clips`` (S9, one clip per action take, 75 frames at 25 fps, ground-truth
2D), each given the image size only (1000 x 1002 px: the guess f = 1.2 x 1002 = 1202.4 px; the
true focal lengths are about 1145 px). Per clip the focal is searched (``search_focal``: 9 factors
0.5x-2x of the guess, ``--sample`` poses, ``--search-iterations`` each) and chosen by each
criterion (``focal.CRITERIA``). Then every clip is lifted as a recorded video (``lift_tracks``, the
library's defaults, smoothed) with the true K, the guess, and each criterion's focal: MPJPE and
PA-MPJPE (mm) over all frames, and the focal found per clip (median, 10th-90th percentile, and
its ratio to the true one).

Results (2026-12-06, 2 shared CPU cores, --threads 1): 29 clips, 2175 frames, 48 poses x 50
iterations a focal: MPJPE / PA-MPJPE true K 44.6 / 35.3, guess 45.3 / 35.6, searched by residual
81.0 / 52.7, bones 53.8 / 38.9, both 50.6 / 37.9 mm; found / true per clip (10th-90th percentile)
0.53-2.09, 0.53-1.54, 0.53-1.30; search 142 s. 12 clips, 75 poses x 200 iterations: true 44.1,
guess 43.8, residual 158.4, bones 61.7, both 87.6 mm. Not robust: zedo-infer keeps the guess.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from zedo.evaluation.clips import load_h36m_clips
from zedo.evaluation.focal import CRITERIA, choose, search_focal, with_focal
from zedo.evaluation.metrics import mpjpe, pa_mpjpe
from zedo.runtime import LoopConfig, open_engine
from zedo.runtime.core.camera import default_K
from zedo.runtime.io.atomic import write_json_atomic
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.video.tracks import lift_tracks

IMAGE_SIZE = (1000.0, 1002.0)


def lift_all(inputs, engine, K: np.ndarray, gt: np.ndarray) -> dict:
    """Every clip lifted as a video with K (M, 3, 3): MPJPE and PA-MPJPE (mm)."""
    est = lift_tracks(replace(inputs, K=K), engine, LoopConfig())
    return {"mpjpe": float(mpjpe(est.joints_3d, gt).mean()), "pa_mpjpe": float(pa_mpjpe(est.joints_3d, gt).mean())}


def spread(values) -> dict:
    v = np.asarray(values, float)
    return {"median": float(np.median(v)), "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/h36m", help="the VideoPose3D files (default: %(default)s)")
    p.add_argument("--engine", default="h36m")
    p.add_argument("--clips", type=int, default=None, help="the first N clips only (default: all)")
    p.add_argument("--sample", type=int, default=48, help="poses lifted per focal (default: %(default)s)")
    p.add_argument("--search-iterations", type=int, default=50, help="(default: %(default)s)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("-o", "--output", help="results .json")
    a = p.parse_args()
    clips = load_h36m_clips(a.data, track="gt")
    chosen = list(clips.clips())[: a.clips]
    rows = np.concatenate([r for _, r in chosen])
    d = clips.data.take(rows)
    clip_of = np.repeat(np.arange(len(chosen)), [len(r) for _, r in chosen])
    guess = default_K(IMAGE_SIZE)
    inputs = replace(validate_inputs(d.keypoints, guess, d.scores), frame=clips.frame[rows], track=clip_of)
    engine = open_engine(a.engine, threads=a.threads)
    found = {c: np.empty(len(inputs.K)) for c in CRITERIA}
    per_clip, t0 = [], time.perf_counter()
    for k, (c, _) in enumerate(chosen):
        mine = clip_of == k
        clip_inputs = replace(inputs, **{f: getattr(inputs, f)[mine] for f in ("keypoints", "scores", "K", "valid")})
        s = search_focal(clip_inputs, engine, sample=a.sample, iterations=a.search_iterations)
        true_f = float(d.K[mine][0, 0, 0])
        picks = {crit: float(s.guess * s.factors[choose(s.prior_residual, s.bone_spread, crit)]) for crit in CRITERIA}
        for crit, f in picks.items():
            found[crit][mine] = f / s.guess
        per_clip.append({"clip": clips.names[c], "true_focal": true_f, "found": picks})
        per_clip[-1].update(residual=s.prior_residual.tolist(), bone_spread=s.bone_spread.tolist())
        print(f"{clips.names[c]:28s} true {true_f:7.1f}  " + "  ".join(f"{k} {v:7.1f}" for k, v in picks.items()))
    search_s = time.perf_counter() - t0
    rows_out = {
        "true K": lift_all(inputs, engine, d.K, d.gt),
        "guess (image size)": lift_all(inputs, engine, inputs.K, d.gt),
    }
    for crit in CRITERIA:
        K = np.stack(
            [with_focal(replace(inputs, K=inputs.K[i : i + 1]), found[crit][i]).K[0] for i in range(len(d.gt))]
        )
        rows_out[f"searched ({crit})"] = lift_all(inputs, engine, K, d.gt)
    focal = {
        crit: {
            **spread([c["found"][crit] for c in per_clip]),
            "ratio_to_true": spread([c["found"][crit] / c["true_focal"] for c in per_clip]),
        }
        for crit in CRITERIA
    }
    print(f"\n{len(chosen)} clips, {len(d.gt)} frames; search {search_s:.1f} s")
    for name, r in rows_out.items():
        print(f"  {name:28s} MPJPE {r['mpjpe']:6.1f}  PA {r['pa_mpjpe']:6.1f}")
    for crit, f in focal.items():
        q = f["ratio_to_true"]
        print(
            f"  focal ({crit:8s}) median {f['median']:7.1f} px; found / true median {q['median']:.3f}, "
            f"p10-p90 {q['p10']:.3f}-{q['p90']:.3f}"
        )
    if a.output:
        out = {
            "engine": a.engine,
            "clips": len(chosen),
            "frames": len(d.gt),
            "sample": a.sample,
            "search_iterations": a.search_iterations,
            "search_seconds": search_s,
            "guess_focal": float(guess[0, 0]),
            "rows": rows_out,
            "focal": focal,
            "per_clip": per_clip,
        }
        write_json_atomic(Path(a.output), out)


if __name__ == "__main__":
    main()

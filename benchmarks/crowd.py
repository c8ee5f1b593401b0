"""Two people without ids: the video mode's tracking on Human3.6M clips paired into two-person videos.

    python benchmarks/crowd.py --engine h36m -o benchmarks/results/crowd-h36m.json
    python benchmarks/crowd.py --engine h36m --pairs 3          # a quick look
    python benchmarks/crowd.py --engine h36m --shift 0.4 -o benchmarks/results/crowd-h36m-0.4m.json  # closer

Clips: ``zedo.evaluation.clips`` (S9, ground-truth 3D, 75 frames at 25 fps). Clip 2p and clip 2p+1
make pair p: both people are seen by clip 2p's camera, the second one's ground truth moved 1.2 m to
the right (camera x; ``--shift``); both projected with that camera's K (ground-truth 2D, every joint seen). The
video has no track ids, the two people's order is shuffled in every frame, and each pair starts
1000 frames after the last (a scene cut). Rows, all with the library's defaults:

- per-frame: ``Request(per_frame=True)``, every pose on its own;
- video, tracked: ``lift_source``'s path (``pipeline.run.with_tracks`` then ``lift_inputs``): the
  people associated by ``video.tracker``, each track smoothed;
- video, true ids: the same poses with the true person ids, so each person's clip is lifted
  alone (the single-person clips): what tracking must come close to.

Errors: MPJPE (mm, mean over poses) and the acceleration error (mm/frame^2, mean over each person's
75 frames of each pair, ``zedo.evaluation.metrics.acceleration_error``); association: the fraction of
frames in which each person carries the id they carry in most of their pair's frames, the two ids
differing. Done when the tracked video's MPJPE is no worse than per-frame's and its acceleration
error within 0.5 mm/frame^2 of the true ids'.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from zedo.evaluation.clips import load_h36m_clips
from zedo.evaluation.metrics import acceleration_error, mpjpe
from zedo.runtime import open_engine
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.pipeline.request import Request
from zedo.runtime.pipeline.run import lift_inputs, with_tracks

SHIFT_M = 1.2
CUT = 1000  # frames between the starts of two pairs


def project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(F, J, 3) camera-frame metres through K (F, 3, 3) -> (F, J, 2) px."""
    uvw = np.einsum("fij,fkj->fki", K, points)
    return uvw[..., :2] / uvw[..., 2:]


def crowd(data_dir: str, pairs: int | None, shift: float = SHIFT_M, seed: int = 0) -> dict:
    """The two-person video (see the module docstring): keypoints (N, 17, 2), K (N, 3, 3), frame,
    person (the true id, 2p or 2p+1) and gt (N, 17, 3), rows shuffled within each frame."""
    clips = load_h36m_clips(data_dir, track="gt")
    rows = [r for _, r in clips.clips()]
    n_pairs = len(rows) // 2 if pairs is None else min(pairs, len(rows) // 2)
    rng = np.random.default_rng(seed)
    parts = []
    for p in range(n_pairs):
        a, b = rows[2 * p], rows[2 * p + 1]
        K = clips.data.K[a]
        gts = (clips.data.gt[a], clips.data.gt[b] + np.array([shift, 0.0, 0.0]))
        for f in range(len(a)):
            for who in rng.permutation(2):
                parts.append((gts[who][f], K[f], p * CUT + f, 2 * p + who))
    gt = np.stack([q[0] for q in parts])
    K = np.stack([q[1] for q in parts])
    return {
        "keypoints": project(gt, K),
        "K": K,
        "frame": np.array([q[2] for q in parts]),
        "person": np.array([q[3] for q in parts]),
        "gt": gt,
        "pairs": n_pairs,
    }


def association(track: np.ndarray, scene: dict) -> float:
    """The fraction of frames whose people all carry their majority id of the pair, ids distinct."""
    person, frame = scene["person"], scene["frame"]
    majority = {}
    for who in np.unique(person):
        ids, counts = np.unique(track[person == who], return_counts=True)
        majority[who] = ids[np.argmax(counts)]
    right = np.array([majority[w] == t for w, t in zip(person, track)])
    good = []
    for f in np.unique(frame):
        rows = np.flatnonzero(frame == f)
        mine = {majority[w] for w in person[rows]}
        good.append(right[rows].all() and len(mine) == len(rows))
    return float(np.mean(good))


def errors(joints: np.ndarray, scene: dict) -> dict:
    gt, person = scene["gt"], scene["person"]
    accel = np.concatenate(
        [acceleration_error(joints[person == w], gt[person == w]) for w in np.unique(person)]
    )  # rows of one person are in frame order
    return {"mpjpe": float(mpjpe(joints, gt).mean()), "accel": float(accel.mean())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--pairs", type=int, default=None, help="pairs of clips (default: all, 14)")
    p.add_argument("--shift", type=float, default=SHIFT_M, help="metres between the two people (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    scene = crowd(a.data, a.pairs, a.shift)
    engine = open_engine(a.engine, threads=a.threads)
    base = validate_inputs(scene["keypoints"], scene["K"])
    base = replace(base, frame=scene["frame"])
    request = Request(engine=a.engine)
    rows, out = {}, {"engine": a.engine, "pairs": scene["pairs"], "poses": len(scene["gt"]), "shift_m": a.shift}
    t0 = time.perf_counter()
    tracked = with_tracks(base, request)
    out["tracking_s"] = time.perf_counter() - t0
    out["association"] = association(tracked.track, scene)
    out["tracks"] = int(len(np.unique(tracked.track)))
    runs = {
        "per-frame": (base, replace(request, per_frame=True)),
        "video, tracked": (tracked, request),
        "video, true ids": (replace(base, track=scene["person"]), request),
    }
    for name, (inputs, req) in runs.items():
        t0 = time.perf_counter()
        got = lift_inputs(inputs, req, engine)
        rows[name] = {**errors(got.joints_3d, scene), "seconds": time.perf_counter() - t0}
        print(f"  {name:16s} MPJPE {rows[name]['mpjpe']:6.1f}  accel {rows[name]['accel']:6.2f}", flush=True)
    out["rows"] = rows
    out["done"] = {
        "mpjpe_no_worse_than_per_frame": rows["video, tracked"]["mpjpe"] <= rows["per-frame"]["mpjpe"],
        "accel_within_0.5_of_true_ids": abs(rows["video, tracked"]["accel"] - rows["video, true ids"]["accel"]) <= 0.5,
    }
    print(f"association right in {100 * out['association']:.1f}% of frames; {out['tracks']} tracks; {out['done']}")
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

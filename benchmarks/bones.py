"""One skeleton per track (``zedo-infer --fixed-bones``, the default of BVH and TRC) on Human3.6M
clips: what fixing each bone's length over a track does to the errors.

    python benchmarks/bones.py --engine h36m -o benchmarks/results/bones-h36m.json

Clips: ``zedo.evaluation.clips`` (S9, one clip per action take, 3 s from its middle, 75 frames at
25 fps; ``--fps 50``: 150 frames). For each 2D track (ground truth, Stacked Hourglass detections)
each clip is lifted as ``zedo-infer`` lifts a video (``lift_tracks``, the library's defaults),
smoothed and unsmoothed (``--no-filter``), then every clip's bones fixed
(``video.skeleton_fit.fit_tracks``, one track per clip), and fitted to the rig a BVH holds
(``rigid``: the hips and spine, the shoulders and neck, each one rigid piece). Before and after:
MPJPE and PA-MPJPE (mm), the acceleration error (mm/frame^2, ``zedo.evaluation.metrics.acceleration_error``), the bone
lengths' spread within a clip (mm, the standard deviation of each bone over a clip's frames, mean
over bones and clips) and the bone length error against the subject's (mm, mean |length - truth|).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from zedo.evaluation.clips import ClipSet, load_h36m_clips
from zedo.evaluation.metrics import acceleration_error, mpjpe, pa_mpjpe
from zedo.runtime import LoopConfig, open_engine
from zedo.runtime.core.skeleton import bone_lengths
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.video.skeleton_fit import fit_tracks
from zedo.runtime.video.smoothing import SmoothConfig
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.tracks import lift_tracks

AFTER = ("after (--fixed-bones)", "a BVH's rig (rigid torso)")


def errors(pred: np.ndarray, clips: ClipSet) -> dict:
    """MPJPE, PA-MPJPE (mm), acceleration error (mm/frame^2) and bone numbers of pred (M, 17, 3)."""
    gt = clips.data.gt
    rows_of = [rows for _, rows in clips.clips()]
    accel = np.concatenate([acceleration_error(pred[rows], gt[rows]) for rows in rows_of])
    bones, true = bone_lengths(pred) * 1000.0, bone_lengths(gt) * 1000.0
    return {
        "mpjpe": float(mpjpe(pred, gt).mean()),
        "pa_mpjpe": float(pa_mpjpe(pred, gt).mean()),
        "accel": float(accel.mean()),
        "bone_spread_mm": float(np.mean([bones[rows].std(axis=0).mean() for rows in rows_of])),
        "bone_error_mm": float(np.abs(bones - true).mean()),
    }


def run_track(clips: ClipSet, engine, fps: int) -> dict:
    d = clips.data
    inputs = replace(validate_inputs(d.keypoints, d.K, d.scores), frame=clips.frame, track=clips.clip)
    stream = StreamConfig(fps=float(fps))
    rows = {}
    for name, smoothing in (("video (zedo-infer)", SmoothConfig()), ("video, unsmoothed (--no-filter)", None)):
        t0 = time.perf_counter()
        got = lift_tracks(inputs, engine, LoopConfig(), stream, smoothing=smoothing).joints_3d
        t1 = time.perf_counter()
        fixed = fit_tracks(got, clips.frame, clips.clip)
        t2 = time.perf_counter()
        rig = fit_tracks(got, clips.frame, clips.clip, rigid=True)
        rows[name] = {"before": errors(got, clips), AFTER[0]: errors(fixed, clips), AFTER[1]: errors(rig, clips)}
        rows[name]["seconds"] = {"lift": t1 - t0, "fixed_bones": t2 - t1}
    return {"clips": len(clips.names), "frames": len(d.gt), "rows": rows}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--tracks", nargs="+", default=["gt", "detected"], choices=["gt", "detected"])
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: its default)")
    p.add_argument("--fps", type=int, choices=[25, 50], default=25, help="frame rate of the clips (3 s each)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    engine = open_engine(a.engine, threads=a.threads)
    out = {"engine": a.engine, "prior": engine.meta.name, "fps": a.fps, "tracks": {}}
    for track in a.tracks:
        clips = load_h36m_clips(a.data, track=track, stride=50 // a.fps, frames=3 * a.fps)
        out["tracks"][track] = res = run_track(clips, engine, a.fps)
        print(f"\n{track} 2D: {res['clips']} clips, {res['frames']} frames")
        for name, r in res["rows"].items():
            for when in ("before",) + AFTER:
                e = r[when]
                print(
                    f"  {name:32s} {when:26s} MPJPE {e['mpjpe']:6.1f}  PA {e['pa_mpjpe']:6.1f}  "
                    f"accel {e['accel']:6.2f}  bone spread {e['bone_spread_mm']:5.1f}  "
                    f"bone error {e['bone_error_mm']:5.1f} mm"
                )
    if a.output:
        with open(a.output, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

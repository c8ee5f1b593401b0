"""The world frame of ``--frame world`` (``zedo.runtime.video.floor``) against Human3.6M's floor.

    python benchmarks/floor.py --engine h36m -o benchmarks/results/floor-h36m.json

Human3.6M's world frame has z up and its floor at about z = 0; each camera's R (world to camera) and
centre (``cameras.json``) give the true up direction in camera coordinates and the camera's height.
The floor is fitted from the feet of the S9 clips (``zedo.evaluation.clips``, 3 s each at 25 fps),
from the true 3D joints and from zedo's (ground-truth 2D lifted as ``zedo-infer`` lifts a video),
once per clip (what one short video gives) and once per camera over all its clips (a longer video
of people moving about). Errors: the angle between the fitted and the true up (degrees) and the
fitted camera height minus the true one (m), and how often each method of the fit was taken.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from zedo.evaluation.clips import load_h36m_clips
from zedo.runtime import LoopConfig, open_engine
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.video.floor import world_frame
from zedo.runtime.video.tracks import lift_tracks


def fit_errors(poses: np.ndarray, camera: dict) -> dict:
    world = world_frame(poses)
    up = np.asarray(camera["R"]) @ [0.0, 0.0, 1.0]
    angle = float(np.degrees(np.arccos(np.clip(world.rotation[2] @ up, -1.0, 1.0))))
    height = float(world.translation[2] - camera["center"][2])
    return {"up_error_deg": angle, "height_error_m": height, "method": world.method}


def summary(fits: list[dict]) -> dict:
    angle, height = np.array([f["up_error_deg"] for f in fits]), np.array([f["height_error_m"] for f in fits])
    methods = [f["method"] for f in fits]
    return {
        "fits": len(fits),
        "up_error_deg": {"median": float(np.median(angle)), "mean": float(angle.mean()), "max": float(angle.max())},
        "height_error_m": {"median": float(np.median(height)), "mean_abs": float(np.abs(height).mean())},
        "methods": {m: methods.count(m) for m in sorted(set(methods))},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: its default)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    cameras = json.loads((Path(a.data) / "cameras.json").read_text())["S9"]
    clips = load_h36m_clips(a.data, track="gt")
    d = clips.data
    inputs = replace(validate_inputs(d.keypoints, d.K, d.scores), frame=clips.frame, track=clips.clip)
    lifted = lift_tracks(inputs, open_engine(a.engine, threads=a.threads), LoopConfig()).joints_3d
    camera_of = [name.split()[-1] for name in clips.names]
    out = {"engine": a.engine, "clips": len(clips.names)}
    for key, poses in (("true 3D", d.gt), ("zedo (gt 2D)", lifted)):
        per_clip = [fit_errors(poses[rows], cameras[camera_of[i]]) for i, rows in clips.clips()]
        per_camera = {
            cid: fit_errors(poses[np.concatenate([r for i, r in clips.clips() if camera_of[i] == cid])], cameras[cid])
            for cid in sorted(set(camera_of))
        }
        out[key] = {"per clip": summary(per_clip), "per camera": summary(list(per_camera.values()))}
        out[key]["per camera"]["cameras"] = per_camera
        for how in ("per clip", "per camera"):
            s = out[key][how]
            print(
                f"{key:13s} {how:10s} up error median {s['up_error_deg']['median']:5.1f} max "
                f"{s['up_error_deg']['max']:5.1f} deg; camera height error median "
                f"{s['height_error_m']['median']:+.2f} m; "
                f"{s['methods']}"
            )
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Video on Human3.6M clips: accuracy over time and speed of the video and stream modes, against
per-frame mode in the same run.

    python benchmarks/stream.py --engine h36m --preset v1 --fps 50 -o benchmarks/results/stream-h36m-50fps.json
    python benchmarks/stream.py --engine h36m --preset v1 -o benchmarks/results/stream-h36m.json   # 25 fps, and speed

Clips: ``zedo.evaluation.clips`` (S9: one clip per action take, 3 s from the middle of the take,
camera k % 4; 75 frames at 25 fps, every 2nd Human3.6M frame, or with ``--fps 50`` 150 frames, every
frame: the rate VideoPose3D and MotionBERT report acceleration at). For each 2D track (ground truth,
Stacked Hourglass detections), every row on the same frames:

- per-frame mode: ``estimate`` on every frame with ``--preset``'s loop (v1: 1000 iterations), all
  frames batched;
- the rows of ``ROWS``, each at the library's defaults but for what its name says: a recorded video
  (``lift_tracks``: every frame lifted, then each clip smoothed in both directions), the live stream
  (``run_streams``: frame by frame, causal filters; with a delay, ``PoseStream`` per clip) and the
  warm chain (``StreamConfig.warm``).

Errors: MPJPE and PA-MPJPE (mm, mean over frames) and the acceleration error (mm/frame^2, mean over
each clip's frames 1..F-2, ``zedo.evaluation.metrics.acceleration_error``).

Speed, ground-truth 2D, 25 fps clips (not with ``--fps 50``): one live stream at batch 1 on one
thread (``PoseStream.update`` over every frame of the first ``--speed-clips`` clips, each clip a new
stream, the first frame included), also unfiltered, delayed and warm; all clips as live streams batched together, and
``--copies`` copies of them; ``zedo-infer`` on the clips as one .npz with ``frame`` and ``track``
(the video mode, unsmoothed, and ``--per-frame`` with ``--preset``'s flags and with the defaults),
timed in the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from zedo.evaluation.clips import ClipSet, load_h36m_clips
from zedo.evaluation.metrics import acceleration_error, mpjpe, pa_mpjpe
from zedo.runtime import LoopConfig, PoseStream, estimate, open_engine
from zedo.runtime.io.validation import validate_inputs
from zedo.runtime.video.smoothing import SmoothConfig
from zedo.runtime.video.stream_config import StreamConfig
from zedo.runtime.video.tracks import lift_tracks, run_streams, track_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import add_preset_options, preset_argv, preset_of  # noqa: E402

DEFAULT = StreamConfig()
WARM = replace(DEFAULT, warm=True)
DEFAULT_SMOOTHING = SmoothConfig()
DELAY_S = 0.08
# name -> (how: "video" lift_tracks smoothed, "raw" lift_tracks unsmoothed, "live" run_streams,
# "delayed" PoseStream per clip with the delay in seconds DELAY_S; stream settings)
ROWS = {
    "video (zedo-infer)": ("video", DEFAULT),
    "video, unsmoothed (--no-filter)": ("raw", DEFAULT),
    "live stream (PoseStream)": ("live", DEFAULT),
    "live stream, no filter": ("live", DEFAULT.unfiltered()),
    "live stream, no filter, continuity 1": ("live", replace(DEFAULT.unfiltered(), continuity=1)),
    "live stream, 80 ms delay": ("delayed", DEFAULT),
    "warm chain, smoothed": ("video", WARM),
    "warm chain, live filters": ("live", WARM),
    "warm chain, no filter": ("live", WARM.unfiltered()),
}


def errors(pred: np.ndarray, clips: ClipSet) -> dict:
    """MPJPE, PA-MPJPE (mm) and acceleration error (mm/frame^2) of pred (M, 17, 3) over the clips."""
    gt = clips.data.gt
    accel = np.concatenate([acceleration_error(pred[rows], gt[rows]) for _, rows in clips.clips()])
    return {
        "mpjpe": float(mpjpe(pred, gt).mean()),
        "pa_mpjpe": float(pa_mpjpe(pred, gt).mean()),
        "accel": float(accel.mean()),
    }


def clip_inputs(clips: ClipSet):
    """The clips as validated inputs with frame and track indices."""
    d = clips.data
    inputs = validate_inputs(d.keypoints, d.K, d.scores)
    return replace(inputs, frame=clips.frame, track=clips.clip)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def pose_streams(engine, stream_config: StreamConfig, clips: ClipSet, chosen: list) -> np.ndarray:
    """The ``chosen`` clips' rows (a list of (name, rows)), each clip through its own ``PoseStream``
    at batch 1 (a delayed stream flushed at its end): (sum of rows, 17, 3), clip after clip."""
    d = clips.data
    out = np.full((sum(len(r) for _, r in chosen), 17, 3), np.nan)
    start = 0
    for _, rows in chosen:
        stream = PoseStream(engine, K=d.K[rows[0]], stream_config=stream_config)
        for f in [stream.update(d.keypoints[r], d.scores[r]) for r in rows] + stream.flush():
            if f.index >= 0:
                out[start + f.index] = f.joints_3d
        start += len(rows)
    return out


def run_row(inputs, engine, how: str, stream: StreamConfig, clips: ClipSet) -> dict:
    """One row of ``ROWS`` over every clip, the library's default loop."""
    if how == "delayed":
        chosen = list(clips.clips())
        got, seconds = timed(
            lambda: pose_streams(engine, replace(stream, delay=round(DELAY_S * stream.fps)), clips, chosen)
        )
        order = np.concatenate([r for _, r in chosen])
        return {
            **errors(got[np.argsort(order)], clips),
            "seconds": seconds,
            "frames_per_s": len(inputs.keypoints) / seconds,
        }
    if how == "live":

        def fn():
            return run_streams(
                inputs, track_rows(inputs.frame, inputs.track), engine, LoopConfig(), stream, 1024, False
            )

    else:

        def fn():
            return lift_tracks(
                inputs, engine, LoopConfig(), stream, smoothing=None if how == "raw" else DEFAULT_SMOOTHING
            )

    got, seconds = timed(fn)
    return {**errors(got.joints_3d, clips), "seconds": seconds, "frames_per_s": len(inputs.keypoints) / seconds}


def one_stream_fps(clips: ClipSet, engine_name: str, stream_config: StreamConfig, n_clips: int) -> dict:
    """Frames per second of ``PoseStream.update`` at batch 1 on one thread, clip after clip (a
    delayed stream's ``flush`` at each clip's end included)."""
    d = clips.data
    chosen = list(clips.clips())[:n_clips]
    engine = open_engine(engine_name, threads=1)
    out, seconds = timed(lambda: pose_streams(engine, stream_config, clips, chosen))
    sub = ClipSet(
        d.take(np.concatenate([r for _, r in chosen])),
        np.repeat(np.arange(len(chosen)), [len(r) for _, r in chosen]),
        np.concatenate([clips.frame[r] for _, r in chosen]),
        clips.names[: len(chosen)],
    )
    return {"frames": len(out), "seconds": seconds, "frames_per_s": len(out) / seconds, **errors(out, sub)}


def throughput(inputs, engine, copies: int) -> dict:
    """Frames per second of the live stream mode (``run_streams``) over ``copies`` copies of every
    clip (29 x copies streams advancing together)."""
    n = len(inputs.keypoints)
    tiled = replace(
        inputs,
        keypoints=np.tile(inputs.keypoints, (copies, 1, 1)),
        scores=np.tile(inputs.scores, (copies, 1)),
        K=np.tile(inputs.K, (copies, 1, 1)),
        valid=np.tile(inputs.valid, copies),
        frame=np.tile(inputs.frame, copies),
        track=np.concatenate([inputs.track + c * (inputs.track.max() + 1) for c in range(copies)]),
    )
    _, seconds = timed(
        lambda: run_streams(tiled, track_rows(tiled.frame, tiled.track), engine, LoopConfig(), DEFAULT, 1024, False)
    )
    return {
        "streams": int(len(np.unique(tiled.track))),
        "frames": n * copies,
        "seconds": seconds,
        "frames_per_s": n * copies / seconds,
    }


def cli_speed(clips: ClipSet, engine_name: str, loop_flags: list[str], threads: int) -> dict:
    """zedo-infer on the clips (one .npz with frame and track): the video mode, unsmoothed, and
    --per-frame with ``loop_flags`` (the preset's) and with the defaults; each one process, timed
    whole (start-up included)."""
    exe = shutil.which("zedo-infer")
    if exe is None:
        raise SystemExit("zedo-infer is not on PATH: pip install -e .")
    d = clips.data
    out = {}
    runs = {
        "video": [],
        "video_no_filter": ["--no-filter"],
        "per_frame_preset": ["--per-frame", *loop_flags],
        "per_frame_default": ["--per-frame"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "clips.npz"
        np.savez(
            inp,
            keypoints=np.where(d.scores[..., None] > 0, d.keypoints, np.nan),
            scores=d.scores,
            K=d.K,
            frame=clips.frame,
            track=clips.clip,
        )
        for mode, extra in runs.items():
            cmd = [
                exe,
                str(inp),
                "-o",
                str(Path(tmp) / f"{mode}.npz"),
                "--engine",
                engine_name,
                "--threads",
                str(threads),
                "--quiet",
                *extra,
            ]
            proc, seconds = timed(lambda cmd=cmd: subprocess.run(cmd, capture_output=True, text=True))
            if proc.returncode:
                raise SystemExit(proc.stderr)
            with np.load(Path(tmp) / f"{mode}.npz") as f:
                out[mode] = {
                    "command": " ".join(["zedo-infer", "clips.npz", *extra]),
                    "seconds": seconds,
                    **errors(f["joints_3d"], clips),
                }
    out["speed_up_vs_preset"] = out["per_frame_preset"]["seconds"] / out["video"]["seconds"]
    out["speed_up_vs_default"] = out["per_frame_default"]["seconds"] / out["video"]["seconds"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--tracks", nargs="+", default=["gt", "detected"], choices=["gt", "detected"])
    add_preset_options(p)  # per-frame mode's loop
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="ONNX Runtime threads of the accuracy runs and the throughput (0: its default); "
        "one stream always runs on 1",
    )
    p.add_argument("--speed-clips", type=int, default=29, help="clips of the one-stream speed run")
    p.add_argument("--copies", type=int, default=8, help="copies of the clips for the many-streams throughput")
    p.add_argument("--no-speed", action="store_true", help="accuracy only")
    p.add_argument("--no-cli", action="store_true", help="skip the zedo-infer comparison")
    p.add_argument(
        "--fps",
        type=int,
        choices=[25, 50],
        default=25,
        help="frame rate of the accuracy clips: every 2nd Human3.6M frame (a webcam's rate) or every one "
        "(the rate VideoPose3D and MotionBERT report acceleration at); 3 s each; "
        "speed is measured on the 25 fps clips only (default: %(default)s)",
    )
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    engine = open_engine(a.engine, threads=a.threads)
    config = preset_of(a)
    out = {
        "engine": a.engine,
        "prior": engine.meta.name,
        "preset": a.preset,
        "iterations": config.iterations,
        "threads": a.threads,
        "fps": a.fps,
        "stream_defaults": asdict(DEFAULT),
        "smoothing": asdict(DEFAULT_SMOOTHING),
        "tracks": {},
    }
    for track in a.tracks:
        clips = load_h36m_clips(a.data, track=track, stride=50 // a.fps, frames=3 * a.fps)
        inputs = clip_inputs(clips)
        d = clips.data
        res, seconds = timed(lambda d=d: estimate(d.keypoints, K=d.K, scores=d.scores, engine=engine, config=config))
        rows = {
            f"per-frame ({a.preset}, {config.iterations} iterations)": {
                **errors(res.joints_3d, clips),
                "seconds": seconds,
                "frames_per_s": len(d.gt) / seconds,
            }
        }
        for name, (how, stream) in ROWS.items():
            rows[name] = run_row(inputs, engine, how, replace(stream, fps=float(a.fps)), clips)
        out["tracks"][track] = {
            "clips": len(clips.names),
            "frames": len(d.gt),
            "dropped_frames": d.dropped,
            "rows": rows,
        }
        print(f"\n{track} 2D: {len(clips.names)} clips, {len(d.gt)} frames")
        for name, r in rows.items():
            print(
                f"  {name:45s} MPJPE {r['mpjpe']:6.1f}  PA {r['pa_mpjpe']:6.1f}  accel {r['accel']:6.2f}  "
                f"{r['seconds']:7.1f} s"
            )
    if not a.no_speed and "gt" in a.tracks and a.fps == 25:
        clips = load_h36m_clips(a.data, track="gt")
        inputs = clip_inputs(clips)
        speed = {
            name: one_stream_fps(clips, a.engine, stream, a.speed_clips)
            for name, stream in (
                ("one live stream", DEFAULT),
                ("one live stream, no filter", DEFAULT.unfiltered()),
                ("one live stream, 80 ms delay", replace(DEFAULT, delay=round(DELAY_S * 25))),
                ("one live stream, warm", WARM),
            )
        }
        for copies in (1, a.copies):
            speed[f"{len(clips.names) * copies} live streams batched"] = throughput(inputs, engine, copies)
        if not a.no_cli:
            speed["zedo-infer"] = cli_speed(clips, a.engine, preset_argv(a), a.threads)
        out["speed"] = speed
        print("\nspeed (ground-truth 2D):")
        print(json.dumps(speed, indent=1))
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The stream mode on Human3.6M video clips: accuracy over time and speed, against per-frame mode in
the same run.

    python benchmarks/stream.py --engine h36m -o benchmarks/results/stream-h36m.json
    python benchmarks/stream.py --engine h36m --tracks gt detected --schedule-grid   # the warm-schedule sweep
    python benchmarks/stream.py --engine h36m --preset v1 --fps 50 --no-speed -o benchmarks/results/stream-h36m-50fps.json   # 50 fps

Clips: ``zedo.evaluation.clips`` (S9: one clip per action take, 75 frames at 25 fps from the middle
of the take, camera k % 4; ``--fps 50``: 150 frames, every frame of the same 3 s). For each 2D track (ground truth, Stacked Hourglass detections):

- per-frame mode: ``estimate`` on every frame (``--iterations``, all frames batched);
- the stream mode, each variant of ``VARIANTS`` (and with ``--schedule-grid`` the warm schedules of
  ``SCHEDULES``, unfiltered): ``lift_tracks`` over all clips, every clip one track, batched.

Errors: MPJPE and PA-MPJPE (mm, mean over frames) and the acceleration error (mm/frame^2, mean over
each clip's frames 1..F-2, ``zedo.evaluation.metrics.acceleration_error``).

Speed, ground-truth 2D: one stream at batch 1 on one thread (``PoseStream.update`` over every frame
of the first ``--speed-clips`` clips, each clip a new stream, the first frame's full start included),
with the fresh start at ``--iterations`` and at 100 iterations; throughput of all clips as one batch
and of ``--copies`` copies of them; and ``zedo-infer`` on the clips as one .npz with ``frame`` and
``track``, in the stream mode and with ``--per-frame``, timed in the same run.
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
from zedo.runtime.stream import StreamConfig
from zedo.runtime.tracks import lift_tracks
from zedo.runtime.validation import validate_inputs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import add_preset_options, preset_argv, preset_of  # noqa: E402

DEFAULT = StreamConfig()
UNFILTERED = replace(DEFAULT, joints_filter=None, translation_filter=None)
# name -> (stream settings, iterations of a fresh start or None for --iterations)
VARIANTS = {
    "stream (defaults)": (DEFAULT, None),
    "stream, no filter": (UNFILTERED, None),
    "stream, fresh start 100 iterations": (DEFAULT, 100),
    "stream, fresh start every 5 frames, no filter": (replace(UNFILTERED, refresh_every=5), 100),
    "stream, fresh start every 5 frames": (replace(DEFAULT, refresh_every=5), 100),
}
SCHEDULES = [(t, n, 0.3) for n in (10, 20, 30) for t in (0.1, 0.15, 0.2)] + [(0.03, 30, 0.03), (0.15, 20, 0.2), (0.15, 20, 0.45)]


def errors(pred: np.ndarray, clips: ClipSet) -> dict:
    """MPJPE, PA-MPJPE (mm) and acceleration error (mm/frame^2) of pred (M, 17, 3) over the clips."""
    gt = clips.data.gt
    accel = np.concatenate([acceleration_error(pred[rows], gt[rows]) for _, rows in clips.clips()])
    return {"mpjpe": float(mpjpe(pred, gt).mean()), "pa_mpjpe": float(pa_mpjpe(pred, gt).mean()), "accel": float(accel.mean())}


def clip_inputs(clips: ClipSet):
    """The clips as validated inputs with frame and track indices."""
    d = clips.data
    inputs = validate_inputs(d.keypoints, d.K, d.scores)
    return replace(inputs, frame=clips.frame, track=clips.clip)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_stream(inputs, engine, config: LoopConfig, stream: StreamConfig, clips: ClipSet) -> dict:
    got, seconds = timed(lambda: lift_tracks(inputs, engine, config, stream))
    return {**errors(got.joints_3d, clips), "seconds": seconds, "frames_per_s": len(inputs.keypoints) / seconds}


def one_stream_fps(clips: ClipSet, engine_name: str, config: LoopConfig, n_clips: int) -> dict:
    """Frames per second of ``PoseStream.update`` at batch 1 on one thread, clip after clip."""
    engine = open_engine(engine_name, threads=1)
    d = clips.data
    chosen = list(clips.clips())[:n_clips]
    out = np.zeros((sum(len(r) for _, r in chosen), 17, 3))
    t0 = time.perf_counter()
    i = 0
    for _, rows in chosen:
        stream = PoseStream(engine, K=d.K[rows[0]], config=config)
        for r in rows:
            out[i] = stream.update(d.keypoints[r], d.scores[r]).joints_3d
            i += 1
    seconds = time.perf_counter() - t0
    sub = ClipSet(d.take(np.concatenate([r for _, r in chosen])), np.repeat(np.arange(len(chosen)), [len(r) for _, r in chosen]), np.concatenate([clips.frame[r] for _, r in chosen]), clips.names[: len(chosen)])
    return {"frames": i, "seconds": seconds, "frames_per_s": i / seconds, "fresh_start_iterations": config.iterations, **errors(out, sub)}


def throughput(inputs, engine, config: LoopConfig, copies: int) -> dict:
    """Frames per second of ``lift_tracks`` over ``copies`` copies of every clip (29 x copies streams)."""
    n = len(inputs.keypoints)
    tiled = replace(
        inputs, keypoints=np.tile(inputs.keypoints, (copies, 1, 1)), scores=np.tile(inputs.scores, (copies, 1)), K=np.tile(inputs.K, (copies, 1, 1)),
        valid=np.tile(inputs.valid, copies), frame=np.tile(inputs.frame, copies), track=np.concatenate([inputs.track + c * (inputs.track.max() + 1) for c in range(copies)]),
    )
    _, seconds = timed(lambda: lift_tracks(tiled, engine, config))
    return {"streams": int(len(np.unique(tiled.track))), "frames": n * copies, "seconds": seconds, "frames_per_s": n * copies / seconds}


def cli_speed(clips: ClipSet, engine_name: str, loop_flags: list[str], threads: int) -> dict:
    """zedo-infer on the clips (one .npz with frame and track): stream mode, --no-filter, --per-frame."""
    exe = shutil.which("zedo-infer")
    if exe is None:
        raise SystemExit("zedo-infer is not on PATH: pip install -e .")
    d = clips.data
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "clips.npz"
        np.savez(inp, keypoints=np.where(d.scores[..., None] > 0, d.keypoints, np.nan), scores=d.scores, K=d.K, frame=clips.frame, track=clips.clip)
        for mode, extra in (("stream", []), ("stream_no_filter", ["--no-filter"]), ("per_frame", ["--per-frame"])):
            cmd = [exe, str(inp), "-o", str(Path(tmp) / f"{mode}.npz"), "--engine", engine_name, *loop_flags, "--threads", str(threads), "--quiet", *extra]
            proc, seconds = timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
            if proc.returncode:
                raise SystemExit(proc.stderr)
            with np.load(Path(tmp) / f"{mode}.npz") as f:
                out[mode] = {"seconds": seconds, **errors(f["joints_3d"], clips)}
    out["speed_up"] = out["per_frame"]["seconds"] / out["stream"]["seconds"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior name or .onnx")
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--tracks", nargs="+", default=["gt", "detected"], choices=["gt", "detected"])
    add_preset_options(p)  # per-frame mode's loop, and a fresh start's in the stream mode
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads of the accuracy runs and the throughput (0: its default); one stream always runs on 1")
    p.add_argument("--speed-clips", type=int, default=29, help="clips of the one-stream speed run")
    p.add_argument("--copies", type=int, default=8, help="copies of the clips for the many-streams throughput")
    p.add_argument("--no-speed", action="store_true", help="accuracy only")
    p.add_argument("--no-cli", action="store_true", help="skip the zedo-infer comparison")
    p.add_argument("--schedule-grid", action="store_true", help="also sweep the warm schedules of SCHEDULES (unfiltered)")
    p.add_argument("--fps", type=int, choices=[25, 50], default=25, help="frame rate of the accuracy clips: every 2nd Human3.6M frame (a webcam's rate) or every one (the rate VideoPose3D and MotionBERT report acceleration at); 3 s each; speed is measured on the 25 fps clips only (default: %(default)s)")
    p.add_argument("-o", "--output", help="write the numbers as JSON")
    a = p.parse_args(argv)
    engine = open_engine(a.engine, threads=a.threads)
    config = preset_of(a)
    out = {"engine": a.engine, "prior": engine.meta.name, "preset": a.preset, "iterations": config.iterations, "threads": a.threads, "fps": a.fps, "stream_defaults": asdict(DEFAULT), "tracks": {}}
    for track in a.tracks:
        clips = load_h36m_clips(a.data, track=track, stride=50 // a.fps, frames=3 * a.fps)
        inputs = clip_inputs(clips)
        d = clips.data
        res, seconds = timed(lambda: estimate(d.keypoints, d.K, d.scores, engine=engine, config=config))
        rows = {"per-frame": {**errors(res.joints_3d, clips), "seconds": seconds, "frames_per_s": len(d.gt) / seconds}}
        for name, (stream, fresh) in VARIANTS.items():
            rows[name] = run_stream(inputs, engine, config if fresh is None else replace(config, iterations=fresh), replace(stream, fps=float(a.fps)), clips)
        if a.schedule_grid:
            for t, n, s in SCHEDULES:
                rows[f"schedule t={t} n={n} step={s}, no filter"] = run_stream(inputs, engine, replace(config, iterations=100), replace(UNFILTERED, warm_t_start=t, warm_iterations=n, warm_step_scale=s, fps=float(a.fps)), clips)
        out["tracks"][track] = {"clips": len(clips.names), "frames": len(d.gt), "dropped_frames": d.dropped, "rows": rows}
        print(f"\n{track} 2D: {len(clips.names)} clips, {len(d.gt)} frames")
        for name, r in rows.items():
            print(f"  {name:55s} MPJPE {r['mpjpe']:6.1f}  PA {r['pa_mpjpe']:6.1f}  accel {r['accel']:6.2f}  {r['seconds']:7.1f} s")
    if not a.no_speed and "gt" in a.tracks and a.fps == 25:
        clips = load_h36m_clips(a.data, track="gt")
        inputs = clip_inputs(clips)
        speed = {f"one stream, fresh start {n} iterations": one_stream_fps(clips, a.engine, replace(config, iterations=n), a.speed_clips) for n in (config.iterations, 100)}
        for copies in (1, a.copies):
            speed[f"{len(clips.names) * copies} streams batched"] = throughput(inputs, engine, config, copies)
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

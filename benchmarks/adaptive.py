"""The default's work per pose on noisy 2D: the default (adaptive) against ``--no-adaptive`` and
``--preset noisy``, in one process on the same poses (docs/noisy.md).

    python benchmarks/adaptive.py --engine h36m -o benchmarks/results/adaptive/h36m.json
    python benchmarks/adaptive.py --engine default --tracks gt detected-raw --every 256   # a quick look

Each track (``gt``, ``gt+5``, ``gt+10``: ground truth with that much Gaussian pixel noise, seed 0;
``detected-raw``: the Stacked Hourglass detections as a user has them) runs each setting through
``zedo.evaluation.accuracy.evaluate`` (S9, every ``--every``-th frame): MPJPE and PA-MPJPE (mm, the
mean over actions, as ``zedo-eval``), the seconds, and the share of poses that ran more than one
loop. Settings run back to back; on a loaded machine compare their CPU seconds (``cpu_seconds``, the
process's, loading the set included), as ratios.
"""

from __future__ import annotations

import argparse
import sys
import time

from zedo.evaluation.accuracy import evaluate
from zedo.runtime import open_engine, preset_config
from zedo.runtime.io.atomic import write_json_atomic

TRACKS = ("gt", "gt+5", "gt+10", "detected-raw")
SETTINGS = {"default": {}, "no-adaptive": {"adaptive": False}, "preset-noisy": None}


def config_of(name: str):
    """The ``LoopConfig`` of a row of ``SETTINGS``."""
    return preset_config("noisy") if SETTINGS[name] is None else preset_config("default", **SETTINGS[name])


def run_track(data: str, engine, track: str, every: int, settings) -> dict:
    """One track's rows {setting: {mpjpe, pa_mpjpe, seconds, more_starts_fraction}}."""
    name, _, noise = track.partition("+")
    rows = {}
    for setting in settings:
        cpu = time.process_time()
        r = evaluate(
            data, engine, "S9", every, name, config=config_of(setting), progress=False, add_noise_px=float(noise or 0.0)
        )
        rows[setting] = {k: r[k] for k in ("mpjpe", "pa_mpjpe", "seconds", "more_starts_fraction", "poses")}
        rows[setting]["cpu_seconds"] = time.process_time() - cpu  # loading the set included
        print(
            f"{engine.meta.name:>8} {track:>12} {setting:>13}: {r['mpjpe']:6.1f} / {r['pa_mpjpe']:5.1f} mm "
            f"{r['seconds']:6.1f} s ({rows[setting]['cpu_seconds']:.1f} s CPU), "
            f"more starts {r['more_starts_fraction']:.2f}",
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/h36m")
    p.add_argument("--engine", default="default", help="bundled prior name or engine file")
    p.add_argument("--every", type=int, default=64, help="every N-th frame per action and camera")
    p.add_argument("--tracks", nargs="+", choices=TRACKS, default=list(TRACKS))
    p.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads (default: %(default)s)")
    p.add_argument("-o", "--output", help="write the rows as JSON")
    args = p.parse_args(argv)
    engine = open_engine(args.engine, threads=args.threads)
    out = {"engine": args.engine, "every": args.every, "threads": args.threads, "tracks": {}}
    for track in args.tracks:
        out["tracks"][track] = run_track(args.data, engine, track, args.every, args.settings)
        if args.output:
            write_json_atomic(args.output, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

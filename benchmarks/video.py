"""The whole media pipeline on a real clip, stage by stage, and its peak memory on a long video.

    python benchmarks/video.py --clip ../shared/data/media/video/posetrack_000001.mp4 --repeat 8 \
        --detector stub --threads 1 --minutes 10 -o benchmarks/results/video.json

Stages, each in frames per second on one thread (``--threads 1``; FFmpeg's decoder and encoder
too), over the clip's frames ``--repeat`` times: ``decode`` (PyAV to RGB, ``media.decode``),
``detect`` (the detector alone, on decoded frames), ``lift`` (the 2D tracked and lifted:
``pipeline.lift_media.detect_and_lift`` less its detector time), ``overlay`` (each frame drawn
beside its 3D panel and encoded to H.264, ``pipeline.overlay`` and ``media.encode``), and
``end_to_end`` (``pipeline.media_run.run_media`` on the clip re-encoded ``--repeat`` times, every
file written). ``--detector stub`` replays the shipped example's 32 real Human3.6M 2D poses (one
person a frame, scaled into the picture) at no cost, so the figures are zedo's own; a detector name
(``auto``, ``mediapipe``, ``rtmlib``) times that detector as well. The rates are measured in one run
on a shared machine: compare them with one another, not across runs.

Peak memory (``--minutes``): a synthetic video of that many minutes (320 x 240, 25 fps, noise) run
through ``run_media`` with the stub detector in a fresh process (``memory.peak_rss_mb``: ru_maxrss),
and a one-minute one beside it: frames stream through, so the peak grows only with the 2D and 3D
kept per frame (about 1.3 kB a pose, docs/decisions.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import EXAMPLE, peak_rss_mb  # noqa: E402

from zedo.runtime import Request  # noqa: E402
from zedo.runtime.detect.base import Detections  # noqa: E402
from zedo.runtime.media.decode import MediaReader  # noqa: E402
from zedo.runtime.media.encode import video_writer  # noqa: E402
from zedo.runtime.media.sources import Source  # noqa: E402
from zedo.runtime.pipeline.lift_media import detect_and_lift  # noqa: E402
from zedo.runtime.pipeline.media_run import open_media_detector, run_media  # noqa: E402
from zedo.runtime.pipeline.overlay import Scene, compose  # noqa: E402


class ExampleStub:
    """A detector at no cost: the example's 2D poses in turn, one person, scaled to 60% of the
    picture's height and centred (h36m17 layout)."""

    name, layout = "stub", "h36m17"

    def __init__(self):
        with np.load(EXAMPLE) as f:
            self.poses, self.calls = f["keypoints"], 0

    def __call__(self, image):
        k = self.poses[self.calls % len(self.poses)]
        self.calls += 1
        h, w = image.shape[:2]
        k = (k - k.mean(0)) * (0.6 * h / np.ptp(k[:, 1])) + [w / 2, h / 2]
        return Detections(k[None].astype(np.float32), np.ones((1, len(k)), np.float32))


def repeated(clip: Path, repeat: int, out: Path) -> Path:
    """The clip's frames ``repeat`` times over, re-encoded to ``out`` at the clip's rate."""
    reader = MediaReader(Source("video", clip))
    with video_writer(out, reader.info.fps or 25.0) as writer:
        for _ in range(repeat):
            for _, rgb in reader:
                writer.write(rgb)
    return out


def stage_rates(clip: Path, repeat: int, detector, request: Request, engine) -> dict:
    """Frames per second of each stage (see the module docstring) over the clip ``repeat`` times."""
    reader = MediaReader(Source("video", clip))
    t = time.perf_counter()
    frames = [rgb for _ in range(repeat) for _, rgb in reader]
    decode = len(frames) / (time.perf_counter() - t)
    t = time.perf_counter()
    found = [detector(rgb) for rgb in frames]
    detect_s = time.perf_counter() - t
    replay = iter(found)

    class Replay:
        name, layout = detector.name, detector.layout

        def __call__(self, image):
            return next(replay)

    t = time.perf_counter()
    lift = detect_and_lift(enumerate(frames), Replay(), request, engine, str(clip), request.fps, lambda: None)
    lift_s = time.perf_counter() - t
    scene = Scene.of(lift.lifted, request.fps)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        with video_writer(Path(tmp) / "overlay.mp4", request.fps) as writer:
            for index, rgb in enumerate(frames):
                writer.write(compose(rgb, scene, index))
        overlay_s = time.perf_counter() - t
    n = len(frames)
    return dict(frames=n, decode=decode, detect=n / detect_s, lift=n / lift_s, overlay=n / overlay_s)


def end_to_end(clip: Path, repeat: int, detector, request: Request, engine) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        video = repeated(clip, repeat, Path(tmp) / "clip.mp4")
        t = time.perf_counter()
        got = run_media(MediaReader(Source("video", video)), detector, request, Path(tmp) / "out", engine)
        wall = time.perf_counter() - t
    return dict(frames=got.frames, fps=got.frames / wall, seconds=wall)


def synthetic_video(path: Path, minutes: float, fps: int = 25, size: tuple[int, int] = (320, 240)) -> Path:
    """A video of ``minutes`` at ``fps``: a gradient drifting across ``size`` (W, H) (cheap to encode)."""
    w, h = size
    ramp = np.add.outer(np.arange(h), np.arange(w))
    with video_writer(path, fps, 1) as writer:
        for i in range(round(minutes * 60 * fps)):
            g = ((ramp + 3 * i) % 256).astype(np.uint8)
            writer.write(np.stack([g, g[::-1], np.full_like(g, 128)], axis=-1))
    return path


def memory_child(video: str, out: str, engine: str) -> None:
    """The measured process: one ``run_media`` of ``video`` with the stub detector, one thread."""
    request = Request(engine=engine, threads=1)
    run_media(MediaReader(Source("video", Path(video)), threads=1), ExampleStub(), request, Path(out))


def peak_memory(minutes: float, engine: str) -> dict:
    """Peak RSS (MiB) and wall seconds of a fresh process running a synthetic ``minutes`` video."""
    with tempfile.TemporaryDirectory() as tmp:
        video = synthetic_video(Path(tmp) / "long.mp4", minutes)
        argv = [sys.executable, __file__, "--memory-child", str(video), str(Path(tmp) / "out"), "--engine", engine]
        peak, wall = peak_rss_mb(argv)
    return dict(minutes=minutes, frames=round(minutes * 60 * 25), peak_rss_mib=round(peak, 1), seconds=round(wall, 1))


def clip_figures(clip: Path, repeat: int, detector: str, request: Request, engine) -> dict:
    """The stage rates and the end-to-end rate of ``clip`` with ``detector`` (``stub`` or a name)."""

    def make():
        return ExampleStub() if detector == "stub" else open_media_detector(detector, None, request.threads)

    stages = stage_rates(clip, repeat, make(), request, engine)
    whole = end_to_end(clip, repeat, make(), request, engine)
    return dict(
        stages_fps={k: round(v, 1) for k, v in stages.items()}, end_to_end={k: round(v, 2) for k, v in whole.items()}
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", type=Path, help="a real video (default: none, no stage rates)")
    p.add_argument("--repeat", type=int, default=8, help="the clip's frames this many times over (default: 8)")
    p.add_argument(
        "--detector", nargs="+", default=["stub"], help="stub (no cost) and/or detector names (auto, mediapipe, rtmlib)"
    )
    p.add_argument("--engine", default="default", help="the prior (default: default)")
    p.add_argument("--threads", type=int, default=1, help="threads of the prior, decoder and encoder (default: 1)")
    p.add_argument("--minutes", type=float, nargs="*", default=[], help="peak memory on synthetic videos this long")
    p.add_argument("--memory-child", nargs=2, metavar=("VIDEO", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("-o", "--output", help="write the figures as JSON")
    a = p.parse_args(argv)
    if a.memory_child:
        memory_child(*a.memory_child, a.engine)
        return 0
    request = Request(engine=a.engine, threads=a.threads)
    figures: dict = dict(engine=a.engine, threads=a.threads, detector=a.detector)
    # Memory first: a child's ru_maxrss counts this process's pages at the fork, kept small here.
    figures["memory"] = [peak_memory(m, a.engine) for m in a.minutes]
    for row in figures["memory"]:
        print(json.dumps(row), flush=True)
    if a.clip:
        engine = request.open_engine()
        info = MediaReader(Source("video", a.clip)).info
        request = Request(engine=a.engine, threads=a.threads, fps=info.fps or request.fps)
        figures.update(clip=str(a.clip), size=[info.width, info.height], clip_fps=info.fps, repeat=a.repeat)
        for name in a.detector:
            figures[name] = clip_figures(a.clip, a.repeat, name, request, engine)
            print(json.dumps({name: figures[name]}), flush=True)
    if a.output:
        Path(a.output).write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

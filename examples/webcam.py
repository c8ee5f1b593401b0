"""Live 3D pose from a webcam: rtmlib's ``PoseTracker`` (RTMPose, COCO-17 keypoints) finds the 2D,
zedo's ``PoseStream`` lifts it frame by frame, and a matplotlib window shows the 3D skeleton.

    pip install rtmlib opencv-python matplotlib     # rtmlib fetches its detector weights on first use
    python examples/webcam.py [--camera 0] [--engine default] [--record keys.npz]
    python examples/webcam.py --replay keys.npz     # the same lift from a recording: no camera, no rtmlib

One person: the most confident one in each frame (rtmlib's tracker keeps the people it finds in
order; with nobody in view the stream is reset and starts afresh). The camera is unknown, so K comes
from the image size (``zedo.runtime.core.camera``). ``--record`` saves each frame's 2D as zedo's input
(keypoints, scores, frame, track, image_size, layout), which ``zedo-infer keys.npz -o poses.npz``
lifts again as a recorded video. For ultralytics YOLO-pose instead of rtmlib, ``detect`` would be
``r = model(frame)[0]; r.keypoints.xy.cpu().numpy(), r.keypoints.conf.cpu().numpy()``.
Without a window, ``zedo-infer --source 0`` (or ``zedo.runtime.lift_camera(0)``) records the camera
and writes its 2D, 3D and an overlay video (docs/video.md).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from zedo.runtime import PoseStream, open_engine
from zedo.runtime.core.skeleton import BONES
from zedo.runtime.io.atomic import save_npz_atomic
from zedo.runtime.io.npz import read_npz

LAYOUT = "coco17"  # rtmlib's Body and YOLO-pose models give COCO's 17 keypoints


def main_person(keypoints, scores):
    """Index of the person (of P) with the highest mean keypoint score, or None when P = 0;
    keypoints (P, 17, 2) px, scores (P, 17)."""
    scores = np.asarray(scores, float).reshape(len(keypoints), -1) if len(keypoints) else np.zeros((0, 17))
    return None if len(scores) == 0 else int(np.argmax(scores.mean(axis=1)))


class Lifter:
    """The glue of one video: each frame's people in (P, 17, 2) px and (P, 17), the main person's
    3D out (``PoseStream.update``'s frame, or None with nobody in view); optionally recorded."""

    def __init__(self, engine, image_size, record: bool = False):
        self.stream = PoseStream(engine, image_size=image_size, layout=LAYOUT)
        self.image_size = tuple(image_size)
        self.frames: list[tuple[int, np.ndarray, np.ndarray]] | None = [] if record else None
        self.count = 0

    def __call__(self, keypoints, scores):
        who = main_person(keypoints, scores)
        index, self.count = self.count, self.count + 1
        if who is None:
            self.stream.reset()
            return None
        kp, sc = np.asarray(keypoints, float)[who], np.asarray(scores, float)[who]
        if self.frames is not None:
            self.frames.append((index, kp, sc))
        return self.stream.update(kp, sc)

    def save(self, path) -> None:
        """The recorded frames as zedo's input .npz (one track), written atomically."""
        if not self.frames:
            raise ValueError(f"{path}: nothing recorded (nobody was in view)")
        frame, kp, sc = (np.array(v) for v in zip(*self.frames))
        save_npz_atomic(
            path,
            keypoints=kp,
            scores=sc,
            frame=frame,
            track=np.zeros(len(frame), np.int64),
            image_size=np.array(self.image_size),
            layout=LAYOUT,
        )


def replay(path):
    """(image_size, frames) of a recording: frames yields (keypoints (1, 17, 2), scores (1, 17)) per
    recorded frame and (empty, empty) for the frames in between, where nobody was in view."""
    data = read_npz(path, "recording")
    kp, sc, frame = data["keypoints"], data["scores"], data["frame"]

    def frames():
        by_frame = dict(zip(frame.tolist(), range(len(frame))))
        for f in range(int(frame.max()) + 1):
            i = by_frame.get(f)
            yield (kp[i : i + 1], sc[i : i + 1]) if i is not None else (np.zeros((0, 17, 2)), np.zeros((0, 17)))

    return tuple(data["image_size"].tolist()), frames()


class SkeletonWindow:
    """A matplotlib 3D view of one pose (17, 3) metres camera frame, pelvis-centred, up at the top."""

    def __init__(self, show: bool = True):
        import matplotlib

        if not show:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt, self.show = plt, show
        self.fig = plt.figure(figsize=(5, 5))
        self.ax = self.fig.add_subplot(projection="3d")
        self.lines = [self.ax.plot([0, 0], [0, 0], [0, 0], lw=2)[0] for _ in BONES]
        for setter in (self.ax.set_xlim, self.ax.set_ylim, self.ax.set_zlim):
            setter(-1.0, 1.0)
        if show:
            plt.ion()
            plt.show()

    def draw(self, joints_3d) -> None:
        up = (joints_3d - joints_3d[0])[:, [0, 2, 1]] * [
            1.0,
            1.0,
            -1.0,
        ]  # camera (x, y down, z depth) -> (x, depth, up)
        for line, (p, c) in zip(self.lines, BONES):
            line.set_data_3d(up[[p, c], 0], up[[p, c], 1], up[[p, c], 2])
        self.fig.canvas.draw_idle()
        if self.show:
            self.plt.pause(0.001)


def camera_frames(index: int):
    """(image_size, frames) from a webcam through rtmlib: frames yields (keypoints, scores)."""
    import cv2
    from rtmlib import Body, PoseTracker

    cap = cv2.VideoCapture(index)
    ok, image = cap.read()
    if not ok:
        raise SystemExit(f"camera {index}: no picture")
    tracker = PoseTracker(Body, det_frequency=7, tracking=True, mode="lightweight", backend="onnxruntime", device="cpu")

    def frames():
        nonlocal ok, image
        while ok:
            yield tracker(image)
            ok, image = cap.read()

    return (image.shape[1], image.shape[0]), frames()


def run(image_size, frames, engine, window: SkeletonWindow | None, record=None) -> int:
    """Lift every frame; returns how many were lifted. Ctrl-C stops (the recording is still saved)."""
    lifter = Lifter(engine, image_size, record is not None)
    lifted, t0 = 0, time.perf_counter()
    try:
        for keypoints, scores in frames:
            got = lifter(keypoints, scores)
            if got is not None and got.valid:
                lifted += 1
                if window is not None:
                    window.draw(got.joints_3d)
    except KeyboardInterrupt:
        pass
    if record is not None:
        lifter.save(record)
    print(
        f"{lifted} of {lifter.count} frames lifted, {lifter.count / max(time.perf_counter() - t0, 1e-9):.1f} frames/s",
        file=sys.stderr,
    )
    return lifted


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--camera", type=int, default=0)
    p.add_argument("--replay", metavar="NPZ", help="lift a recording (--record) instead of the camera")
    p.add_argument("--record", metavar="NPZ", help="save each frame's 2D as zedo's input")
    p.add_argument("--engine", default="default", help="bundled prior name or .onnx")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-window", action="store_true", help="lift without drawing")
    a = p.parse_args(argv)
    image_size, frames = replay(a.replay) if a.replay else camera_frames(a.camera)
    window = None if a.no_window else SkeletonWindow()
    return 0 if run(image_size, frames, open_engine(a.engine, threads=a.threads), window, a.record) else 1


if __name__ == "__main__":
    sys.exit(main())

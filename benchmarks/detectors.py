"""The bundled 2D detector (``mediapipe``) on real photos: its speed, its 2D error against
Human3.6M's truth, and detector + zedo end to end in 3D.

    python benchmarks/detectors.py --threads 1 -o benchmarks/results/detectors.json

- speed: every photo of ``--images`` (12 shared ones: COCO, CrowdPose, OCHuman, Human3.6M),
  ``--repeat`` passes after one warm-up call, one thread; reported as frames per second and as a
  ratio to zedo's own lift of one pose (the default prior and loop, measured in the same run);
- 2D: on the 4 Human3.6M frames (``h36m_<subject>_<action>.<camera>_<frame>.jpg``; the frame
  index is at 50 fps and starts at 1, the 3D truth holds every 2nd frame, so truth index
  (frame - 1) / 2, halfway between two for an odd one), the mean pixel distance of the 12 limb
  joints (shoulders, elbows, wrists, hips, knees, ankles) to the truth projected with the calibrated
  camera (pinhole, no distortion);
- 3D: the detections lifted by ``zedo.runtime.estimate`` (default prior and loop, the frame's
  calibrated K, layout ``mediapipe33_px``) against the truth, MPJPE and PA-MPJPE (mm, as
  ``zedo-eval``); and the same with the true 2D (the projected truth, 17 joints) for comparison;
- with ``--reference``: the limb joints' distance to MediaPipe's own Pose on every photo, and the
  CPU time's ratio to it (``benchmarks/mediapipe_reference.py``, run just before, pinned alike).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from zedo.datasets.h36m import CAMERAS_FILE, POSITIONS_FILE, load_cameras, load_positions, world_to_camera
from zedo.evaluation.metrics import mpjpe, pa_mpjpe
from zedo.runtime import estimate, open_engine
from zedo.runtime.core.geometry import project
from zedo.runtime.detect.table import open_detector
from zedo.runtime.io.atomic import write_json_atomic
from zedo.runtime.io.layouts import H36M32_TO_17

# The 12 limb joints: (Human3.6M 17 index, mediapipe33 index).
LIMBS = (
    (1, 24),  # right hip
    (2, 26),  # right knee
    (3, 28),  # right ankle
    (4, 23),  # left hip
    (5, 25),  # left knee
    (6, 27),  # left ankle
    (11, 11),  # left shoulder
    (12, 13),  # left elbow
    (13, 15),  # left wrist
    (14, 12),  # right shoulder
    (15, 14),  # right elbow
    (16, 16),  # right wrist
)


def read_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def h36m_truth(path: Path, positions: dict, cameras: dict) -> tuple[np.ndarray, np.ndarray]:
    """The 17 joints (17, 3) camera-frame metres and K (3, 3) of one Human3.6M photo, from its name."""
    take, _, rest = path.stem.removeprefix("h36m_").rpartition(".")
    subject, _, action = take.partition("_")
    camera_id, _, frame = rest.partition("_")
    frames = positions[subject][action.replace("_", " ")]
    at = (int(frame) - 1) / 2  # 50 fps, 1-based -> the 25 fps truth
    lo, hi = int(np.floor(at)), int(np.ceil(at))
    world = 0.5 * (frames[lo] + frames[hi])[list(H36M32_TO_17)].astype(np.float64)
    camera = cameras[subject][camera_id]
    return world_to_camera(world, camera), camera.K


def speed(detector, images: list[Path], repeat: int) -> dict:
    """Seconds per image of the detector over ``repeat`` passes of ``images`` (one warm-up): wall
    clock, and the process's CPU time (steadier where other work shares the cores)."""
    pictures = [read_rgb(p) for p in images]
    detector(pictures[0])
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for picture in pictures:
            detector(picture)
    calls = repeat * len(pictures)
    seconds, cpu_seconds = (time.perf_counter() - start) / calls, (time.process_time() - cpu) / calls
    return {
        "images": len(pictures),
        "repeat": repeat,
        "seconds_per_image": seconds,
        "fps": 1 / seconds,
        "cpu_seconds_per_image": cpu_seconds,
        "cpu_fps": 1 / cpu_seconds,
    }


def lift_cpu_seconds(engine, keypoints: np.ndarray, K: np.ndarray) -> float:
    """CPU seconds per pose of zedo's default lift of one pose at a time (the speed's baseline)."""
    start = time.process_time()
    for kp, k in zip(keypoints, K):
        estimate(kp[None], K=k, engine=engine)
    return (time.process_time() - start) / len(keypoints)


def errors_3d(result, truth: np.ndarray) -> dict:
    ok = result.valid
    return {
        "valid": int(ok.sum()),
        "mpjpe": float(mpjpe(result.joints_3d[ok], truth[ok]).mean()),
        "pa_mpjpe": float(pa_mpjpe(result.joints_3d[ok], truth[ok]).mean()),
        "per_image_mpjpe": [float(e) for e in mpjpe(result.joints_3d, truth)],
    }


def h36m_rows(detector, engine, images: list[Path], data: Path) -> dict:
    """2D and 3D errors of detector + zedo on the Human3.6M photos, and zedo on the true 2D."""
    positions, cameras = load_positions(data / POSITIONS_FILE), load_cameras(data / CAMERAS_FILE)
    truth, Ks, found, scores = [], [], [], []
    for path in images:
        joints, K = h36m_truth(path, positions, cameras)
        detections = detector(read_rgb(path))
        if len(detections.keypoints) != 1:
            raise ValueError(f"{path}: the detector found {len(detections.keypoints)} people, expected 1")
        truth.append(joints)
        Ks.append(K)
        found.append(detections.keypoints[0])
        scores.append(detections.scores[0])
    truth, Ks, found, scores = np.array(truth), np.array(Ks), np.array(found), np.array(scores)
    true_2d = project(truth, Ks)
    h36m_idx, mp_idx = [h for h, _ in LIMBS], [m for _, m in LIMBS]
    px = np.linalg.norm(found[:, mp_idx] - true_2d[:, h36m_idx], axis=-1)
    detected = estimate(found, K=Ks, scores=scores, engine=engine, layout="mediapipe33_px")
    return {
        "images": [p.name for p in images],
        "limb_px": float(px.mean()),
        "per_image_limb_px": [float(e) for e in px.mean(-1)],
        "detector_zedo": errors_3d(detected, truth),
        "true_2d_zedo": errors_3d(estimate(true_2d, K=Ks, engine=engine), truth),
        "lift_cpu_seconds_per_pose": lift_cpu_seconds(engine, true_2d, Ks),
    }


def agreement(detector, images: list[Path], reference: Path) -> dict:
    """Pixel distance of the 12 limb joints to MediaPipe's own Pose on the same photos
    (``mediapipe_reference.py``'s JSON), over the photos where both found a person."""
    theirs = json.loads(reference.read_text())
    rows, both_empty = {}, 0
    limbs = [m for _, m in LIMBS]
    for path in images:
        ours = detector(read_rgb(path)).keypoints
        other = np.asarray(theirs["images"][path.name]["keypoints"], np.float64)
        if len(ours) and len(other):
            rows[path.name] = float(np.linalg.norm(ours[0, limbs] - other[limbs], axis=-1).mean())
        elif not len(ours) and not len(other):
            both_empty += 1
    return {
        "mediapipe": theirs["mediapipe"],
        "mean_limb_px": float(np.mean(list(rows.values()))),
        "median_limb_px": float(np.median(list(rows.values()))),
        "per_image_limb_px": rows,
        "both_found_nobody": both_empty,
        "disagree_on_presence": len(images) - len(rows) - both_empty,
        "speed": theirs["speed"],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", default="../shared/data", help="the shared data folder (default: %(default)s)")
    p.add_argument("--detector", default="mediapipe", help="a row of the detectors' table (default: %(default)s)")
    p.add_argument("--engine", default=None, help="zedo's prior (default: the bundled default)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads of detector and prior (default: 1)")
    p.add_argument("--repeat", type=int, default=3, help="passes over the photos for the speed (default: 3)")
    p.add_argument("--reference", type=Path, help="MediaPipe's own results (mediapipe_reference.py) to compare with")
    p.add_argument("-o", "--output", help="write the report as JSON here")
    a = p.parse_args(argv)
    data = Path(a.data)
    images = sorted((data / "media" / "images").glob("*.jpg"))
    detector = open_detector(a.detector, threads=a.threads)
    engine = open_engine(a.engine, threads=a.threads)
    report = {"detector": a.detector, "threads": a.threads, "speed": speed(detector, images, a.repeat)}
    report["h36m"] = h36m_rows(detector, engine, [i for i in images if i.name.startswith("h36m_")], data / "h36m")
    h, speed_row = report["h36m"], report["speed"]
    speed_row["cpu_ratio_to_zedo_lift"] = speed_row["cpu_seconds_per_image"] / h["lift_cpu_seconds_per_pose"]
    print(
        f"{a.detector}: {report['speed']['fps']:.1f} fps ({report['speed']['cpu_fps']:.1f} by CPU time, "
        f"{a.threads} thread), "
        f"{report['speed']['cpu_ratio_to_zedo_lift']:.3f} x zedo's lift of one pose in CPU time; "
        f"limb 2D error {h['limb_px']:.1f} px; detector + zedo MPJPE {h['detector_zedo']['mpjpe']:.1f} / "
        f"PA {h['detector_zedo']['pa_mpjpe']:.1f} mm; true 2D + zedo {h['true_2d_zedo']['mpjpe']:.1f} / "
        f"{h['true_2d_zedo']['pa_mpjpe']:.1f} mm"
    )
    if a.reference:
        report["reference"] = agreement(detector, images, a.reference)
        r = report["reference"]
        report["speed"]["cpu_ratio_to_mediapipe"] = (
            report["speed"]["cpu_seconds_per_image"] / r["speed"]["cpu_seconds_per_image"]
        )
        print(
            f"vs MediaPipe {r['mediapipe']}: limb joints {r['mean_limb_px']:.2f} px apart (median "
            f"{r['median_limb_px']:.2f}), {r['disagree_on_presence']} photos disagree on a person; "
            f"CPU time {report['speed']['cpu_ratio_to_mediapipe']:.2f} x MediaPipe's"
        )
    if a.output:
        write_json_atomic(Path(a.output), {**report, "argv": sys.argv[1:]})
    return 0


if __name__ == "__main__":
    sys.exit(main())

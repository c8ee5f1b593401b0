"""Any camera: Human3.6M S9 seen from farther away, by tilted cameras, and with a wrong focal length.

    python benchmarks/cameras.py --engine h36m -o benchmarks/results/cameras-h36m.json
    python benchmarks/cameras.py --engine h36m --variants level distance4 --every 256   # a quick look

Every variant starts from the same poses (S9, every ``--every``-th frame, each camera, ground-truth
3D in the camera frame) and is projected exactly with the camera's true K:

- ``level``: as recorded (Human3.6M's cameras: level, chest height, 3-6 m);
- ``distanceS``: each pose's translation scaled by S (the pelvis S times as far along its ray);
- ``focalF``: the 2D as recorded, but zedo is given K with both focal lengths times F;
- ``pitchP-rollR``: the camera pitched P degrees down and rolled R degrees about its centre: the
  camera-frame truth rotated by the inverse, each pose then moved along its new pelvis ray back to
  its old depth (so it stays in view at the same distance), and projected; its gravity in the
  camera frame (``true_gravity``) leans forward, as a camera on a wall or a drone sees people;
- ``image-size``: zedo is given the image size only (1000 x 1002 px), not K.

Each row: MPJPE and PA-MPJPE (mm, root-relative, as ``zedo-eval``), the poses lifted, the seconds,
through ``zedo.runtime.estimate`` with the library's defaults (``--preset`` sets another loop).
``--gravity`` says what zedo is told of the camera's tilt: ``estimate`` (the default: nothing, it
estimates the tilt per camera), ``given`` (each variant's true gravity: (0, 1, 0) but for the
``pitchP-rollR`` rows) or ``level`` (assume level cameras, the behaviour before tilts were handled).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from zedo.evaluation.evalset import load_h36m_eval
from zedo.evaluation.metrics import mpjpe, pa_mpjpe
from zedo.runtime import estimate, open_engine, preset_config
from zedo.runtime.core.config import PRESETS
from zedo.runtime.core.geometry import project
from zedo.runtime.io.atomic import write_json_atomic

VARIANTS = (
    "level",
    "distance4",
    "distance8",
    "focal1.4",
    "focal0.7",
    "pitch22.5-roll13",
    "pitch45-roll0",
    "image-size",
)
IMAGE_SIZE = (1000.0, 1002.0)  # Human3.6M's frames


def tilt(pitch_deg: float, roll_deg: float) -> np.ndarray:
    """(3, 3): camera-frame points seen by the camera pitched ``pitch_deg`` down (about its x axis)
    and then rolled ``roll_deg`` (about its z axis); camera frame x right, y down, z forward."""
    p, r = np.deg2rad(pitch_deg), np.deg2rad(roll_deg)
    # A camera pitched down by p sees the world turned up by p: a point straight ahead rises in
    # the image (y down), and gravity leans forward (+z), as core.rotation.tilt_gravity has it.
    Rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    Rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return Rz @ Rx


def seen_by_tilted_camera(gt: np.ndarray, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Camera-frame truth (M, 17, 3) metres as the tilted camera sees it (see the module docstring)."""
    R = tilt(pitch_deg, roll_deg)
    turned = gt @ R.T
    pelvis = turned[:, :1]
    return turned - pelvis + pelvis * (gt[:, :1, 2:] / pelvis[..., 2:])


def true_gravity(name: str) -> np.ndarray:
    """The gravity (3,) in the camera frame of a variant's camera (Human3.6M's taken as level)."""
    if not name.startswith("pitch"):
        return np.array([0.0, 1.0, 0.0])
    pitch, roll = (float(part[len(key) :]) for part, key in zip(name.split("-"), ("pitch", "roll")))
    return tilt(pitch, roll) @ np.array([0.0, 1.0, 0.0])


def variant(name: str, data) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple | None]:
    """(truth (M, 17, 3), keypoints (M, 17, 2) px, K given to zedo (M, 3, 3) or None, image size)."""
    gt, K = data.gt, data.K
    if name == "level":
        return gt, data.keypoints, K, None
    if name.startswith("distance"):
        scale = float(name[len("distance") :])
        moved = gt - gt[:, :1] + scale * gt[:, :1]
        return moved, project(moved, K), K, None
    if name.startswith("focal"):
        given = K.copy()
        given[:, :2, :2] *= float(name[len("focal") :])
        return gt, data.keypoints, given, None
    if name.startswith("pitch"):
        pitch, roll = (float(part[len(key) :]) for part, key in zip(name.split("-"), ("pitch", "roll")))
        seen = seen_by_tilted_camera(gt, pitch, roll)
        return seen, project(seen, K), K, None
    if name == "image-size":
        return gt, data.keypoints, None, IMAGE_SIZE
    raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)} (and distanceS, focalF, pitchP-rollR)")


def run_variant(name: str, data, engine, config, gravity: str = "estimate") -> dict:
    truth, keypoints, K, image_size = variant(name, data)
    told = {"estimate": None, "level": "level", "given": true_gravity(name)}[gravity]
    start = time.perf_counter()
    result = estimate(
        keypoints, K=K, scores=data.scores, engine=engine, config=config, image_size=image_size, gravity=told
    )
    seconds = time.perf_counter() - start
    ok = result.valid
    row = {
        "variant": name,
        "gravity": gravity,
        "poses": int(len(ok)),
        "valid": int(ok.sum()),
        "mpjpe": float(mpjpe(result.joints_3d[ok], truth[ok]).mean()),
        "pa_mpjpe": float(pa_mpjpe(result.joints_3d[ok], truth[ok]).mean()),
        "seconds": seconds,
    }
    if K is None:
        row["focal_found"] = float(np.median(result.K[:, 0, 0]))
        row["focal_true"] = float(np.median(data.K[:, 0, 0]))
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", default="h36m", help="bundled prior or file (default: %(default)s)")
    p.add_argument("--data", default="../shared/data/h36m", help="the VideoPose3D files (default: %(default)s)")
    p.add_argument("--every", type=int, default=64, help="every N-th frame of S9 (default: %(default)s)")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), help="which rows (default: all)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="default", help="loop settings (default: %(default)s)")
    p.add_argument(
        "--gravity",
        choices=("estimate", "given", "level"),
        default="estimate",
        help="the tilt: estimated, the true one given, or level assumed (default: %(default)s)",
    )
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads; 0: its default")
    p.add_argument("-o", "--output", help="write the rows as JSON here")
    a = p.parse_args(argv)
    data = load_h36m_eval(a.data, "S9", a.every, "gt")
    engine = open_engine(a.engine, threads=a.threads)
    config = preset_config(a.preset)
    rows = []
    for name in a.variants:
        row = run_variant(name, data, engine, config, a.gravity)
        rows.append(row)
        extra = (
            f"  focal found {row['focal_found']:.0f} px (true {row['focal_true']:.0f})" if "focal_found" in row else ""
        )
        print(
            f"{name:>18}  MPJPE {row['mpjpe']:6.1f}  PA-MPJPE {row['pa_mpjpe']:6.1f}  "
            f"({row['valid']}/{row['poses']} poses, {row['seconds']:.0f} s){extra}",
            flush=True,
        )
    if a.output:
        report = {
            "engine": a.engine,
            "every": a.every,
            "preset": a.preset,
            "gravity": a.gravity,
            "rows": rows,
            "argv": sys.argv[1:],
        }
        write_json_atomic(Path(a.output), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""MediaPipe's own Pose solution on the shared photos: the reference zedo's ``mediapipe`` detector
is compared with (``benchmarks/detectors.py --reference``). Runs in an environment with the
mediapipe wheel and not zedo (mediapipe 0.10.14 needs numpy < 2)::

    python3 -m venv /tmp/venv-mp
    /tmp/venv-mp/bin/pip install mediapipe==0.10.14 "numpy<2" opencv-contrib-python==4.10.0.84 pillow
    taskset -c 0 /tmp/venv-mp/bin/python benchmarks/mediapipe_reference.py \
        -o benchmarks/results/mediapipe-reference.json

Each photo is read as RGB and given to ``mediapipe.solutions.pose.Pose`` in static-image mode
(the person detector on every image, as zedo's detector), full model (``model_complexity=1``),
confidences 0.5; keypoints in pixels (MediaPipe's [0, 1] times the image's width and height).
Speed: ``--repeat`` passes after one warm-up call, wall clock and CPU time per image (pin it to
one core with ``taskset``, as ``detectors.py`` is pinned, to compare).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image


def landmarks(pose, image: np.ndarray) -> tuple[list, list]:
    """One photo's keypoints (33, 2) pixels and visibilities (33,), or two empty lists."""
    found = pose.process(image).pose_landmarks
    if found is None:
        return [], []
    h, w = image.shape[:2]
    xy = [[lm.x * w, lm.y * h] for lm in found.landmark]
    return xy, [lm.visibility for lm in found.landmark]


def main(argv=None) -> int:
    import mediapipe as mp

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", default="../shared/data/media/images", help="folder of .jpg (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="passes over the photos for the speed (default: 3)")
    p.add_argument("-o", "--output", required=True, help="the JSON written")
    a = p.parse_args(argv)
    paths = sorted(Path(a.images).glob("*.jpg"))
    pictures = [np.asarray(Image.open(path).convert("RGB")) for path in paths]
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, min_detection_confidence=0.5) as pose:
        found = [landmarks(pose, picture) for picture in pictures]
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(a.repeat):
            for picture in pictures:
                pose.process(picture)
        calls = a.repeat * len(pictures)
        seconds, cpu_seconds = (time.perf_counter() - start) / calls, (time.process_time() - cpu) / calls
    report = {
        "mediapipe": mp.__version__,
        "speed": {"seconds_per_image": seconds, "fps": 1 / seconds, "cpu_seconds_per_image": cpu_seconds},
        "images": {path.name: {"keypoints": xy, "scores": sc} for path, (xy, sc) in zip(paths, found)},
    }
    Path(a.output).write_text(json.dumps(report, indent=1))
    print(f"mediapipe {mp.__version__}: {1 / seconds:.1f} fps, {1 / cpu_seconds:.1f} by CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())

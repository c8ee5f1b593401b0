"""The ``mediapipe`` detector: MediaPipe Pose (BlazePose, full landmark model), one person, 33
keypoints in pixels (layout ``mediapipe33_px``), on ONNX Runtime from the ONNX files zedo ships
(``models/``, converted from the mediapipe 0.10.14 wheel by ``tools/convert_mediapipe.py``;
Apache-2.0, see ``models/NOTICE``). No network, no mediapipe package; why: docs/decisions.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engines.onnxruntime_engine import PROVIDERS, session_options
from . import blazepose
from .base import Detections, check_image

MODELS = Path(__file__).resolve().parent / "models"
DETECTOR_FILE, LANDMARK_FILE = "pose_detection.onnx", "pose_landmark_full.onnx"


def providers(device: str) -> list[str]:
    """ONNX Runtime's providers for a detector on the lifter's ``device`` (``cpu``, ``cuda``,
    ``tensorrt``): CUDA where this ONNX Runtime has it (``tensorrt`` too: a TensorRT engine for a
    detector would be built at every start), else the CPU."""
    import onnxruntime as ort

    wanted = PROVIDERS.get(device, PROVIDERS["cpu"])
    available = set(ort.get_available_providers())
    return [p for p in wanted if p in available and p != "TensorrtExecutionProvider"] or PROVIDERS["cpu"]


def detector_options(threads: int):
    """ONNX Runtime session options for a detector's model: ``threads`` intra-op threads, one
    inter-op thread, warnings off."""
    options = session_options(threads, log_severity=3)
    options.inter_op_num_threads = 1
    return options


def model_files(model: str | Path | None) -> tuple[Path, Path]:
    """The detector and landmark ONNX files in the folder ``model`` (None: the bundled ones);
    FileNotFoundError naming a missing one."""
    folder = MODELS if model is None else Path(model)
    files = folder / DETECTOR_FILE, folder / LANDMARK_FILE
    for file in files:
        if not file.is_file():
            raise FileNotFoundError(
                f"detector model {file}: not found (the mediapipe detector's model, detector_model=DIR, is a folder "
                f"holding {DETECTOR_FILE} and {LANDMARK_FILE})"
            )
    return files


class MediaPipePose:
    """MediaPipe Pose on one image; ``name`` and ``layout`` as ``base.Detector``. Each call finds
    at most one person: P = 1, or 0 when the detector scores nobody above 0.5 or the landmark
    model's pose flag is below 0.5."""

    name = "mediapipe"
    layout = "mediapipe33_px"

    def __init__(self, model: str | Path | None = None, device: str = "cpu", threads: int = 1):
        import onnxruntime as ort

        detector, landmarker = model_files(model)
        chosen, options = providers(device), detector_options(threads)
        self.detector = ort.InferenceSession(str(detector), options, providers=chosen)
        self.landmarker = ort.InferenceSession(str(landmarker), options, providers=chosen)
        self.providers = self.detector.get_providers()

    def __call__(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        tensor, letterbox = blazepose.detector_input(image)
        boxes, scores = self.detector.run(None, {"input_1": tensor})
        found = blazepose.best_person(boxes[0], scores[0, :, 0])
        if found is None:
            return Detections.empty(blazepose.JOINTS)
        points = found[0] @ letterbox[:, :2].T + letterbox[:, 2]
        roi = blazepose.region(points)
        crop = blazepose.warp(image, roi, blazepose.LANDMARK_SIZE)[None]
        raw, flag = self.landmarker.run(["Identity", "Identity_1"], {"input_1": crop})
        if float(flag.ravel()[0]) < blazepose.MIN_PRESENCE:
            return Detections.empty(blazepose.JOINTS)
        keypoints, visibility = blazepose.landmarks(raw[0], roi)
        return Detections(keypoints[None], visibility[None])


def open_backend(model: str | Path | None, device: str, threads: int) -> MediaPipePose:
    """The table's entry point (``table.open_detector``)."""
    return MediaPipePose(model, device, threads)

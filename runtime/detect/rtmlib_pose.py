"""The ``rtmlib`` detector: RTMPose, RTMO or RTMW through rtmlib (the ``rtmlib`` extra; it brings
OpenCV), on ONNX Runtime, several people.

Without ``model``, rtmlib's ``Body`` (YOLOX-m person detector, then RTMPose-m, COCO 17), its
models fetched on first use into ``~/.cache/rtmlib``; where they cannot be fetched, a RuntimeError
names ``--detector-model`` and the bundled ``mediapipe`` detector. With ``model``, local ONNX
files: one RTMPose-style model (outputs ``simcc_x`` (1, J, Wx) and ``simcc_y`` (1, J, Hy)) is run
on the whole image as one person; one other (RTMO: boxes and keypoints out) as a one-stage
multi-person model; ``DET.onnx,POSE.onnx`` runs a person detector as rtmlib runs YOLOX (its
``dets`` (1, N, 5) boxes and scores), then RTMPose in each box. The layout follows the keypoint
count J (17 ``coco17``, 26 ``halpe26``, 133 ``coco_wholebody133``).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np

from .base import Detections, check_image
from .mediapipe_pose import detector_options, providers

LAYOUT_BY_JOINTS = {17: "coco17", 26: "halpe26", 133: "coco_wholebody133"}
MODEL_FORMS = "give one RTMPose or RTMO ONNX file, or a person detector's and RTMPose's joined by a comma"
NO_MODELS = (
    "rtmlib could not fetch its models ({why}); give local ONNX files with detector_model=FILE "
    "(RTMO.onnx, or DET.onnx,RTMPOSE.onnx), or use detector='mediapipe' (bundled with zedo, no network)"
)


class RtmlibPose:
    """rtmlib's models on one image; ``name`` and ``layout`` as ``base.Detector``."""

    name = "rtmlib"

    def __init__(self, model: str | Path | None = None, device: str = "cpu", threads: int = 1):
        import rtmlib

        chosen = providers(device)
        where = "cuda" if "CUDAExecutionProvider" in chosen else "cpu"
        with contextlib.redirect_stdout(sys.stderr):  # rtmlib prints what it loads
            self.tools = _tools(rtmlib, model, where)
        for tool in self.tools:
            _reopen(tool, chosen, threads)
        self.joints = _joints(self.tools[-1])  # J, read once from the pose model's outputs
        self.layout = LAYOUT_BY_JOINTS.get(self.joints, "coco17")

    def __call__(self, image: np.ndarray) -> Detections:
        bgr = np.ascontiguousarray(check_image(image)[..., ::-1])
        joints = self.joints
        if len(self.tools) == 1:
            keypoints, scores = self.tools[0](bgr)
        else:
            boxes = self.tools[0](bgr)
            if len(boxes) == 0:  # rtmlib would take the whole image as one person
                return Detections.empty(joints)
            keypoints, scores = self.tools[1](bgr, bboxes=boxes)
        keypoints = np.asarray(keypoints, np.float32).reshape(-1, joints, 2)
        scores = np.clip(np.asarray(scores, np.float32).reshape(-1, joints), 0, 1)
        return Detections(keypoints, scores)


def _tools(rtmlib, model, device: str) -> list:
    """rtmlib's models to run in order: [person detector, pose model] or [one model]."""
    if model is None:
        try:
            body = rtmlib.Body(mode="balanced", backend="onnxruntime", device=device)
        except (OSError, RuntimeError, ValueError) as e:
            raise RuntimeError(NO_MODELS.format(why=" ".join(str(e).split()) or type(e).__name__)) from e
        return [body.det_model, body.pose_model]
    paths = [Path(part) for part in str(model).split(",")]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"detector model {path}: not found ({MODEL_FORMS})")
    if len(paths) > 2:
        raise ValueError(f"detector model {model}: {len(paths)} files ({MODEL_FORMS})")
    pose = rtmlib.RTMPose(str(paths[-1]), backend="onnxruntime", device=device)
    if {o.name for o in pose.session.get_outputs()} >= {"simcc_x", "simcc_y"}:
        height, width = pose.session.get_inputs()[0].shape[2:4]
        pose.model_input_size = (int(width), int(height))
    elif len(paths) == 1:
        return [rtmlib.RTMO(str(paths[0]), backend="onnxruntime", device=device)]
    else:
        raise ValueError(f"detector model {paths[-1]}: no simcc_x and simcc_y outputs, not an RTMPose model")
    if len(paths) == 1:
        return [pose]
    person = rtmlib.YOLOX(str(paths[0]), backend="onnxruntime", device=device)
    person.model_input_size = tuple(int(d) for d in person.session.get_inputs()[0].shape[2:4])  # (H, W)
    return [person, pose]


def _reopen(tool, chosen: list[str], threads: int) -> None:
    """Give an rtmlib model a session with zedo's providers and ``threads`` intra-op threads (rtmlib
    opens its own with ONNX Runtime's defaults)."""
    import onnxruntime as ort

    tool.session = ort.InferenceSession(tool.onnx_model, detector_options(threads), providers=chosen)


def _joints(tool) -> int:
    """The keypoint count J of a pose model: from ``simcc_x`` (1, J, W), or RTMO's keypoints
    (1, N, J, 3); 17 when it cannot be read."""
    for output in tool.session.get_outputs():
        if output.name == "simcc_x":
            return int(output.shape[1])
        if len(output.shape) == 4 and isinstance(output.shape[-2], int):
            return output.shape[-2]
    return 17


def open_backend(model: str | Path | None, device: str, threads: int) -> RtmlibPose:
    """The table's entry point (``table.open_detector``)."""
    return RtmlibPose(model, device, threads)

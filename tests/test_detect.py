"""The 2D detectors (``zedo.runtime.detect``): the bundled MediaPipe Pose models on a real photo
(COCO val2017 000000000785, one skier, from ``../shared/data/media``, scaled to 320 x 212; the
photos keep their datasets' research terms, so none is committed, and these tests skip with a
reason where ``../shared`` is absent), nobody in an empty image, bad images, the table's rows and
its errors, and the rtmlib backend on a tiny ONNX model made here with RTMPose's signature (skipped
where rtmlib is not installed)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from zedo.runtime.core.errors import one_line
from zedo.runtime.detect import blazepose
from zedo.runtime.detect.table import DETECTORS, open_detector
from zedo.runtime.io.layouts import LAYOUTS

PHOTO = Path(__file__).resolve().parents[2] / "shared" / "data" / "media" / "images" / "coco_000000000785.jpg"
SKIER_BOX = (135, 18, 262, 200)  # x0, y0, x1, y1 pixels: the skier in the photo at 320 x 212, checked by eye
BODY = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # shoulders .. ankles of mediapipe33


@pytest.fixture(scope="module")
def mediapipe():
    return open_detector("mediapipe", threads=1)


@pytest.fixture(scope="module")
def skier() -> np.ndarray:
    image = pytest.importorskip("PIL.Image")
    if not PHOTO.is_file():
        pytest.skip(f"needs the shared media photo {PHOTO} (not committed: research terms)")
    return np.asarray(image.open(PHOTO).convert("RGB").resize((320, 212), image.LANCZOS))


def test_mediapipe_lands_on_the_person(mediapipe, skier):
    found = mediapipe(skier)
    assert (mediapipe.name, mediapipe.layout) == ("mediapipe", "mediapipe33_px")
    assert found.keypoints.shape == (1, 33, 2) and found.scores.shape == (1, 33)
    body, scores = found.keypoints[0, list(BODY)], found.scores[0, list(BODY)]
    x0, y0, x1, y1 = SKIER_BOX
    assert ((body[:, 0] > x0) & (body[:, 0] < x1) & (body[:, 1] > y0) & (body[:, 1] < y1)).all(), body
    assert scores.min() > 0.3 and (found.scores >= 0).all() and (found.scores <= 1).all()
    nose, hips, ankles = found.keypoints[0, 0], found.keypoints[0, 23:25], found.keypoints[0, 27:29]
    assert nose[1] < hips[:, 1].min() < hips[:, 1].max() < ankles[:, 1].min()  # upright: head, hips, feet


def test_mediapipe_upside_down_is_the_same_person(mediapipe, skier):
    """The region of interest turns with the body: the photo turned 180 degrees gives the same
    keypoints, turned back, within a few pixels."""
    h, w = skier.shape[:2]
    upright = mediapipe(skier).keypoints[0, list(BODY)]
    turned = mediapipe(np.ascontiguousarray(skier[::-1, ::-1])).keypoints[0, list(BODY)]
    back = np.array([w, h]) - turned
    assert np.median(np.linalg.norm(back - upright, axis=-1)) < 6


def test_nobody_gives_no_person(mediapipe):
    found = mediapipe(np.full((120, 160, 3), 128, np.uint8))
    assert found.keypoints.shape == (0, 33, 2) and found.scores.shape == (0, 33)


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((32, 32, 3), np.float32), "image must be uint8 RGB, got dtype float32"),
        (np.zeros((32, 32), np.uint8), r"image must be \(H, W, 3\) RGB, got shape \(32, 32\)"),
        (np.zeros((32, 32, 4), np.uint8), r"got shape \(32, 32, 4\)"),
    ],
)
def test_bad_image_is_one_clear_error(mediapipe, image, match):
    with pytest.raises(ValueError, match=match):
        mediapipe(image)


def test_anchors_are_mediapipes():
    assert blazepose.ANCHORS.shape == (2254, 2)
    assert np.allclose(blazepose.ANCHORS[:2], [[0.5 / 28, 0.5 / 28]] * 2)
    assert np.allclose(blazepose.ANCHORS[-1], [6.5 / 7, 6.5 / 7])


def test_unknown_detector_names_the_choices():
    with pytest.raises(ValueError, match="unknown detector 'openpose'; choose from auto, mediapipe, rtmlib"):
        open_detector("openpose")


def test_missing_mediapipe_model_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="pose_detection.onnx: not found"):
        open_detector("mediapipe", model=tmp_path)


def test_auto_opens_the_bundled_mediapipe():
    assert open_detector().name == "mediapipe"


def test_missing_rtmlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "rtmlib", None)
    with pytest.raises(ModuleNotFoundError) as caught:
        open_detector("rtmlib", model="pose.onnx")
    assert "[rtmlib]" in one_line(caught.value) and "pip install" in one_line(caught.value)


def constant_model(path: Path, input_shape: list[int], outputs: dict[str, np.ndarray]) -> Path:
    """An ONNX model whose input ``input`` (float32 ``input_shape``) is read but whose outputs are
    the given constants, whatever the image."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("ReduceMean", ["input"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
    ]
    weights = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    for name, value in outputs.items():
        nodes.append(helper.make_node("Add", [name + "_value", "nothing"], [name]))
        weights.append(numpy_helper.from_array(value.astype(np.float32), name + "_value"))
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(v.shape)) for name, v in outputs.items()],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def tiny_rtmpose(path: Path, joints: int = 17) -> Path:
    """A model with RTMPose-m's signature (input ``input`` (1, 3, 256, 192); outputs ``simcc_x``
    (1, J, 384) and ``simcc_y`` (1, J, 512), two bins a pixel) whose peaks put joint j at
    (40 + 5j, 50 + 10j) pixels of its input, score 0.9."""
    simcc_x, simcc_y = np.zeros((1, joints, 384)), np.zeros((1, joints, 512))
    for j in range(joints):
        simcc_x[0, j, 2 * (40 + 5 * j)] = simcc_y[0, j, 2 * (50 + 10 * j)] = 0.9
    return constant_model(path, [1, 3, 256, 192], {"simcc_x": simcc_x, "simcc_y": simcc_y})


def test_rtmlib_runs_an_rtmpose_model(tmp_path):
    pytest.importorskip("rtmlib", reason="rtmlib is not installed (the rtmlib extra)")
    detector = open_detector("rtmlib", model=tiny_rtmpose(tmp_path / "rtmpose.onnx"), threads=1)
    assert (detector.name, detector.layout) == ("rtmlib", "coco17")
    found = detector(np.zeros((256, 192, 3), np.uint8))
    assert found.keypoints.shape == (1, 17, 2) and np.allclose(found.scores, 0.9)
    j = np.arange(17)
    # The whole image is the person's box, widened 1.25 times about its centre (96, 128).
    expected = np.stack([96 + (40 + 5 * j - 96) * 1.25, 128 + (50 + 10 * j - 128) * 1.25], -1)
    assert np.abs(found.keypoints[0] - expected).max() < 1.0


def test_rtmlib_runs_a_person_detector_then_rtmpose(tmp_path):
    """``DET.onnx,POSE.onnx``: a person detector with rtmlib's YOLOX signature (``dets`` (1, N, 5):
    boxes in its input's pixels, score) finds two people, RTMPose runs in each box."""
    pytest.importorskip("rtmlib", reason="rtmlib is not installed (the rtmlib extra)")
    dets = np.array([[[2, 2, 30, 60, 0.9], [34, 2, 62, 60, 0.8]]])  # a 64 x 64 input: half the image's size
    person = constant_model(tmp_path / "yolox.onnx", [1, 3, 64, 64], {"dets": dets})
    model = f"{person},{tiny_rtmpose(tmp_path / 'rtmpose.onnx')}"
    found = open_detector("rtmlib", model=model, threads=1)(np.zeros((128, 128, 3), np.uint8))
    assert found.keypoints.shape == (2, 17, 2)
    assert found.keypoints[0, :, 0].max() < 64 < found.keypoints[1, :, 0].min()  # each in its own box


def test_rtmlib_without_network_names_the_alternatives(monkeypatch):
    pytest.importorskip("rtmlib", reason="rtmlib is not installed (the rtmlib extra)")
    import urllib.error

    import rtmlib.tools.base

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(rtmlib.tools.base, "download_checkpoint", offline)
    with pytest.raises(
        RuntimeError, match="rtmlib could not fetch its models.*detector_model=FILE.*detector=.mediapipe."
    ):
        open_detector("rtmlib")


def test_rtmlib_names_a_missing_model_file(tmp_path):
    pytest.importorskip("rtmlib", reason="rtmlib is not installed (the rtmlib extra)")
    with pytest.raises(FileNotFoundError, match="nope.onnx: not found .give one RTMPose or RTMO ONNX file"):
        open_detector("rtmlib", model=f"{tiny_rtmpose(tmp_path / 'rtmpose.onnx')},{tmp_path / 'nope.onnx'}")


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_row_opens_or_skips_with_reason(name, tmp_path):
    if DETECTORS[name].extra:
        pytest.importorskip(name, reason=f"{name} is not installed (the {DETECTORS[name].extra} extra)")
    model = tiny_rtmpose(tmp_path / "rtmpose.onnx") if name == "rtmlib" else None
    detector = open_detector(name, model=model, threads=1)
    assert detector.name == name and detector.layout in LAYOUTS
    found = detector(np.zeros((64, 48, 3), np.uint8))
    assert found.keypoints.shape[1:] == (len(LAYOUTS[detector.layout].joint_names), 2)


def test_detector_runs_on_the_lifters_device_where_it_can(mediapipe):
    import onnxruntime as ort

    from zedo.runtime.detect.mediapipe_pose import providers

    assert mediapipe.providers == ["CPUExecutionProvider"]
    assert mediapipe.detector.get_session_options().intra_op_num_threads == 1
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    assert providers("cuda")[0] == ("CUDAExecutionProvider" if has_cuda else "CPUExecutionProvider")
    assert "TensorrtExecutionProvider" not in providers("tensorrt")


def test_detections_reach_the_lifter_in_pixels(mediapipe, skier):
    """The detector's layout (``mediapipe33_px``) maps onto the prior's 17 joints unscaled: the
    left wrist stays where the detector put it, the pose can be placed."""
    from zedo.runtime.io.validation import validate_inputs

    found = mediapipe(skier)
    h, w = skier.shape[:2]
    inputs = validate_inputs(found.keypoints, scores=found.scores, layout=mediapipe.layout, image_size=(w, h))
    assert inputs.valid.all() and inputs.keypoints.shape == (1, 17, 2)
    assert np.allclose(inputs.keypoints[0, 13], found.keypoints[0, 15], atol=1e-4)  # h36m l-wrist = mp left_wrist

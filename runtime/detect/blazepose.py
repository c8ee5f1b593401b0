"""BlazePose's two stages around its models, in NumPy, as MediaPipe Pose runs them
(``mediapipe/modules/pose_detection`` and ``pose_landmark``, 0.10.14): the person detector on a
224 x 224 letterbox of the image (SSD anchors, weighted non-maximum suppression, the best person
kept), a square region of interest from the detection's hip centre and its full-body point
(rotated so that the body stands upright, scaled 1.25), and the landmark model on a 256 x 256
crop of it, whose 33 keypoints are mapped back to the image.

Coordinates: pixels, x right and y down, origin at the top-left corner of the top-left pixel (as
``base``). An affine ``matrix`` is (2, 3): a point ``(u, v)`` of a model's input maps to
``matrix @ (u, v, 1)`` in the image.
"""

from __future__ import annotations

import numpy as np

DETECT_SIZE = 224  # the detector's input, pixels
LANDMARK_SIZE = 256  # the landmark model's input, pixels
MIN_SCORE = 0.5  # a detection's least score (MediaPipe's min_detection_confidence)
MIN_PRESENCE = 0.5  # the landmark model's least pose flag (MediaPipe's min_tracking_confidence)
NMS_IOU = 0.3  # boxes overlapping more than this are one person (weighted suppression)
ROI_SCALE = 1.25  # the region of interest, times the detection's full-body circle
JOINTS = 33  # keypoints of the pose (the model gives 39: 6 more for tracking)
_STRIDES = (8, 16, 32, 32, 32)  # the SSD anchors' layers (MediaPipe's SsdAnchorsCalculator)


def anchors() -> np.ndarray:
    """The detector's 2254 anchor centres, (2254, 2) in [0, 1] of its input: two per cell of each
    layer, layers of one stride merged (28x28x2 + 14x14x2 + 7x7x6)."""
    centres = []
    layer = 0
    while layer < len(_STRIDES):
        stride, per_cell = _STRIDES[layer], 0
        while layer < len(_STRIDES) and _STRIDES[layer] == stride:
            per_cell, layer = per_cell + 2, layer + 1
        cells = int(np.ceil(DETECT_SIZE / stride))
        y, x = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = (np.stack([x, y], -1).reshape(-1, 1, 2) + 0.5) / cells
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = anchors()


def warp(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The (size, size, 3) float32 crop of ``image`` ((H, W, 3) uint8) whose pixel centres map
    through ``matrix`` into the image, sampled bilinearly, zero outside; values in [0, 1]."""
    h, w = image.shape[:2]
    centres = np.arange(size, dtype=np.float32) + 0.5
    u, v = np.meshgrid(centres, centres)
    x = (matrix[0, 0] * u + matrix[0, 1] * v + matrix[0, 2] - 0.5).astype(np.float32)  # centre-based indices
    y = (matrix[1, 0] * u + matrix[1, 1] * v + matrix[1, 2] - 0.5).astype(np.float32)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    # The four neighbours (k = top-left, top-right, bottom-left, bottom-right) and their weights.
    xs = x0.astype(np.int32)[None] + np.array([0, 1, 0, 1], np.int32)[:, None, None]
    ys = y0.astype(np.int32)[None] + np.array([0, 0, 1, 1], np.int32)[:, None, None]
    weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    weights *= (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    values = image.reshape(-1, 3)[np.clip(ys, 0, h - 1) * w + np.clip(xs, 0, w - 1)].astype(np.float32)
    return np.einsum("kij,kijc->ijc", weights, values) / np.float32(255.0)


def letterbox(height: int, width: int) -> np.ndarray:
    """The matrix from the detector's input to an image of ``height`` x ``width``: the image
    fitted whole, centred, the rest padded (MediaPipe's keep_aspect_ratio)."""
    scale = max(height, width) / DETECT_SIZE
    return np.array(
        [[scale, 0, (width - DETECT_SIZE * scale) / 2], [0, scale, (height - DETECT_SIZE * scale) / 2]], np.float64
    )


def detector_input(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The detector's (1, 224, 224, 3) float32 input, RGB in [-1, 1], and its letterbox matrix."""
    matrix = letterbox(*image.shape[:2])
    return (warp(image, matrix, DETECT_SIZE) * 2 - 1)[None], matrix


def best_person(boxes: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The highest-scoring person of the detector's raw outputs (boxes (2254, 12), scores
    (2254,) logits), averaged with the detections that overlap it by more than ``NMS_IOU``
    weighted by score (MediaPipe's weighted suppression): its 4 keypoints (4, 2) in pixels of the
    detector's input and its score; None when no score reaches ``MIN_SCORE``."""
    score = 1 / (1 + np.exp(-np.clip(scores.astype(np.float64), -100, 100)))
    keep = score >= MIN_SCORE
    if not keep.any():
        return None
    raw, score = boxes[keep].astype(np.float64), score[keep]
    centres = ANCHORS[keep] * DETECT_SIZE
    box = np.concatenate([centres + raw[:, :2] - raw[:, 2:4] / 2, centres + raw[:, :2] + raw[:, 2:4] / 2], 1)
    points = centres[:, None] + raw[:, 4:12].reshape(-1, 4, 2)
    top = int(np.argmax(score))
    lo, hi = np.maximum(box[:, :2], box[top, :2]), np.minimum(box[:, 2:], box[top, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(box[:, 2:] - box[:, :2], axis=1)
    near = inter / np.maximum(area + area[top] - inter, 1e-9) > NMS_IOU
    weights = score[near] / score[near].sum()
    return np.einsum("n,nkd->kd", weights, points[near]), float(score[top])


def region(points: np.ndarray) -> np.ndarray:
    """The landmark model's region of interest from the detection's keypoints ((4, 2) image
    pixels: hip centre, full-body point, ...): a square centred on the hips, 2 x 1.25 times their
    distance wide, rotated so that the full-body point is straight up; returned as the matrix from
    the landmark model's input to the image."""
    centre, top = points[0], points[1]
    side = 2 * np.linalg.norm(top - centre) * ROI_SCALE
    angle = np.pi / 2 - np.arctan2(-(top[1] - centre[1]), top[0] - centre[0])
    cos, sin = np.cos(angle) * side / LANDMARK_SIZE, np.sin(angle) * side / LANDMARK_SIZE
    half = LANDMARK_SIZE / 2
    return np.array(
        [
            [cos, -sin, centre[0] - half * (cos - sin)],
            [sin, cos, centre[1] - half * (sin + cos)],
        ],
        np.float64,
    )


def landmarks(raw: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 33 keypoints (33, 2) image pixels and their scores (33,) (the sigmoid of the model's
    visibility) from the landmark model's first output ((1, 195): 39 x (x, y, z, visibility,
    presence), x and y in pixels of its input)."""
    values = np.asarray(raw, np.float64).reshape(-1, 5)[:JOINTS]
    xy = values[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    visibility = 1 / (1 + np.exp(-np.clip(values[:, 3], -100, 100)))
    return xy.astype(np.float32), visibility.astype(np.float32)

"""The image's edges: a keypoint on the border of the image, or beyond it, is uncertain.

A detector that loses a joint at the frame's edge still writes one, clamped to the border or
guessed outside it, often with a confident score. Where the image size is known, such keypoints
of validated ``Inputs`` (the prior's 17 joints, px) keep their place but their score is lowered
to at most ``EDGE_SCORE``, so that they count little in the lift; the user who knows better keeps
them (``Request.trust_edges``, ``zedo-infer --trust-edges``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .validation import Inputs

EDGE_PX = 1.0  # a keypoint within this of the border (or beyond it) is on the edge
EDGE_SCORE = 0.1  # the highest score such a keypoint keeps


def on_edge(keypoints: np.ndarray, image_size) -> np.ndarray:
    """(N, J) True where keypoints (N, J, 2) px lie within ``EDGE_PX`` of the border of an image of
    ``image_size`` (width, height) px, or outside it."""
    size = np.asarray(image_size, dtype=np.float64)
    kp = np.asarray(keypoints, dtype=np.float64)
    return ((kp < EDGE_PX) | (kp > size - 1.0 - EDGE_PX)).any(-1)


def uncertain_edges(inputs: Inputs, image_size) -> Inputs:
    """``inputs`` with the scores of its observed keypoints on or beyond the image's edge lowered
    to at most ``EDGE_SCORE`` (``image_size`` (width, height) px; None: unchanged), and a note
    saying how many."""
    if image_size is None:
        return inputs
    edge = on_edge(inputs.keypoints, image_size) & (inputs.scores > EDGE_SCORE)
    if not edge.any():
        return inputs
    note = (
        f"{int(edge.sum())} keypoints of {int(edge.any(-1).sum())} poses on or beyond the image's edge: taken as "
        f"uncertain (score at most {EDGE_SCORE:g}; trust_edges=True keeps them)"
    )
    scores = np.where(edge, EDGE_SCORE, inputs.scores)
    return replace(inputs, scores=scores, notes=inputs.notes + (note,))

"""The one check of what a run is given: keypoints in some layout, scores, and a camera.

Both the file readers (``zedo.runtime.io.formats``, which name the file) and ``estimate`` (which names
its arguments) call ``validate_inputs`` once; the orchestration after it trusts its ``Inputs``.
Units: keypoints (N, J, 2) pixels in a layout of ``zedo.runtime.io.layouts`` (MediaPipe's in [0, 1] of
the image), scores (N, J) in [0, 1] (0: joint missing), K (3, 3) or (N, 3, 3) pixel intrinsics, or
none and the image size (width, height) in pixels (``camera.default_K``). This module checks the
keypoints and scores and maps them onto the prior's joints; the camera is checked by
``zedo.runtime.io.intrinsics``, the numbers themselves by ``zedo.runtime.io.numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.camera import check_image_size
from ..core.skeleton import NUM_JOINTS
from .coordinates import check_finite, check_units, told_apart
from .intrinsics import camera_intrinsics
from .layouts import H36M17, LAYOUTS, Layout, file_layout, get_layout, layouts_with, looks_like_body25b, looks_like_coco
from .numbers import as_numbers, first_index
from .placing import RULE, enough_joints, has_extent


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of a run, float64 host arrays in the prior's 17-joint order."""

    keypoints: np.ndarray  # (N, 17, 2) pixels; missing joints (score 0) hold 0
    scores: np.ndarray  # (N, 17) in [0, 1], 0 for a missing joint
    K: np.ndarray  # (N, 3, 3) pixel intrinsics, given or made from the image size
    valid: np.ndarray  # (N,) bool: False where the pose cannot be placed (``placing.RULE``: too few joints)
    layout: str = "h36m17"  # the layout the keypoints came in
    notes: tuple[str, ...] = ()  # what was assumed (the layout, the focal length), for the user
    frame: np.ndarray | None = None  # (N,) int frame index of each pose, where the input has one
    track: np.ndarray | None = None  # (N,) int person (track) id of each pose, where the input has one

    def take(self, rows) -> Inputs:
        """The poses ``rows`` (a slice, an index or a boolean array over N) of these inputs."""

        def cut(a):
            return None if a is None else a[rows]

        kept = {k: cut(getattr(self, k)) for k in ("keypoints", "scores", "K", "valid", "frame", "track")}
        return replace(self, **kept)


CHUNK = 16_384  # poses checked and mapped at once: temporaries stay bounded as the input grows
COCO_SAMPLE = 4096  # poses, spread over the input, that decide whether 17 keypoints are COCO's


def _as_keypoints(keypoints, scores, source: str):
    """(N, J, 2) keypoints and (N, J) scores or None; a single pose (J, 2) is N = 1, and a third
    column (N, J, 3) is the score."""
    kp = as_numbers(keypoints, source, "keypoints")
    if kp.ndim == 2:
        kp = kp[None]
        if scores is not None and np.ndim(scores) == 1:
            scores = np.asarray(scores)[None]
    if kp.ndim != 3 or kp.shape[-1] not in (2, 3) or kp.shape[1] == 0:
        raise ValueError(
            f"{source}: keypoints has shape {kp.shape}, expected (N, J, 2) pixels or (N, J, 3) with the score last"
        )
    if kp.shape[-1] == 3:
        if scores is not None:
            raise ValueError(f"{source}: keypoints has a score column (N, J, 3) and scores is given too; give one")
        kp, scores = kp[..., :2], kp[..., 2]
    if len(kp) == 0:
        raise ValueError(f"{source}: keypoints holds no poses")
    return kp, scores


def _resolve_layout(kp: np.ndarray, layout, source: str) -> tuple[Layout, tuple[str, ...]]:
    J = kp.shape[1]
    if layout is not None:
        chosen = layout if isinstance(layout, Layout) else get_layout(file_layout(layout, source))
        if len(chosen.joint_names) != J:
            raise ValueError(
                f"{source}: layout {chosen.name} has {len(chosen.joint_names)} keypoints, keypoints has {J}"
            )
        return chosen, ()
    fits = layouts_with(J)
    if not fits:
        counts = sorted({len(known.joint_names) for known in LAYOUTS.values()})
        raise ValueError(
            f"{source}: {J} keypoints per pose fit no known layout (counts {', '.join(map(str, counts))}); "
            "give layout=NAME"
        )
    if J == NUM_JOINTS:
        return H36M17, ()
    return get_layout(fits[0]), (f"{J} keypoints per pose: taken as layout {fits[0]}",)


def _refuse_coco_as_h36m(kp: np.ndarray, sc: np.ndarray, source: str) -> None:
    step = max(1, len(kp) // COCO_SAMPLE)  # a majority vote: a sample spread over the input decides it
    if looks_like_coco(kp[::step], sc[::step]):
        raise ValueError(
            f"{source}: these 17 keypoints look like COCO's order (nose, eyes, ears first), not Human3.6M's; "
            "give layout='coco17'"
        )


def _body25_or_25b(kp: np.ndarray, sc: np.ndarray) -> tuple[Layout, tuple[str, ...]]:
    """OpenPose's BODY_25 or BODY_25B for 25 keypoints without a layout, by anatomy."""
    step = max(1, len(kp) // COCO_SAMPLE)
    name = "openpose25b" if looks_like_body25b(kp[::step], sc[::step]) else "openpose25"
    why = "eyes and ears beside the nose" if name == "openpose25b" else "neck and right arm after the nose"
    return get_layout(name), (f"25 keypoints per pose: taken as layout {name} (keypoints 1-4 are the {why})",)


def _check_scores(scores, shape: tuple[int, int], source: str) -> np.ndarray:
    if scores is None:
        return np.ones(shape)
    sc = as_numbers(scores, source, "scores")
    if sc.shape != shape:
        raise ValueError(f"{source}: scores has shape {sc.shape}, expected {shape}")
    bad = ~((sc >= 0) & (sc <= 1))  # NaN fails both
    if bad.any():
        i, j = first_index(bad)
        raise ValueError(f"{source}: scores[{i}, {j}] = {sc[i, j]} is not in [0, 1]")
    # The loop runs in float32: a score below its smallest normal number (about 1e-38) would be 0
    # or a denormal there, which some kernels flush to 0 and others do not; it is a missing joint.
    sc32 = sc.astype(np.float32)
    sc32[sc32 < np.finfo(np.float32).tiny] = 0.0
    return sc32.astype(np.float64)


def validate_inputs(keypoints, K=None, scores=None, source: str = "input", layout=None, image_size=None) -> Inputs:
    """Check shapes, values and the camera; map the keypoints onto the prior's 17 joints.

    ``layout``: a name of ``zedo.runtime.io.layouts.LAYOUTS`` (or a ``Layout``); None infers it from
    the keypoint count (17 stays ``h36m17``, but COCO-looking input is refused). ``image_size``
    (width, height) px: needed for normalised layouts and, when K is None, for the default camera.
    A pose that cannot be placed (``placing.RULE``) is kept with ``valid`` False. Raises ValueError naming
    ``source``, the field and the offending pose index or value.
    """
    kp, scores = _as_keypoints(keypoints, scores, source)
    chosen, notes = _resolve_layout(kp, layout, source)
    sc = _check_scores(scores, kp.shape[:2], source)
    if layout is None and chosen is H36M17:
        _refuse_coco_as_h36m(kp, sc, source)
    if layout is None and chosen.name == "openpose25":
        chosen, notes = _body25_or_25b(kp, sc)
    if layout is None:
        chosen, notes = told_apart(kp, sc, chosen, notes)
    if chosen.normalised and image_size is None:
        raise ValueError(
            f"{source}: layout {chosen.name} gives coordinates in [0, 1] of the image; "
            "give the image size (image_size=(W, H))"
        )
    check_units(kp, sc, chosen, source)
    n = len(kp)
    Km, cam_notes = camera_intrinsics(K, image_size, n, source)
    out_kp, out_sc, valid, flat = (
        np.empty((n, NUM_JOINTS, 2)),
        np.empty((n, NUM_JOINTS)),
        np.empty(n, bool),
        np.empty(n, bool),
    )
    for first in range(0, n, CHUNK):
        part = slice(first, first + CHUNK)
        out_kp[part], out_sc[part], valid[part], flat[part] = _prior_joints(
            kp[part], sc[part], Km[part], chosen, image_size, source, first
        )
    if flat.any():
        notes += (
            f"{int(flat.sum())} pose(s) (first: pose {int(np.argmax(flat))}) have every observed keypoint "
            "at one point; they cannot be placed and come back with valid 0",
        )
    return Inputs(out_kp, out_sc, Km, valid & ~flat, chosen.name, notes + cam_notes)


def check_placeable(inputs: Inputs, source: str = "input") -> Inputs:
    """``inputs`` if at least one pose can be placed; ValueError naming ``source`` otherwise."""
    if not inputs.valid.any():
        raise ValueError(f"{source}: none of the {len(inputs.valid)} poses can be placed: {RULE}")
    return inputs


def _prior_joints(kp: np.ndarray, sc: np.ndarray, Km: np.ndarray, chosen: Layout, image_size, source: str, first: int):
    """One chunk of poses, ``first`` the index of its first: keypoints (n, J, 2) and scores (n, J)
    of ``chosen`` checked and mapped onto the prior's joints (missing ones 0, score 0); returns
    them with (n,) enough (``placing.MIN_JOINTS`` observed) and flat (those at one point)."""
    kp = check_finite(kp, sc, source, first)
    if chosen.normalised:
        kp = kp * np.asarray(check_image_size(image_size, source), dtype=np.float64)
    kp, sc = chosen.to_prior(kp, sc)
    kp = np.where(sc[..., None] > 0, kp, 0.0)
    enough = enough_joints(sc)
    return kp, sc, enough, enough & ~has_extent(kp, sc, Km)

"""One input to one result: the single path behind every front door.

``lift_inputs`` decides how validated ``Inputs`` are lifted (a video input, one with frame
indices, through ``video.tracks.lift_tracks``, each track smoothed, its people first associated
across frames by ``video.tracker`` where the input has no person ids or ``Request.retrack`` asks
(``with_tracks``; the output's ``track`` is that association); anything else, or
``Request.per_frame``, pose by pose through ``solve.api.estimate_inputs``); ``lift_source`` reads
a file and lifts it; ``write_result`` writes a result in the request's format. ``zedo-infer -o``,
``--output-dir`` and ``--ray`` (``pipeline.jobs.run_item``), the Python API (``lift_file``) and the
C++ ``zedo_lift`` (``apps.embed.lift_file``) all go through ``lift_source``, so one input with
one request has one answer wherever it is written. Units and fields as ``zedo.runtime.io.formats``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.result import Estimate
from ..core.text import counted
from ..engines.open import Engine, as_engine
from ..io.edges import uncertain_edges
from ..io.exports import EXPORT_SUFFIXES, PER_TRACK
from ..io.formats import load_input, save_output, write_mmpose_json
from ..io.validation import Inputs
from ..solve.api import estimate_inputs
from ..solve.level import level_rotations, to_level, turn_back
from ..video.floor import up_of_gravity, world_frame
from ..video.skeleton_fit import fit_tracks
from ..video.smoothing import SmoothConfig
from ..video.tracker import track_video
from ..video.tracks import crowded, is_video, lift_tracks, track_rows
from .request import Request


@dataclass(frozen=True)
class Lifted:
    """An input as read (``inputs``: keypoints, K, frame and track indices, notes) and its
    ``result`` (rows in the input's order)."""

    inputs: Inputs
    result: Estimate


def lifts_as_video(inputs: Inputs, request: Request) -> bool:
    """Whether ``inputs`` run as a recorded video: frame indices with a track of several frames,
    unless the request asks for ``per_frame``."""
    return is_video(inputs) and not request.per_frame


def with_tracks(inputs: Inputs, request: Request) -> Inputs:
    """``inputs`` with person ids from the tracker where a video (``lifts_as_video``) has none and
    several people in a frame, or where the request asks to ``retrack`` (a note says so); a video
    without ids of one person a frame is one track (ids 0); anything else as it is."""
    given = inputs.track is not None
    if not lifts_as_video(inputs, request) or (given and not request.retrack):
        return inputs
    if not given and not request.retrack and not crowded(inputs.frame):
        return replace(inputs, track=np.zeros(len(inputs.frame), np.int64))
    track = track_video(inputs.keypoints, inputs.scores, inputs.frame)
    why = "their ids redone (retrack=True)" if inputs.track is not None else "the input has no person ids"
    note = (
        f"{counted(len(track), 'pose')} over {counted(len(set(inputs.frame.tolist())), 'frame')} associated into "
        f"{counted(len(set(track.tolist())), 'track')} ({why})"
    )
    return replace(inputs, track=track, notes=inputs.notes + (note,))


def check_lift(inputs: Inputs, request: Request, source: str = "input") -> None:
    """What ``lift_inputs`` refuses, checked before the lift (and before a command prints its
    notes): a video input (``lifts_as_video``) with several hypotheses, or a track whose frames
    repeat or go backwards (``video.tracks.track_rows``). ValueError naming ``source``."""
    if not lifts_as_video(inputs, request):
        return
    if request.hypotheses != 1:
        raise ValueError(
            f"{source}: a video input (frame indices) runs in the stream mode, one hypothesis per pose; "
            "give hypotheses=1 or per_frame=True"
        )
    track_rows(inputs.frame, inputs.track, source)


def lift_inputs(
    inputs: Inputs, request: Request, engine=None, source: str = "input", progress: bool = False
) -> Estimate:
    """Lift validated ``inputs`` as ``request`` says (see the module docstring). ``engine``: an
    open engine, else the request's is opened. ValueError naming ``source`` for several
    hypotheses of a video."""
    engine = request.open_engine() if engine is None else as_engine(engine)
    if inputs.track is None:
        inputs = with_tracks(inputs, request)
    r = request
    if not lifts_as_video(inputs, request):
        return estimate_inputs(
            inputs, engine, r.hypotheses, r.config, r.batch_size, r.selection, r.seed, progress, r.gravity
        )
    check_lift(inputs, request, source)
    smoothing = SmoothConfig() if request.smooth else None
    # A tilted camera's video is lifted in a level one and turned back, as estimate_inputs does.
    camera_to_level = level_rotations(inputs, engine, r.config, r.gravity)
    level, used = (inputs, None) if camera_to_level is None else to_level(inputs, camera_to_level)
    got = lift_tracks(level, engine, r.config, r.stream, r.batch_size, progress, source, smoothing)
    return got if used is None else turn_back(got, used, inputs.K)


def read_source(source, request: Request) -> Inputs:
    """``source`` read with the request's layout, image size and camera (``io.formats.load_input``),
    its keypoints undistorted where the request gives a lens (``io.cameras.undistort_fields``; a
    note says so): the result's reprojection is then against the undistorted pixels. Keypoints on
    the edge of an ``image_size`` image are made uncertain unless ``trust_edges`` (``io.edges``)."""
    K = None if request.K is None else np.array(request.K, dtype=np.float64)
    d = request.distortion
    inputs = load_input(source, layout=request.layout, image_size=request.image_size, K=K, distortion=d)
    note = () if d is None else (f"keypoints undistorted (OpenCV's lens model, {len(d)} coefficients)",)
    inputs = replace(inputs, notes=inputs.notes + note)
    return inputs if request.trust_edges else uncertain_edges(inputs, request.image_size)


def lift_source(
    source,
    request: Request,
    engine: Engine | None = None,
    rows: tuple[int, int] | None = None,
    progress: bool = False,
    on_read: Callable[[Inputs], None] | None = None,
) -> Lifted:
    """Read ``source`` (any input ``io.formats.load_input`` takes; ``read_source``), keep poses
    ``rows`` = (start, stop) if given, track a video without ids (``with_tracks``), check them
    (``check_lift``), call ``on_read(inputs)`` (a command's notes and checks, before the long part)
    and lift them (``lift_inputs``)."""
    inputs = read_source(source, request)
    if rows is not None:
        inputs = inputs.take(slice(*rows))
    inputs = with_tracks(inputs, request)
    check_lift(inputs, request, str(source))
    if on_read is not None:
        on_read(inputs)
    return Lifted(inputs, lift_inputs(inputs, request, engine, str(source), progress))


def lift_file(source, request: Request | None = None, engine=None, progress: bool = False) -> Lifted:
    """Lift one input file (zedo's .npz/.json, an OpenPose folder, MMPose's or AlphaPose's JSON)
    as ``zedo-infer -o`` does; ``request`` None: the defaults. Returns the input as read and its
    result (joints_3d (N, 17, 3) metres, camera frame; rows in the input's order)."""
    if request is not None and not isinstance(request, Request):
        raise ValueError(f"request must be a Request (or None: the defaults), got {type(request).__name__}")
    return lift_source(source, request or Request(), engine, progress=progress)


def run_fields(request: Request) -> dict:
    """The run's settings written beside a zedo-format result (``save_output``'s extra fields)."""
    c = request.config
    return dict(
        engine=str(request.engine),
        iterations=c.iterations,
        sampler=c.sampler,
        ipo=c.ipo,
        start_candidates=c.start_candidates,
        seed=request.seed,
    )


def check_write(path, request: Request, output_format: str | None = None) -> None:
    """Refuse, before a run, what ``write_result`` could not write to ``path``: an export (.csv,
    .trc, .bvh) as MMPose's JSON, MMPose's JSON in world coordinates or with fixed bones, a BVH
    without its one skeleton, a BVH without bvhio (ModuleNotFoundError). ValueError naming the flag."""
    suffix = Path(path).suffix.lower()
    if (output_format or request.output_format) == "mmpose":
        if suffix in EXPORT_SUFFIXES or request.frame == "world" or request.fixed_bones:
            raise ValueError(
                f"{path}: output_format='mmpose' writes camera JSON; drop it, or frame='world' and fixed_bones=True"
            )
    if suffix == ".bvh" and request.fixed_bones is False:
        raise ValueError(f"{path}: fixed_bones=False: a BVH holds one skeleton per track; drop it")
    if suffix == ".bvh":
        import bvhio  # noqa: F401


def shaped(path, lifted: Lifted, request: Request) -> tuple[Estimate, dict]:
    """The result as ``path`` gets it, and the fields that say how: each track's bones fixed
    (``request.fixed_bones``; a BVH: its rig, ``video.skeleton_fit``'s rigid fit), then turned to
    the world frame (``request.frame``); defaults by the suffix (``Request``). The world frame's
    fields: ``coordinates``, ``world_rotation``, ``world_translation`` (world = rotation @ camera +
    translation); an export's: ``fps``."""
    suffix, result, inputs = Path(path).suffix.lower(), lifted.result, lifted.inputs
    fields = {"fps": request.fps} if suffix in EXPORT_SUFFIXES else {}
    fixed = suffix == ".bvh" or (suffix in PER_TRACK if request.fixed_bones is None else request.fixed_bones)
    if fixed:
        joints = fit_tracks(result.joints_3d, inputs.frame, inputs.track, rigid=suffix == ".bvh")
        result = replace(result, joints_3d=joints, translation=joints[:, 0])
    if (request.frame or ("world" if suffix in PER_TRACK else "camera")) == "world":
        # A known gravity (``Request.gravity``, where that setting exists) fixes the floor's tilt.
        world = world_frame(result.joints_3d, up_of_gravity(request.gravity))
        result = replace(
            result,
            joints_3d=world.apply(result.joints_3d),
            translation=world.apply(result.translation),
            hypotheses=world.apply(result.hypotheses),
        )
        fields.update(coordinates="world", world_rotation=world.rotation, world_translation=world.translation)
    return result, fields


def write_result(path, lifted: Lifted, request: Request, output_format: str | None = None) -> list[Path]:
    """Write ``lifted.result`` atomically in ``output_format`` (None: the request's): MMPose's
    per-frame JSON, or zedo's fields (.npz or .json by the suffix; "part": a chunk's .npz), or an
    export by the suffix (.csv, .trc, .bvh: ``io.exports``), shaped by the request (``shaped``).
    Returns the files written (a BVH or TRC: one per track)."""
    if (output_format or request.output_format) == "mmpose":
        write_mmpose_json(path, lifted.result, lifted.inputs)
        return [Path(path)]
    result, fields = (lifted.result, {}) if output_format == "part" else shaped(path, lifted, request)
    return save_output(path, result, lifted.inputs, **run_fields(request), **fields) or [Path(path)]

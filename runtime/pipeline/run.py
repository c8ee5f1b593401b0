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
from typing import Callable

import numpy as np

from ..core.result import Estimate
from ..engines.open import Engine, as_engine
from ..io.edges import uncertain_edges
from ..io.formats import load_input, save_output, write_mmpose_json
from ..io.validation import Inputs
from ..solve.api import estimate_inputs
from ..video.smoothing import SmoothConfig
from ..video.tracker import track_video
from ..video.tracks import crowded, is_video, lift_tracks
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
    why = "their ids redone (--retrack)" if inputs.track is not None else "the input has no person ids"
    note = (
        f"{len(track)} poses over {len(set(inputs.frame.tolist()))} frames associated into "
        f"{len(set(track.tolist()))} tracks ({why})"
    )
    return replace(inputs, track=track, notes=inputs.notes + (note,))


def lift_inputs(
    inputs: Inputs, request: Request, engine=None, source: str = "input", progress: bool = False
) -> Estimate:
    """Lift validated ``inputs`` as ``request`` says (see the module docstring). ``engine``: an
    open engine, else the request's is opened. ValueError naming ``source`` for several
    hypotheses of a video."""
    engine = request.open_engine() if engine is None else as_engine(engine)
    if inputs.track is None:
        inputs = with_tracks(inputs, request)
    if not lifts_as_video(inputs, request):
        r = request
        return estimate_inputs(inputs, engine, r.hypotheses, r.config, r.batch_size, r.selection, r.seed, progress)
    if request.hypotheses != 1:
        raise ValueError(
            f"{source}: a video input (frame indices) runs in the stream mode, one hypothesis per pose; "
            "drop --hypotheses or add --per-frame"
        )
    smoothing = SmoothConfig() if request.smooth else None
    return lift_tracks(inputs, engine, request.config, request.stream, request.batch_size, progress, source, smoothing)


def take_poses(inputs: Inputs, start: int, stop: int) -> Inputs:
    """Poses [start, stop) of ``inputs``."""
    rows = slice(start, stop)

    def cut(a):
        return None if a is None else a[rows]

    return replace(
        inputs,
        keypoints=inputs.keypoints[rows],
        scores=inputs.scores[rows],
        K=inputs.K[rows],
        valid=inputs.valid[rows],
        frame=cut(inputs.frame),
        track=cut(inputs.track),
    )


def lift_source(
    source,
    request: Request,
    engine: Engine | None = None,
    rows: tuple[int, int] | None = None,
    progress: bool = False,
    on_read: Callable[[Inputs], None] | None = None,
) -> Lifted:
    """Read ``source`` (any input ``io.formats.load_input`` takes, with the request's layout and
    image size; keypoints on that image's edge made uncertain unless ``trust_edges``), keep poses
    ``rows`` = (start, stop) if given, track a video without ids (``with_tracks``), call
    ``on_read(inputs)`` (a command's notes and checks, before the long part) and lift them
    (``lift_inputs``)."""
    inputs = load_input(source, layout=request.layout, image_size=request.image_size)
    if not request.trust_edges:
        inputs = uncertain_edges(inputs, request.image_size)
    if rows is not None:
        inputs = take_poses(inputs, *rows)
    inputs = with_tracks(inputs, request)
    if on_read is not None:
        on_read(inputs)
    return Lifted(inputs, lift_inputs(inputs, request, engine, str(source), progress))


def lift_file(source, request: Request | None = None, engine=None, progress: bool = False) -> Lifted:
    """Lift one input file (zedo's .npz/.json, an OpenPose folder, MMPose's or AlphaPose's JSON)
    as ``zedo-infer -o`` does; ``request`` None: the defaults. Returns the input as read and its
    result (joints_3d (N, 17, 3) metres, camera frame; rows in the input's order)."""
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


def write_result(path, lifted: Lifted, request: Request, output_format: str | None = None) -> None:
    """Write ``lifted.result`` atomically in ``output_format`` (None: the request's): MMPose's
    per-frame JSON, or zedo's fields (.npz or .json by the suffix; "part": a chunk's .npz)."""
    if (output_format or request.output_format) == "mmpose":
        write_mmpose_json(path, lifted.result, lifted.inputs)
    else:
        save_output(path, lifted.result, lifted.inputs, **run_fields(request))

"""One input to one result: the single path behind every front door.

``lift_inputs`` decides how validated ``Inputs`` are lifted (a video input, one with frame
indices, through ``video.tracks.lift_tracks``, each track smoothed; anything else, or
``Request.per_frame``, pose by pose through ``solve.api.estimate_inputs``); ``lift_source`` reads
a file and lifts it; ``write_result`` writes a result in the request's format. ``zedo-infer -o``,
``--output-dir`` and ``--ray`` (``pipeline.jobs.run_item``), the Python API (``lift_file``) and the
C++ ``zedo_lift`` (``apps.embed.lift_file``) all go through ``lift_source``, so one input with
one request has one answer wherever it is written. Units and fields as ``zedo.runtime.io.formats``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ..core.result import Estimate
from ..engines.open import Engine, as_engine
from ..io.formats import load_input, save_output, write_mmpose_json
from ..io.validation import Inputs
from ..solve.api import estimate_inputs
from ..solve.level import level_rotations, to_level, turn_back
from ..video.smoothing import SmoothConfig
from ..video.tracks import is_video, lift_tracks
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


def lift_inputs(
    inputs: Inputs, request: Request, engine=None, source: str = "input", progress: bool = False
) -> Estimate:
    """Lift validated ``inputs`` as ``request`` says (see the module docstring). ``engine``: an
    open engine, else the request's is opened. ValueError naming ``source`` for several
    hypotheses of a video."""
    engine = request.open_engine() if engine is None else as_engine(engine)
    r = request
    if not lifts_as_video(inputs, request):
        return estimate_inputs(
            inputs, engine, r.hypotheses, r.config, r.batch_size, r.selection, r.seed, progress, r.gravity
        )
    if request.hypotheses != 1:
        raise ValueError(
            f"{source}: a video input (frame indices) runs in the stream mode, one hypothesis per pose; "
            "drop --hypotheses or add --per-frame"
        )
    smoothing = SmoothConfig() if request.smooth else None
    # A tilted camera's video is lifted in a level one and turned back, as estimate_inputs does.
    camera_to_level = level_rotations(inputs, engine, r.config, r.gravity)
    level, used = (inputs, None) if camera_to_level is None else to_level(inputs, camera_to_level)
    got = lift_tracks(level, engine, r.config, r.stream, r.batch_size, progress, source, smoothing)
    return got if used is None else turn_back(got, used, inputs.K)


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
    image size), keep poses ``rows`` = (start, stop) if given, call ``on_read(inputs)`` (a
    command's notes and checks, before the long part) and lift them (``lift_inputs``)."""
    inputs = load_input(source, layout=request.layout, image_size=request.image_size)
    if rows is not None:
        inputs = take_poses(inputs, *rows)
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

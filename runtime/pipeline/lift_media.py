"""The lift of a media run: frames through a detector, the 2D as ``Inputs``, tracked and lifted on
the one path (``run.lift_inputs``: a video as a recorded video, each track smoothed; photos pose by
pose), and the 2D and 3D written into the run's folder.

Files (zedo's formats, ``io.formats``; written atomically): ``keypoints2d.npz`` (the 2D in the
detector's layout with frame, track, image size and fps: ``zedo-infer keypoints2d.npz`` redoes the
3D without the detector, with the same smoothing), ``poses3d.npz`` and ``poses3d.json`` (the result,
with ``fps`` and ``frames``, the frames decoded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..core.text import counted
from ..io.formats import save_output
from .detect2d import Keypoints2D, detect_frames
from .request import Request
from .run import Lifted, lift_inputs, run_fields, shaped, with_tracks

KEYPOINTS_2D, POSES_3D = "keypoints2d.npz", ("poses3d.npz", "poses3d.json")


@dataclass(frozen=True)
class Lift2D:
    """A lifted media input: its 2D (``points``, with the tracks), the ``lifted`` result, the
    ``request`` it ran with (the video's fps, per_frame for photos), and ``notes`` for the user."""

    points: Keypoints2D
    lifted: Lifted
    request: Request
    notes: tuple[str, ...]


def detect_and_lift(
    frames,
    detector,
    request: Request,
    engine,
    source: str,
    fps: float | None,
    on_frame: Callable[[], None],
    until_interrupt: bool = False,
    on_lift: Callable[[], None] = lambda: None,
) -> Lift2D:
    """Detect every frame of ``frames`` (``(index, rgb)`` pairs; ``until_interrupt``: Ctrl-C ends
    them, ``detect2d.detect_frames``), then track and lift the people found with ``request`` (its
    ``fps`` the smoothing's clock; ``on_lift()`` is called in between). ValueError naming ``source``
    when nobody was found in any frame."""
    points = detect_frames(frames, detector, fps, on_frame, until_interrupt)
    notes = []
    if points.nobody:
        notes.append(f"{counted(points.nobody, 'frame')} of {points.frames} with nobody found: skipped")
    on_lift()
    inputs = with_tracks(points.inputs(request, source), request)
    result = lift_inputs(inputs, request, engine, source)
    points = replace(points, track=inputs.track)
    return Lift2D(points, Lifted(inputs, result), request, tuple(notes) + inputs.notes)


def write_lift(folder: Path, lift: Lift2D) -> list[Path]:
    """Write the 2D and the 3D of ``lift`` into ``folder``; returns the files written."""
    points, request = lift.points, lift.request
    path2d = folder / KEYPOINTS_2D
    points.save(path2d)
    written = [path2d]
    extra = dict(frames=points.frames) if points.fps is None else dict(frames=points.frames, fps=points.fps)
    for name in POSES_3D:
        result, fields = shaped(folder / name, lift.lifted, request)
        save_output(folder / name, result, lift.lifted.inputs, **run_fields(request), **fields, **extra)
        written.append(folder / name)
    return written

"""A media run, whole: a video, photo, folder of photos or camera in; the 2D, the 3D and an overlay
out, in one folder (``default_folder``: ``<name>_zedo/`` beside the input).

Steps, under one progress bar over frames: decode and detect (one frame at a time), lift
(``lift_media``), and the overlay: the input decoded again and each frame drawn (``overlay``) and
encoded to ``overlay.mp4`` (photos: ``photos``). Memory holds the 2D and 3D of every frame, never
the frames. A camera's frames are also recorded to ``capture.mp4``, which the overlay reads back.
Every file is written atomically: an error or Ctrl-C leaves the files already finished and no half
of one (the interrupt's message says which were written).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from ..core.errors import install_extra, one_line
from ..detect.table import DETECTORS, open_detector
from ..io.atomic import check_writable
from ..media.decode import MediaReader
from ..media.encode import video_writer
from ..media.sources import Source, parse_source
from .lift_media import KEYPOINTS_2D, Lift2D, detect_and_lift, write_lift
from .overlay import Scene, compose
from .photos import write_photo_overlays
from .request import Request

OVERLAY_MP4, CAPTURE = "overlay.mp4", "capture.mp4"


@dataclass(frozen=True)
class MediaResult:
    """What a media run did: its ``lift`` (2D, 3D, notes), the ``files`` written, and the
    ``frames`` decoded at ``fps`` (None: photos)."""

    lift: Lift2D
    files: tuple[Path, ...]
    frames: int
    fps: float | None
    notes: tuple[str, ...]


def default_folder(source: Source) -> Path:
    """Where a run writes without ``-o``: ``<name>_zedo`` beside the input (a camera: here)."""
    return (Path.cwd() if source.kind == "camera" else source.path.parent) / f"{source.name}_zedo"


def run_fps(source: Source, info_fps: float | None, request: Request, fps_given: bool) -> tuple[Request, list[str]]:
    """The request a media run lifts with: a video's frame rate from ``--fps`` (``fps_given``), else
    the file's, else the request's default (a note says so); photos each on their own."""
    if source.kind in ("image", "folder"):
        return replace(request, per_frame=True), []
    if fps_given or info_fps is None:
        note = [] if fps_given else [f"{source.path}: no frame rate in the file; {request.fps:g} fps assumed (fps=N)"]
        return request, note
    return replace(request, fps=info_fps), []


def _frames(reader: MediaReader, folder: Path, written: list):
    """``reader``'s frames; a camera's are recorded to ``capture.mp4`` on the way, until
    ``max_frames``, Ctrl-C or the generator's ``close()`` (the capture is then finished)."""
    if reader.source.kind != "camera":
        yield from reader
        return
    with video_writer(folder / CAPTURE, reader.info.fps or 25.0, reader.threads) as writer:
        try:
            for index, rgb in reader:
                writer.write(rgb)
                yield index, rgb
        except (KeyboardInterrupt, GeneratorExit):
            pass
    written.append(folder / CAPTURE)


def _overlay(folder: Path, reader: MediaReader, lift: Lift2D, bar) -> list[Path]:
    if reader.source.kind in ("image", "folder"):
        return write_photo_overlays(folder, reader, lift.lifted, lambda: bar.update(1))
    scene = Scene.of(lift.lifted, lift.points.fps)
    if reader.source.kind == "camera":
        reader = MediaReader(Source("video", folder / CAPTURE), threads=reader.threads)
    with video_writer(folder / OVERLAY_MP4, lift.request.fps, lift.request.threads) as writer:
        for index, rgb in reader:
            writer.write(compose(rgb, scene, index))
            bar.update(1)
    return [folder / OVERLAY_MP4]


def run_media(
    reader: MediaReader,
    detector,
    request: Request,
    folder: Path,
    engine=None,
    fps_given: bool = False,
    progress: bool = False,
) -> MediaResult:
    """Run the frames of ``reader`` (a ``MediaReader``: its ``max_frames`` stops a camera, else
    Ctrl-C) through ``detector`` and the lift (``request``; ``engine`` an open one, else the
    request's), writing into ``folder`` (see the module docstring)."""
    source, max_frames = reader.source, reader.max_frames
    check_writable(folder / KEYPOINTS_2D, "the 2D")  # fails now, not after the detector has run
    request, notes = run_fps(source, reader.info.fps, request, fps_given)
    fps = request.fps if source.kind in ("video", "camera") else None
    engine = request.open_engine() if engine is None else engine
    total = reader.info.frames if max_frames is None else min(max_frames, reader.info.frames or max_frames)
    written: list[Path] = []
    with tqdm(total=None if total is None else 3 * total, unit="frame", disable=not progress, leave=False) as bar:
        try:
            bar.set_description("decode+detect")
            frames = _frames(reader, folder, written)
            camera, tick = source.kind == "camera", lambda: bar.update(1)
            lift = detect_and_lift(
                frames,
                detector,
                request,
                engine,
                str(source.path),
                fps,
                tick,
                camera,
                lambda: bar.set_description("lift"),
            )
            frames.close()  # a camera stopped by Ctrl-C: its capture finished before the overlay reads it
            bar.update(lift.points.frames)
            written += write_lift(folder, lift)
            bar.set_description("overlay")
            written += _overlay(folder, reader, lift, bar)
        except KeyboardInterrupt:
            done = ", ".join(map(str, written)) or "nothing"
            raise KeyboardInterrupt(f"written: {done}; no file is half-written") from None
    notes += reader.notes + list(lift.notes)
    return MediaResult(lift, tuple(written), lift.points.frames, fps, tuple(notes))


def open_media_detector(detector="auto", model=None, threads: int = 1):
    """``detector`` as a ``detect.base.Detector``: an object with ``layout`` and a call is used as
    it is; a name (``auto`` or a row of ``detect.table.DETECTORS``) is opened on the CPU with
    ``threads`` threads and ``model`` (a local model file, else the backend's own). RuntimeError
    naming the extra to install, or ``--detector-model`` where the model cannot be had."""
    if not isinstance(detector, str):
        return detector
    row = DETECTORS.get(detector)
    try:
        return open_detector(detector, model, "cpu", threads)
    except ModuleNotFoundError as e:
        if (e.name or "").startswith(open_detector.__module__.rpartition(".")[0]):
            raise RuntimeError(f"detector {detector!r}: its backend is not part of this zedo ({e.name})") from None
        how = install_extra(row.extra) if row is not None and row.extra else f"pip install {e.name}"
        raise RuntimeError(f"detector {detector!r} needs {e.name}, which is not installed: {how}") from None
    except OSError as e:
        raise RuntimeError(
            f"detector {detector!r}: its model cannot be read or fetched ({one_line(e)}); "
            "give a local model with detector_model=PATH"
        ) from None


def lift_video(
    path,
    output=None,
    request: Request | None = None,
    detector="auto",
    detector_model=None,
    engine=None,
    progress: bool = False,
    max_frames: int | None = None,
) -> MediaResult:
    """Lift a video, an image or a folder of images (``path``; or a camera index: an int) to 3D as
    ``zedo-infer clip.mp4`` does, writing keypoints2d.npz, poses3d.npz/json and the overlay into
    ``output`` (None: ``<name>_zedo`` beside the input). ``request``: the lift's settings (None: the
    defaults; its ``fps`` is used only where the file has no frame rate); ``detector`` a name of
    ``detect.table`` or a ``Detector`` object. Returns the ``MediaResult`` (``.lift.lifted.result``:
    joints_3d (N, 17, 3) metres, camera frame)."""
    if request is not None and not isinstance(request, Request):
        raise ValueError(f"request must be a Request (or None: the defaults), got {type(request).__name__}")
    source, request = parse_source(str(path)), request or Request(threads=1)
    reader = MediaReader(source, max_frames, request.threads)
    folder = default_folder(source) if output is None else Path(output)
    found = open_media_detector(detector, detector_model, max(1, request.threads))
    return run_media(reader, found, request, folder, engine, False, progress)


def lift_camera(index: int = 0, max_frames: int = 250, output=None, **kw) -> MediaResult:
    """``lift_video`` of camera ``index`` (``/dev/videoN``): at most ``max_frames`` frames (or until
    Ctrl-C), recorded to capture.mp4 beside the 2D, the 3D and the overlay."""
    return lift_video(int(index), output, max_frames=max_frames, **kw)

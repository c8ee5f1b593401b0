"""Video input: poses grouped by ``track`` (one person or clip each), lifted as a recorded video.

Units and frames as ``zedo.runtime.core.geometry``. The input's ``track`` (N,) and ``frame`` (N,)
ids are used as given; an input without ``track`` is tracked first (``zedo.runtime.video.tracker``,
by ``zedo.runtime.pipeline.run``, or here where a frame has several rows), else it is one track.
Each track's rows must come in increasing frame order. A recorded video has every frame at hand, so
each frame is lifted on its own with the stream mode's short loop (``StreamConfig.iterations``; all
frames of all tracks in one batch), and each track is then smoothed in time in both directions
(``zedo.runtime.video.smoothing``), which a live stream, seeing only the past, cannot do
(docs/decisions.md, "Video: every frame lifted, then smoothed"). With ``StreamConfig.warm`` the
tracks run through the stream mode's warm chain instead (``zedo.runtime.video.stream.Streams``, all
tracks advancing together). Frame gaps are allowed: the smoothing's clock follows the frame index at
``StreamConfig.fps``. A joint missing for a few frames of a track is bridged from the frames on
either side before the lift (``zedo.runtime.video.bridging``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from tqdm.auto import tqdm

from ..core.config import LoopConfig
from ..core.result import Estimate
from ..core.skeleton import NUM_JOINTS
from ..engines.open import as_engine
from ..io.placing import RULE
from ..io.validation import Inputs
from ..solve.api import estimate_inputs
from .bridging import bridge_tracks
from .smoothing import SmoothConfig, smooth_track
from .stream import StreamConfig, Streams
from .tracker import track_video


def track_rows(frame: np.ndarray, track: np.ndarray | None = None, source: str = "input") -> list[np.ndarray]:
    """Row indices (into frame (N,)) of each track in increasing track id, each in frame order.
    ``track`` None is one track. ValueError naming the track and frame when a track's frames repeat
    or go backwards (several people sharing a track id, or rows out of order)."""
    frame = np.asarray(frame)
    track = np.zeros(len(frame), np.int64) if track is None else np.asarray(track)
    out = []
    for tid in np.unique(track):
        rows = np.flatnonzero(track == tid)
        step = np.diff(frame[rows])
        if (step <= 0).any():
            i = int(np.argmax(step <= 0))
            a, b = int(frame[rows[i]]), int(frame[rows[i + 1]])
            what = f"frame {b} appears twice" if a == b else f"frame {b} comes after frame {a}"
            raise ValueError(
                f"{source}: track {int(tid)}: {what} (row {int(rows[i + 1])}); a track's rows must be one person in "
                "increasing frame order (give each person its own track id, retrack=True to have zedo track them, or "
                "per_frame=True)"
            )
        out.append(rows)
    return out


def lift_tracks(
    inputs: Inputs,
    engine=None,
    config: LoopConfig = LoopConfig(),
    stream_config: StreamConfig = StreamConfig(),
    batch_size: int = 1024,
    progress: bool = False,
    source: str = "input",
    smoothing: SmoothConfig | None = SmoothConfig(),
) -> Estimate:
    """Lift validated ``inputs`` with ``frame`` (and optionally ``track``) ids as a recorded video:
    each frame with ``config`` at ``stream_config.iterations`` (or, with ``stream_config.warm``,
    each track through the warm chain, ``batch_size`` tracks together), then each track smoothed
    (``smoothing``; None: not). Returns an ``Estimate`` with one hypothesis per pose, rows in the
    input's order; reprojection and residual are the unsmoothed poses'. A joint missing for a few
    frames of a track is bridged first (``bridging``). Raises ValueError when no pose can be placed
    or for the frame order."""
    if inputs.frame is None:
        raise ValueError(f"{source}: the stream mode needs frame indices (frame (N,))")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    track = inputs.track
    if track is None and crowded(inputs.frame):
        track = track_video(inputs.keypoints, inputs.scores, inputs.frame)
    tracks = track_rows(inputs.frame, track, source)
    inputs = bridge_tracks(inputs, tracks)
    if not inputs.valid.any():
        raise ValueError(f"none of the {len(inputs.keypoints)} poses can be placed: {RULE}")
    engine = as_engine(engine)
    if stream_config.warm:
        got = run_streams(inputs, tracks, engine, config, stream_config.unfiltered(), batch_size, progress)
    else:
        got = estimate_inputs(
            inputs, engine, 1, replace(config, iterations=stream_config.iterations), batch_size, progress=progress
        )
    if smoothing is None:
        return got
    joints = got.joints_3d.copy()
    for rows in tracks:
        joints[rows] = smooth_track(got.joints_3d[rows], inputs.frame[rows] / stream_config.fps, smoothing)
    return replace(got, joints_3d=joints, translation=joints[:, 0].copy(), hypotheses=joints[:, None].copy())


def _step_group(streams: Streams, group: list[np.ndarray], inputs: Inputs, out: dict, bar) -> None:
    """The tracks of ``group`` through ``streams``, the k-th row of each in one step; their
    results written into ``out``'s arrays (n, ...) at the rows."""
    for k in range(max(len(t) for t in group)):
        ids = np.array([i for i, t in enumerate(group) if len(t) > k])
        rows = np.array([group[i][k] for i in ids])
        got = streams.step(
            ids, inputs.keypoints[rows], inputs.scores[rows], inputs.K[rows], inputs.valid[rows], inputs.frame[rows]
        )
        for key in out:
            out[key][rows] = getattr(got, key)
        bar.update(len(rows))


def run_streams(
    inputs: Inputs,
    tracks: list[np.ndarray],
    engine,
    config: LoopConfig,
    stream_config: StreamConfig,
    batch_size: int,
    progress: bool,
) -> Estimate:
    """The rows of each track (``track_rows``) through the live stream mode (``Streams`` with
    ``stream_config``), ``batch_size`` tracks advancing together (the k-th row of each in one step,
    one prior call per loop iteration for all)."""
    n = len(inputs.keypoints)
    out = {
        "joints_3d": np.full((n, NUM_JOINTS, 3), np.nan),
        "translation": np.full((n, 3), np.nan),
        "valid": np.zeros(n, bool),
        "reprojection_px": np.full(n, np.nan),
        "residual": np.full(n, np.nan),
    }
    with tqdm(total=n, disable=not progress, desc="zedo", unit="pose") as bar:
        for i in range(0, len(tracks), batch_size):
            group = tracks[i : i + batch_size]
            _step_group(Streams(engine, len(group), config, stream_config), group, inputs, out, bar)
    if not out["valid"].any():
        raise RuntimeError(f"the prior returned non-finite values for every one of the {n} poses; check the prior file")
    joints = out["joints_3d"]
    reproj, residual = out["reprojection_px"][:, None], out["residual"][:, None]
    zero = np.zeros(n, np.int64)
    return Estimate(
        joints,
        out["translation"],
        joints[:, None],
        zero,
        reproj,
        residual,
        "prior",
        out["valid"],
        inputs.K,
        inputs.layout,
    )


def crowded(frame: np.ndarray) -> bool:
    """Whether some frame of ``frame`` (N,) has several rows (several people)."""
    return len(np.unique(frame)) < len(frame)


def is_video(inputs: Inputs) -> bool:
    """Whether ``inputs`` is a video: frame indices, and (with track ids) some track with more
    than one row or (without) more than one frame. A detector's file of one image (each person
    one row) is not."""
    if inputs.frame is None:
        return False
    if inputs.track is None:
        return len(np.unique(inputs.frame)) > 1
    return len(np.unique(inputs.track)) < len(inputs.track)

"""``StreamConfig``: the settings of the stream mode, checked when made.

The loop's own settings are ``LoopConfig``'s; these are the stream's: the loop of a frame lifted
from a chosen start, how it follows the previous frame (``continuity``, or ``warm`` from the
previous pose itself), when a track counts as lost, the One-Euro filters
(``zedo.runtime.video.filters``) and, for ``PoseStream`` with a delay, the two-sided smoothing
(``zedo.runtime.video.smoothing``). Units: frames per second, seconds, 2D body sizes as said per
field. Measured: docs/decisions.md, "Video: every frame lifted, then smoothed" and "Stream mode".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..core.config import check_float, check_int
from .filters import OneEuroConfig
from .smoothing import SmoothConfig

FILTERS = ("plane_filter", "depth_filter", "translation_filter")  # StreamConfig's, in Streams.filters' order


@dataclass(frozen=True)
class StreamConfig:
    """Settings of the stream mode (the loop's own are ``LoopConfig``); checked on construction.
    Measured: docs/decisions.md, "Video: every frame lifted, then smoothed" (the warm chain:
    "Stream mode")."""

    # Loop iterations of a frame lifted from a chosen start (LoopConfig.iterations is per-frame mode's).
    iterations: int = 75
    # A frame with a previous one starts from the closest to it of its this many best-ranked starts
    # (1: the best, as per-frame mode).
    continuity: int = 3
    # Start each frame from the previous frame's pose instead, with the warm_* schedule (faster, less accurate).
    warm: bool = False
    warm_iterations: int = 20  # loop iterations of a warm frame
    # Where a warm frame's schedule starts, down to the SDE's t_min (a fresh start runs from t_max = 0.1).
    warm_t_start: float = 0.15
    # A warm frame's step is warm_step_scale / warm_iterations (LoopConfig.step_scale's meaning).
    warm_step_scale: float = 0.3
    # The track is lost when the previous pose reprojects this far from the new 2D, in 2D body sizes.
    lost_fit: float = 0.1
    # Forget the previous frame every this many frames of a stream (0: only when the track is lost).
    refresh_every: int = 0
    fps: float = 25.0  # frames per second of the video: the filters' time base
    # The One-Euro filters on root-relative x and y, on root-relative z (depth) and on the
    # translation; None: no filter.
    plane_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=2.0, beta=1.0)
    depth_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=2.0)
    translation_filter: OneEuroConfig | None = OneEuroConfig(min_cutoff=1.5)
    # PoseStream only: hold frames back this many updates and smooth each with the frames on both
    # sides (``smoothing``) instead of the filters.
    delay: int = 0
    smoothing: SmoothConfig = SmoothConfig()  # the widths of that smoothing

    def __post_init__(self):
        check_int("iterations", self.iterations, 1, 100_000)
        check_int("continuity", self.continuity, 1, 1000)
        if not isinstance(self.warm, bool):
            raise ValueError(f"warm must be True or False, got {self.warm!r}")
        check_int("warm_iterations", self.warm_iterations, 1, 100_000)
        check_float("warm_t_start", self.warm_t_start, 0.0, 1.0, low_open=True)
        check_float("warm_step_scale", self.warm_step_scale, 0.0, 10.0, low_open=True)
        check_float("lost_fit", self.lost_fit, 0.0, 1e6, low_open=True)
        check_float("fps", self.fps, 0.0, 1e6, low_open=True)
        check_int("refresh_every", self.refresh_every, 0)
        for name in FILTERS:
            if getattr(self, name) is not None and not isinstance(getattr(self, name), OneEuroConfig):
                raise ValueError(f"{name} must be a OneEuroConfig or None, got {getattr(self, name)!r}")
        check_int("delay", self.delay, 0, 1000)
        if not isinstance(self.smoothing, SmoothConfig):
            raise ValueError(f"smoothing must be a SmoothConfig, got {self.smoothing!r}")

    def unfiltered(self) -> "StreamConfig":
        """These settings without the filters (for clean 2D, or a recorded video smoothed afterwards)."""
        return replace(self, **dict.fromkeys(FILTERS))

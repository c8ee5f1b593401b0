"""The stream mode: people tracked over live video, frame by frame, each frame smoothed with the past.

Units and frames as ``zedo.runtime.core.geometry``. Every frame is lifted as ``estimate`` lifts one pose,
with a short loop (``StreamConfig.iterations``); a frame after the first starts from whichever of
its best-ranked starts lies closest to the previous frame's pose, so that the start, and with it the
depth reading, does not flip between frames. One-Euro filters (``zedo.runtime.video.filters``) smooth the
output, the image plane and depth apart; the next frame compares with the unfiltered pose. With
``StreamConfig.warm`` a frame starts from the previous frame's pose itself and runs a shorter loop
instead: faster, but errors carry from frame to frame (docs/decisions.md, "Stream mode"). A
stream's first frame, and any frame after its track was lost (too few joints to place the pose,
or the previous pose no longer fitting the 2D), starts afresh. ``Streams`` advances many streams together
(one prior call per iteration for all of them: ``zedo.runtime.video.streams``); ``PoseStream``,
here, is one person, frame by frame. The settings are ``StreamConfig``
(``zedo.runtime.video.stream_config``). A recorded video is smoothed in both directions instead:
``zedo.runtime.video.tracks``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.config import LoopConfig
from ..core.skeleton import NUM_JOINTS
from ..engines.open import as_engine
from ..io.validation import validate_inputs
from .arguments import check_stream_arguments
from .smoothing import smooth_track
from .stream_config import StreamConfig

# Importable from here as before, for tests/test_stream.py (its home is ``streams``).
from .streams import Streams


@dataclass(frozen=True)
class Frame:
    """The result of one ``PoseStream.update``."""

    joints_3d: np.ndarray  # (17, 3) metres, camera frame; NaN when not valid
    translation: np.ndarray  # (3,) metres, the pelvis; NaN when not valid
    valid: bool  # False when the frame could not be placed (too few joints: io.placing.RULE), or none is due yet
    continued: bool = False  # followed on from the previous frame (its pose, or the start closest to it); False: afresh
    index: int = -1  # which update this is the result of (0: the stream's first frame); -1: none yet (delay)


class PoseStream:
    """Lift one person's keypoints frame by frame: one camera (K (3, 3), or ``image_size`` (w, h)
    px for the default camera of ``zedo.runtime.core.camera``) and one keypoint ``layout`` (None: the
    first frame's, inferred as ``validate_inputs`` does). ``config`` is the loop of a frame but for
    its iterations, ``stream_config`` the rest (``StreamConfig``). With ``StreamConfig.delay``
    d > 0 each update returns the frame d updates earlier, smoothed over the frames before and
    after it (``zedo.runtime.video.smoothing``): a recorded video's accuracy for a latency of d
    frames (docs/decisions.md, "Video: every frame lifted, then smoothed"); ``flush`` returns the
    frames still held back."""

    def __init__(
        self,
        engine=None,
        *,
        K=None,
        image_size=None,
        layout=None,
        config: LoopConfig = LoopConfig(),
        stream_config: StreamConfig = StreamConfig(),
    ):
        check_stream_arguments(K, image_size, layout, config, stream_config)
        self.engine = as_engine(engine)
        self.K, self.image_size, self.layout = K, image_size, layout
        self.stream_config = stream_config
        self.streams = Streams(
            self.engine, 1, config, stream_config.unfiltered() if stream_config.delay else stream_config
        )
        self.frames = 0
        self.last: Frame | None = None
        self.held: list[Frame] = []  # with a delay: the latest unsmoothed frames, oldest first
        widest = max(
            stream_config.smoothing.plane_s, stream_config.smoothing.depth_s, stream_config.smoothing.translation_s
        )
        self.keep = (
            stream_config.delay + int(np.ceil(3 * widest * stream_config.fps)) + 1
        )  # frames a smoothing can reach

    def reset(self) -> None:
        """Forget the past, frames held back included (``flush`` first to keep them): the next
        frame starts afresh."""
        self.streams.reset()
        self.last = None
        self.held = []

    def update(self, keypoints, scores=None) -> Frame:
        """Lift one frame: keypoints (J, 2) px in the stream's layout, scores (J,) in [0, 1] or None.
        Returns its result, or with a delay d the result of the frame d updates earlier (not
        valid, index -1, while fewer have come)."""
        inputs = validate_inputs(
            keypoints, self.K, scores, source="frame", layout=self.layout, image_size=self.image_size
        )
        if len(inputs.keypoints) != 1:
            raise ValueError(f"frame: keypoints must be one pose (J, 2), got {len(inputs.keypoints)}")
        # The layout inferred from the first frame holds for the stream: one frame alone (a person
        # sitting, a leg folded onto the pelvis) can look like COCO's order and must not stop it.
        self.layout = inputs.layout
        got = self.streams.step([0], inputs.keypoints, inputs.scores, inputs.K, inputs.valid, [self.frames])
        frame = Frame(got.joints_3d[0], got.translation[0], bool(got.valid[0]), bool(got.continued[0]), self.frames)
        self.frames += 1
        delay = self.stream_config.delay
        if delay:
            self.held = (self.held + [frame])[-self.keep :]
            due = len(self.held) - 1 - delay
            frame = (
                self._smoothed(due) if due >= 0 else Frame(np.full((NUM_JOINTS, 3), np.nan), np.full(3, np.nan), False)
            )
        self.last = frame
        return frame

    def flush(self) -> list[Frame]:
        """The frames held back by the delay, oldest first, each smoothed over the frames there
        are; the stream then holds none (the next update continues the track)."""
        pending = range(max(0, len(self.held) - self.stream_config.delay), len(self.held))
        frames = [self._smoothed(i) for i in pending] if self.stream_config.delay else []
        self.held = []
        return frames

    def _smoothed(self, i: int) -> Frame:
        """Held frame i smoothed over the held frames (their clock: index / fps)."""
        frame = self.held[i]
        if not frame.valid:
            return frame
        joints = np.stack([f.joints_3d for f in self.held])
        seconds = np.array([f.index for f in self.held], np.float64) / self.stream_config.fps
        smooth = smooth_track(joints, seconds, self.stream_config.smoothing)[i]
        return replace(frame, joints_3d=smooth, translation=smooth[0].copy())

"""``CrowdStream``: a live feed with several people and no person ids, frame by frame.

Units and frames as ``zedo.runtime.core.geometry``. Each frame's people (in any order, any number)
are associated with the people of the frames before by ``zedo.runtime.video.tracker.Tracker``;
each track runs in a slot of one ``zedo.runtime.video.streams.Streams`` (all slots advance in one
step: one prior call per loop iteration for the whole frame). A track's slot is freed when the
tracker ends the track, and a new track takes a free slot afresh (its filters reset). One camera
(K or ``image_size``) and one keypoint layout, as ``PoseStream``; no delay (a live result).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.config import LoopConfig
from ..engines.open import as_engine
from ..io.numbers import as_numbers
from ..io.validation import validate_inputs
from .arguments import check_capacity, check_stream_arguments
from .stream_config import StreamConfig
from .streams import Streams
from .tracker import Tracker, TrackerConfig


@dataclass(frozen=True)
class CrowdFrame:
    """The result of one ``CrowdStream.update`` for its M people, in the order given."""

    ids: np.ndarray  # (M,) track ids (the association across frames)
    joints_3d: np.ndarray  # (M, 17, 3) metres, camera frame; NaN where not valid
    valid: np.ndarray  # (M,) bool


class CrowdStream:
    """Lift the people of a live feed frame by frame, associating them across frames (see the
    module docstring). ``capacity``: the most people tracked at once."""

    def __init__(
        self,
        engine=None,
        *,
        K=None,
        image_size=None,
        layout=None,
        config: LoopConfig = LoopConfig(),
        stream_config: StreamConfig = StreamConfig(),
        tracker_config: TrackerConfig = TrackerConfig(),
        capacity: int = 16,
    ):
        check_stream_arguments(K, image_size, layout, config, stream_config)
        if stream_config.delay:
            raise ValueError("CrowdStream gives live results: use a StreamConfig without delay")
        if not isinstance(tracker_config, TrackerConfig):
            raise ValueError(f"tracker_config must be a TrackerConfig, got {type(tracker_config).__name__}")
        self.K, self.image_size, self.layout = K, image_size, layout
        self.streams = Streams(as_engine(engine), check_capacity(capacity), config, stream_config)
        self.tracker = Tracker(tracker_config)
        self.slot_of: dict[int, int] = {}  # track id -> slot of ``streams``
        self.frames = 0

    def reset(self) -> None:
        """End every track (a scene cut): the next frame's people start afresh with new ids."""
        self.tracker.reset()
        self.streams.reset()
        self.slot_of = {}

    def _slots(self, ids: np.ndarray) -> np.ndarray:
        """The slot of each track id, a free one (reset) for a new track; ended tracks' slots freed."""
        alive = set(self.tracker.ids.tolist())
        self.slot_of = {t: s for t, s in self.slot_of.items() if t in alive}
        free = sorted(set(range(len(self.streams.live))) - set(self.slot_of.values()))
        for t in ids.tolist():
            if t not in self.slot_of:
                if not free:
                    raise ValueError(f"CrowdStream: more than its capacity of {len(self.streams.live)} people at once")
                self.slot_of[t] = free.pop(0)
                self.streams.reset([self.slot_of[t]])
        return np.array([self.slot_of[t] for t in ids.tolist()], np.int64)

    def update(self, keypoints, scores=None) -> CrowdFrame:
        """Lift one frame: keypoints (M, J, 2) px of its M people (M may be 0), scores (M, J) or None."""
        kp = as_numbers(keypoints, "frame", "keypoints")
        self.frames += 1
        if kp.ndim == 3 and len(kp) == 0:
            self.tracker.update(np.zeros((0, 17, 2)), np.zeros((0, 17)), self.frames - 1)
            return CrowdFrame(np.zeros(0, np.int64), np.zeros((0, 17, 3)), np.zeros(0, bool))
        inputs = validate_inputs(kp, self.K, scores, source="frame", layout=self.layout, image_size=self.image_size)
        self.layout = inputs.layout
        ids = self.tracker.update(inputs.keypoints, inputs.scores, self.frames - 1)
        slots = self._slots(ids)
        n = len(ids)
        got = self.streams.step(
            slots, inputs.keypoints, inputs.scores, inputs.K, inputs.valid, np.full(n, self.frames - 1)
        )
        return CrowdFrame(ids, got.joints_3d, got.valid)

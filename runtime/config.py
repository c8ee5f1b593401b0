"""``LoopConfig``: the settings of one ZeDO run, checked when made.

Defaults are the paper's Human3.6M settings except where a measured departure is named (see
``docs/decisions.md``). Units: distances in metres, angles as grid steps over a full turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sde import SAMPLERS
from .skeleton import NUM_JOINTS, TORSO_JOINTS

MAX_ITERATIONS = 100_000  # a bound on the work one call may ask for (the paper runs 1000)


def _check_int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be a whole number {bound}, got {value!r}")


def _check_float(name: str, value, low: float, high: float, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (low < value if low_open else low <= value) and value <= high
    if not ok:
        raise ValueError(f"{name} must be a number in {'(' if low_open else '['}{low}, {high}], got {value!r}")


@dataclass(frozen=True)
class LoopConfig:
    """Settings of one ZeDO run. Every field is checked on construction (ValueError naming it)."""

    iterations: int = 1000  # optimisation-loop iterations (each one prior call)
    warmup_fraction: float = 0.2  # first fraction of iterations keeps the IPO translation (release: N // 5)
    sampler: str = "ode"  # reverse step, a key of sde.SAMPLERS: "ode" (probability flow, the release's) or "sde"
    step_scale: float = 1.0  # reverse-time step = step_scale / iterations (release: 1/1000 at 1000 iterations)
    ipo: bool = True  # fit yaw and distance before the loop; off: identity yaw, distance ipo_distance
    ipo_distance: float = 3.0  # nominal pelvis distance in metres (release: IPO_T = 3)
    ipo_scale_range: tuple[float, float] = (0.5, 2.0)  # distance search range as multiples of ipo_distance
    ipo_joints: tuple[int, ...] = TORSO_JOINTS  # joints the IPO fits a mean-pose start on (release: skeleton.IPO_JOINTS); a chosen start is fitted on every joint
    ipo_yaw_steps: int = 36  # yaw grid over a full turn (10 degrees apart)
    ipo_scale_steps: int = 16  # distance grid, log-spaced over ipo_scale_range
    ipo_search_steps: int = 30  # pattern-search iterations after the grid (each evaluates 9 candidates)
    min_score: float = 1e-4  # scores are clipped to [min_score, 1] in the translation solve (release)
    start_candidates: int = 1000  # one hypothesis starts from the best of this many cluster poses (start.choose_start; 1: the mean pose, the release's)
    start_shortlist: int = 50  # of those, the closest this many under weak perspective are placed by the IPO and judged by the prior
    noise_px: float | None = None  # 2D noise sigma per coordinate, px, of the soft data step (zedo.runtime.noise); None: estimated per pose; 0: the release's exact step

    def __post_init__(self):
        _check_int("iterations", self.iterations, 1, MAX_ITERATIONS)
        _check_float("warmup_fraction", self.warmup_fraction, 0.0, 1.0)
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(sorted(SAMPLERS))}, got {self.sampler!r}")
        _check_float("step_scale", self.step_scale, 0.0, 10.0, low_open=True)
        _check_float("ipo_distance", self.ipo_distance, 0.0, 1000.0, low_open=True)
        lo, hi = self.ipo_scale_range
        if not 0 < lo <= hi:
            raise ValueError(f"ipo_scale_range must be (low, high) with 0 < low <= high, got {self.ipo_scale_range!r}")
        if not self.ipo_joints or any(isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < NUM_JOINTS for j in self.ipo_joints):
            raise ValueError(f"ipo_joints must be joint indices in [0, {NUM_JOINTS}), got {self.ipo_joints!r}")
        _check_int("ipo_yaw_steps", self.ipo_yaw_steps, 1, 3600)
        _check_int("ipo_scale_steps", self.ipo_scale_steps, 2, 1000)
        _check_int("ipo_search_steps", self.ipo_search_steps, 0, 1000)
        _check_float("min_score", self.min_score, 0.0, 1.0, low_open=True)
        _check_int("start_candidates", self.start_candidates, 1)
        _check_int("start_shortlist", self.start_shortlist, 1)
        if self.noise_px is not None:
            _check_float("noise_px", self.noise_px, 0.0, 1000.0)

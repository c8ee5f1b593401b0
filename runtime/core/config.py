"""``LoopConfig``: the settings of one ZeDO run, checked when made.

Defaults are the paper's Human3.6M settings except where a measured departure is named (see
``docs/decisions.md``). Units: distances in metres, angles as grid steps over a full turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

from .errors import FieldError
from .sde import SAMPLERS
from .skeleton import NUM_JOINTS, TORSO_JOINTS

# Bounds on the work one call may ask for, shared by every command and the library.
MAX_ITERATIONS = 100_000  # loop iterations (the paper runs 1000)
# Intra-op threads: ONNX Runtime and torch crash or hang on absurd counts; no machine here has more cores.
MAX_THREADS = 1024
MAX_SEED = 2**63 - 1  # seeds are stored as int64
START_FITS = ("local", "grid")  # LoopConfig.start_fit
# Pelvis distances, metres, a start may be placed at: from a person at arm's length to one 100 px
# tall at f = 6000 px (docs/decisions.md, "Any distance").
DISTANCE_RANGE = (0.5, 100.0)


def check_int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise FieldError(name, f"must be a whole number {bound}, got {value!r}")


def check_float(name: str, value, low: float, high: float, low_open: bool = False) -> None:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (low < value if low_open else low <= value)
        and value <= high
    )
    if not ok:
        raise FieldError(name, f"must be a number in {'(' if low_open else '['}{low}, {high}], got {value!r}")


def check_threads(value, name: str = "threads") -> int:
    """``value`` as a thread count: a whole number in [0, ``MAX_THREADS``] (0: ONNX Runtime's
    default); FieldError naming ``name`` (an argument or a command's option) otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value <= MAX_THREADS:
        raise FieldError(
            name, f"must be in [0, {MAX_THREADS}] (a whole number; 0: ONNX Runtime's default), got {value!r}"
        )
    return int(value)


@dataclass(frozen=True)
class LoopConfig:
    """Settings of one ZeDO run. Every field is checked on construction (ValueError naming it)."""

    # Optimisation-loop iterations, each one prior call (the paper and zedo 0.1 ran 1000:
    # docs/decisions.md, "A quarter of the time").
    iterations: int = 200
    warmup_fraction: float = 0.2  # first fraction of iterations keeps the IPO translation (release: N // 5)
    sampler: str = "ode"  # reverse step, a key of sde.SAMPLERS: "ode" (probability flow, the release's) or "sde"
    # Reverse-time step = step_scale / iterations (release: 1.0, i.e. 1/1000 at 1000 iterations; 0.6 at
    # 200 iterations: docs/decisions.md, "A shorter step").
    step_scale: float = 0.6
    # Fit yaw and distance before the loop; off: identity yaw, at the distance of the pose's 2D size
    # (solve.ipo.start_distance).
    ipo: bool = True
    # Pelvis distance in metres where the 2D gives none (fewer than two distinct keypoints; release:
    # IPO_T = 3, the centre of its fixed search); otherwise each pose's distance follows its 2D size.
    ipo_distance: float = 3.0
    # Distance search range as multiples of each pose's size distance (solve.ipo.start_distance),
    # within DISTANCE_RANGE.
    ipo_scale_range: tuple[float, float] = (0.5, 2.0)
    # Joints the IPO fits a mean-pose start on (release: skeleton.IPO_JOINTS); a chosen start is
    # fitted on every joint.
    ipo_joints: tuple[int, ...] = TORSO_JOINTS
    ipo_yaw_steps: int = 36  # yaw grid over a full turn (10 degrees apart)
    ipo_scale_steps: int = 16  # distance grid, log-spaced over ipo_scale_range
    ipo_search_steps: int = 30  # pattern-search iterations after the grid (each evaluates 9 candidates)
    min_score: float = 1e-4  # scores are clipped to [min_score, 1] in the translation solve (release)
    # One hypothesis starts from the best of this many cluster poses (solve.candidates; 1: the mean
    # pose, the release's).
    start_candidates: int = 1000
    # Of those, the closest this many under weak perspective are placed by the IPO and judged by the prior.
    start_shortlist: int = 20
    # How the shortlisted are placed: "local" search from the weak-perspective guess, or the IPO's global "grid".
    start_fit: str = "local"
    # The single hypothesis runs the loop from this many of the best-ranked starts and reports their
    # mean pose (noisy 2D: docs/decisions.md, "An ensemble of starts").
    start_ensemble: int = 1
    # 2D noise sigma per coordinate, px, of the soft data step (zedo.runtime.solve.noise); None:
    # estimated per pose; 0: the release's exact step.
    noise_px: float | None = None
    # With the noise estimated, one hypothesis and one start: poses whose 2D is noisy run the loop from
    # ADAPTIVE_STARTS starts of ADAPTIVE_ITERATIONS each (zedo.runtime.solve.work); off: every pose runs as set.
    adaptive: bool = True

    def __post_init__(self):
        check_int("iterations", self.iterations, 1, MAX_ITERATIONS)
        check_float("warmup_fraction", self.warmup_fraction, 0.0, 1.0)
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(sorted(SAMPLERS))}, got {self.sampler!r}")
        check_float("step_scale", self.step_scale, 0.0, 10.0, low_open=True)
        check_float("ipo_distance", self.ipo_distance, 0.0, 1000.0, low_open=True)
        scale = self.ipo_scale_range
        ok = (
            isinstance(scale, tuple)
            and len(scale) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in scale)
        )
        if not (ok and 0 < scale[0] <= scale[1] <= 100):
            raise ValueError(f"ipo_scale_range must be (low, high) with 0 < low <= high <= 100, got {scale!r}")
        if not self.ipo_joints or any(
            isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < NUM_JOINTS for j in self.ipo_joints
        ):
            raise ValueError(f"ipo_joints must be joint indices in [0, {NUM_JOINTS}), got {self.ipo_joints!r}")
        check_int("ipo_yaw_steps", self.ipo_yaw_steps, 1, 3600)
        check_int("ipo_scale_steps", self.ipo_scale_steps, 2, 1000)
        check_int("ipo_search_steps", self.ipo_search_steps, 0, 1000)
        check_float("min_score", self.min_score, 0.0, 1.0, low_open=True)
        check_int("start_candidates", self.start_candidates, 1)
        check_int("start_shortlist", self.start_shortlist, 1)
        if self.start_fit not in START_FITS:
            raise ValueError(f"start_fit must be one of {', '.join(START_FITS)}, got {self.start_fit!r}")
        check_int("start_ensemble", self.start_ensemble, 1, self.start_shortlist)
        if self.start_ensemble > 1 and (not self.ipo or self.start_candidates < 2):
            raise ValueError(
                f"start_ensemble {self.start_ensemble} needs starts chosen among cluster poses "
                "(ipo on and start_candidates > 1)"
            )
        if self.noise_px is not None:
            check_float("noise_px", self.noise_px, 0.0, 1000.0)
        if not isinstance(self.adaptive, bool):
            raise FieldError("adaptive", f"must be True or False, got {self.adaptive!r}")

    @property
    def adapts(self) -> bool:
        """Whether noisy poses may get more work: ``adaptive``, the noise estimated, one start
        (no ensemble asked for) chosen among cluster poses."""
        return (
            self.adaptive
            and self.noise_px is None
            and self.start_ensemble == 1
            and self.ipo
            and self.start_candidates > 1
        )


# The work a pose whose 2D is noisy gets by default (LoopConfig.adaptive): the mean of this many loops
# from its best-ranked starts, of this many iterations each (docs/decisions.md, "The default knows
# when the 2D is noisy").
ADAPTIVE_STARTS = 8
ADAPTIVE_ITERATIONS = 30

# Named settings, each the fields it changes from LoopConfig's defaults (``preset_config``):
# "v1" is zedo's default before the fast start (1000 iterations of the release's step; 50 shortlisted
# candidates, each placed by the IPO's global grid; every pose the same work); "paper" the release's
# (1000 iterations from the mean pose, which has no ensemble to adapt). "noisy" for detector 2D: the
# mean of 8 loops of 100 iterations from the 8 best starts for every pose (four times the default's
# work; docs/decisions.md, "An ensemble of starts").
PRESETS: dict[str, dict] = {
    "default": {},
    "v1": {"iterations": 1000, "step_scale": 1.0, "start_shortlist": 50, "start_fit": "grid", "adaptive": False},
    "paper": {"iterations": 1000, "step_scale": 1.0, "start_candidates": 1},
    "noisy": {"iterations": 100, "start_ensemble": 8},
}


def preset_config(name: str, **changes) -> LoopConfig:
    """The ``LoopConfig`` of a row of ``PRESETS`` with ``changes`` on top; ValueError for an unknown name."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {name!r}")
    return LoopConfig(**{**PRESETS[name], **changes})

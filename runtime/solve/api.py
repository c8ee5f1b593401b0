"""``estimate``: 2D keypoints and intrinsics in, metric camera-frame 3D poses out (host side).

Units and frames as ``zedo.runtime.core.geometry``: keypoints (N, 17, 2) pixels in the Human3.6M
layout, scores (N, 17) in [0, 1] (0: joint missing), K (3, 3) or (N, 3, 3) pixel intrinsics;
results in metres in the camera frame. This module validates, cuts the (pose, hypothesis) pairs
into batches for ``zedo.runtime.solve.lift.lift``, shows progress and selects among hypotheses.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..core.config import MAX_SEED, LoopConfig, check_int
from ..core.errors import FieldError
from ..core.result import Estimate
from ..core.skeleton import NUM_JOINTS
from ..engines.open import Engine, as_engine
from ..io.validation import Inputs, check_placeable, validate_inputs
from . import occluded
from .chunks import Chunks, f32
from .level import level_rotations, to_level, turn_back
from .lift import lift
from .scoring import SELECTIONS, select_hypotheses, selection_rule
from .start import Start, start_sources
from .work import lift_adaptive


def check_run(hypotheses: int, config: LoopConfig, batch_size: int, selection: str, seed: int) -> None:
    """The one check of a run's settings (``estimate``'s, and a ``pipeline.request.Request``'s):
    FieldError naming the field."""
    check_int("hypotheses", hypotheses, 1)
    check_int("batch_size", batch_size, 1)
    check_int("seed", seed, 0, MAX_SEED)
    if not isinstance(config, LoopConfig):
        raise FieldError("config", f"must be a LoopConfig, got a {type(config).__name__}")
    if selection not in SELECTIONS:
        raise FieldError("selection", f"must be one of {SELECTIONS}, got {selection!r}")
    if hypotheses > 1 and config.start_ensemble > 1:
        raise FieldError(
            "hypotheses",
            f"{hypotheses}: config.start_ensemble {config.start_ensemble} runs one hypothesis from several starts; "
            f"with hypotheses {hypotheses} each starts from its own cluster pose",
        )


def estimate(
    keypoints,
    *,
    K=None,
    scores=None,
    engine=None,
    hypotheses: int = 1,
    config: LoopConfig = LoopConfig(),
    batch_size: int = 1024,
    selection: str = "auto",
    seed: int = 0,
    progress: bool = False,
    layout=None,
    image_size=None,
    gravity=None,
) -> Estimate:
    """Lift 2D keypoints to 3D with ZeDO.

    keypoints (N, J, 2) px (or (N, J, 3) with the score last, or one pose (J, 2)) in ``layout``
    (a name of ``zedo.runtime.io.layouts.LAYOUTS``; None: inferred from J, 17 meaning Human3.6M);
    scores (N, J) in [0, 1]; K (3, 3) or (N, 3, 3), or None with ``image_size`` (width, height) px.
    rtmlib's ``keypoints, scores`` and ultralytics' ``keypoints.xy`` / ``keypoints.conf`` (as NumPy)
    go in as they come. ``engine``: an engine object, a bundled prior name or a path
    (``zedo.runtime.engines.open.open_engine``); None runs the bundled default prior on the CPU.

    Poses are run in batches of ``batch_size`` (pose, hypothesis) pairs, one prior call per batch
    per iteration. ``seed`` seeds the "sde" sampler's noise (the default "ode" sampler is
    deterministic). ``gravity``: the camera's down direction in camera coordinates (x right, y
    down, z forward; any length), a vector (3,) or one per pose (N, 3); "level" to assume a level
    camera; None to estimate it once per camera (``zedo.runtime.solve.level``). Every argument but
    the keypoints is a keyword, so that scores can never be taken for K. Bad arguments raise
    ValueError naming the field.
    """
    inputs = validate_inputs(keypoints, K, scores, layout=layout, image_size=image_size)
    return estimate_inputs(inputs, engine, hypotheses, config, batch_size, selection, seed, progress, gravity)


def _chunks(inputs: Inputs, S: int, config: LoopConfig, has_library: bool, batch_size: int):
    """The (pose, hypothesis) rows of ``inputs`` (row r: pose r // S, hypothesis r % S) cut into
    (rows, config) chunks: complete poses first, in order, as they always were; then poses without
    a pelvis but with both hips; then those without a hip, on ``occluded.occluded_config``'s loop."""
    rows = np.arange(len(inputs.keypoints) * S)
    sc = inputs.scores[rows // S]
    hips = (sc[:, [occluded.LEFT_HIP, occluded.RIGHT_HIP]] > 0).all(1)
    groups = ((sc[:, 0] > 0) & hips, (sc[:, 0] <= 0) & hips, ~hips)
    configs = (config, config, occluded.occluded_config(config, has_library))
    out = []
    for group, cfg in zip(groups, configs):
        kept = rows[group]
        per_call = max(1, batch_size // cfg.start_ensemble)  # an ensemble runs start_ensemble rows per pose
        out += [(kept[i : i + per_call], cfg) for i in range(0, len(kept), per_call)]
    return out


def _lift_rows(
    inputs: Inputs,
    engine: Engine,
    S: int,
    config: LoopConfig,
    batch_size: int,
    seed: int,
    progress: bool,
    out: np.ndarray,
):
    """Every (pose, hypothesis) pair of ``inputs`` through ``lift``, one chunk at a time
    (``_chunks``; with ``config.adapts``, the poses on ``config`` in two passes, noisy ones lifted
    again: ``zedo.runtime.solve.work``): camera-frame poses written to ``out`` (n * S, 17, 3);
    returns reprojection errors, prior residuals, 2D noise levels and the loops each ran (each
    (n * S,), px, -, px, count), host arrays."""
    xp = engine.xp
    library, poses = start_sources(engine.meta, config, S)
    library = None if library is None else f32(library, xp)
    chunks = Chunks(inputs, S, engine, out, config.start_ensemble)
    rng = xp.random.default_rng(seed) if hasattr(xp.random, "default_rng") else None
    # The context closes the bar on failure too, so an error message starts on a fresh line.
    # The bar counts poses, a chunk's share each iteration: one unit for every command and mode.
    bar_format = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} poses [{elapsed}<{remaining}]"
    with tqdm(total=len(chunks.rows) / S, disable=not progress, desc="zedo", bar_format=bar_format) as bar:

        def advance(share: float) -> None:
            bar.update(min(share / S, bar.total - bar.n))

        def lift_on(cfg: LoopConfig):
            def lift_rows(batch, rows):
                start = Start(library=library, poses=f32(poses[rows % S], xp))
                return lift(batch, engine, cfg, start, rng, lambda _: advance(len(rows) / cfg.iterations))

            return lift_rows

        plan = _chunks(inputs, S, config, library is not None, batch_size)
        adapts = config.adapts and library is not None
        if adapts:
            rows = np.sort(np.concatenate([r for r, cfg in plan if cfg is config] or [np.zeros(0, np.int64)]))
            lift_adaptive(chunks, rows, library, engine, config, batch_size, rng, advance, again=bar_extend(bar))
        for r, cfg in plan:
            if not (adapts and cfg is config):
                chunks.run(r, len(r), lift_on(cfg))
                chunks.loops[r] = cfg.start_ensemble
    return chunks.reprojection_px, chunks.residual, chunks.noise_px, chunks.loops


def bar_extend(bar):
    """A function that adds ``count`` poses to the work ``bar`` shows."""

    def extend(count: int) -> None:
        bar.total += count
        bar.refresh()

    return extend


def estimate_inputs(
    inputs: Inputs,
    engine=None,
    hypotheses: int = 1,
    config: LoopConfig = LoopConfig(),
    batch_size: int = 1024,
    selection: str = "auto",
    seed: int = 0,
    progress: bool = False,
    gravity=None,
) -> Estimate:
    """``estimate`` on inputs validated already (``validate_inputs`` or ``formats.load_input``).
    Poses that cannot be placed (``inputs.valid`` False) are not run: their results are NaN. A
    tilted camera's poses are lifted in a level one and turned back (``gravity`` as ``estimate``)."""
    check_run(hypotheses, config, batch_size, selection, seed)
    engine = as_engine(engine)
    camera_to_level = level_rotations(check_placeable(inputs), engine, config, gravity)
    if camera_to_level is None:
        return _estimate_placed(inputs, engine, hypotheses, config, batch_size, selection, seed, progress)
    level, used = to_level(inputs, camera_to_level)
    got = _estimate_placed(level, engine, hypotheses, config, batch_size, selection, seed, progress)
    return turn_back(got, used, inputs.K)


def _estimate_placed(
    inputs: Inputs, engine: Engine, S: int, config: LoopConfig, batch_size: int, selection: str, seed: int, progress
) -> Estimate:
    """``estimate_inputs`` once the camera is level (its settings checked, the engine open)."""
    n, placed = len(inputs.keypoints), check_placeable(inputs).valid
    hyps = np.full((n, S, NUM_JOINTS, 3), np.nan)
    # Written in place when every pose is placed; memory then grows by the result alone.
    out = hyps.reshape(n * S, NUM_JOINTS, 3) if placed.all() else np.empty((int(placed.sum()) * S, NUM_JOINTS, 3))
    lifted = _lift_rows(
        inputs if placed.all() else inputs.take(placed), engine, S, config, batch_size, seed, progress, out
    )
    if not placed.all():
        hyps[placed] = out.reshape(-1, S, NUM_JOINTS, 3)
    reproj, residual, noise_px, starts = (np.full((n, S), np.nan) for _ in range(4))
    for per_hyp, got in zip((reproj, residual, noise_px, starts), lifted):
        per_hyp[placed] = got.reshape(-1, S)
    ok = placed & np.isfinite(hyps).all(axis=(1, 2, 3))  # a prior that returned NaN or inf for a pose
    if not ok.any():
        raise RuntimeError(
            f"the prior returned non-finite values for every one of the {n} poses (or every pose was degenerate); "
            "check the prior file"
        )
    for a in (hyps, reproj, residual, noise_px, starts):
        a[~ok] = np.nan
    selected = np.zeros(n, dtype=np.int64)
    selection = selection_rule(selection, config.noise_px)
    selected[ok] = select_hypotheses(reproj[ok], residual[ok], selection, np)
    rows = np.arange(n)
    joints = hyps[:, 0] if S == 1 else hyps[rows, selected]
    return Estimate(
        joints,
        joints[:, 0].copy(),
        hyps,
        selected,
        reproj,
        residual,
        selection,
        ok,
        inputs.K,
        inputs.layout,
        noise_px[rows, selected],
        np.nan_to_num(starts[rows, selected]).astype(np.int64),
    )

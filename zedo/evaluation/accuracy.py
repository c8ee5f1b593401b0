"""``evaluate``: the accuracy of a prior on the Human3.6M evaluation set, the call behind zedo-eval.

The set (``evalset``) runs through ``zedo.runtime.estimate`` in this process, or through the
installed zedo-infer command (``via_cli``); ``scoring`` turns the hypotheses into the JSON-ready
result, to which the run's settings are added.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from zedo.runtime import LoopConfig, estimate, open_engine
from zedo.runtime.solve.scoring import select_hypotheses

from .evalset import add_noise, check_given, load_h36m_eval, runtime_input
from .scoring import score
from .via_cli import run_zedo_infer


def evaluate(
    data_dir,
    engine="default",
    subject="S9",
    every=64,
    track="gt",
    hypotheses=1,
    config=LoopConfig(),
    batch_size=1024,
    selection="auto",
    limit=0,
    progress=True,
    via_cli=False,
    threads=0,
    seed=0,
    layout="h36m17",
    image_size=None,
    focal_scale=1.0,
    add_noise_px=0.0,
) -> dict:
    """Run ``estimate`` (or, with ``via_cli``, the installed zedo-infer command) over the evaluation
    set and score it; returns a JSON-ready dict (errors in mm, the settings, ``seconds`` of the run).

    ``limit`` > 0 keeps that many poses spread evenly over the set; ``engine`` a bundled prior name,
    a file, or (not with ``via_cli``) an engine object; ``threads`` ONNX Runtime's (0: its default).
    ``layout``, ``image_size`` and ``focal_scale``: how the 2D and the camera are given
    (``evalset.runtime_input``). ``add_noise_px`` > 0 puts that much Gaussian pixel noise on the 2D
    (``evalset.add_noise``, drawn from ``seed``).
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number >= 0, got {limit!r}")
    check_given(layout, image_size, focal_scale)
    data = load_h36m_eval(data_dir, subject, every, track)
    if add_noise_px:
        data = add_noise(data, add_noise_px, seed)
    if limit:
        data = data.take(np.linspace(0, len(data.gt) - 1, min(limit, len(data.gt))).astype(int))
    given = runtime_input(data, layout, image_size, focal_scale)
    eng = open_engine(engine, threads=threads) if isinstance(engine, (str, Path)) else engine
    t0 = time.perf_counter()
    if via_cli:
        hyps, selected = run_zedo_infer(
            given, engine, hypotheses, config, batch_size, selection, seed, threads, progress
        )
        others, noise_px, starts = {}, None, None
    else:
        res = estimate(
            **given,
            engine=eng,
            hypotheses=hypotheses,
            config=config,
            batch_size=batch_size,
            selection=selection,
            seed=seed,
            progress=progress,
        )
        hyps, selected = res.hypotheses, res.selected
        criteria = (np.nan_to_num(res.reprojection_px, nan=np.inf), np.nan_to_num(res.prior_residual, nan=np.inf))
        others = {rule: select_hypotheses(*criteria, rule, np) for rule in ("reprojection", "prior", "both")}
        noise_px, starts = res.noise_px, res.starts
    seconds = time.perf_counter() - t0
    out = score(hyps, selected, data, others)
    out.update(
        engine=str(getattr(eng, "path", engine)),
        prior=eng.meta.name,
        subject=subject,
        every=every,
        track=track,
        hypotheses=hypotheses,
        selection=selection,
        dropped_frames=data.dropped,
        seconds=seconds,
        loop=asdict(config),
        via="zedo-infer" if via_cli else "estimate",
        layout=layout,
        image_size=None if image_size is None else list(image_size),
        focal_scale=focal_scale,
        added_noise_px=add_noise_px,
        estimated_noise_px_median=None if noise_px is None else float(np.nanmedian(noise_px)),
        # The share of poses that ran more than one loop (solve.work; an ensemble asked for: all).
        more_starts_fraction=None if starts is None else float((starts > 1).mean()),
    )
    return out

"""One training run as a library call, what ``zedo-train`` does: settings (a recipe's, or the
defaults) with overrides, the recipe's data prepared once beside the output, then ``train.train``.

Torch-free until training starts: ``train_prior`` imports ``train`` (and torch with it) itself and
says in one line how to install torch when it is missing.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

from .config import PriorConfig, TrainConfig
from .recipes import RECIPES, prepare_recipe_data

TORCH_MISSING = 'training needs torch, which is not installed: pip install torch==2.13.0, then pip install -e ".[train]"'


@dataclass(frozen=True)
class TrainReport:
    """What ``train_prior`` wrote."""

    path: Path  # the checkpoint (.pt)
    steps: int  # optimiser steps behind its weights
    seconds: float  # wall time of this call's training, data preparation excluded


def train_prior(
    output: str | Path,
    recipe: str | None = None,
    data: Sequence[str | Path] = (),
    data_root: str | Path = "../shared/data",
    train_overrides: Mapping[str, object] | None = None,
    prior_overrides: Mapping[str, object] | None = None,
    resume: bool = True,
    progress: bool = True,
) -> TrainReport:
    """Train a prior into the checkpoint ``output``, continuing it if it exists and ``resume``.

    recipe: a name in ``RECIPES``, whose raw data lies under ``data_root`` (h36m/, bandai/) and is
    prepared into ``output``'s folder once; otherwise ``data``, prepared pose files (zedo-prepare),
    with the default settings. train_overrides / prior_overrides: ``TrainConfig`` / ``PriorConfig``
    fields that replace the recipe's or the defaults. ValueError naming the option or file for bad
    input, OSError when ``output`` cannot be written (both before any training), RuntimeError
    when torch is missing.
    """
    out = Path(output)
    cfg, prior = _settings(recipe, data, dict(train_overrides or {}), dict(prior_overrides or {}))
    train = _import_train()
    _check_writable(out)
    paths = prepare_recipe_data(RECIPES[recipe], Path(data_root), out.parent) if recipe else list(data)
    t0 = time.time()
    train(paths, out, cfg, prior, resume=resume, progress=progress)
    return TrainReport(out, cfg.steps, time.time() - t0)


def _settings(recipe: str | None, data: Sequence, train_overrides: dict, prior_overrides: dict) -> tuple[TrainConfig, PriorConfig]:
    """The run's (TrainConfig, PriorConfig): the recipe's or the defaults, with the overrides."""
    if recipe is None:
        if not data:
            raise ValueError("give --data FILE (from zedo-prepare) or --recipe NAME")
        cfg, prior = TrainConfig(), PriorConfig()
    elif recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r} (known: {', '.join(sorted(RECIPES))})")
    elif data:
        raise ValueError("give --recipe NAME or --data FILE, not both: a recipe names its own data")
    else:
        cfg, prior = RECIPES[recipe].train, RECIPES[recipe].prior
    return replace(cfg, **train_overrides), replace(prior, **prior_overrides)


def _import_train():
    """``train.train``, importing torch; RuntimeError(TORCH_MISSING) when torch is not installed."""
    try:
        from .train import train
    except ModuleNotFoundError as e:
        if (e.name or "").partition(".")[0] != "torch":
            raise
        raise RuntimeError(TORCH_MISSING) from None
    return train


def _check_writable(out: Path) -> None:
    """Fail now, not at the first checkpoint an hour later, when ``out`` cannot be written."""
    if out.is_dir():
        raise ValueError(f"{out}: output path is a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out.parent):
            pass
    except OSError as e:
        raise OSError(f"{out}: cannot write the checkpoint there ({e.strerror or e})") from None

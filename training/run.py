"""One training run as a library call, what ``zedo-train`` does: settings (a recipe's, or the
defaults) with overrides, the recipe's data prepared once beside the output, then ``train.train``.

Torch-free until training starts: ``train_prior`` imports ``train`` (and torch with it) itself and
says in one line how to install torch when it is missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

from zedo.runtime.io.atomic import check_writable

from .config import PriorConfig, TrainConfig
from .recipes import RECIPES, prepare_recipe_data

CHECKPOINT_SUFFIXES = (".pt", ".pth")
TORCH_MISSING = (
    'training needs torch, which is not installed: pip install torch==2.13.0, then pip install -e ".[train]"'
)


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
    fields that replace the recipe's or the defaults. ``output`` must end in .pt (or .pth) and be
    none of ``data``; an existing one is resumed only if zedo-train wrote it with the same settings
    (``train.train``). ValueError naming the option or file for bad input, OSError when ``output``
    cannot be written (both before any training), RuntimeError when torch is missing.
    """
    out = _check_output(Path(output), data)
    cfg, prior = _settings(recipe, data, dict(train_overrides or {}), dict(prior_overrides or {}))
    train = _import_train()
    check_writable(out, "the checkpoint")
    paths = prepare_recipe_data(RECIPES[recipe], Path(data_root), out.parent) if recipe else list(data)
    t0 = time.time()
    train(paths, out, cfg, prior, resume=resume, progress=progress)
    return TrainReport(out, cfg.steps, time.time() - t0)


def _check_output(out: Path, data: Sequence) -> Path:
    """``out`` unless it is not a checkpoint name or would overwrite one of the ``data`` files."""
    if out.suffix.lower() not in CHECKPOINT_SUFFIXES:
        raise ValueError(f"{out}: the checkpoint zedo-train writes must end in {' or '.join(CHECKPOINT_SUFFIXES)}")
    if out.exists() and any(Path(d).exists() and out.resolve() == Path(d).resolve() for d in data):
        raise ValueError(f"{out}: the checkpoint would overwrite a --data file")
    return out


def _settings(
    recipe: str | None, data: Sequence, train_overrides: dict, prior_overrides: dict
) -> tuple[TrainConfig, PriorConfig]:
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

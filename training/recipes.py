"""The recipes of the shipped priors: data, network and optimisation, reproducible by name.

``zedo-train --recipe NAME --data-root ../shared/data -o NAME.pt`` prepares the data (once, cached
beside the output) and trains with exactly these settings.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zedo.runtime.io.atomic import save_npz_atomic

from .config import PriorConfig, TrainConfig
from .h36m import prepare_h36m
from .mocap import prepare_bvh


@dataclass(frozen=True)
class Recipe:
    """How one shipped prior is made."""

    name: str  # bundled name
    sources: tuple[str, ...]  # prepared data sets: "h36m" (S1, S5, S6, S7, S8) and/or "bandai"
    prior: PriorConfig = field(default_factory=PriorConfig)  # network widths
    train: TrainConfig = field(default_factory=TrainConfig)  # optimisation
    licence: str = ""  # licence of the training data, carried into the model card
    bvh_views: int = 3  # random camera views per mocap frame
    bvh_every: int = 4  # keep every N-th mocap frame (30 fps: neighbours are near-duplicates)
    bvh_scale: float = 1.0  # factor on mocap poses, to bring the rig to Human3.6M's size


# The Bandai-Namco rig is 0.90 the size of Human3.6M's subjects; scaled, both sources agree on an
# adult's size. See docs/decisions.md, "Bandai-Namco poses scaled to Human3.6M's size (x1/0.90)".
BANDAI_TO_H36M_SCALE = 1.0 / 0.90

RECIPES: dict[str, Recipe] = {
    "h36m": Recipe(
        name="h36m",
        sources=("h36m",),
        prior=PriorConfig(hidden_dim=512, embed_dim=256),
        train=TrainConfig(steps=30000, threads=1, checkpoint_every=2000),
        licence="Human3.6M licence: non-commercial research only",
    ),
    "default": Recipe(
        name="default",
        sources=("bandai", "h36m"),
        prior=PriorConfig(hidden_dim=512, embed_dim=256),
        # See docs/decisions.md, "The default recipe trains 12k steps".
        train=TrainConfig(steps=12000, threads=2, checkpoint_every=2000),
        bvh_scale=BANDAI_TO_H36M_SCALE,
        licence="CC BY-NC 4.0 (Bandai-Namco Research Motion dataset) and the Human3.6M non-commercial licence",
    ),
}


def prepare_recipe_data(recipe: Recipe, data_root: Path, cache: Path) -> list[Path]:
    """The prepared pose files (``poses`` (M, 17, 3) metres) of ``recipe``'s sources, made from the
    raw data under ``data_root`` (h36m/, bandai/) into ``cache`` once and reused afterwards."""
    paths = []
    for source in recipe.sources:
        path = cache / f"{source}_train.npz"
        if not path.exists():
            if source == "h36m":
                prepare_h36m(data_root / "h36m", path)
            elif source == "bandai":
                prepare_bvh(
                    _bvh_folder(data_root / "bandai", cache),
                    path,
                    views=recipe.bvh_views,
                    every=recipe.bvh_every,
                    seed=recipe.train.seed,
                )
            else:
                raise ValueError(f"recipe {recipe.name}: unknown source {source!r}")
        if source == "bandai" and recipe.bvh_scale != 1.0:
            path = _scaled(path, recipe.bvh_scale)
        paths.append(path)
    return paths


def _bvh_folder(bandai_root: Path, cache: Path) -> Path:
    """The BVH folder under ``bandai_root``, unpacking its .tar.xz into ``cache`` once if need be."""
    if any(bandai_root.rglob("*.bvh")):
        return bandai_root
    archives = sorted(bandai_root.glob("*.tar.xz"))
    if not archives:
        raise ValueError(f"{bandai_root}: neither BVH files nor a .tar.xz archive of them")
    target = cache / "bandai_bvh"
    if not any(target.rglob("*.bvh")):
        with tarfile.open(archives[0]) as tar:
            tar.extractall(target, filter="data")
    return target


def _scaled(path: Path, scale: float) -> Path:
    """A copy of a prepared pose file with every pose multiplied by ``scale`` (cached beside it)."""
    out = path.with_name(f"{path.stem}_x{scale:.4f}.npz")
    if not out.exists():
        with np.load(path) as d:
            provenance = {**json.loads(str(d["provenance"])), "scale": scale}
            save_npz_atomic(
                out, poses=(d["poses"] * np.float32(scale)).astype(np.float32), provenance=json.dumps(provenance)
            )
    return out

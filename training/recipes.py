"""The recipes of the shipped priors: data, network and optimisation, reproducible by name.

``zedo-train --recipe NAME --data-root ../shared/data -o NAME.pt`` prepares the data (once, cached
beside the output) and trains with exactly these settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import PriorConfig
from .train import TrainConfig


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
        train=TrainConfig(steps=30000, threads=1, checkpoint_every=2000),
        licence="CC BY-NC 4.0 (Bandai-Namco Research Motion dataset) and the Human3.6M non-commercial licence",
    ),
}

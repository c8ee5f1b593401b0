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
    bvh_scale: float = 1.0  # factor on mocap poses, to bring the rig to Human3.6M's size


# The Bandai-Namco rig is 0.90 the size of Human3.6M's subjects (thigh + shin 0.80 m against 0.89 m;
# training/jointmaps.py). Mixed in unscaled, it made the default prior's S9 poses 8% too small
# (MPJPE 81.1 mm, size ratio 0.917); scaled, both sources agree on the size of an adult.
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
        # 12k steps: the h36m prior's loop error at 12k and 30k steps differs by under 2 mm.
        train=TrainConfig(steps=12000, threads=2, checkpoint_every=2000),
        bvh_scale=BANDAI_TO_H36M_SCALE,
        licence="CC BY-NC 4.0 (Bandai-Namco Research Motion dataset) and the Human3.6M non-commercial licence",
    ),
}

"""The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012), the smoothing live pose apps use.

A low-pass filter whose cutoff rises with speed: still joints are smoothed hard (little jitter),
fast ones lightly (little lag). Per joint: speed = |dx/dt| low-passed at ``d_cutoff``; cutoff =
``min_cutoff`` + ``beta`` * speed; x_hat <- x_hat + alpha (x - x_hat) with alpha = 1 / (1 + 1 / (2 pi
cutoff dt)). Cutoffs in Hz, times in seconds, values in any unit (here metres), ``beta`` in 1/that
unit. State is kept per row, so many streams are filtered as one array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroConfig:
    """One-Euro settings; checked on construction (ValueError naming the field)."""

    min_cutoff: float = 1.0  # Hz: the cutoff of a joint at rest (lower: smoother, more lag)
    beta: float = 0.0  # 1/metre: how fast the cutoff rises with speed (higher: less lag when moving)
    d_cutoff: float = 1.0  # Hz: the cutoff of the speed estimate

    def __post_init__(self):
        for name in ("min_cutoff", "beta", "d_cutoff"):
            value = getattr(self, name)
            positive = name != "beta"
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
                or (positive and value == 0)
            ):
                raise ValueError(f"{name} must be a finite number {'> 0' if positive else '>= 0'}, got {value!r}")


def _alpha(cutoff, dt):
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * cutoff * dt))


class OneEuroFilter:
    """One-Euro filters over ``rows`` independent signals of shape (rows, P, D): P points of D
    coordinates each; the cutoff of a point follows its speed (the norm over D)."""

    def __init__(self, config: OneEuroConfig, rows: int, shape: tuple[int, int]):
        self.config = config
        self.x = np.zeros((rows,) + shape)
        self.dx = np.zeros((rows,) + shape)
        self.time = np.zeros(rows)
        self.started = np.zeros(rows, bool)

    def reset(self, rows) -> None:
        """Forget ``rows`` (indices or a mask): their next value passes through unfiltered."""
        self.started[rows] = False

    def __call__(self, rows, values, time):
        """Filter ``values`` (n, P, D) of ``rows`` (n,) indices, observed at ``time`` (n,) seconds
        (after the row's previous one); returns the filtered (n, P, D)."""
        cfg = self.config
        rows, values, time = np.asarray(rows), np.asarray(values, np.float64), np.asarray(time, np.float64)
        old = self.started[rows]
        dt = np.where(old, time - self.time[rows], 1.0)
        if (dt <= 0).any():
            raise ValueError("OneEuroFilter: each row's times must increase")
        dt = dt[:, None, None]
        dx = np.where(old[:, None, None], (values - self.x[rows]) / dt, 0.0)
        dx_hat = self.dx[rows] + _alpha(cfg.d_cutoff, dt) * (dx - self.dx[rows])
        cutoff = cfg.min_cutoff + cfg.beta * np.linalg.norm(dx_hat, axis=-1, keepdims=True)
        x_hat = np.where(old[:, None, None], self.x[rows] + _alpha(cutoff, dt) * (values - self.x[rows]), values)
        self.x[rows], self.dx[rows], self.time[rows], self.started[rows] = (
            x_hat,
            np.where(old[:, None, None], dx_hat, 0.0),
            time,
            True,
        )
        return x_hat

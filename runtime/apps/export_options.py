"""``zedo-infer``'s options for animation and biomechanics: ``--frame`` and ``--fixed-bones``
(``Request.frame``, ``Request.fixed_bones``); the formats come from ``-o``'s suffix
(``io.exports``: .csv, .trc, .bvh)."""

from __future__ import annotations

import argparse

from ..io.exports import COORDINATES


def add_export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--frame",
        choices=COORDINATES,
        help="coordinates of the output: camera (x right, y down, z forward) or world (z up, the floor at z = 0 "
        "fitted under the feet, x the camera's view along the floor; the transform is written beside .npz/.json "
        "results; BVH and TRC come Y up) (default: world for .bvh and .trc, camera otherwise)",
    )
    p.add_argument(
        "--fixed-bones",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one skeleton per track: each bone's median length, every frame rebuilt with it keeping each bone's "
        "direction (default: on for .bvh and .trc, off otherwise)",
    )


def export_fields(args: argparse.Namespace) -> dict:
    """The ``Request`` fields of the options."""
    return {"frame": args.frame, "fixed_bones": args.fixed_bones}

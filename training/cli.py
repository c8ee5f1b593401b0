"""``zedo-prepare`` and ``zedo-train``: thin commands over zedo.training."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from .model import PriorConfig
from .recipes import RECIPES
from .train import TrainConfig


def _fail(prog: str, e: Exception) -> int:
    print(f"{prog}: error: {e}", file=sys.stderr)
    return 2


def prepare_main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="zedo-prepare", description="Make a training pose file (poses (M,17,3) metres, camera frame).")
    sub = p.add_subparsers(dest="source", required=True)
    h = sub.add_parser("h36m", help="Human3.6M, VideoPose3D layout")
    h.add_argument("--data", required=True, help="folder with data_3d_h36m.npz and cameras.json")
    h.add_argument("--subjects", nargs="+", default=["S1", "S5", "S6", "S7", "S8"])
    h.add_argument("--every", type=int, default=1, help="keep every N-th frame")
    h.add_argument("-o", "--output", required=True)
    b = sub.add_parser("bvh", help="BVH motion capture (rig detected from joint names)")
    b.add_argument("inputs", nargs="+", help="BVH files or folders")
    b.add_argument("--views", type=int, default=2, help="random camera views per frame")
    b.add_argument("--every", type=int, default=4, help="keep every N-th frame")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("-o", "--output", required=True)
    a = p.parse_args(argv)
    t0 = time.time()
    try:
        if a.source == "h36m":
            from .h36m import prepare_h36m

            out = prepare_h36m(a.data, a.output, tuple(a.subjects), a.every)
        else:
            from .mocap import prepare_bvh

            out = prepare_bvh(a.inputs if len(a.inputs) > 1 else a.inputs[0], a.output, views=a.views, every=a.every, seed=a.seed)
    except (ValueError, FileNotFoundError) as e:
        return _fail("zedo-prepare", e)
    print(f"wrote {out} in {time.time() - t0:.0f} s")
    return 0


def _bvh_folder(bandai_root: Path, cache: Path) -> Path:
    """The BVH folder under ``bandai_root``, unpacking its .tar.xz into ``cache`` once if need be."""
    if any(bandai_root.rglob("*.bvh")):
        return bandai_root
    archives = sorted(bandai_root.glob("*.tar.xz"))
    if not archives:
        raise ValueError(f"{bandai_root}: neither BVH files nor a .tar.xz archive of them")
    target = cache / "bandai_bvh"
    if not any(target.rglob("*.bvh")):
        import tarfile

        with tarfile.open(archives[0]) as tar:
            tar.extractall(target, filter="data")
    return target


def _prepare_recipe_data(recipe, data_root: Path, cache: Path) -> list[Path]:
    from .h36m import prepare_h36m
    from .mocap import prepare_bvh

    paths = []
    for source in recipe.sources:
        path = cache / f"{source}_train.npz"
        if not path.exists():
            if source == "h36m":
                prepare_h36m(data_root / "h36m", path)
            elif source == "bandai":
                prepare_bvh(_bvh_folder(data_root / "bandai", cache), path, views=recipe.bvh_views, every=recipe.bvh_every, seed=recipe.train.seed)
            else:
                raise ValueError(f"recipe {recipe.name}: unknown source {source!r}")
        if source == "bandai" and recipe.bvh_scale != 1.0:
            path = _scaled(path, recipe.bvh_scale)
        paths.append(path)
    return paths


def _scaled(path: Path, scale: float) -> Path:
    """A copy of a prepared pose file with every pose multiplied by ``scale`` (cached beside it)."""
    import json

    import numpy as np

    from zedo.runtime.atomic import save_npz_atomic

    out = path.with_name(f"{path.stem}_x{scale:.4f}.npz")
    if not out.exists():
        with np.load(path) as d:
            provenance = {**json.loads(str(d["provenance"])), "scale": scale}
            save_npz_atomic(out, poses=(d["poses"] * np.float32(scale)).astype(np.float32), provenance=json.dumps(provenance))
    return out


def train_main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="zedo-train", description="Train a ZeDO pose prior (writes a resumable .pt checkpoint with clusters).")
    p.add_argument("--recipe", choices=sorted(RECIPES), help="a shipped prior's recipe (data and settings)")
    p.add_argument("--data-root", default="../shared/data", help="with --recipe: folder holding h36m/ and bandai/")
    p.add_argument("--data", action="append", default=[], help="prepared pose file (zedo-prepare); repeat to mix")
    p.add_argument("-o", "--output", required=True, help="checkpoint to write (resumed if it exists)")
    d, dp = TrainConfig(), PriorConfig()
    p.add_argument("--steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--hidden", type=int, help=f"hidden width (default {dp.hidden_dim})")
    p.add_argument("--embed", type=int, help=f"time-embedding width (default {dp.embed_dim})")
    p.add_argument("--blocks", type=int, help=f"residual blocks (default {dp.n_blocks})")
    p.add_argument("--no-resume", action="store_true", help="start over even if the output exists")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    out = Path(a.output)
    try:
        if a.recipe:
            recipe = RECIPES[a.recipe]
            cfg, prior = recipe.train, recipe.prior
            data = _prepare_recipe_data(recipe, Path(a.data_root), out.parent)
        else:
            if not a.data:
                raise ValueError("give --data FILE (from zedo-prepare) or --recipe NAME")
            cfg, prior, data = d, dp, a.data
        overrides = {k: v for k, v in dict(steps=a.steps, batch_size=a.batch_size, lr=a.lr, seed=a.seed, threads=a.threads).items() if v is not None}
        cfg = replace(cfg, **overrides)
        widths = {k: v for k, v in dict(hidden_dim=a.hidden, embed_dim=a.embed, n_blocks=a.blocks).items() if v is not None}
        prior = replace(prior, **widths)
        if a.no_resume and out.exists():
            out.unlink()
        from .train import train

        t0 = time.time()
        train(data, out, cfg, prior, progress=not a.quiet)
    except (ValueError, FileNotFoundError) as e:
        return _fail("zedo-train", e)
    print(f"wrote {out} ({cfg.steps} steps) in {time.time() - t0:.0f} s")
    return 0

"""Motion-capture poses as the prior sees them: root-relative 17-joint poses in a random camera frame.

Input poses are world-frame (y up, as BVH rigs conventionally are) in the rig's units; output poses
are in metres, root-relative (pelvis at the origin), in a camera frame as Human3.6M's: x right,
y down, z forward. Only the camera's rotation matters for root-relative poses, so a "view" is a
rotation: a yaw about the vertical, uniform over the full circle (the subject is seen from every
side); a pitch, the camera looking down by a uniform angle; and a small roll. The default ranges
cover Human3.6M's cameras and others: see docs/decisions.md, "Camera views of mocap: pitch -10 to
30 degrees, roll +-5".
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
from tqdm.auto import tqdm

from zedo.runtime.io.atomic import save_npz_atomic

from .bvh import BVH, axis_rotations, parse_bvh
from .jointmaps import RigMap, map_to_h36m

DEFAULT_PITCH_DEG = (-10.0, 30.0)
DEFAULT_ROLL_DEG = (-5.0, 5.0)

# World (y up) to a camera looking along world +z with no pitch or roll: x_cam = -x_world (the
# camera's right is world -x when it faces +z), y_cam = -y_world (down), z_cam = z_world.
_LEVEL_CAMERA = np.diag([-1.0, -1.0, 1.0])


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    """A generator from an integer seed, or the given generator itself (to continue its stream)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_angles(pitch_deg: tuple[float, float], roll_deg: tuple[float, float]) -> None:
    """ValueError unless both are (low, high) degree ranges and the pitch stays within +-90."""
    for label, (lo, hi) in (("pitch_deg", pitch_deg), ("roll_deg", roll_deg)):
        if not lo <= hi:
            raise ValueError(f"{label} must be (low, high) with low <= high, got {(lo, hi)}")
    if not -90.0 <= pitch_deg[0] <= pitch_deg[1] <= 90.0:
        raise ValueError(f"pitch_deg must lie within [-90, 90], got {pitch_deg}")


MAX_VIEWS = 1000  # camera views per frame: a bound on the poses (and memory) one call may make


def _check_counts(views: int, every: int) -> None:
    """ValueError unless ``views`` is an integer in [1, MAX_VIEWS] and ``every`` one >= 1."""
    ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (views, every))
    if not (ok and 1 <= views <= MAX_VIEWS and every >= 1):
        raise ValueError(
            f"views must be an integer in [1, {MAX_VIEWS}] and every one >= 1, got views={views!r}, every={every!r}"
        )


def camera_rotations(
    n: int,
    seed: int | np.random.Generator = 0,
    pitch_deg: tuple[float, float] = DEFAULT_PITCH_DEG,
    roll_deg: tuple[float, float] = DEFAULT_ROLL_DEG,
) -> np.ndarray:
    """n random world (y up) to camera (x right, y down, z forward) rotations, (n, 3, 3) float64.

    Yaw uniform in [0, 360) degrees about world y, pitch uniform in ``pitch_deg`` (positive: the
    camera looks down), roll uniform in ``roll_deg`` about the optical axis. X_cam = R @ X_world.
    """
    _check_angles(pitch_deg, roll_deg)
    rng = _rng(seed)
    yaw = rng.uniform(0.0, 360.0, n)
    pitch = rng.uniform(*pitch_deg, n)
    roll = rng.uniform(*roll_deg, n)
    # Pitch about the camera's x axis by +pitch sends the world's down direction (camera +y)
    # towards +z, i.e. the camera looks down; roll turns the image about the optical axis.
    return axis_rotations("Z", roll) @ axis_rotations("X", pitch) @ _LEVEL_CAMERA @ axis_rotations("Y", yaw)


def camera_views(
    world: np.ndarray,
    units_to_m: float = 1.0,
    views: int = 1,
    every: int = 1,
    seed: int | np.random.Generator = 0,
    pitch_deg: tuple[float, float] = DEFAULT_PITCH_DEG,
    roll_deg: tuple[float, float] = DEFAULT_ROLL_DEG,
) -> np.ndarray:
    """World poses (F, 17, 3), y up, in units of ``units_to_m`` metres -> camera-frame poses.

    Keeps every ``every``-th frame (consecutive mocap frames are near-duplicates), then draws
    ``views`` independent camera rotations per kept frame (``camera_rotations``). Returns
    (ceil(F / every) * views, 17, 3) float64 metres, root-relative, frame-major (all views of the
    first kept frame, then the next). Deterministic for a given integer ``seed``.
    """
    world = np.asarray(world, dtype=np.float64)
    if world.ndim != 3 or world.shape[1:] != (17, 3):
        raise ValueError(f"camera_views expects world poses (F, 17, 3), got shape {world.shape}")
    _check_counts(views, every)
    if not units_to_m > 0:
        raise ValueError(f"units_to_m must be positive, got {units_to_m}")
    kept = world[::every] * units_to_m
    rel = kept - kept[:, :1]
    R = camera_rotations(len(rel) * views, seed, pitch_deg, roll_deg).reshape(len(rel), views, 3, 3)
    return np.einsum("fvab,fjb->fvja", R, rel).reshape(-1, 17, 3)


def _bvh_files(items: list[Path]) -> list[Path]:
    """BVH files named directly or found (recursively, sorted) in the named folders."""
    files: list[Path] = []
    for item in items:
        if item.is_dir():
            files.extend(sorted(p for p in item.rglob("*") if p.suffix.lower() == ".bvh" and p.is_file()))
        elif item.is_file():
            files.append(item)
        else:
            raise ValueError(f"{item}: no such file or folder")
    if not files:
        raise ValueError(f"no .bvh files in {[str(p) for p in items]}")
    return files


def prepare_bvh(
    paths_or_dir: str | os.PathLike | Iterable[str | os.PathLike],
    out_npz: str | os.PathLike,
    views: int = 2,
    every: int = 4,
    seed: int = 0,
    pitch_deg: tuple[float, float] = DEFAULT_PITCH_DEG,
    roll_deg: tuple[float, float] = DEFAULT_ROLL_DEG,
    skip_bad: bool = False,
    progress: bool = True,
) -> Path:
    """Turn BVH files into a prepared pose file for training; returns ``out_npz``'s path.

    paths_or_dir: BVH files and/or folders searched recursively. Each file is parsed, its rig
    recognised and mapped to the 17 H36M joints (``jointmaps``), then ``camera_views`` with
    ``views``, ``every``, ``pitch_deg``, ``roll_deg`` and a generator seeded by (``seed``, file name).
    Writes, atomically, ``poses`` (M, 17, 3) float32 metres, root-relative camera frame, and
    ``provenance`` (a JSON string). A file that fails raises ValueError naming it and nothing is
    written; with ``skip_bad`` it is left out and listed in the provenance (and reported by tqdm).
    """
    _check_counts(views, every)
    _check_angles(pitch_deg, roll_deg)
    items = [Path(paths_or_dir)] if isinstance(paths_or_dir, (str, os.PathLike)) else [Path(p) for p in paths_or_dir]
    files = _bvh_files(items)
    tally = _Tally()
    chunks: list[np.ndarray] = []
    with tqdm(files, desc="bvh", unit="file", disable=not progress) as bar:
        for path in bar:
            mapped = _read_mapped(path, tally, skip_bad, bar.write)
            if mapped is None:
                continue
            bvh, world, rig = mapped
            # Seeded by the file's name, not its position in the list, so that adding, removing
            # or skipping files leaves every other file's views unchanged.
            rng = np.random.default_rng([seed, zlib.crc32(path.name.encode())])
            chunks.append(
                camera_views(world, rig.units_to_m, views, every, rng, pitch_deg, roll_deg).astype(np.float32)
            )
            tally.add(bvh, rig, every)
    if not chunks:
        raise ValueError(f"prepare_bvh: none of the {len(files)} files gave poses; nothing written")
    poses = np.concatenate(chunks)
    settings = {"every": every, "views": views, "seed": seed, "pitch_deg": list(pitch_deg), "roll_deg": list(roll_deg)}
    save_npz_atomic(
        Path(out_npz),
        poses=poses,
        provenance=np.array(json.dumps(tally.provenance(items, len(files), settings, len(poses)))),
    )
    return Path(out_npz)


@dataclass
class _Tally:
    """What ``prepare_bvh`` records about the BVH files it read, for the provenance."""

    rigs: dict[str, RigMap] = field(default_factory=dict)  # name -> map of every rig seen
    skipped: list[dict] = field(default_factory=list)  # {"file", "error"} of each file left out
    frames: int = 0  # frames in the files read
    frames_used: int = 0  # of those, the frames kept (every ``every``-th)
    frame_times: set[float] = field(default_factory=set)  # seconds per frame, rounded to 1 us

    def add(self, bvh: BVH, rig: RigMap, every: int) -> None:
        self.rigs[rig.name] = rig
        self.frames += bvh.num_frames
        self.frames_used += -(-bvh.num_frames // every)  # ceil: frame 0 is always kept
        self.frame_times.add(round(bvh.frame_time, 6))

    def provenance(self, items: list[Path], files: int, settings: dict, poses: int) -> dict:
        """The prepared file's provenance; ``settings``: every, views, seed, pitch_deg, roll_deg."""
        return {
            "source": "; ".join(sorted({r.source for r in self.rigs.values()})),
            "inputs": sorted({p.name for p in items}),  # names only: absolute paths say nothing portable
            "rig": sorted(self.rigs),
            "files": files - len(self.skipped),
            "frames": self.frames,
            "frames_used": self.frames_used,
            "frame_time_s": sorted(self.frame_times),
            **settings,
            "poses": poses,
            "frame": "root-relative H36M-17, camera frame x right y down z forward, metres",
            "licence": "; ".join(sorted({r.licence for r in self.rigs.values()})),
            "skipped": self.skipped,
        }


def _read_mapped(path: Path, tally: _Tally, skip_bad: bool, report) -> tuple[BVH, np.ndarray, RigMap] | None:
    """(bvh, world poses (F, 17, 3) rig units, rig) of one file; for a bad file ValueError, or with
    ``skip_bad`` None after recording it in ``tally`` and passing its line to ``report``."""
    try:
        bvh = parse_bvh(path)
        world, rig = map_to_h36m(bvh)
    except ValueError as e:  # every error names the file already
        if not skip_bad:
            raise ValueError(f"prepare_bvh: nothing written: {e}") from e
        tally.skipped.append({"file": path.name, "error": str(e)})
        report(f"skipped: {e}")
        return None
    return bvh, world, rig

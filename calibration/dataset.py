"""Calibration sets: noised poses and diffusion times fed to a prior to fix its reduced-precision ranges.

A calibration set is x (N, 17, 3) float32, root-relative camera-frame poses in metres (x right,
y down, z forward; the pelvis, joint 0, at the origin before noising), noised, and t (N,) float32
diffusion times. Each sample is drawn from the sub-VP SDE's marginal at t (``zedo.runtime.core.sde``):

    t ~ U(t_lo, t_hi),  eps ~ N(0, I),  x_t = mean_coeff(t) x_0 + std(t) eps,

with (t_lo, t_hi) = (t_min, t_max) = (0.01, 0.1), the range of t that ZeDO's loop visits, so std(t)
runs from about 2 mm to about 0.10 m. This is the distribution the network was trained on at those
t. The loop itself feeds the prior its current estimate projected onto the 2D rays (near a clean
pose, ``zedo.runtime.solve.loop.run_loop``); such inputs lie inside the marginal's range, so activation
ranges calibrated here cover them.

On disk: an ``.npz`` with ``x``, ``t`` and ``provenance`` (a JSON string: where the poses came
from, size, seed, t range, SDE). The package ships one at ``zedo/runtime/priors/calibration.npz``,
made from open mocap poses (Bandai-Namco-Research-Motiondataset, CC BY-NC 4.0) with
``build_shipped_calibration_set``; Human3.6M-derived sets must never be shipped (licence).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from zedo.runtime.core.sde import SDEConfig, marginal_std, mean_coeff
from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.io.atomic import save_npz_atomic
from zedo.runtime.io.npz import read_npz

CALIBRATION_FORMAT = "zedo-calibration-v1"
# 2048 samples: 1536 calibrate, 512 are held out for parity (holdout_split) at 0.42 MB (float32).
SHIPPED_SIZE = 2048
SHIPPED_SEED = 0
HOLDOUT_FRACTION = 0.25
_KEYS = ("x", "t", "provenance")


def make_calibration_set(
    poses, size: int, seed: int = 0, t_range: tuple[float, float] = (0.01, 0.1), sde: SDEConfig = SDEConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Noise ``size`` poses drawn from ``poses`` as the SDE does; return (x (size, 17, 3), t (size,)) float32.

    poses: (M, 17, 3) poses in metres, camera frame; made root-relative here (joint 0 subtracted).
    Poses are drawn without replacement when M >= size (else with), t uniformly in ``t_range``
    (inclusive bounds, 0 < t_lo <= t_hi <= 1), and x_t = mean_coeff(t) x_0 + std(t) eps with eps
    standard normal (see the module docstring). Deterministic for a given seed. Raises ValueError
    for bad shapes, NaN/inf poses, size < 1 or a bad t range.
    """
    poses = np.asarray(poses)
    if poses.ndim != 3 or poses.shape[1:] != (NUM_JOINTS, 3) or len(poses) == 0:
        raise ValueError(f"poses must have shape (M, {NUM_JOINTS}, 3) with M >= 1, got {poses.shape}")
    if not np.isfinite(poses).all():
        raise ValueError("poses hold NaN or infinite values")
    if int(size) != size or size < 1:
        raise ValueError(f"size must be a positive integer, got {size}")
    lo, hi = (float(v) for v in t_range)
    if not 0.0 < lo <= hi <= 1.0:
        raise ValueError(f"t_range must satisfy 0 < t_lo <= t_hi <= 1, got {t_range}")
    rng = np.random.default_rng(seed)
    index = rng.choice(len(poses), size=int(size), replace=len(poses) < size)
    x0 = poses[index].astype(np.float64)
    x0 -= x0[:, :1]
    t = rng.uniform(lo, hi, int(size))
    eps = rng.standard_normal(x0.shape)
    x = mean_coeff(t, sde, np)[:, None, None] * x0 + marginal_std(t, sde, np)[:, None, None] * eps
    return x.astype(np.float32), t.astype(np.float32)


def save_calibration_set(path, x, t, provenance: dict) -> Path:
    """Write x (N, 17, 3), t (N,) and ``provenance`` (JSON-serialisable dict) to the .npz ``path`` atomically.

    The arrays are validated as ``load_calibration_set`` does and stored as float32. Returns the path.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise ValueError(f"{path}: a calibration set's file name must end in .npz")
    if not isinstance(provenance, dict):
        raise ValueError(f"provenance must be a dict, got {type(provenance).__name__}")
    x, t = _check(x, t, str(path))
    text = json.dumps({"format": CALIBRATION_FORMAT, **provenance})
    save_npz_atomic(path, x=x, t=t, provenance=np.array(text))
    return path


def load_calibration_set(path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Read a calibration set: (x (N, 17, 3) float32 metres, t (N,) float32, provenance dict).

    Raises FileNotFoundError for a missing file and ValueError naming the file for anything else
    wrong: not an .npz, missing keys, x not (N, 17, 3), t not (N,), N mismatched or 0, NaN/inf
    values, t outside (0, 1], provenance that is not a JSON object.
    """
    path = Path(path)
    data = read_npz(path, f".npz calibration set (keys {', '.join(_KEYS)})")
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise ValueError(f"{path}: calibration set is missing keys {missing} (has {sorted(data)})")
    x, t, raw = data["x"], data["t"], data["provenance"]
    try:
        provenance = json.loads(str(raw))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: provenance is not valid JSON ({e})") from None
    if not isinstance(provenance, dict):
        raise ValueError(f"{path}: provenance must be a JSON object")
    x, t = _check(x, t, str(path))
    return x, t, provenance


def holdout_split(x: np.ndarray, t: np.ndarray, fraction: float = HOLDOUT_FRACTION):
    """Split a set into (calibration x, t) and (held-out x, t): the last ``fraction`` is held out.

    Samples are drawn independently, so the tail is as random as any subset. The held-out part is
    what reduced-precision parity is measured on, never calibrated on. Needs N >= 2.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    if len(x) < 2:
        raise ValueError(f"a calibration set of {len(x)} sample cannot be split; need at least 2")
    held = min(len(x) - 1, max(1, round(len(x) * fraction)))
    cut = len(x) - held
    return (x[:cut], t[:cut]), (x[cut:], t[cut:])


def shipped_calibration_path() -> Path:
    """The calibration set shipped with the package (``zedo/runtime/priors/calibration.npz``)."""
    path = Path(str(resources.files("zedo.runtime") / "priors" / "calibration.npz"))
    if not path.exists():
        raise FileNotFoundError(
            f"the shipped calibration set is missing from the installation ({path}); pass --calibration-set FILE "
            "or build it with zedo.calibration.dataset.build_shipped_calibration_set"
        )
    return path


def build_shipped_calibration_set(poses_npz, out=None, size: int = SHIPPED_SIZE, seed: int = SHIPPED_SEED) -> Path:
    """Make the package's calibration set from a pose file (``zedo-prepare``'s .npz: ``poses`` (M, 17, 3)).

    Use open data only (Bandai-Namco-Research-Motiondataset, CC BY-NC 4.0): the file is shipped.
    The source's own ``provenance`` JSON, if any, is kept under ``source_provenance``. out: default
    the package's ``runtime/priors/calibration.npz``. Returns the path written.

        >>> from zedo.calibration.dataset import build_shipped_calibration_set
        >>> build_shipped_calibration_set("work-data/bandai_train.npz")
    """
    poses_npz = Path(poses_npz)
    if not poses_npz.is_file():
        raise FileNotFoundError(f"{poses_npz}: no such pose file")
    if "h36m" in poses_npz.name.lower():
        raise ValueError(f"{poses_npz}: Human3.6M poses must not be shipped (licence); use open mocap poses")
    with np.load(poses_npz, allow_pickle=False) as data:
        if "poses" not in data.files:
            raise ValueError(f"{poses_npz}: no 'poses' array (has {sorted(data.files)})")
        poses = data["poses"]
        source = json.loads(str(data["provenance"])) if "provenance" in data.files else {}
    if isinstance(source, dict) and str(source.get("source", "")).lower().startswith("h36m"):
        raise ValueError(f"{poses_npz}: Human3.6M poses must not be shipped (licence); use open mocap poses")
    t_range = (SDEConfig().t_min, SDEConfig().t_max)
    x, t = make_calibration_set(poses, size, seed, t_range)
    if out is None:
        out = Path(str(resources.files("zedo.runtime") / "priors" / "calibration.npz"))
    provenance = {
        "poses_file": poses_npz.name,
        "source_poses": int(len(poses)),
        "size": int(size),
        "seed": int(seed),
        "t_range": list(t_range),
        "sde": {"beta_min": SDEConfig().beta_min, "beta_max": SDEConfig().beta_max},
        "noising": "x_t = mean_coeff(t) x0 + std(t) eps, t ~ U(t_range), x0 root-relative metres",
        "source_provenance": source,
    }
    if isinstance(source, dict) and "licence" in source:
        provenance["licence"] = source["licence"]
    return save_calibration_set(out, x, t, provenance)


def _check(x, t, source: str) -> tuple[np.ndarray, np.ndarray]:
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"{source}: x has shape {x.shape}, expected (N, {NUM_JOINTS}, 3) poses")
    if t.ndim != 1:
        raise ValueError(f"{source}: t has shape {t.shape}, expected (N,)")
    if len(x) != len(t):
        raise ValueError(f"{source}: x holds {len(x)} poses but t {len(t)} times")
    if len(x) == 0:
        raise ValueError(f"{source}: the calibration set is empty")
    if not (np.issubdtype(x.dtype, np.floating) and np.issubdtype(t.dtype, np.floating)):
        raise ValueError(f"{source}: x and t must be floating point, got {x.dtype} and {t.dtype}")
    if not (np.isfinite(x).all() and np.isfinite(t).all()):
        raise ValueError(f"{source}: the calibration set holds NaN or infinite values")
    if not ((t > 0) & (t <= 1)).all():
        raise ValueError(f"{source}: t must lie in (0, 1], got {t.min():g}..{t.max():g}")
    return x.astype(np.float32), t.astype(np.float32)

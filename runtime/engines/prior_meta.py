"""The prior's metadata, ``PriorMeta``: what makes a network ``(x, t) -> eps`` a complete prior.

One JSON document (``to_json``, format ``META_FORMAT``): the SDE the prior was trained under, the
skeleton, the network contract, the initial-pose clusters, the precision of the weights and the
provenance. Where the document is stored (an ONNX model's ``metadata_props`` under ``META_KEY``, a
sidecar ``<file>.json``) is ``zedo.runtime.engines.prior_file``'s business.

The network contract, recorded in the document and checked on every file: inputs ``x`` (B, 17, 3)
float32 root-relative camera-frame metres and ``t`` (B,) float32 diffusion time in [0, 1]; output
``eps`` (B, 17, 3) float32, the predicted noise (score = -eps / std(t)); the batch B is dynamic.
Cluster poses are (S, 17, 3) root-relative metres, stored float32.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ..core.sde import SDEConfig
from ..core.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS
from ..io.numbers import as_numbers

META_KEY = "zedo"
META_FORMAT = "zedo-prior-v1"
INPUT_X, INPUT_T, OUTPUT_EPS = "x", "t", "eps"
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8")
META_FIELDS: tuple[str, ...] = (
    "format",
    "name",
    "precision",
    "sde",
    "skeleton",
    "contract",
    "clusters",
    "provenance",
    "prior_config",
)

# Root-relative joints of a human pose lie well within this distance of the pelvis (metres); a
# larger value means millimetres or another unit; a pose whose farthest joint is nearer than the
# minimum is not a human pose (its joints all at one point, say).
MAX_POSE_EXTENT_M = 3.0
MIN_POSE_EXTENT_M = 0.1


def _cluster_size(key) -> int:
    """The S of a clusters key (an int, or its decimal digits as JSON writes it); 0 if it is not one."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    return 0


def check_clusters(clusters, source: str | None = None) -> dict[int, np.ndarray]:
    """Candidate start poses S -> (S, 17, 3) real, finite, within ``MAX_POSE_EXTENT_M`` of the pelvis
    (metres), returned float32 and root-relative; ValueError naming ``source`` and the entry."""
    at = f"{source}: " if source else ""
    if not isinstance(clusters, dict):
        raise ValueError(f"{at}clusters must map S to (S, {NUM_JOINTS}, 3) poses, got a {type(clusters).__name__}")
    out = {}
    for key, poses in clusters.items():
        size = _cluster_size(key)
        if size < 1:
            raise ValueError(f"{at}clusters key {key!r} is not a pose count S >= 1")
        arr = as_numbers(poses, source or "", f"clusters[{key}]")
        if arr.shape != (size, NUM_JOINTS, 3):
            raise ValueError(f"{at}clusters[{key}] has shape {arr.shape}, expected ({size}, {NUM_JOINTS}, 3)")
        if not np.isfinite(arr).all():
            raise ValueError(f"{at}clusters[{key}] holds NaN or infinite values")
        arr = arr - arr[:, :1]
        problem = pose_extent_problem(arr)
        if problem:
            raise ValueError(f"{at}clusters[{key}]{problem}")
        out[size] = arr.astype(np.float32)
    return out


def pose_extent_problem(poses: np.ndarray) -> str:
    """'' if every root-relative pose (M, 17, 3) reaches between ``MIN_POSE_EXTENT_M`` and
    ``MAX_POSE_EXTENT_M`` from its pelvis; else what is wrong, for a message (starting at the pose)."""
    reach = np.abs(poses).max(axis=(1, 2)) if len(poses) else np.zeros(0)
    far, near = reach > MAX_POSE_EXTENT_M, reach < MIN_POSE_EXTENT_M
    if far.any():
        i = int(np.argmax(far))
        return f"[{i}] reaches {reach[i]:.3g} from the pelvis; poses must be in metres (millimetres?)"
    if near.any():
        i = int(np.argmax(near))
        return f"[{i}] has every joint within {MIN_POSE_EXTENT_M} m of the pelvis; that is not a human pose"
    return ""


@dataclass(frozen=True)
class PriorMeta:
    """Everything the runtime needs besides the network itself. Checked when made (ValueError
    naming the field); the clusters are stored float32 and root-relative (``check_clusters``)."""

    sde: SDEConfig  # the SDE the prior was trained under
    clusters: dict[int, np.ndarray] = field(default_factory=dict)  # S -> (S, 17, 3) initial poses, metres
    name: str = "prior"  # a short name (bundled priors: "default", "h36m")
    precision: str = "fp32"  # weights' precision: fp32, fp16 or int8
    provenance: list = field(default_factory=list)  # training data and command, free-form dicts
    prior_config: dict = field(default_factory=dict)  # network widths, for the record

    def __post_init__(self):
        if not isinstance(self.sde, SDEConfig):
            raise ValueError(f"sde must be an SDEConfig, got a {type(self.sde).__name__}")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        for name, kind in (("provenance", list), ("prior_config", dict)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(
                    f"{name} must be a JSON {'list' if kind is list else 'object'}, "
                    f"got a {type(getattr(self, name)).__name__}"
                )
        object.__setattr__(self, "clusters", check_clusters(self.clusters))

    def initial_poses(self, hypotheses: int) -> np.ndarray:
        """(S, 17, 3) starting poses for S hypotheses: the S-means if stored, else the first S of the
        largest stored set (centres are sorted by cluster size)."""
        if hypotheses < 1:
            raise ValueError(f"hypotheses must be >= 1, got {hypotheses}")
        if hypotheses in self.clusters:
            return self.clusters[hypotheses]
        larger = [k for k in self.clusters if k > hypotheses]
        if not larger:
            raise ValueError(
                f"prior {self.name!r} has initial-pose clusters for S in {sorted(self.clusters)}; "
                f"cannot start {hypotheses} hypotheses"
            )
        return self.clusters[min(larger)][:hypotheses]

    def to_json(self) -> str:
        """The metadata as one JSON document (``META_FORMAT``), clusters rounded to 1e-6 m."""
        return json.dumps(
            {
                "format": META_FORMAT,
                "name": self.name,
                "precision": self.precision,
                "sde": asdict(self.sde),
                "skeleton": {"layout": "h36m17", "joint_names": list(JOINT_NAMES), "parents": list(PARENTS)},
                "contract": {
                    "inputs": {INPUT_X: "(B,17,3) float32 metres", INPUT_T: "(B,) float32"},
                    "output": {OUTPUT_EPS: "(B,17,3) float32 noise"},
                },
                "clusters": {str(k): np.round(v.astype(np.float64), 6).tolist() for k, v in self.clusters.items()},
                "provenance": self.provenance,
                "prior_config": self.prior_config,
            }
        )

    @classmethod
    def from_json(cls, text: str, source: str = "metadata") -> "PriorMeta":
        """The metadata in ``text`` (``to_json``'s document); ValueError naming ``source`` and the
        field for anything else: not JSON, another format, unknown or missing fields, wrong types."""
        d = _document(text, source)
        try:
            return cls(
                sde=_sde_from(d.get("sde")),
                clusters=d.get("clusters", {}),
                name=d.get("name", "prior"),
                precision=d.get("precision", "fp32"),
                provenance=d.get("provenance", []),
                prior_config=d.get("prior_config", {}),
            )
        except ValueError as e:
            raise ValueError(f"{source}: prior metadata: {e}") from None


def _document(text: str, source: str) -> dict:
    """The JSON object of ``text`` if it is a zedo prior's metadata document (its format, known
    fields only, the Human3.6M skeleton); ValueError naming ``source`` otherwise."""
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{source}: prior metadata is not valid JSON ({' '.join(str(e).split())[:120]})") from None
    if not isinstance(d, dict) or d.get("format") != META_FORMAT:
        found = d.get("format") if isinstance(d, dict) else None
        raise ValueError(f"{source}: not zedo prior metadata (format {found!r}, expected {META_FORMAT!r})")
    unknown = sorted(set(d) - set(META_FIELDS))
    if unknown:
        raise ValueError(
            f"{source}: prior metadata has unknown field(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(META_FIELDS)}"
        )
    skeleton = d.get("skeleton")
    if not isinstance(skeleton, dict) or skeleton.get("joint_names") != list(JOINT_NAMES):
        raise ValueError(f"{source}: prior metadata's skeleton is not the Human3.6M 17-joint layout")
    return d


def _sde_from(value) -> SDEConfig:
    """``SDEConfig`` of the metadata's ``sde`` object, which must hold exactly its fields."""
    names = [f.name for f in fields(SDEConfig)]
    if not isinstance(value, dict) or sorted(value) != sorted(names):
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"sde must be an object with the fields {', '.join(names)}, got {got}")
    return SDEConfig(**value)

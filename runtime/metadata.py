"""What makes a network file a complete prior: SDE, skeleton, clusters, provenance.

Stored as one JSON document under the key ``zedo`` of an ONNX model's ``metadata_props`` and, for
every engine file (``.onnx``, ``.trt``, ``.engine``, ``.plan``), in a sidecar ``<file>.json`` beside
it (a TensorRT plan has no metadata of its own). The network contract it describes:
inputs ``x`` (B, 17, 3) float32 root-relative camera-frame metres and ``t`` (B,) float32 diffusion
time in [0, 1]; output ``eps`` (B, 17, 3) float32, the predicted noise (score = -eps / std(t)).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .sde import SDEConfig
from .skeleton import JOINT_NAMES, PARENTS

META_KEY = "zedo"
META_FORMAT = "zedo-prior-v1"
INPUT_X, INPUT_T, OUTPUT_EPS = "x", "t", "eps"


@dataclass(frozen=True)
class PriorMeta:
    """Everything the runtime needs besides the network itself."""

    sde: SDEConfig  # the SDE the prior was trained under
    clusters: dict[int, np.ndarray] = field(default_factory=dict)  # S -> (S, 17, 3) initial poses, metres
    name: str = "prior"  # a short name (bundled priors: "default", "h36m")
    precision: str = "fp32"  # weights' precision: fp32, fp16 or int8
    provenance: list = field(default_factory=list)  # training data and command, free-form dicts
    prior_config: dict = field(default_factory=dict)  # network widths, for the record

    def initial_poses(self, hypotheses: int) -> np.ndarray:
        """(S, 17, 3) starting poses for S hypotheses: the S-means if stored, else the first S of the
        largest stored set (centres are sorted by cluster size)."""
        if hypotheses < 1:
            raise ValueError(f"hypotheses must be >= 1, got {hypotheses}")
        if hypotheses in self.clusters:
            return self.clusters[hypotheses]
        larger = [k for k in self.clusters if k > hypotheses]
        if not larger:
            raise ValueError(f"prior {self.name!r} has initial-pose clusters for S in {sorted(self.clusters)}; cannot start {hypotheses} hypotheses")
        return self.clusters[min(larger)][:hypotheses]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": META_FORMAT,
                "name": self.name,
                "precision": self.precision,
                "sde": asdict(self.sde),
                "skeleton": {"layout": "h36m17", "joint_names": list(JOINT_NAMES), "parents": list(PARENTS)},
                "contract": {"inputs": {INPUT_X: "(B,17,3) float32 metres", INPUT_T: "(B,) float32"}, "output": {OUTPUT_EPS: "(B,17,3) float32 noise"}},
                "clusters": {str(k): np.round(v.astype(np.float64), 6).tolist() for k, v in self.clusters.items()},
                "provenance": self.provenance,
                "prior_config": self.prior_config,
            }
        )

    @classmethod
    def from_json(cls, text: str, source: str = "metadata") -> "PriorMeta":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{source}: prior metadata is not valid JSON ({e})") from None
        if not isinstance(d, dict) or d.get("format") != META_FORMAT:
            raise ValueError(f"{source}: not zedo prior metadata (format {d.get('format') if isinstance(d, dict) else None!r}, expected {META_FORMAT!r})")
        if d.get("skeleton", {}).get("joint_names") != list(JOINT_NAMES):
            raise ValueError(f"{source}: prior skeleton is not the Human3.6M 17-joint layout")
        clusters = {}
        for k, v in d.get("clusters", {}).items():
            arr = np.asarray(v, dtype=np.float32)
            if arr.shape != (int(k), 17, 3):
                raise ValueError(f"{source}: clusters[{k}] has shape {arr.shape}, expected ({k}, 17, 3)")
            clusters[int(k)] = arr
        return cls(
            sde=SDEConfig(**d["sde"]),
            clusters=clusters,
            name=d.get("name", "prior"),
            precision=d.get("precision", "fp32"),
            provenance=d.get("provenance", []),
            prior_config=d.get("prior_config", {}),
        )


def sidecar_path(engine_path: str | Path) -> Path:
    """The metadata sidecar of an engine file: ``prior.trt`` -> ``prior.trt.json``."""
    p = Path(engine_path)
    return p.with_name(p.name + ".json")

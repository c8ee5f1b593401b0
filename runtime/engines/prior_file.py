"""The prior file: a network ``(x, t) -> eps`` plus the metadata that makes it a complete prior.

One home for everything about the file (torch-free; ``onnx`` is imported only by the functions that
edit ONNX graphs):

- the network contract: inputs ``x`` (B, 17, 3) float32 root-relative camera-frame metres and
  ``t`` (B,) float32 diffusion time in [0, 1]; output ``eps`` (B, 17, 3) float32, the predicted
  noise (score = -eps / std(t)); the batch B is dynamic;
- the metadata (``PriorMeta``: SDE, skeleton, initial-pose clusters, precision, provenance), one
  JSON document stored under the key ``zedo`` of an ONNX model's ``metadata_props`` and, for every
  engine file, in a sidecar ``<file>.json`` beside it (a TensorRT plan has no metadata of its own);
- the suffix rules (``.onnx`` for ONNX Runtime; ``.trt``, ``.engine``, ``.plan`` for TensorRT),
  the precisions a file may be stored in, and the priors bundled with the package.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

import numpy as np

from ..core.sde import SDEConfig
from ..core.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS
from ..io.atomic import atomic_path
from ..io.validation import as_numbers

META_KEY = "zedo"
META_FORMAT = "zedo-prior-v1"
INPUT_X, INPUT_T, OUTPUT_EPS = "x", "t", "eps"
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8")
ONNX_SUFFIXES: tuple[str, ...] = (".onnx",)
TENSORRT_SUFFIXES: tuple[str, ...] = (".trt", ".engine", ".plan")
BUNDLED_PRIORS: tuple[str, ...] = ("default", "h36m")


# Root-relative joints of a human pose lie well within this distance of the pelvis (metres); a
# larger value means millimetres or another unit; a pose whose farthest joint is nearer than the
# minimum is not a human pose (its joints all at one point, say).
MAX_POSE_EXTENT_M = 3.0
MIN_POSE_EXTENT_M = 0.1
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
                    f"{name} must be a JSON {'list' if kind is list else 'object'}, got a {type(getattr(self, name)).__name__}"
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
                f"prior {self.name!r} has initial-pose clusters for S in {sorted(self.clusters)}; cannot start {hypotheses} hypotheses"
            )
        return self.clusters[min(larger)][:hypotheses]

    def to_json(self) -> str:
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
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            raise ValueError(f"{source}: prior metadata is not valid JSON ({' '.join(str(e).split())[:120]})") from None
        if not isinstance(d, dict) or d.get("format") != META_FORMAT:
            raise ValueError(
                f"{source}: not zedo prior metadata (format {d.get('format') if isinstance(d, dict) else None!r}, expected {META_FORMAT!r})"
            )
        unknown = sorted(set(d) - set(META_FIELDS))
        if unknown:
            raise ValueError(
                f"{source}: prior metadata has unknown field(s) {', '.join(map(repr, unknown))}; expected {', '.join(META_FIELDS)}"
            )
        skeleton = d.get("skeleton")
        if not isinstance(skeleton, dict) or skeleton.get("joint_names") != list(JOINT_NAMES):
            raise ValueError(f"{source}: prior metadata's skeleton is not the Human3.6M 17-joint layout")
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


def _sde_from(value) -> SDEConfig:
    """``SDEConfig`` of the metadata's ``sde`` object, which must hold exactly its fields."""
    names = [f.name for f in fields(SDEConfig)]
    if not isinstance(value, dict) or sorted(value) != sorted(names):
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"sde must be an object with the fields {', '.join(names)}, got {got}")
    return SDEConfig(**value)


def sidecar_path(engine_path: str | Path) -> Path:
    """The metadata sidecar of an engine file: ``prior.trt`` -> ``prior.trt.json``."""
    p = Path(engine_path)
    return p.with_name(p.name + ".json")


def read_sidecar(path: str | Path) -> PriorMeta:
    """The metadata in ``path``'s sidecar; ValueError naming the sidecar when it is absent or bad."""
    side = sidecar_path(path)
    if not side.exists():
        raise ValueError(f"{path}: no metadata sidecar {side.name} beside the engine (zedo-export writes it)")
    return PriorMeta.from_json(side.read_text(), source=str(side))


def write_sidecar(path: str | Path, meta: PriorMeta) -> Path:
    """Write ``meta`` to ``path``'s sidecar atomically; returns the sidecar's path."""
    side = sidecar_path(path)
    with atomic_path(side) as tmp:
        tmp.write_text(meta.to_json())
    return side


def bundled_prior_path(name: str) -> Path:
    """Path of a prior shipped inside the package (``default``, ``h36m``)."""
    if name not in BUNDLED_PRIORS:
        raise ValueError(f"unknown bundled prior {name!r}; bundled priors are {', '.join(BUNDLED_PRIORS)}")
    path = Path(str(resources.files("zedo.runtime") / "priors" / f"{name}.onnx"))
    if not path.exists():
        raise FileNotFoundError(f"bundled prior {name!r} is missing from the installation ({path})")
    return path


def check_contract(names_in, names_out, source) -> None:
    """ValueError naming ``source`` unless the graph's tensors are a prior's (x, t -> eps)."""
    names_in, names_out = list(names_in), list(names_out)
    if sorted(names_in) != sorted([INPUT_X, INPUT_T]) or names_out != [OUTPUT_EPS]:
        raise ValueError(f"{source}: inputs {names_in} and outputs {names_out} are not a zedo prior's (x, t -> eps)")


def _load_proto(path: Path, weights: bool):
    import onnx

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX file")
    try:
        return onnx.load(str(path), load_external_data=weights)
    except Exception as e:  # onnx raises DecodeError and others for a foreign file
        raise ValueError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None


def _meta_of(proto, path: Path) -> PriorMeta:
    props = {p.key: p.value for p in proto.metadata_props}
    if META_KEY not in props:
        raise ValueError(f"{path}: no zedo metadata in the ONNX file; export it with zedo-export")
    return PriorMeta.from_json(props[META_KEY], source=str(path))


def load_prior_model(path):
    """(onnx.ModelProto, PriorMeta) of an ONNX prior; ValueError if it is not one, FileNotFoundError if absent."""
    path = Path(path)
    proto = _load_proto(path, weights=True)
    check_contract([i.name for i in proto.graph.input], [o.name for o in proto.graph.output], path)
    return proto, _meta_of(proto, path)


def read_onnx_meta(path) -> PriorMeta:
    """The metadata embedded in an ONNX prior, read without its external weights."""
    path = Path(path)
    return _meta_of(_load_proto(path, weights=False), path)


def embed_meta(proto, meta: PriorMeta) -> None:
    """Put ``meta`` under ``metadata_props["zedo"]`` of ``proto`` (replacing any earlier one) and run
    the ONNX checker with full shape inference, which refuses a graph that loads but cannot run
    (ValueError with its first line)."""
    import onnx

    kept = [p for p in proto.metadata_props if p.key != META_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=META_KEY, value=meta.to_json())
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise ValueError(f"the ONNX checker rejects the graph: {str(e).splitlines()[0][:300]}") from None


def save_prior_model(proto, path, meta: PriorMeta, precision: str) -> Path:
    """Embed ``meta`` (with ``precision``) in ``proto``, check it, write it and its sidecar atomically.

    ``path`` must end in .onnx. Returns the path.
    """
    import onnx

    path = Path(path)
    check_onnx_suffix(path)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    meta = replace(meta, precision=precision)
    embed_meta(proto, meta)
    with atomic_path(path) as tmp:
        onnx.save(proto, str(tmp))
    write_sidecar(path, meta)
    return path


def check_onnx_suffix(path: Path) -> None:
    """ValueError unless ``path`` ends in .onnx (the runtime picks engines by suffix)."""
    if Path(path).suffix.lower() not in ONNX_SUFFIXES:
        raise ValueError(f"{path}: an ONNX prior's file name must end in .onnx (the runtime picks engines by suffix)")

"""Load a trained prior from a checkpoint: ours (``zedo-prior-v1``) or the official ZeDO release;
or the network back from an FP32 ONNX prior's weights (``load_onnx_prior``).

``load_prior`` returns the score network (eval mode, EMA weights by default) and a ``PriorInfo``
holding what the exported prior's metadata needs: SDE, network widths, clusters (the candidate
start poses, S -> (S, 17, 3) float32, root-relative metres), provenance and training step.

The official release (``ScoreModelFC_Adv``) is a dict with ``model_state_dict`` (keys prefixed
``module.`` by DataParallel, plus a ``sigmas`` buffer the network does not use), ``ema``
(``decay``, ``num_updates``, ``shadow_params``: a list of tensors in ``model.parameters()`` order)
and ``step``. It carries neither widths nor clusters: widths are read off the tensor shapes, and
clusters come from the caller (ZeDO's ``clusters/h36m_cluster{S}.npy``, see ``load_clusters``).
"""

from __future__ import annotations

import pickle
import re
import warnings
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch

from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.engines.onnx_proto import read_onnx, torch_parameters
from zedo.runtime.engines.prior_file import read_meta
from zedo.runtime.engines.prior_meta import PriorMeta, check_clusters

from .model import PriorConfig, ScoreNet
from .train import CHECKPOINT_FORMAT

RELEASE_FORMAT = "zedo-release"  # our label for the official ZeDO checkpoints
# The official release was trained and sampled under the sub-VP SDE with these values (its config:
# beta 0.1..20, the loop from t = 0.1 down to 0.01); spelled out so that a change of our defaults
# cannot silently change what a release checkpoint means.
RELEASE_SDE = SDEConfig(beta_min=0.1, beta_max=20.0, t_max=0.1, t_min=0.01)

_OURS_REQUIRED = ("model", "ema", "step", "prior_config", "sde_config")
_BLOCK_KEY = re.compile(r"^b(\d+)_dense1\.weight$")


@dataclass(frozen=True)
class PriorInfo:
    """What a loaded checkpoint says about its prior, besides the weights."""

    source: str  # the checkpoint file, or "<checkpoint dict>"
    format: str  # CHECKPOINT_FORMAT or RELEASE_FORMAT
    step: int  # training steps behind the weights
    weights: str  # "ema" or "model": which weights were loaded
    prior_config: PriorConfig  # network widths
    sde: SDEConfig  # the SDE the prior was trained under
    clusters: dict  # S -> (S, 17, 3) float32 candidate start poses, root-relative metres
    provenance: list  # free-form dicts: training data, then this checkpoint

    def to_meta(self, name: str = "prior", precision: str = "fp32") -> PriorMeta:
        """The exported prior's metadata (``zedo.runtime.engines.prior_meta.PriorMeta``)."""
        return PriorMeta(
            sde=self.sde,
            clusters=dict(self.clusters),
            name=name,
            precision=precision,
            provenance=list(self.provenance),
            prior_config=self.prior_config.to_dict(),
        )


def load_prior(path_or_obj, use_ema: bool = True, clusters=None) -> tuple[ScoreNet, PriorInfo]:
    """Load a prior checkpoint into a ``ScoreNet`` in eval mode on the CPU.

    path_or_obj: a ``.pt`` file path, or the dict ``torch.load`` returned (for files holding Python
    objects that the safe ``weights_only`` loader refuses). use_ema: load the EMA weights (the
    ones trained priors are meant to be used with) rather than the raw optimiser weights.
    clusters: candidate start poses overriding the checkpoint's: an ``.npy``/``.npz`` path (see
    ``load_clusters``) or a dict S -> (S, 17, 3) array in metres; required in practice for release
    checkpoints, which carry none.

    Raises FileNotFoundError for a missing file and ValueError naming the file for anything that
    is not a loadable prior checkpoint (not a torch file, unknown format, missing keys, tensor
    shapes or EMA list length not matching the network).
    """
    ck, source = _read(path_or_obj)
    if not isinstance(ck, dict):
        raise ValueError(f"{source}: unknown checkpoint format (a {type(ck).__name__}, expected a dict)")
    if ck.get("format") == CHECKPOINT_FORMAT:
        model, info = _load_ours(ck, source, use_ema)
    elif "model_state_dict" in ck:
        model, info = _load_release(ck, source, use_ema)
    else:
        keys = ", ".join(sorted(map(str, ck))[:8])
        raise ValueError(
            f"{source}: unknown checkpoint format (keys {keys}); expected a zedo-train checkpoint "
            f"(format {CHECKPOINT_FORMAT!r}) or an official ZeDO release (model_state_dict, ema, step)"
        )
    if clusters is not None:
        given = load_clusters(clusters) if isinstance(clusters, (str, Path)) else check_clusters(clusters, "clusters")
        info = replace(info, clusters=given)
    return model.eval(), info


def load_onnx_prior(path) -> tuple[ScoreNet, PriorMeta]:
    """The network of an FP32 ONNX prior (zedo-export's) as a ``ScoreNet`` in eval mode on the CPU,
    and its metadata: the weights are the file's initializers, which carry the network's parameter
    names. Lets torch code (the release's loop in ``benchmarks/``) run a shipped prior without its
    checkpoint (parameters that share an initializer are found through the graph's nodes:
    ``zedo.runtime.engines.onnx_proto.torch_parameters``). FileNotFoundError, or ValueError naming the file
    for anything else.
    """
    path = Path(path)
    contents = read_onnx(path)
    meta = read_meta(contents.metadata, path)
    if meta.precision != "fp32":
        raise ValueError(f"{path}: the prior is {meta.precision}; only an FP32 prior's weights are the network's")
    model = _new_model(_dataclass_from(PriorConfig, meta.prior_config, str(path), "prior_config"), str(path))
    weights = torch_parameters(contents, model.state_dict())
    _load_state(model, {k: torch.from_numpy(v.copy()) for k, v in weights.items()}, str(path), "its weight set")
    return model.eval(), meta


def load_clusters(path: str | Path) -> dict[int, np.ndarray]:
    """Clusters (candidate start poses) from a file: S -> (S, 17, 3) float32, root-relative metres.

    ``.npy``: one (S, 17, 3) array (ZeDO's ``clusters/h36m_cluster{S}.npy``). ``.npz``: any number
    of (S, 17, 3) arrays, one per S (e.g. ``zedo-train``'s k-means sets). Poses need not be
    root-relative: the pelvis (joint 0) is subtracted. Raises FileNotFoundError or ValueError.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such clusters file")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise ValueError(f"{path}: clusters must be an .npy or .npz file of (S, 17, 3) poses")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable {suffix} file ({e})") from None
    if suffix == ".npy":
        arrays = {"array": data}
    else:
        with data:
            arrays = {k: data[k] for k in data.files}
    out: dict[int, np.ndarray] = {}
    for key, arr in arrays.items():
        if arr.ndim != 3 or arr.shape[1:] != (NUM_JOINTS, 3) or len(arr) == 0:
            raise ValueError(f"{path}: {key} has shape {arr.shape}, expected (S, {NUM_JOINTS}, 3) poses")
        if len(arr) in out:
            raise ValueError(f"{path}: two arrays hold {len(arr)} poses; keep one set per S")
        out[len(arr)] = arr
    return check_clusters(out, str(path))


def _read(path_or_obj) -> tuple[object, str]:
    """(the loaded checkpoint object, its name for messages); tensors and plain containers only."""
    if not isinstance(path_or_obj, (str, Path)):
        return path_or_obj, "<checkpoint dict>"
    path = Path(path_or_obj)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    with open(path, "rb") as f:
        magic = f.read(2)
    # torch.save writes a zip archive (b"PK"), or a pickle (b"\x80") before torch 1.6; ruling out
    # other files here keeps torch.load's weights-only refusal from being mistaken for them.
    if magic not in (b"PK", b"\x80\x02"):
        raise ValueError(f"{path}: not a torch checkpoint (neither a torch.save zip archive nor a pickle)")
    try:
        # weights_only: unpickling arbitrary objects runs arbitrary code; checkpoints need only
        # tensors and plain containers.
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True), str(path)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower():
            raise ValueError(
                f"{path}: holds Python objects besides tensors and plain containers; if you trust it, "
                "load it with torch.load(path, weights_only=False) and pass the dict to load_prior"
            ) from None
        raise ValueError(f"{path}: not a torch checkpoint ({e})") from None
    except Exception as e:  # torch.load signals a foreign file with KeyError, RuntimeError, EOFError, ...
        raise ValueError(f"{path}: not a torch checkpoint ({type(e).__name__}: {str(e)[:120]})") from None


def _load_ours(ck: dict, source: str, use_ema: bool) -> tuple[ScoreNet, PriorInfo]:
    """Network and info of a ``zedo-train`` checkpoint (CHECKPOINT_FORMAT), clusters included."""
    missing = [k for k in _OURS_REQUIRED if k not in ck]
    if missing:
        raise ValueError(f"{source}: {CHECKPOINT_FORMAT} checkpoint is missing keys {missing}")
    cfg = _dataclass_from(PriorConfig, ck["prior_config"], source, "prior_config")
    sde = _dataclass_from(SDEConfig, ck["sde_config"], source, "sde_config")
    if (cfg.n_joints, cfg.joint_dim) != (NUM_JOINTS, 3):
        raise ValueError(
            f"{source}: prior_config is for {cfg.n_joints} joints x {cfg.joint_dim}, expected {NUM_JOINTS} x 3"
        )
    model = _new_model(cfg, source)
    which = "ema" if use_ema else "model"
    _load_state(model, ck[which], source, which)
    clusters = {}
    for key, value in ck.items():
        m = re.fullmatch(r"clusters_(\d+)", str(key))
        if m:
            clusters[int(m.group(1))] = np.asarray(value, dtype=np.float32)
    if any(len(v) != s for s, v in clusters.items()):
        raise ValueError(
            f"{source}: a clusters_S entry does not hold S poses ({ {s: tuple(v.shape) for s, v in clusters.items()} })"
        )
    step = int(ck["step"])
    record = {"checkpoint": Path(source).name, "format": CHECKPOINT_FORMAT, "step": step, "weights": which}
    if "train_config" in ck:
        record["train_config"] = ck["train_config"]
    info = PriorInfo(
        source=source,
        format=CHECKPOINT_FORMAT,
        step=step,
        weights=which,
        prior_config=cfg,
        sde=sde,
        clusters=check_clusters(clusters, source) if clusters else {},
        provenance=[*ck.get("provenance", []), record],
    )
    return model, info


def _load_release(ck: dict, source: str, use_ema: bool) -> tuple[ScoreNet, PriorInfo]:
    """Network and info of an official ZeDO release checkpoint (no clusters: the caller's)."""
    raw = ck["model_state_dict"]
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: model_state_dict is a {type(raw).__name__}, expected a dict of tensors")
    # DataParallel prefixes every key with "module."; "sigmas" is a noise-level buffer of the
    # release's model class that the forward pass of the sub-VP prior never reads.
    state = {k.removeprefix("module."): v for k, v in raw.items()}
    state.pop("sigmas", None)
    cfg = _infer_config(state, source)
    model = _new_model(cfg, source)
    _load_state(model, state, source, "model_state_dict")
    if use_ema:
        ema = ck.get("ema")
        if not isinstance(ema, dict) or "shadow_params" not in ema:
            raise ValueError(
                f"{source}: release checkpoint is missing keys ['ema']['shadow_params'] "
                "(pass use_ema=False for the raw weights)"
            )
        _load_shadow(model, ema["shadow_params"], source)
    step = int(ck.get("step", 0))
    which = "ema" if use_ema else "model"
    info = PriorInfo(
        source=source,
        format=RELEASE_FORMAT,
        step=step,
        weights=which,
        prior_config=cfg,
        sde=RELEASE_SDE,
        clusters={},
        provenance=[
            {
                "checkpoint": Path(source).name,
                "format": RELEASE_FORMAT,
                "source": "official ZeDO release",
                "step": step,
                "weights": which,
            }
        ],
    )
    return model, info


def _infer_config(state: dict, source: str) -> PriorConfig:
    """Widths from tensor shapes: pre_dense (hidden, 51), pre_dense_t (hidden, embed), b{i}_dense1 count.

    GroupNorm's group count leaves no trace in the shapes; the release used PriorConfig's default.
    """
    for key in ("pre_dense.weight", "pre_dense_t.weight"):
        if key not in state or not torch.is_tensor(state[key]) or state[key].ndim != 2:
            raise ValueError(f"{source}: model_state_dict is missing keys ['{key}'] (a 2-D tensor)")
    hidden, d_in = state["pre_dense.weight"].shape
    if d_in != NUM_JOINTS * 3:
        raise ValueError(
            f"{source}: pre_dense.weight has shape {tuple(state['pre_dense.weight'].shape)}, "
            f"expected (hidden, {NUM_JOINTS * 3})"
        )
    embed = state["pre_dense_t.weight"].shape[1]
    blocks = sorted(int(m.group(1)) for k in state if (m := _BLOCK_KEY.match(k)))
    if blocks != list(range(1, len(blocks) + 1)):
        raise ValueError(f"{source}: residual blocks {blocks} are not numbered 1..n")
    return PriorConfig(hidden_dim=int(hidden), embed_dim=int(embed), n_blocks=len(blocks))


def _new_model(cfg: PriorConfig, source: str) -> ScoreNet:
    """``ScoreNet(cfg)``; its ValueError (widths and groups) names ``source``."""
    try:
        return ScoreNet(cfg)
    except ValueError as e:
        raise ValueError(f"{source}: {e}") from None


def _load_state(model: ScoreNet, state, source: str, what: str) -> None:
    """Load ``state`` into ``model`` (float32), naming missing, unexpected or mis-shaped tensors."""
    if not isinstance(state, dict):
        raise ValueError(f"{source}: {what} is a {type(state).__name__}, expected a dict of tensors")
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{source}: {what} does not match the network: missing keys {missing[:6]}, unexpected keys {unexpected[:6]}"
        )
    for key, ref in expected.items():
        value = state[key]
        if not torch.is_tensor(value) or value.shape != ref.shape:
            got = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
            raise ValueError(f"{source}: {what}[{key!r}] has shape {got}, expected {tuple(ref.shape)}")
        _check_finite(value, f"{source}: {what}[{key!r}]")
    model.load_state_dict({k: v.float() for k, v in state.items()})


def _check_finite(value: torch.Tensor, name: str) -> None:
    """ValueError naming the tensor unless it holds real, finite numbers."""
    if value.is_complex() or value.dtype == torch.bool or not torch.isfinite(value.float()).all():
        raise ValueError(f"{name} holds NaN, infinite, complex or boolean values; the checkpoint is damaged")


def _load_shadow(model: ScoreNet, shadow, source: str) -> None:
    """Copy an EMA ``shadow_params`` list (model.parameters() order) into the model's parameters."""
    params = list(model.named_parameters())
    if not isinstance(shadow, (list, tuple)) or len(shadow) != len(params):
        got = len(shadow) if isinstance(shadow, (list, tuple)) else type(shadow).__name__
        raise ValueError(f"{source}: ema shadow_params has {got} entries, the network has {len(params)} parameters")
    with torch.no_grad():
        for (name, p), s in zip(params, shadow):
            if not torch.is_tensor(s) or s.shape != p.shape:
                got = tuple(s.shape) if torch.is_tensor(s) else type(s).__name__
                raise ValueError(
                    f"{source}: ema shadow_params entry for {name!r} has shape {got}, expected {tuple(p.shape)}"
                )
            _check_finite(s, f"{source}: ema shadow_params entry for {name!r}")
            p.copy_(s.float())


def _dataclass_from(cls, value, source: str, what: str):
    """``cls(**value)`` for a dict of known fields; ValueError naming ``source`` and ``what`` otherwise."""
    names = {f.name for f in fields(cls)}
    if not isinstance(value, dict) or not set(value) <= names:
        extra = sorted(set(value) - names) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"{source}: {what} is not a {cls.__name__} (unexpected {extra})")
    try:
        return cls(**value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{source}: {what}: {e}") from None

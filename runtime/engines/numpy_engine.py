"""A prior in an ONNX file run as NumPy matrix products on its weights (device ``cpu-numpy``).

zedo's prior is a few dense layers (``zedo.training.model.ScoreNet``): a sinusoidal embedding of t,
dense layers of x and of the embedding summed, GroupNorm, SiLU, two residual blocks. This engine
reads the ONNX file's weights (``zedo.runtime.engines.onnx_proto``, no ``onnx`` package) and computes the
same network with NumPy's BLAS, in float32. Shapes as ``zedo.runtime.engines.open.Engine``.

One difference in the work, not in the result: every term that depends on t alone (the embedding
and the dense layers applied to it, biases folded in) is computed once per distinct t and kept for
later calls (the loop calls the prior with one t for the whole batch, and the same schedule of t
for every batch). That is 0.7 M of the h36m prior's 1.8 M multiply-adds per pose.

Only FP32 priors written by zedo-export are run: the file must hold every parameter of the ScoreNet
its metadata describes (``prior_config``; ``onnx_proto.torch_parameters``) in its shape, else
ValueError. Its eps agrees with ONNX Runtime's to float32 rounding (tests/test_cpu_engines.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.skeleton import NUM_JOINTS
from .onnx_proto import OnnxContents, read_onnx, torch_parameters
from .prior_file import PriorMeta, read_meta

# ScoreNet's constants (zedo.training.model): the time label fed to the embedding is t * 999, the
# embedding's frequencies span 1 .. 1 / 10000, and GroupNorm divides by sqrt(var + 1e-5).
TIME_LABEL_SCALE, MAX_POSITIONS, NORM_EPS = 999.0, 10000.0, 1e-5
CACHE_BYTES = 16 * 2**20  # memory the per-t terms may take; cleared when full


def scorenet_shapes(hidden: int, embed: int, blocks: int) -> dict[str, tuple[int, ...]]:
    """Parameter name -> shape of a ScoreNet of these widths (its state dict, in order)."""
    d_in = NUM_JOINTS * 3
    shapes = {
        "pre_dense.weight": (hidden, d_in),
        "pre_dense.bias": (hidden,),
        "pre_dense_t.weight": (hidden, embed),
        "pre_dense_t.bias": (hidden,),
    }
    shapes |= {
        "pre_gnorm.weight": (hidden,),
        "pre_gnorm.bias": (hidden,),
        "shared_time_embed.0.weight": (embed, embed),
        "shared_time_embed.0.bias": (embed,),
    }
    for i in range(1, blocks + 1):
        for j in (1, 2):
            shapes |= {f"b{i}_dense{j}.weight": (hidden, hidden), f"b{i}_dense{j}.bias": (hidden,)}
            shapes |= {f"b{i}_dense{j}_t.weight": (hidden, embed), f"b{i}_dense{j}_t.bias": (hidden,)}
            shapes |= {f"b{i}_gnorm{j}.weight": (hidden,), f"b{i}_gnorm{j}.bias": (hidden,)}
    return shapes | {"post_dense.weight": (d_in, hidden), "post_dense.bias": (d_in,)}


def scorenet_weights(contents, config: dict, source: str, device: str) -> dict[str, np.ndarray]:
    """The parameters by name of the ScoreNet ``config`` describes (a prior's ``prior_config``:
    hidden_dim, embed_dim, n_blocks) from an ONNX file's contents (``onnx_proto.read_onnx``).
    ValueError naming ``source``, ``device`` and the first parameter missing or of the wrong shape."""
    try:
        want = scorenet_shapes(int(config["hidden_dim"]), int(config["embed_dim"]), int(config["n_blocks"]))
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"{source}: the prior's metadata does not give its network's widths (prior_config {config!r}); "
            f"the {device} engine needs them"
        ) from None
    got = torch_parameters(contents, want)
    wrong = [k for k in want if k not in got or got[k].shape != want[k]]
    if wrong:
        k = wrong[0]
        why = (
            f"stored as ONNX data type {contents.other_types[k]}, not float32"
            if k in contents.other_types
            else f"missing or not of shape {want[k]}"
        )
        raise ValueError(
            f"{source}: not a zedo FP32 ScoreNet prior ({k!r} {why}); "
            f"the {device} engine runs the FP32 priors zedo-export writes"
        )
    return got


def open_scorenet(
    contents: OnnxContents, path: Path, device: str
) -> tuple[PriorMeta, dict[str, np.ndarray], list[str], int]:
    """(metadata, ScoreNet weights by name, names of its dense layers in order, GroupNorm groups) of
    an FP32 ScoreNet prior file ``path`` read as ``contents`` (``onnx_proto.read_onnx``); ValueError
    naming the file and ``device`` otherwise."""
    meta = read_meta(contents.metadata, path, sidecar=True)
    if meta.precision != "fp32":
        raise ValueError(
            f"{path}: the {device} engine runs FP32 priors; this one is {meta.precision} (use device='cpu')"
        )
    weights = scorenet_weights(contents, meta.prior_config, str(path), device)
    hidden = weights["pre_dense_t.weight"].shape[0]
    groups = meta.prior_config.get("groups")
    if not isinstance(groups, int) or groups < 1 or hidden % groups:
        raise ValueError(
            f"{path}: the prior's metadata gives no GroupNorm group count dividing its width {hidden} "
            f"(prior_config.groups {groups!r})"
        )
    blocks = int(meta.prior_config["n_blocks"])
    return meta, weights, ["pre_dense"] + [f"b{i}_dense{j}" for i in range(1, blocks + 1) for j in (1, 2)], groups


class TimeTerms:
    """The t-only terms of ScoreNet's dense layers: for each layer ``name`` of ``layers``, the
    embedding of t through ``name_t`` (its bias included, and with ``fold_bias`` the bias of
    ``name`` too), (hidden,) float32 per layer and t. Computed once per distinct t and kept
    (up to ``CACHE_BYTES``; past it the cache starts again)."""

    def __init__(self, weights: dict[str, np.ndarray], layers: list[str], fold_bias: bool):
        self.embed = weights["pre_dense_t.weight"].shape[1]
        self.layers, self.hidden = len(layers), weights["pre_dense_t.weight"].shape[0]
        half = self.embed // 2
        self.freq = np.exp(np.arange(half, dtype=np.float32) * np.float32(-math.log(MAX_POSITIONS) / (half - 1)))
        self.embed_w = weights["shared_time_embed.0.weight"].T.copy()
        self.embed_b = weights["shared_time_embed.0.bias"]
        # Layer k's weights are columns k * hidden ... of one (embed, layers * hidden) matrix.
        self.dense = np.concatenate([weights[f"{n}_t.weight"].T for n in layers], axis=1)
        self.bias = np.concatenate(
            [weights[f"{n}_t.bias"] + (weights[f"{n}.bias"] if fold_bias else 0) for n in layers]
        )
        self._cache: dict[float, np.ndarray] = {}
        self.cache_size = max(1, CACHE_BYTES // (4 * self.bias.size))

    def compute(self, t: np.ndarray) -> np.ndarray:
        """(U, layers, hidden) float32 terms at the U values t (U,), uncached."""
        arg = (t.astype(np.float32) * np.float32(TIME_LABEL_SCALE))[:, None] * self.freq[None, :]
        emb = np.concatenate([np.sin(arg), np.cos(arg)], axis=1)
        if self.embed % 2:
            emb = np.pad(emb, ((0, 0), (0, 1)))
        emb = _silu(emb @ self.embed_w + self.embed_b)
        return (emb @ self.dense + self.bias).reshape(len(t), self.layers, self.hidden)

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(terms (U, layers, hidden), row of each pose in terms (B,), or None when all B share one t)
        for t (B,) float32."""
        if t.size and (t == t[0]).all():
            values, index = t[:1], None
        else:
            values, index = np.unique(t, return_inverse=True)
        missing = [v for v in values.tolist() if v not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > self.cache_size:
                self._cache.clear()
            for v, row in zip(missing, self.compute(np.asarray(missing, dtype=np.float32))):
                self._cache[v] = row
        return np.stack([self._cache[v] for v in values.tolist()]), index


class NumpyEngine:
    """An FP32 ScoreNet prior in an ONNX file, computed with NumPy (see the module docstring).

    ``threads`` must be 0: NumPy's BLAS threads are the process's (OPENBLAS_NUM_THREADS or
    OMP_NUM_THREADS before Python starts)."""

    xp = np
    device = "cpu-numpy"

    def __init__(self, path: str | Path, threads: int = 0):
        self.path = Path(path)
        if threads:
            raise ValueError(
                "threads=N sets ONNX Runtime's threads; the cpu-numpy engine uses NumPy's BLAS threads "
                "(set OPENBLAS_NUM_THREADS or OMP_NUM_THREADS)"
            )
        self.meta, weights, layers, self.groups = open_scorenet(read_onnx(self.path), self.path, self.device)
        self.terms = TimeTerms(weights, layers, fold_bias=True)
        # The dense layers of x as (in, out) matrices; their biases are in the time terms.
        self.dense = [weights[f"{n}.weight"].T.copy() for n in layers]
        self.norms = [
            (weights[f"{n.replace('dense', 'gnorm')}.weight"], weights[f"{n.replace('dense', 'gnorm')}.bias"])
            for n in layers
        ]
        self.post = (weights["post_dense.weight"].T.copy(), weights["post_dense.bias"])
        self.layers = len(layers)

    def __call__(self, x, t):
        """eps (B, 17, 3) float32 of x (B, 17, 3) and t (B,), float32 NumPy arrays."""
        B = x.shape[0]
        terms, index = self.terms.at(np.asarray(t, dtype=np.float32).reshape(B))

        def layer(k: int, inp: np.ndarray) -> np.ndarray:
            z = inp @ self.dense[k]
            z += terms[0, k] if index is None else terms[index, k]
            return _norm_silu(z, *self.norms[k], self.groups)

        h = layer(0, np.asarray(x, dtype=np.float32).reshape(B, -1))
        for k in range(1, self.layers, 2):  # residual blocks: two layers each
            h += layer(k + 1, layer(k, h))
        w, b = self.post
        return (h @ w + b).reshape(B, NUM_JOINTS, 3)


def _silu(z: np.ndarray) -> np.ndarray:
    """z * sigmoid(z), in place."""
    s = np.exp(-z)
    s += 1.0
    z /= s
    return z


def _norm_silu(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, groups: int) -> np.ndarray:
    """SiLU(GroupNorm(z)) of (B, C) activations in ``groups`` groups of channels, in place."""
    B, C = z.shape
    v = z.reshape(B, groups, C // groups)
    scale = 1.0 / (C // groups)
    # einsum's sums over the short last axis are several times faster than mean() there.
    v -= (np.einsum("bgk->bg", v) * scale)[..., None]
    var = np.einsum("bgk,bgk->bg", v, v)
    var *= scale
    var += NORM_EPS
    v /= np.sqrt(var, out=var)[..., None]
    z *= gamma
    z += beta
    return _silu(z)

"""Export a prior network to ONNX with its metadata, and check it against torch on ONNX Runtime.

The file follows the runtime's contract (``zedo.runtime.prior_file``): inputs ``x`` (B, 17, 3)
float32 root-relative metres and ``t`` (B,) float32 diffusion time, output ``eps`` (B, 17, 3)
float32, with the batch dimension B dynamic; the prior's metadata JSON sits in
``metadata_props["zedo"]`` and in the sidecar ``<file>.json``.

Opset 17 by default: it is the newest opset TensorRT 8.6's ONNX parser accepts and is supported by
every TensorRT 10 release, so one file serves both. GroupNorm exports as
Reshape + InstanceNormalization + Reshape + Mul + Add (the native GroupNormalization op only exists
from opset 18), which TensorRT and ONNX Runtime both run natively.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from zedo.runtime.atomic import atomic_path
from zedo.runtime.prior_file import INPUT_T, INPUT_X, META_KEY, OUTPUT_EPS, PriorMeta, sidecar_path
from zedo.runtime.sde import marginal_std, mean_coeff
from zedo.runtime.skeleton import NUM_JOINTS

DEFAULT_OPSET = 17
PARITY_TIMES: tuple[float, ...] = (0.01, 0.03, 0.06, 0.1)  # spans ZeDO's loop, t_min to t_max
PARITY_BATCHES: tuple[int, ...] = (1, 64)
TRACE_BATCH = 2  # not 1, so that no size-1 batch dimension can be specialised into the graph
PARITY_SEED = 0


@dataclass(frozen=True)
class ParityReport:
    """ONNX Runtime (CPU) against torch on noised poses: max |eps_onnx - eps_torch| per t."""

    errors: tuple[tuple[float, float], ...]  # (t, max abs error over all batches), eps is unitless
    atol: float  # the tolerance the errors were held to
    batch_sizes: tuple[int, ...]  # batch sizes compared at each t
    poses: int  # distinct clean poses the noised inputs were made from (at most the largest batch)

    @property
    def max_error(self) -> float:
        return max(e for _, e in self.errors)

    @property
    def passed(self) -> bool:
        return self.max_error <= self.atol


class ParityError(RuntimeError):
    """The exported model disagrees with torch beyond the tolerance; ``report`` has the numbers."""

    def __init__(self, message: str, report: ParityReport):
        super().__init__(message)
        self.report = report


def export_onnx(
    model: torch.nn.Module,
    meta: PriorMeta,
    out_path,
    opset: int = DEFAULT_OPSET,
    parity_poses: np.ndarray | None = None,
    atol: float = 1e-4,
) -> ParityReport:
    """Write ``model`` to ``out_path`` (.onnx) plus its sidecar JSON; return the parity report.

    model: x (B, 17, 3), t (B,) -> eps (B, 17, 3), float32 (a ``ScoreNet``); exported in eval mode
    and left in the mode it came in. meta: the prior's metadata, embedded in the file; it must hold
    initial-pose clusters, which the runtime starts from. parity_poses: (N, 17, 3) clean poses in
    metres to noise for the parity check (64 of them spread over N if N > 64); by default the
    clusters in ``meta``. atol: largest allowed max abs difference of eps (unitless) between ONNX
    Runtime and torch at any t and batch size.

    Both files are written atomically and the .onnx file only once parity holds: on a parity
    failure ``ParityError`` (a RuntimeError) is raised and nothing is written (a file already at
    ``out_path`` is left as it was). Bad arguments raise ValueError.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".onnx":
        raise ValueError(f"{out_path}: an ONNX prior's file name must end in .onnx (the runtime picks engines by suffix)")
    if not atol > 0:
        raise ValueError(f"atol must be > 0, got {atol}")
    if not meta.clusters:
        raise ValueError("the prior's metadata has no initial-pose clusters; pass clusters (zedo-export --clusters FILE)")
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.float32}:
        raise ValueError(f"the network's parameters must be float32, got {sorted(map(str, dtypes))}")
    poses = _parity_poses(meta if parity_poses is None else parity_poses)

    was_training = model.training
    model.eval()
    try:
        with atomic_path(out_path) as tmp:
            _trace(model, tmp, opset)
            _embed_metadata(tmp, meta)
            report = _parity(model, tmp, poses, atol)
            if not report.passed:
                worst = max(report.errors, key=lambda te: te[1])
                raise ParityError(
                    f"{out_path}: ONNX Runtime disagrees with torch: max |eps error| {worst[1]:.3g} at t={worst[0]:g} > atol {atol:g}",
                    report,
                )
    finally:
        model.train(was_training)
    with atomic_path(sidecar_path(out_path)) as tmp:
        tmp.write_text(meta.to_json())
    return report


def _trace(model: torch.nn.Module, path, opset: int) -> None:
    device = next(model.parameters()).device
    x = torch.zeros(TRACE_BATCH, NUM_JOINTS, 3, device=device)
    t = torch.full((TRACE_BATCH,), 0.05, device=device)
    batch = {0: "batch"}
    with warnings.catch_warnings():
        # The TorchScript exporter is chosen on purpose: the torch.export-based one needs
        # onnxscript and builds opset 18 graphs, reaching 17 only through ONNX's version
        # converter. Its deprecation notice, and the tracer's note on GroupNorm's batch-size
        # sanity check (a Python-level check, not part of the graph), say nothing about the file.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        try:
            torch.onnx.export(
                model,
                (x, t),
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=[INPUT_X, INPUT_T],
                output_names=[OUTPUT_EPS],
                dynamic_axes={INPUT_X: batch, INPUT_T: batch, OUTPUT_EPS: batch},
                do_constant_folding=True,
            )
        except Exception as e:  # the exporter raises assorted types (RuntimeError, OnnxExporterError, ...)
            raise RuntimeError(f"torch.onnx.export failed at opset {opset}: {str(e).splitlines()[0][:300]}") from None


def _embed_metadata(path, meta: PriorMeta) -> None:
    import onnx

    proto = onnx.load(str(path))
    kept = [p for p in proto.metadata_props if p.key != META_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=META_KEY, value=meta.to_json())
    # full_check also runs strict shape inference, catching a graph that loads but cannot run.
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))


def _parity_poses(source) -> np.ndarray:
    """(N, 17, 3) float32 clean poses: the metadata's clusters, or the caller's array."""
    if isinstance(source, PriorMeta):
        return np.concatenate([source.clusters[s] for s in sorted(source.clusters)]).astype(np.float32)
    poses = np.asarray(source, dtype=np.float32)
    if poses.ndim != 3 or poses.shape[1:] != (NUM_JOINTS, 3) or len(poses) == 0:
        raise ValueError(f"parity_poses must have shape (N, {NUM_JOINTS}, 3), got {poses.shape}")
    if not np.isfinite(poses).all():
        raise ValueError("parity_poses hold NaN or infinite values")
    return poses


def _reference_eps(model: torch.nn.Module, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """torch's eps for float32 inputs x (B, 17, 3), t (B,), as a NumPy array."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model(torch.from_numpy(x).to(device), torch.from_numpy(t).to(device)).cpu().numpy()


def _parity(model: torch.nn.Module, path, poses: np.ndarray, atol: float) -> ParityReport:
    """Noise the poses as the SDE does at each t (x_t = mean_coeff x_0 + std eps) and compare."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # Parity batches are tiny; one thread is plenty and leaves the machine's cores alone.
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    # The runtime reads the metadata through ONNX Runtime: make sure it parses there.
    PriorMeta.from_json(session.get_modelmeta().custom_metadata_map[META_KEY], source=str(path))
    rng = np.random.default_rng(PARITY_SEED)
    n = max(PARITY_BATCHES)
    # Every pose when there are at most n (cycled to fill the batch), else n spread evenly over them.
    index = np.arange(n) % len(poses) if len(poses) <= n else np.linspace(0, len(poses) - 1, n).astype(int)
    x0 = poses[index]
    errors = []
    for t in PARITY_TIMES:
        noise = rng.standard_normal(x0.shape)
        x = (mean_coeff(t) * x0 + marginal_std(t) * noise).astype(np.float32)
        worst = 0.0
        for b in PARITY_BATCHES:
            tb = np.full(b, t, dtype=np.float32)
            got = session.run([OUTPUT_EPS], {INPUT_X: x[:b], INPUT_T: tb})[0]
            err = float(np.abs(got - _reference_eps(model, x[:b], tb)).max())
            # NaN compares false against the tolerance; count it as the worst error there is.
            worst = max(worst, err if np.isfinite(err) else float("inf"))
        errors.append((t, worst))
    return ParityReport(errors=tuple(errors), atol=atol, batch_sizes=PARITY_BATCHES, poses=len(set(index.tolist())))

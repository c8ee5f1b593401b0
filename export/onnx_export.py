"""Export a prior network to ONNX with its metadata, and check it against torch on ONNX Runtime.

The file follows the runtime's contract (``zedo.runtime.engines.prior_file``): inputs ``x`` (B, 17, 3)
float32 root-relative metres and ``t`` (B,) float32 diffusion time, output ``eps`` (B, 17, 3)
float32, with the batch dimension B dynamic; the prior's metadata JSON sits in
``metadata_props["zedo"]`` and in the sidecar ``<file>.json``.

Opset 17 by default, the newest TensorRT 8.6 parses, so that one file serves TensorRT 8.6 and 10
(GroupNorm then exports as InstanceNormalization between Reshapes); see docs/decisions.md, "ONNX
opset 17, TorchScript exporter".
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from zedo.runtime.core.skeleton import NUM_JOINTS
from zedo.runtime.engines.compare import CompareReport
from zedo.runtime.engines.onnxruntime_engine import OnnxRuntimeEngine
from zedo.runtime.engines.prior_file import (
    INPUT_T,
    INPUT_X,
    OUTPUT_EPS,
    PriorMeta,
    check_onnx_suffix,
    embed_meta,
    write_sidecar,
)
from zedo.runtime.io.atomic import atomic_path

from .parity import check_parity, clean_poses

DEFAULT_OPSET = 17
TRACE_BATCH = 2  # not 1, so that no size-1 batch dimension can be specialised into the graph


class TorchRunner:
    """A torch network as a runner (``zedo.runtime.engines.compare``): NumPy x (B, 17, 3), t (B,) float32
    -> eps (B, 17, 3) float32, evaluated without gradients on the network's device."""

    xp = np

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.device = next(model.parameters()).device

    def __call__(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.from_numpy(x).to(self.device), torch.from_numpy(t).to(self.device)).cpu().numpy()


def export_onnx(
    model: torch.nn.Module,
    meta: PriorMeta,
    out_path,
    opset: int = DEFAULT_OPSET,
    parity_poses: np.ndarray | None = None,
    atol: float = 1e-4,
) -> CompareReport:
    """Write ``model`` to ``out_path`` (.onnx) plus its sidecar JSON; return the parity report.

    model: x (B, 17, 3), t (B,) -> eps (B, 17, 3), float32 (a ``ScoreNet``); exported in eval mode
    and left in the mode it came in. meta: the prior's metadata, embedded in the file; it must hold
    initial-pose clusters, which the runtime starts from. parity_poses: (N, 17, 3) clean poses in
    metres to noise for the parity check (64 of them spread over N if N > 64); by default the
    clusters in ``meta``. atol: largest allowed max abs difference of eps (unitless) between ONNX
    Runtime and torch at any t and batch size (``zedo.export.parity``).

    Both files are written atomically and the .onnx file only once parity holds: on a parity
    failure ``ParityError`` (a RuntimeError) is raised and nothing is written (a file already at
    ``out_path`` is left as it was). Bad arguments raise ValueError.
    """
    out_path = Path(out_path)
    check_onnx_suffix(out_path)
    if not atol > 0:
        raise ValueError(f"atol must be > 0, got {atol}")
    if not meta.clusters:
        raise ValueError(
            "the prior's metadata has no initial-pose clusters; pass clusters (zedo-export --clusters FILE)"
        )
    dtypes = {p.dtype for p in model.parameters()}
    if dtypes != {torch.float32}:
        raise ValueError(f"the network's parameters must be float32, got {sorted(map(str, dtypes))}")
    poses = clean_poses(meta if parity_poses is None else parity_poses)

    was_training = model.training
    model.eval()
    try:
        with atomic_path(out_path) as tmp:
            _trace(model, tmp, opset)
            _embed(tmp, meta)
            # One thread: parity batches are tiny. The engine also reads the metadata through ONNX
            # Runtime, as the runtime will.
            report = check_parity(
                TorchRunner(model),
                OnnxRuntimeEngine(tmp, threads=1),
                poses,
                atol,
                ("torch", "ONNX Runtime"),
                f"{out_path}: ONNX Runtime disagrees with torch",
            )
    finally:
        model.train(was_training)
    write_sidecar(out_path, meta)
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


def _embed(path: Path, meta: PriorMeta) -> None:
    """Embed ``meta`` in the ONNX file at ``path`` (checked with full shape inference)."""
    import onnx

    proto = onnx.load(str(path))
    embed_meta(proto, meta)
    onnx.save(proto, str(path))

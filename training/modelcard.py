"""Model cards of the shipped priors (Markdown), written from the checkpoint and zedo-eval's JSON results."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from zedo.runtime.io.atomic import atomic_path

from .checkpoint import load_prior
from .recipes import RECIPES


def _eval_row(r: dict) -> str:
    """The accuracy table's row of one zedo-eval JSON result (mm, %)."""
    return (
        f"| {r['track']} | {r['hypotheses']} | {r['loop']['iterations']} | {r['poses']} (every {r['every']}th frame) | "
        f"{r['mpjpe']:.1f} | {r['pa_mpjpe']:.1f} | {r['pck150']:.1f} | {r['auc']:.1f} |"
    )


def _data_line(p: dict) -> str:
    """The data list's line of one training file's provenance."""
    return (
        f"- `{p.get('file', '?')}`: {p.get('poses', '?')} poses; "
        f"{json.dumps({k: v for k, v in p.items() if k not in ('file', 'poses')})}"
    )


def write_model_card(
    name: str,
    ckpt: str | Path,
    evals: list[str | Path],
    out: str | Path,
    onnx_path: str | Path | None = None,
    reproduced: str = "",
) -> Path:
    """Markdown card for bundled prior ``name``: data and its licence, network, training time and
    command, S9 accuracy from each zedo-eval JSON in ``evals``; ``reproduced``: how a re-run of the
    command compared (one line), if one was made."""
    recipe = RECIPES[name]
    _, info = load_prior(ckpt)
    ck_raw = torch.load(ckpt, map_location="cpu", weights_only=True)
    seconds = float(ck_raw.get("train_seconds", 0.0))
    pc = info.prior_config
    params = sum(v.numel() for v in ck_raw["ema"].values())
    rows = [_eval_row(json.loads(Path(e).read_text())) for e in evals]
    data_lines = "\n".join(_data_line(p) for p in info.provenance if isinstance(p, dict) and "file" in p)
    size = f"{Path(onnx_path).stat().st_size / 1e6:.1f} MB" if onnx_path else "n/a"
    text = f"""# Prior `{name}`

ZeDO score network (sub-VP SDE, beta {info.sde.beta_min}..{info.sde.beta_max}; the loop queries it for
t in [{info.sde.t_min}, {info.sde.t_max}]), an MLP over the 17 x 3 joint coordinates predicting noise.

## Data

{data_lines}

Licence of the data, which this prior carries: {recipe.licence}.

## Network and training

- widths: hidden {pc.hidden_dim}, time embedding {pc.embed_dim}, {pc.n_blocks} residual blocks, \
GroupNorm {pc.groups} groups; {params / 1e6:.2f} M parameters (EMA weights exported); ONNX file {size}
- {info.step} steps, {seconds / 60:.0f} min on a 2-core CPU \
({ck_raw.get("train_config", {}).get("threads") or "default"} torch thread(s), sharing the machine with other work)
- settings (from the checkpoint): {json.dumps(ck_raw.get("train_config", {}))}
- reproduce: `zedo-train --recipe {name} --data-root ../shared/data -o {name}.pt` then
  `zedo-export --ckpt {name}.pt -o runtime/priors/{name}.onnx`
{f"- reproduced: {reproduced}" + chr(10) if reproduced else ""}- initial-pose clusters \
(k-means of the training poses, seed {ck_raw.get("train_config", {}).get("seed", 0)}): \
S = {", ".join(str(k) for k in sorted(info.clusters))}

## Accuracy on Human3.6M S9 (validation subject; never trained on)

Through `zedo-infer`'s runtime on the CPU (ONNX Runtime); mm; MPJPE and PA-MPJPE are means over the
15 actions, PCK at 150 mm and AUC over all poses.

| 2D | S | iterations | poses | MPJPE | PA-MPJPE | PCK150 | AUC |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Commands: `zedo-eval --engine {name} --track gt --via-cli` and `--track detected --via-cli` \
(`--every 64` is the default).
Detected 2D are Stacked Hourglass detections of a detector trained on MPII only (about 15 px from the
projected truth, with MPII's joint definitions); the loop puts each joint on its ray, so their error
reaches 3D in full.
"""
    out = Path(out)
    with atomic_path(out) as tmp:
        tmp.write_text(text)
    return out

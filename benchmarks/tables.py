"""Markdown tables for the README from benchmarks/results/*.json (written by benchmarks/accuracy.sh).

python benchmarks/tables.py > /tmp/tables.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from zedo.runtime.core.config import PRESETS, LoopConfig

RESULTS = Path(__file__).resolve().parent / "results"

PAPER = [
    ("ZeDO paper (S9+S11, 2D detector fine-tuned on H36M)", "detected", 1, "65.7", "49.0"),
    ("ZeDO paper (S9+S11)", "gt", 1, "50.1", "35.8"),
    ("ZeDO paper, oracle of 50", "detected", 50, "51.4", "42.1"),
    ("ZeDO paper, oracle of 50", "gt", 50, "37.0", "27.5"),
]


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _cmd(r: dict) -> str:
    parts = [f"--engine {r['prior']}", f"--track {r['track']}"]
    loop = r["loop"]
    if r["hypotheses"] != 1:
        parts.append(f"--hypotheses {r['hypotheses']}")
    if r["every"] != 64:
        parts.append(f"--every {r['every']}")
    # Results without the start's fields were made before the fast start: --preset v1's settings.
    shortlist, fit = loop.get("start_shortlist", 50), loop.get("start_fit", "grid")
    v1 = PRESETS["v1"]
    preset = (shortlist, fit) == (v1["start_shortlist"], v1["start_fit"])
    if preset:
        parts.append("--preset v1")
    if not preset and shortlist != LoopConfig.start_shortlist:
        parts.append(f"--start-shortlist {shortlist}")
    if not preset and fit != LoopConfig.start_fit:
        parts.append(f"--start-fit {fit}")
    if loop["iterations"] != (v1["iterations"] if preset else LoopConfig.iterations):
        parts.append(f"--iterations {loop['iterations']}")
    if loop["step_scale"] != (v1["step_scale"] if preset else LoopConfig.step_scale):
        parts.append(f"--step-scale {loop['step_scale']:g}")
    if not loop["ipo"]:
        parts.append("--no-ipo")
    if loop["warmup_fraction"] == 0:
        parts.append("--no-warmup")
    candidates = loop.get("start_candidates", loop.get("initial_candidates", 1000))
    if r["hypotheses"] == 1 and candidates != 1000:
        parts.append(f"--initial-candidates {candidates}")
    if list(loop["ipo_joints"]) == [0, 1, 4]:
        parts.append("--ipo-joints paper")
    if r.get("layout", "h36m17") != "h36m17":
        parts.append(f"--layout {r['layout']}")
    if r.get("image_size"):
        parts.append("--image-size " + " ".join(f"{v:g}" for v in r["image_size"]))
    if r.get("focal_scale", 1.0) != 1.0:
        parts.append(f"--focal-scale {r['focal_scale']:g}")
    if r.get("added_noise_px"):
        parts.append(f"--add-noise {r['added_noise_px']:g}")
    noise = loop.get("noise_px", 0.0)  # results from before the noisy-2D loop ran the exact step
    if noise is not None:
        parts.append(f"--noise-px {noise:g}")
    if r.get("via") == "zedo-infer":
        parts.append("--via-cli")
    if r["hypotheses"] > 1 and r["selection"] != "prior":
        parts.append(f"--selection {r['selection']}")
    return "`zedo-eval " + " ".join(parts) + "`"


def main() -> int:
    print("| prior | 2D | S | MPJPE | PA-MPJPE | PCK150 | AUC | poses | command |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in ("h36m-gt-s1", "h36m-detected-s1", "default-gt-s1", "default-detected-s1"):
        r = _load(name)
        if r:
            print(
                f"| {r['prior']} | {r['track']} | 1 | {r['mpjpe']:.1f} | {r['pa_mpjpe']:.1f} | "
                f"{r['pck150']:.1f} | {r['auc']:.1f} | {r['poses']} | {_cmd(r)} |"
            )
    for label, track, s, p1, p2 in PAPER:
        print(f"| {label} | {track} | {s} | {p1} | {p2} | | | | |")
    print()
    print(
        "| prior | 2D | S | selected by reprojection | selected by prior | mean over hypotheses | oracle (min) | "
        "poses | command |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in ("h36m-gt-s50", "h36m-detected-s50"):
        r = _load(name)
        if r:
            print(
                f"| {r['prior']} | {r['track']} | {r['hypotheses']} | "
                f"{r['mpjpe_reprojection_selected']:.1f} / {r['pa_mpjpe_reprojection_selected']:.1f} | "
                f"{r['mpjpe_prior_selected']:.1f} / {r['pa_mpjpe_prior_selected']:.1f} | "
                f"{r['mpjpe_mean_hyp']:.1f} / {r['pa_mpjpe_mean_hyp']:.1f} | "
                f"{r['mpjpe_oracle']:.1f} / {r['pa_mpjpe_oracle']:.1f} | {r['poses']} | {_cmd(r)} |"
            )
    print()
    print("| variant (h36m, ground-truth 2D, S = 1) | MPJPE | PA-MPJPE | seconds | command |")
    print("| --- | --- | --- | --- | --- |")
    rows = [
        ("full loop, 1000 iterations", "h36m-gt-s1-every128"),
        ("start from the mean pose (release), IPO on the torso", "h36m-gt-s1-mean-start"),
        ("no initial pose optimisation (so: the mean-pose start)", "h36m-gt-s1-no-ipo"),
        ("no warm-up", "h36m-gt-s1-no-warmup"),
        ("mean-pose start, IPO on pelvis and hips only (release)", "h36m-gt-s1-paper-ipo"),
    ]
    rows += [(f"{n} iterations (rescaled step)", f"h36m-gt-s1-it{n}") for n in (500, 200, 100, 50)]
    for label, name in rows:
        r = _load(name)
        if r:
            print(f"| {label} | {r['mpjpe']:.1f} | {r['pa_mpjpe']:.1f} | {r['seconds']:.0f} | {_cmd(r)} |")
    print()
    print("| 2D given as (h36m, ground-truth 2D, S = 1) | camera | MPJPE | PA-MPJPE | poses | command |")
    print("| --- | --- | --- | --- | --- | --- |")
    inputs = [
        ("Human3.6M 17 joints", "h36m-gt-s1"),
        ("COCO-17 (nose, shoulders, elbows, wrists, hips, knees, ankles; eyes and ears absent)", "h36m-gt-s1-coco17"),
        ("Halpe-26 (the COCO joints + head, neck, hip)", "h36m-gt-s1-halpe26"),
        ("OpenPose BODY_25 (the COCO joints + neck, mid-hip)", "h36m-gt-s1-openpose25"),
        ("Human3.6M 17 joints", "h36m-gt-s1-image-size"),
        ("Human3.6M 17 joints", "h36m-gt-s1-focal0.7"),
        ("Human3.6M 17 joints", "h36m-gt-s1-focal1.4"),
    ]
    for label, name in inputs:
        r = _load(name)
        if r:
            print(f"| {label} | {_camera(r)} | {r['mpjpe']:.1f} | {r['pa_mpjpe']:.1f} | {r['poses']} | {_cmd(r)} |")
    return 0


def _camera(r: dict) -> str:
    if r.get("image_size"):
        return "image size only (focal 1.2 x max(w, h))"
    if r.get("focal_scale", 1.0) != 1.0:
        return f"K with focal x{r['focal_scale']:g}"
    return "true K"


if __name__ == "__main__":
    sys.exit(main())

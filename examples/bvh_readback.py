"""Read a BVH back with bvhio and draw a few of its frames: what a rig sees of zedo's export.

    zedo-infer clip.npz -o walk.bvh                        # one file per track: walk.track0.bvh, ...
    python examples/bvh_readback.py walk.track0.bvh -o docs/bvh-readback.png [--frames 0 15 30 45 60]

    python examples/bvh_readback.py --h36m-clip "Walking 60457274" -o docs/bvh-readback.png   # the picture in docs/

Each frame is the skeleton as bvhio rebuilds it from the BVH's offsets and rotations (every joint's
world position, bones from the hierarchy), Y up as written (the floor at 0 in world coordinates),
each frame centred over its pelvis. ``--h36m-clip NAME`` first lifts that S9 clip (ground-truth 2D,
``zedo.evaluation.clips``, ``--data``) as zedo-infer lifts a video with the bundled ``h36m`` prior and
writes its BVH beside the picture (needs the dataset).
Needs bvhio (``pip install "zedo[bvh]"``) and matplotlib.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def read_back(path):
    """(names, parent index per joint, positions (F, J, 3)) of a BVH as bvhio reads it."""
    import bvhio

    root = bvhio.readAsHierarchy(str(path))
    joints = [joint for joint, *_ in root.layout()]
    index = {id(j): i for i, j in enumerate(joints)}
    parents = [index.get(id(j.Parent), -1) for j in joints]
    positions = []
    for f in range(root.getKeyframeRange()[1] + 1):
        root.loadPose(f)
        positions.append([list(j.PositionWorld) for j in joints])
    return [j.Name for j in joints], parents, np.array(positions)


def draw(path, out, frames=None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, parents, pos = read_back(path)
    frames = list(range(0, len(pos), max(1, len(pos) // 5)))[:5] if frames is None else frames
    fig = plt.figure(figsize=(2.6 * len(frames), 3.6))
    for k, f in enumerate(frames):
        ax = fig.add_subplot(1, len(frames), k + 1, projection="3d")
        p = pos[f] - [pos[f, 0, 0], 0.0, pos[f, 0, 2]]  # the pelvis above the origin; Y as written
        for j, parent in enumerate(parents):
            if parent >= 0:
                seg = p[[parent, j]]
                side = names[j][:2]
                color = {"l_": "tab:blue", "r_": "tab:red"}.get(side, "black")
                ax.plot(seg[:, 0], seg[:, 2], seg[:, 1], color=color, lw=2)
        ax.set(xlim=(-0.6, 0.6), ylim=(-0.6, 0.6), zlim=(0.0, 1.9), xticklabels=[], yticklabels=[])
        ax.set_box_aspect((1.2, 1.2, 1.9))
        ax.view_init(elev=10, azim=-60)
        ax.set_title(f"frame {f}", fontsize=9)
    fig.suptitle(f"{Path(path).name} read back by bvhio: Y up (m), the subject's left blue, right red", fontsize=10)
    plt.tight_layout()
    plt.savefig(out, dpi=100)


def lift_h36m_clip(name: str, data: str, out_bvh: Path) -> Path:
    """Lift the S9 clip ``name`` (ground-truth 2D) as zedo-infer lifts a video; its BVH's path."""
    from dataclasses import replace

    from zedo.evaluation.clips import load_h36m_clips
    from zedo.runtime.io.validation import validate_inputs
    from zedo.runtime.pipeline.request import Request
    from zedo.runtime.pipeline.run import Lifted, lift_inputs, write_result

    clips = load_h36m_clips(data, track="gt")
    rows = dict(clips.clips())[list(clips.names).index(name)]
    d = clips.data
    inputs = validate_inputs(d.keypoints[rows], d.K[rows], d.scores[rows])
    inputs = replace(inputs, frame=clips.frame[rows], track=np.zeros(len(rows), np.int64))
    request = Request(engine="h36m")
    write_result(out_bvh, Lifted(inputs, lift_inputs(inputs, request)), request)
    return out_bvh.with_name(f"{out_bvh.stem}.track0.bvh")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bvh", nargs="?", help="a BVH file")
    p.add_argument("-o", "--output", required=True, help="the PNG")
    p.add_argument("--frames", nargs="+", type=int, help="frames to draw (default: five spread over the file)")
    p.add_argument(
        "--h36m-clip",
        help="lift this S9 clip first (e.g. 'Walking 60457274') and draw its BVH",
    )
    p.add_argument("--data", default="../shared/data/h36m")
    a = p.parse_args(argv)
    path = a.bvh
    if a.h36m_clip:
        path = lift_h36m_clip(a.h36m_clip, a.data, Path(a.output).with_suffix(".bvh"))
    if path is None:
        p.error("give a BVH file or --h36m-clip")
    draw(path, a.output, a.frames)
    print(f"{path} -> {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

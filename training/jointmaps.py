"""Per-rig maps from BVH skeletons to the Human3.6M 17-joint layout (pure numpy).

A map has three parts, all in the rig's own units and frames:

* ``offset_scales``: per-axis factors on some joints' offsets (``bvh.scale_offsets``), applied
  before forward kinematics. They retarget proportions that differ from Human3.6M's (hip and
  shoulder width) while every bone keeps a constant length through the motion.
* ``sites``: virtual end sites, points fixed in a joint's frame (``joint``, local offset), for
  landmarks the rig lacks (nose, head top); they follow that joint's rotation.
* ``joints``: for each of the 17 H36M joints, a weighted combination of rig joints and sites.
  Weights sum to 1, so a mapped pose moves with the subject and does not depend on where the
  subject stands.

Outputs are world positions (F, 17, 3) in the rig's units (``RigMap.units_to_m`` converts to metres)
in the file's world frame; rigs here are y up, as BVH conventionally is. Rigs are recognised by
their joint names.

Bandai-Namco rig (the only one so far), mapped so that its proportions match Human3.6M's at the
rig's size (the rig is 0.90 the size of H36M's subjects; the recipes scale it, not the map):

* Hips widened: the hip joints' (UpperLeg_*) lateral offset (Hips frame y) x1.87; the pelvis is
  their midpoint, as in H36M.
* Clavicles lengthened: Shoulder_* -> UpperArm_* (Shoulder frame x) x1.5.
* Spine = 0.7 Spine + 0.3 Chest; thorax = Neck, the neck base.
* Nose and head top are sites in the Head frame (x up, y forward, z left), so that they follow the
  head's own rotation rather than the neck's.
* Other joints are the rig's: UpperArm/LowerArm/Hand -> shoulder/elbow/wrist, UpperLeg/LowerLeg/
  Foot -> hip/knee/ankle.

The medians behind each factor: docs/decisions.md, "Bandai-Namco joint map".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from zedo.runtime.core.skeleton import JOINT_NAMES, NUM_JOINTS

from .bvh import BVH, forward_kinematics, scale_offsets


@dataclass(frozen=True)
class RigMap:
    """How one BVH rig maps to the H36M 17-joint layout (see the module docstring)."""

    name: str
    units_to_m: float  # metres per rig unit
    rig_joints: tuple[str, ...]  # the rig's joint names; recognising a file goes by these
    joints: tuple[Mapping[str, float], ...]  # 17 {rig joint or site: weight}, in JOINT_NAMES order
    sites: Mapping[str, tuple[str, tuple[float, float, float]]] = field(default_factory=dict)
    offset_scales: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    source: str = ""  # the data set(s) recorded with this rig, carried into prepared files
    licence: str = ""  # their licence, likewise

    def __post_init__(self) -> None:
        if len(self.joints) != NUM_JOINTS:
            raise ValueError(f"rig map {self.name!r}: {len(self.joints)} joint entries, need {NUM_JOINTS}")
        for h36m_name, weights in zip(JOINT_NAMES, self.joints):
            if not weights or abs(sum(weights.values()) - 1.0) > 1e-9:
                raise ValueError(f"rig map {self.name!r}: weights of {h36m_name!r} must sum to 1, got {dict(weights)}")
            for point in weights:
                if point not in self.sites and point not in self.rig_joints:
                    raise ValueError(
                        f"rig map {self.name!r}: {h36m_name!r} uses {point!r}, neither a rig joint nor a site"
                    )
        for site, (joint, _) in self.sites.items():
            if joint not in self.rig_joints:
                raise ValueError(f"rig map {self.name!r}: site {site!r} is attached to unknown joint {joint!r}")

    def required_joints(self) -> tuple[str, ...]:
        """Rig joints the map reads (directly, through a site, or by scaling), sorted."""
        needed = {p for w in self.joints for p in w if p not in self.sites}
        needed |= {joint for joint, _ in self.sites.values()} | set(self.offset_scales)
        return tuple(sorted(needed))


def _both_sides(table: dict) -> dict:
    """{name_L: value, name_R: value} for each {name: value}, so the sides stay equal by construction."""
    return {f"{name}_{side}": value for name, value in table.items() for side in "LR"}


BANDAI_NAMCO = RigMap(
    name="bandai_namco",
    units_to_m=0.01,
    rig_joints=(
        "joint_Root",
        "Hips",
        "Spine",
        "Chest",
        "Neck",
        "Head",
        *(f"{j}_{s}" for s in "LR" for j in ("Shoulder", "UpperArm", "LowerArm", "Hand")),
        *(f"{j}_{s}" for s in "LR" for j in ("UpperLeg", "LowerLeg", "Foot", "Toes")),
    ),
    joints=(
        {"UpperLeg_L": 0.5, "UpperLeg_R": 0.5},  # pelvis
        {"UpperLeg_R": 1.0},  # r_hip
        {"LowerLeg_R": 1.0},  # r_knee
        {"Foot_R": 1.0},  # r_ankle
        {"UpperLeg_L": 1.0},  # l_hip
        {"LowerLeg_L": 1.0},  # l_knee
        {"Foot_L": 1.0},  # l_ankle
        {"Spine": 0.7, "Chest": 0.3},  # spine
        {"Neck": 1.0},  # thorax
        {"Nose": 1.0},  # neck_nose
        {"HeadTop": 1.0},  # head
        {"UpperArm_L": 1.0},  # l_shoulder
        {"LowerArm_L": 1.0},  # l_elbow
        {"Hand_L": 1.0},  # l_wrist
        {"UpperArm_R": 1.0},  # r_shoulder
        {"LowerArm_R": 1.0},  # r_elbow
        {"Hand_R": 1.0},  # r_wrist
    ),
    sites={"Nose": ("Head", (1.0, 8.0, 0.0)), "HeadTop": ("Head", (9.0, 1.5, 0.0))},
    offset_scales=_both_sides({"UpperLeg": (1.0, 1.87, 1.0), "UpperArm": (1.5, 1.0, 1.0)}),
    source="Bandai-Namco-Research-Motiondataset-1 and -2 (Kobayashi et al. 2023)",
    licence="CC BY-NC 4.0 (Bandai Namco Research Inc.)",
)

RIGS: tuple[RigMap, ...] = (BANDAI_NAMCO,)


def detect_rig(bvh: BVH) -> RigMap:
    """The rig map whose joint names best match ``bvh``'s (at least half of them must be present).

    A file that is recognised but lacks a joint the map needs is reported by ``map_to_h36m``.
    ValueError naming the file if no rig matches.
    """
    present = set(bvh.names)
    score, best = max(((len(present & set(r.rig_joints)) / len(r.rig_joints), r) for r in RIGS), key=lambda t: t[0])
    if score < 0.5:
        shown = ", ".join(n for n, end in zip(bvh.names, bvh.end_site) if not end)
        raise ValueError(
            f"{bvh.path}: no joint map for this rig (joints: {shown}); known rigs: {[r.name for r in RIGS]}"
        )
    return best


def map_to_h36m(bvh: BVH, rig: RigMap | None = None) -> tuple[np.ndarray, RigMap]:
    """World positions of the 17 H36M joints for every frame: ((F, 17, 3) float64 rig units, rig).

    ``rig`` defaults to ``detect_rig(bvh)``. ValueError naming the file and the missing joint when
    the file lacks one the map needs.
    """
    rig = rig or detect_rig(bvh)
    missing = [j for j in rig.required_joints() if j not in bvh.names]
    if missing:
        raise ValueError(
            f"{bvh.path}: rig {rig.name!r} needs joint {missing[0]!r}, which the file lacks (missing: {missing})"
        )
    scaled = scale_offsets(bvh, rig.offset_scales)
    pos, rot = forward_kinematics(scaled, with_rotations=True)
    points = {name: pos[:, i] for i, name in enumerate(bvh.names)}
    for site, (joint, local) in rig.sites.items():
        j = bvh.index(joint)
        points[site] = pos[:, j] + rot[:, j] @ np.asarray(local, dtype=np.float64)
    out = np.zeros((bvh.num_frames, NUM_JOINTS, 3))
    for k, weights in enumerate(rig.joints):
        for point, w in weights.items():
            out[:, k] += w * points[point]
    return out, rig

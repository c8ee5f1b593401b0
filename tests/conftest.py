"""Shared fixtures of the runtime tests: a hand-made skeleton, a camera, synthetic 2D/3D poses and a
tiny ONNX prior built with onnx.helper (no torch, no trained weights, no data set).

Frames as ``zedo.runtime.solve.loop``: camera x right, y down, z forward, metres; the subject faces the
camera, so its left hip is at +x.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.engines.prior_file import META_KEY, PriorMeta

# Root-relative T-pose, Human3.6M joint order (zedo.runtime.core.skeleton.JOINT_NAMES), metres.
TPOSE = np.array(
    [
        [0.00, 0.00, 0.00],  # pelvis
        [-0.13, 0.00, 0.00],  # r_hip
        [-0.13, 0.45, 0.00],  # r_knee
        [-0.13, 0.88, 0.05],  # r_ankle
        [0.13, 0.00, 0.00],  # l_hip
        [0.13, 0.45, 0.00],  # l_knee
        [0.13, 0.88, 0.05],  # l_ankle
        [0.00, -0.23, 0.00],  # spine
        [0.00, -0.48, 0.00],  # thorax
        [0.00, -0.58, -0.05],  # neck_nose (the nose points at the camera: -z)
        [0.00, -0.68, 0.00],  # head
        [0.16, -0.45, 0.00],  # l_shoulder
        [0.42, -0.45, 0.00],  # l_elbow
        [0.66, -0.45, 0.00],  # l_wrist
        [-0.16, -0.45, 0.00],  # r_shoulder
        [-0.42, -0.45, 0.00],  # r_elbow
        [-0.66, -0.45, 0.00],  # r_wrist
    ]
)

# fx = fy = 1000 px, principal point at the centre of a 1000 x 1000 image.
K_CAM = np.array([[1000.0, 0.0, 500.0], [0.0, 1000.0, 500.0], [0.0, 0.0, 1.0]])

# The tiny prior predicts eps = x * (EPS_GAIN + EPS_T_GAIN * t). A gain near 0.5 about cancels the
# probability-flow ODE's own growth of x over ZeDO's t range, so poses keep a plausible size.
EPS_GAIN, EPS_T_GAIN = 0.5, 0.1


def yaw(angle: float) -> np.ndarray:
    """Rotation (3, 3) about the camera's y axis by ``angle`` radians (as loop.yaw_matrices)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def project(points_cam: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pinhole projection of (..., 3) camera-frame points to (..., 2) pixels."""
    uvw = points_cam @ K.T
    return uvw[..., :2] / uvw[..., 2:3]


def synthetic_poses(
    n: int, seed: int = 0, yaw_deg: float | None = None, noise: float = 0.02, K: np.ndarray = K_CAM
) -> dict:
    """n perturbed T-poses, yawed and placed 3.5-5 m in front of the camera, and their projections.

    Returns dict(pose (n, 17, 3) root-relative metres, translation (n, 3) metres (the pelvis),
    pose_cam (n, 17, 3), keypoints (n, 17, 2) pixels, K (3, 3)). ``yaw_deg`` None draws yaws in
    +-30 degrees; ``noise`` is the per-joint jitter in metres (the pelvis stays at the origin).
    """
    rng = np.random.default_rng(seed)
    jitter = noise * rng.standard_normal((n, 17, 3))
    jitter[:, 0] = 0.0
    angles = np.deg2rad(rng.uniform(-30, 30, n) if yaw_deg is None else np.full(n, yaw_deg))
    pose = np.stack([(TPOSE + j) @ yaw(a).T for j, a in zip(jitter, angles)])
    T = np.stack([rng.uniform(-0.5, 0.5, n), rng.uniform(-0.2, 0.3, n), rng.uniform(3.5, 5.0, n)], axis=1)
    cam = pose + T[:, None, :]
    return {"pose": pose, "translation": T, "pose_cam": cam, "keypoints": project(cam, K), "K": K.copy()}


def cluster_poses(count: int, seed: int = 1) -> np.ndarray:
    """(count, 17, 3) plausible starting poses: the T-pose first, then yawed and jittered ones."""
    rng = np.random.default_rng(seed)
    out = [TPOSE]
    for _ in range(count - 1):
        pose = (TPOSE + 0.03 * rng.standard_normal((17, 3))) @ yaw(np.deg2rad(rng.uniform(-25, 25))).T
        out.append(pose - pose[:1])
    return np.stack(out).astype(np.float32)


def build_prior(path, kind: str = "ok", meta: PriorMeta | None = None, with_meta: bool = True):
    """Write a tiny ONNX prior to ``path`` and return the path.

    kind "ok": eps = x * (EPS_GAIN + EPS_T_GAIN t), inputs x (B, 17, 3), t (B,), dynamic batch;
    "zero": eps = 0 * x; "wrong_names": the same graph with inputs named (pose, time);
    "fails": loads, but every run fails (Gather with an out-of-range index); "nan": eps is NaN;
    "bad_shape": eps is (B, 1, 3) (the pelvis row only). ``meta`` defaults to
    the sub-VP defaults with clusters {1: T-pose, 50: cluster_poses(50)}; ``with_meta`` False
    leaves metadata_props empty.
    """
    import onnx
    from onnx import TensorProto, helper

    x_name, t_name = ("pose", "time") if kind == "wrong_names" else ("x", "t")
    inputs = [
        helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["B", 17, 3]),
        helper.make_tensor_value_info(t_name, TensorProto.FLOAT, ["B"]),
    ]
    output = helper.make_tensor_value_info("eps", TensorProto.FLOAT, ["B", 17, 3])
    gain = {"zero": 0.0, "nan": float("nan")}.get(kind, EPS_GAIN)
    t_gain = 0.0 if kind == "zero" else EPS_T_GAIN
    inits = [
        helper.make_tensor("axes", TensorProto.INT64, [2], [1, 2]),
        helper.make_tensor("a", TensorProto.FLOAT, [], [gain]),
        helper.make_tensor("c", TensorProto.FLOAT, [], [t_gain]),
    ]
    src = x_name
    nodes = []
    if kind == "fails":
        inits.append(helper.make_tensor("bad_index", TensorProto.INT64, [17], [17] * 17))
        nodes.append(helper.make_node("Gather", [x_name, "bad_index"], ["x_gathered"], axis=1))
        src = "x_gathered"
    if kind == "bad_shape":
        inits.append(helper.make_tensor("one_joint", TensorProto.INT64, [1], [0]))
        nodes.append(helper.make_node("Gather", [x_name, "one_joint"], ["x_one"], axis=1))
        src = "x_one"
    nodes += [
        helper.make_node("Unsqueeze", [t_name, "axes"], ["t3"]),
        helper.make_node("Mul", ["t3", "c"], ["ct"]),
        helper.make_node("Add", ["ct", "a"], ["coef"]),
        helper.make_node("Mul", [src, "coef"], ["eps"]),
    ]
    graph = helper.make_graph(nodes, "tiny_prior", inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if meta is None:
        meta = PriorMeta(sde=SDEConfig(), clusters={1: cluster_poses(1), 50: cluster_poses(50)}, name="tiny")
    if with_meta:
        helper.set_model_props(model, {META_KEY: meta.to_json()})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def tiny_prior(tmp_path_factory):
    """Path of the tiny working prior (eps = x * (0.5 + 0.1 t)) with clusters for S = 1 and S = 50."""
    return build_prior(tmp_path_factory.mktemp("prior") / "tiny.onnx")


@pytest.fixture
def make_prior(tmp_path):
    """Factory: make_prior(kind) -> path of a tiny prior variant (see build_prior)."""
    return lambda kind="ok", name=None, **kw: build_prior(tmp_path / (name or f"{kind}.onnx"), kind, **kw)


@pytest.fixture
def K_cam():
    return K_CAM.copy()


@pytest.fixture
def synth():
    """Factory for synthetic scenes, see synthetic_poses."""
    return synthetic_poses


CAMS = ("54138969", "55011271", "58860488", "60457274")


@pytest.fixture
def h36m_dir(tmp_path):
    """A tiny synthetic Human3.6M folder (VideoPose3D layout): S9, two actions (10 frames), four
    cameras, exact detections but for one absent frame of camera 55011271."""
    rng = np.random.default_rng(0)
    # Standing subjects 4-5 m in front of every camera (world = camera frame here: R = I, centre 0).
    world = {}
    for action, n in (("Walking 1", 6), ("Eating", 4)):
        p = TPOSE[None] + 0.02 * rng.standard_normal((n, 17, 3)) + np.array([0.0, 0.0, 4.5])
        full = np.zeros((n, 32, 3), np.float32)
        full[:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]] = p
        world[action] = full
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d={"S9": world})
    cam = {"R": np.eye(3).tolist(), "center": [0.0, 0.0, 0.0], "f": [1000.0, 1000.0], "c": [500.0, 500.0]}
    (tmp_path / "cameras.json").write_text(json.dumps({"S9": {c: cam for c in CAMS}}))
    dets = {}
    for action, full in world.items():
        j = full[:, [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27]]  # 16 joints, no neck/nose
        uv = 1000.0 * j[..., :2] / j[..., 2:] + 500.0
        per_cam = [uv.copy() for _ in CAMS]
        per_cam[1][0] = np.nan  # one absent detection
        dets[action] = per_cam
    np.savez(tmp_path / "data_2d_h36m_sh_pt_mpii.npz", positions_2d={"S9": dets})
    return tmp_path

"""Shared fixtures and helpers of the tests: a hand-made skeleton, a camera, synthetic 2D/3D poses,
a tiny ONNX prior written as protobuf bytes (no torch, no onnx, no trained weights, no data set),
and the helpers that several test modules use (``zedo-infer`` as a subprocess, a planted
trajectory, keypoints written in a layout). Test modules import the plain helpers from here
(``from conftest import synthetic_poses``) and never from one another.

Frames as ``zedo.runtime.solve.loop``: camera x right, y down, z forward, metres; the subject faces the
camera, so its left hip is at +x.

``ZEDO_TESTS_WITHOUT=torch,onnx`` (comma-separated top-level module names) makes those modules
unimportable for the session, as in an environment with only the runtime and the ``test`` extra:
the tests that need them skip with a reason and the rest run (``.ci/run`` proves it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.core.skeleton import JOINT_NAMES
from zedo.runtime.engines.onnx_proto import encode_field
from zedo.runtime.engines.prior_file import META_KEY, PriorMeta
from zedo.runtime.io.layouts import Layout

# --- A runtime-only environment: torch and onnx made unimportable (ZEDO_TESTS_WITHOUT) ----------------

WITHOUT = tuple(name.strip() for name in os.environ.get("ZEDO_TESTS_WITHOUT", "").split(",") if name.strip())


class _Unimportable:
    """A sys.meta_path finder that makes the top-level modules ``names`` and their submodules raise
    ModuleNotFoundError, as where they are not installed (pytest.importorskip then skips)."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (ZEDO_TESTS_WITHOUT)", name=fullname)
        return None


def pytest_configure(config):
    if not WITHOUT:
        return
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in WITHOUT)
    if loaded:
        raise pytest.UsageError(f"ZEDO_TESTS_WITHOUT: {', '.join(loaded)} imported before the tests could block it")
    sys.meta_path.insert(0, _Unimportable(WITHOUT))


def pytest_report_header(config):
    if WITHOUT:
        return f"made unimportable (ZEDO_TESTS_WITHOUT): {', '.join(WITHOUT)}"
    return None


def pytest_sessionfinish(session, exitstatus):
    """With ZEDO_TESTS_WITHOUT, the run proves something only if tests ran, the blocked modules
    stayed out, and something skipped naming one of them: otherwise fail the session."""
    if not WITHOUT or exitstatus != 0 or session.config.option.collectonly:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter is not None else {}
    reasons = [str(r.longrepr) for r in stats.get("skipped", [])]
    problems = []
    if not stats.get("passed"):
        problems.append("no test passed")
    if not any(name in reason for reason in reasons for name in WITHOUT):
        problems.append(f"no skip names {', '.join(WITHOUT)}: the tests never needed them, or the block failed")
    if any(m.partition(".")[0] in WITHOUT for m in sys.modules):
        problems.append("a blocked module was imported anyway")
    if problems:
        if reporter is not None:
            reporter.write_line(f"ZEDO_TESTS_WITHOUT={','.join(WITHOUT)}: " + "; ".join(problems), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Skip reasons of the tests that need a package the runtime does not (pytest.importorskip(..., reason=)).
NEEDS_TORCH = "needs torch, which is not installed (pip install torch==2.13.0, then the export or train extra)"
NEEDS_ONNX = "needs onnx, which is not installed (the export or calibration extra)"


# --- Poses, camera and the tiny prior -----------------------------------------------------------------

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
    """Rotation (3, 3) about the camera's y axis by ``angle`` radians (as zedo.runtime.core.geometry.yaw_matrices)."""
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


def standing_poses(n: int = 64, seed: int = 0) -> np.ndarray:
    """(n, 17, 3) float32 random plausible root-relative poses: a jittered standing skeleton, metres."""
    rng = np.random.default_rng(seed)
    p = TPOSE[None] + 0.03 * rng.standard_normal((n, 17, 3))
    return (p - p[:, :1]).astype(np.float32)


def random_poses(n: int, seed: int = 0) -> np.ndarray:
    """(n, 17, 3) float32 random root-relative poses, metres (not body-like: network inputs)."""
    p = np.random.default_rng(seed).normal(0.0, 0.3, (n, 17, 3)).astype(np.float32)
    return p - p[:, :1]


# ONNX protobuf field numbers (onnx/onnx.proto; fixed for compatibility) of what build_prior writes.
_FLOAT, _INT64 = 1, 7  # TensorProto.DataType
_ATTRIBUTE_INT = 2  # AttributeProto.AttributeType


def _tensor(name: str, dtype: int, dims: list[int], values) -> bytes:
    """A TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian values)."""
    raw = np.asarray(values, "<f4" if dtype == _FLOAT else "<i8").tobytes()
    return b"".join([*(encode_field(1, d) for d in dims), encode_field(2, dtype), encode_field(8, name.encode())]) + (
        encode_field(9, raw)
    )


def _value_info(name: str, dims: list) -> bytes:
    """A float ValueInfoProto (name = 1, type = 2): TypeProto.tensor_type = 1 (elem_type = 1, shape =
    2), TensorShapeProto.dim = 1 (dim_value = 1 or dim_param = 2)."""
    shape = b"".join(
        encode_field(1, encode_field(2, d.encode()) if isinstance(d, str) else encode_field(1, d)) for d in dims
    )
    tensor_type = encode_field(1, _FLOAT) + encode_field(2, shape)
    return encode_field(1, name.encode()) + encode_field(2, encode_field(1, tensor_type))


def _node(op_type: str, inputs: list[str], outputs: list[str], **int_attributes: int) -> bytes:
    """A NodeProto: input = 1, output = 2, op_type = 4, attribute = 5 (AttributeProto name = 1,
    i = 3, type = 20)."""
    parts = [encode_field(1, s.encode()) for s in inputs] + [encode_field(2, s.encode()) for s in outputs]
    parts.append(encode_field(4, op_type.encode()))
    for name, value in int_attributes.items():
        attribute = encode_field(1, name.encode()) + encode_field(3, value) + encode_field(20, _ATTRIBUTE_INT)
        parts.append(encode_field(5, attribute))
    return b"".join(parts)


def build_prior(
    path, kind: str = "ok", meta: PriorMeta | None = None, with_meta: bool = True, meta_json: str | None = None
):
    """Write a tiny ONNX prior to ``path`` and return the path.

    kind "ok": eps = x * (EPS_GAIN + EPS_T_GAIN t), inputs x (B, 17, 3), t (B,), dynamic batch;
    "zero": eps = 0 * x; "wrong_names": the same graph with inputs named (pose, time);
    "fails": loads, but every run fails (Gather with an out-of-range index); "nan": eps is NaN;
    "bad_shape": eps is (B, 1, 3) (the pelvis row only). ``meta`` defaults to
    the sub-VP defaults with clusters {1: T-pose, 50: cluster_poses(50)}; ``meta_json``, if given,
    is the metadata text itself (for damaged documents); ``with_meta`` False leaves metadata_props
    empty.

    The file is written as protobuf bytes (``zedo.runtime.engines.onnx_proto.encode_field``), so the
    runtime's tests need neither onnx nor torch; where onnx is installed, onnx.checker checks it.
    """
    x_name, t_name = ("pose", "time") if kind == "wrong_names" else ("x", "t")
    gain = {"zero": 0.0, "nan": float("nan")}.get(kind, EPS_GAIN)
    t_gain = 0.0 if kind == "zero" else EPS_T_GAIN
    inits = [
        _tensor("axes", _INT64, [2], [1, 2]),
        _tensor("a", _FLOAT, [], [gain]),
        _tensor("c", _FLOAT, [], [t_gain]),
    ]
    src = x_name
    nodes = []
    if kind == "fails":
        inits.append(_tensor("bad_index", _INT64, [17], [17] * 17))
        nodes.append(_node("Gather", [x_name, "bad_index"], ["x_gathered"], axis=1))
        src = "x_gathered"
    if kind == "bad_shape":
        inits.append(_tensor("one_joint", _INT64, [1], [0]))
        nodes.append(_node("Gather", [x_name, "one_joint"], ["x_one"], axis=1))
        src = "x_one"
    nodes += [
        _node("Unsqueeze", [t_name, "axes"], ["t3"]),
        _node("Mul", ["t3", "c"], ["ct"]),
        _node("Add", ["ct", "a"], ["coef"]),
        _node("Mul", [src, "coef"], ["eps"]),
    ]
    # GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
    graph = b"".join(
        [
            *(encode_field(1, n) for n in nodes),
            encode_field(2, b"tiny_prior"),
            *(encode_field(5, i) for i in inits),
            encode_field(11, _value_info(x_name, ["B", 17, 3])),
            encode_field(11, _value_info(t_name, ["B"])),
            encode_field(12, _value_info("eps", ["B", 17, 3])),
        ]
    )
    if meta is None:
        meta = PriorMeta(sde=SDEConfig(), clusters={1: cluster_poses(1), 50: cluster_poses(50)}, name="tiny")
    # ModelProto: ir_version = 1, graph = 7, opset_import = 8 (OperatorSetIdProto domain = 1, version
    # = 2), metadata_props = 14 (StringStringEntryProto key = 1, value = 2).
    model = encode_field(1, 8) + encode_field(7, graph) + encode_field(8, encode_field(1, b"") + encode_field(2, 17))
    if with_meta:
        text = meta.to_json() if meta_json is None else meta_json
        model += encode_field(14, encode_field(1, META_KEY.encode()) + encode_field(2, text.encode()))
    Path(path).write_bytes(model)
    try:
        import onnx
    except ModuleNotFoundError:  # the runtime-only environment: ONNX Runtime still loads the file
        pass
    else:
        onnx.checker.check_model(str(path))
    return path


# --- Helpers of several test modules: zedo-infer, a planted trajectory, keypoints in a layout ---------


def command(name: str) -> str | None:
    """Path of the console script ``name`` of the environment running the tests: beside this Python
    (an environment that is not activated), else on PATH; None where neither has it."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


EXE = command("zedo-infer")


def zedo_infer(*args, check_rc=None, env_extra=None):
    """The installed zedo-infer command run as a user would (a subprocess, the environment plus
    ``env_extra``); its CompletedProcess."""
    assert EXE, "zedo-infer is not on PATH: install the package (pip install -e .)"
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=120, env=env)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr
    return proc


def fast(prior):
    """Options that keep a run short and off the shared cores."""
    return ["--engine", prior, "--iterations", 20, "--threads", 1, "--quiet"]


def assert_one_error_line(proc, *names):
    """zedo-infer exited 2 with one ``zedo-infer: error:`` line on stderr that names each of ``names``."""
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("zedo-infer: error: ")
    for name in names:
        assert name in lines[0]


def trajectory(frames: int = 24, seed: int = 0) -> dict:
    """A planted smooth motion at 25 fps: the T-pose turning slowly and walking sideways 4 m from
    the camera, an arm swinging. Returns pose_cam (F, 17, 3) metres and keypoints (F, 17, 2) px."""
    t = np.arange(frames) / 25.0
    poses = []
    for ti in t:
        pose = TPOSE.copy()
        pose[13] = pose[12] + 0.24 * np.array([np.cos(1.5 * ti), np.sin(1.5 * ti), 0.0])  # l_wrist swings
        pose = pose @ yaw(0.4 * np.sin(ti)).T + np.array([0.5 * ti - 0.3, 0.1, 4.0 + 0.2 * ti])
        poses.append(pose)
    cam = np.stack(poses)
    return {"pose_cam": cam, "keypoints": project(cam, K_CAM)}


# Prior joint -> the name it has in the COCO-style layouts (the joints they share with Human3.6M).
SHARED = {
    "r_hip": "right_hip",
    "r_knee": "right_knee",
    "r_ankle": "right_ankle",
    "l_hip": "left_hip",
    "l_knee": "left_knee",
    "l_ankle": "left_ankle",
    "neck_nose": "nose",
    "l_shoulder": "left_shoulder",
    "l_elbow": "left_elbow",
    "l_wrist": "left_wrist",
    "r_shoulder": "right_shoulder",
    "r_elbow": "right_elbow",
    "r_wrist": "right_wrist",
}
OWN_NAMES = {
    "halpe26": {"pelvis": "hip", "thorax": "neck", "head": "head"},
    "openpose25": {"pelvis": "mid_hip", "thorax": "neck"},
}


def write_as(layout: Layout, kp17: np.ndarray, face: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Human3.6M keypoints (N, 17, 2) written in ``layout``: shared joints copied, the layout's own
    pelvis/neck/head from the truth, eyes and ears near the nose when ``face``, the rest score 0."""
    n, J = len(kp17), len(layout.joint_names)
    kp, sc = np.full((n, J, 2), np.nan), np.zeros((n, J))
    index = {name: i for i, name in enumerate(layout.joint_names)}
    names = {**SHARED, **OWN_NAMES.get(layout.name, {})} if layout.name != "h36m17" else {j: j for j in JOINT_NAMES}
    for prior_joint, own in names.items():
        kp[:, index[own]], sc[:, index[own]] = kp17[:, JOINT_NAMES.index(prior_joint)], 1.0
    for k, name in enumerate(("left_eye", "right_eye", "left_ear", "right_ear")):
        if face and name in index:
            kp[:, index[name]] = kp17[:, 9] + [(-1) ** k * 6.0, -4.0 - 2 * k]
            sc[:, index[name]] = 1.0
    return kp, sc


# --- Bad input: exit status 2, one error line, nothing written (test_bad_inputs*.py) -------------------


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its size and modification time."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@contextmanager
def no_user_warnings():
    """Fail if the block issues a warning a user would see on stderr (Python's default filters),
    which would bury the one error line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=quiet)
        yield
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


def assert_refused(main, argv, prog: str, names, folder: Path, capsys) -> str:
    """Run ``main(argv)``: exit status 2, one error line naming each of ``names`` (and no warning
    above it), no file changed."""
    before = snapshot(folder)
    capsys.readouterr()
    with no_user_warnings():
        status = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), err
    assert "unexpected" not in lines[0] and "Traceback" not in err, err
    for name in names:
        assert str(name) in lines[0], lines[0]
    assert snapshot(folder) == before, "a file was written or changed"
    return lines[0]


# --- The C++ wrapper ----------------------------------------------------------------------------------


def cpp_missing() -> str | None:
    """Why cpp/ cannot be built here (None where it can): CMake, a C and C++ compiler, pybind11."""
    try:
        import pybind11  # noqa: F401
    except ImportError:
        return "pybind11, which is not installed (pip install -e '.[cpp]')"
    for tool in ("cmake", "c++", "cc"):
        if not shutil.which(tool):
            return f"CMake, a C and a C++ compiler: {tool} is not on PATH"
    return None


def cpp_environment(**extra) -> dict:
    """This environment without the settings that would point the programs at another Python."""
    env = {k: v for k, v in os.environ.items() if k not in ("ZEDO_PYTHON", "PYTHONHOME", "ZEDO_DEBUG")}
    return {**env, **extra}


@pytest.fixture(scope="session")
def cpp_build(tmp_path_factory) -> Path:
    """cpp/ configured and built (every target) once per session, against this test's Python;
    skipped where it cannot be built (``cpp_missing``)."""
    if cpp_missing():
        pytest.skip(f"needs {cpp_missing()}")
    import pybind11

    out = tmp_path_factory.mktemp("cpp-build")
    repo = Path(__file__).resolve().parents[1]
    configure = ["cmake", "-S", str(repo / "cpp"), "-B", str(out), f"-Dpybind11_DIR={pybind11.get_cmake_dir()}"]
    configure.append(f"-DPython_EXECUTABLE={sys.executable}")
    for step in (configure, ["cmake", "--build", str(out), "-j", "2"]):
        proc = subprocess.run(step, capture_output=True, text=True, timeout=600, env=cpp_environment())
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


# --- Fixtures ------------------------------------------------------------------------------------------


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


@pytest.fixture
def pose_file(tmp_path):
    """A prepared pose file (zedo-prepare's .npz): 64 standing_poses and their provenance."""
    path = tmp_path / "poses.npz"
    np.savez(path, poses=standing_poses(), provenance=json.dumps({"source": "test"}))
    return path


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

"""Bad input never breaks zedo (issue 15): broken files, odd flags, damaged priors, data sets and
checkpoints, on every command (zedo-infer, zedo-eval, zedo-train, zedo-export, zedo-prepare) and
the Python API. Each case asserts exit status 2, one line on stderr naming the field or file, and
that nothing was written (every file under the test's folder is as it was). Commands run in
process (their ``main(argv)``) so that the file stays fast; the few cases about missing packages
run a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import K_CAM, NEEDS_TORCH, assert_refused, build_prior, cluster_poses, snapshot, synthetic_poses

from zedo.runtime import LoopConfig, PoseStream, estimate, open_engine, save_output
from zedo.runtime.core.sde import SDEConfig
from zedo.runtime.core.skeleton import JOINT_NAMES
from zedo.runtime.engines.prior_file import PriorMeta
from zedo.runtime.io.readers import read_json
from zedo.training.config import PriorConfig, TrainConfig

# ---- the harness ------------------------------------------------------------------------------


class Workspace:
    """A test's folder: a good zedo-infer input (3 poses), the tiny prior, and helpers that write
    damaged variants. Outputs go to ``out``; everything under ``root`` must stay unchanged."""

    def __init__(self, root: Path, prior: Path):
        self.root, self.prior = root, prior
        self.scene = synthetic_poses(3, seed=21)
        self.inp = self.npz("in.npz")
        self.inp_json = self.json("in.json", {"keypoints": self.scene["keypoints"].tolist(), "K": K_CAM.tolist()})
        self.out = root / "out.npz"

    def npz(self, name: str, **fields) -> Path:
        arrays = {"keypoints": self.scene["keypoints"], "K": K_CAM, **fields}
        path = self.root / name
        np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
        return path

    def json(self, name: str, doc) -> Path:
        path = self.root / name
        path.write_text(json.dumps(doc))
        return path

    def prior_with_meta(self, change, kind: str = "ok") -> Path:
        """The tiny prior with its metadata document edited by ``change(dict)`` (or replaced by a string)."""
        doc = json.loads(
            PriorMeta(sde=SDEConfig(), clusters={1: cluster_poses(1), 50: cluster_poses(50)}, name="tiny").to_json()
        )
        text = change if isinstance(change, str) else (change(doc), json.dumps(doc))[1]
        return build_prior(self.root / f"prior-{len(list(self.root.glob('prior-*')))}.onnx", kind, meta_json=text)


@pytest.fixture
def ws(tmp_path, tiny_prior):
    return Workspace(tmp_path, tiny_prior)


def _kp(change):
    """The workspace's keypoints (3, 17, 2), changed in place by ``change``."""

    def make(ws):
        kp = ws.scene["keypoints"].copy()
        change(kp)
        return kp

    return make


# ---- zedo-infer ---------------------------------------------------------------------------------


def _set(index, value):
    def change(a):
        a[index] = value

    return change


# name -> (make(ws) -> (input path, extra flags), words the error line must hold; "{in}" is the input)
INFER = {
    "keypoint NaN with a score": (
        lambda ws: (ws.npz("a.npz", keypoints=_kp(_set((1, 3), np.nan))(ws)), []),
        ["{in}", "keypoints[1, 3]", "not finite"],
    ),
    "keypoint 1e30 px": (
        lambda ws: (ws.npz("a.npz", keypoints=_kp(_set((0, 3), 1e30))(ws)), []),
        ["{in}", "keypoints[0, 3]", "beyond"],
    ),
    "complex keypoints": (
        lambda ws: (ws.npz("a.npz", keypoints=ws.scene["keypoints"].astype(complex)), []),
        ["{in}", "keypoints", "real numbers"],
    ),
    "boolean keypoints": (
        lambda ws: (ws.npz("a.npz", keypoints=ws.scene["keypoints"] > 0), []),
        ["{in}", "keypoints", "bool"],
    ),
    "string keypoints": (
        lambda ws: (ws.npz("a.npz", keypoints=ws.scene["keypoints"].astype(str)), []),
        ["{in}", "keypoints", "real numbers"],
    ),
    "full-width digits in JSON": (
        lambda ws: (ws.json("a.json", {"keypoints": [["１２", 2.0]] * 17, "K": K_CAM.tolist()}), []),
        ["{in}", "keypoints", "str"],
    ),
    "booleans in JSON": (
        lambda ws: (ws.json("a.json", {"keypoints": [[True, 2.0]] * 17, "K": K_CAM.tolist()}), []),
        ["{in}", "keypoints", "bool"],
    ),
    "ragged JSON": (
        lambda ws: (ws.json("a.json", {"keypoints": [[1.0, 2.0], [3.0]], "K": K_CAM.tolist()}), []),
        ["{in}", "keypoints", "rectangular"],
    ),
    "JSON number beyond float64": (
        lambda ws: (ws.json("a.json", {"keypoints": [[10**400, 2.0]] * 17, "K": K_CAM.tolist()}), []),
        ["{in}", "keypoints", "too large"],
    ),
    "deeply nested JSON": (
        lambda ws: (
            _write(ws.root / "a.json", b'{"keypoints": ' + b"[" * 100000 + b"]" * 100000 + b"}"),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "not a readable .json"],
    ),
    "MMPose frame_id a string": (
        lambda ws: (
            ws.json("a.json", [{"frame_id": "abc", "instances": [{"keypoints": [[1, 2]] * 17}]}]),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "frame_id"],
    ),
    "MMPose keypoints as strings": (
        lambda ws: (
            ws.json("a.json", [{"frame_id": 0, "instances": [{"keypoints": [["1", 2]] * 17}]}]),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "instance 0.keypoints"],
    ),
    "AlphaPose boolean keypoints": (
        lambda ws: (
            ws.json("a.json", [{"image_id": "a", "keypoints": [True, 2, 1] * 26}]),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "item 0 keypoints"],
    ),
    "AlphaPose idx a string": (
        lambda ws: (
            ws.json("a.json", [{"image_id": "a", "idx": "x", "keypoints": [1, 2, 1] * 26}]),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "idx"],
    ),
    "OpenPose frame without people": (
        lambda ws: (_openpose(ws.root / "op", {"version": 1.3}), ["--image-size", "1000", "1000"]),
        ["0_keypoints.json", "people"],
    ),
    "1-D keypoints": (lambda ws: (ws.npz("a.npz", keypoints=np.ones(5)), []), ["{in}", "keypoints has shape (5,)"]),
    "no poses": (lambda ws: (ws.npz("a.npz", keypoints=np.zeros((0, 17, 2))), []), ["{in}", "no poses"]),
    "misspelt key": (lambda ws: (ws.npz("a.npz", score=np.ones((3, 17))), []), ["{in}", "'score'"]),
    "missing keypoints": (lambda ws: (ws.npz("a.npz", keypoints=None), []), ["{in}", "'keypoints'"]),
    "scores of another shape": (
        lambda ws: (ws.npz("a.npz", scores=np.ones((3, 16))), []),
        ["{in}", "scores has shape (3, 16)"],
    ),
    "score above 1": (lambda ws: (ws.npz("a.npz", scores=np.full((3, 17), 1.5)), []), ["{in}", "scores[0, 0]"]),
    "NaN score": (lambda ws: (ws.npz("a.npz", scores=np.full((3, 17), np.nan)), []), ["{in}", "scores[0, 0]"]),
    "negative focal length": (
        lambda ws: (ws.npz("a.npz", K=np.diag([-1000.0, 1000.0, 1.0])), []),
        ["{in}", "fx", "not positive"],
    ),
    "focal length 1e-6": (lambda ws: (ws.npz("a.npz", K=np.diag([1e-6, 1e-6, 1.0])), []), ["{in}", "fx = 1e-06"]),
    "focal length 1e30": (lambda ws: (ws.npz("a.npz", K=np.diag([1e30, 1e30, 1.0])), []), ["{in}", "fx = 1e+30"]),
    "aspect ratio 1e6": (lambda ws: (ws.npz("a.npz", K=np.diag([1e6, 1.0, 1.0])), []), ["{in}", "fx / fy"]),
    "K not intrinsics": (lambda ws: (ws.npz("a.npz", K=np.zeros((3, 3))), []), ["{in}", "last row"]),
    "K skewed": (
        lambda ws: (ws.npz("a.npz", K=np.array([[1e3, 1e9, 500], [0, 1e3, 500], [0, 0, 1.0]])), []),
        ["{in}", "skew"],
    ),
    "principal point 1e30 px": (
        lambda ws: (ws.npz("a.npz", K=np.array([[1e3, 0, 1e30], [0, 1e3, 500], [0, 0, 1.0]])), []),
        ["{in}", "principal point"],
    ),
    "principal point off the image": (
        lambda ws: (
            ws.npz(
                "a.npz", K=np.array([[1e3, 0, 5000], [0, 1e3, 500], [0, 0, 1.0]]), image_size=np.array([1000, 1000])
            ),
            [],
        ),
        ["{in}", "cx = 5000", "1000 x 1000"],
    ),
    "K shape": (lambda ws: (ws.npz("a.npz", K=np.eye(4)), []), ["{in}", "K has shape (4, 4)"]),
    "no camera": (lambda ws: (ws.npz("a.npz", K=None), []), ["{in}", "no camera"]),
    "--image-size NaN beside K": (lambda ws: (ws.inp, ["--image-size", "nan", "1000"]), ["--image-size"]),
    "boolean image size": (
        lambda ws: (ws.json("a.json", {"keypoints": ws.scene["keypoints"].tolist(), "image_size": [True, True]}), []),
        ["{in}", "image_size"],
    ),
    "fractional frame index": (lambda ws: (ws.npz("a.npz", frame=np.array([0.5, 1, 2])), []), ["{in}", "frame"]),
    "image size of three numbers beside --image-size": (
        lambda ws: (
            ws.npz("a.npz", K=None, image_size=np.array([1000.0, 1000.0, 3.0])),
            ["--image-size", "1000", "1000"],
        ),
        ["{in}", "image_size"],
    ),
    "two layouts in the file": (
        lambda ws: (ws.npz("a.npz", layout=np.array(["h36m17", "coco17"])), []),
        ["{in}", "one layout name"],
    ),
    "unknown layout in the file": (lambda ws: (ws.npz("a.npz", layout="nope"), []), ["'nope'", "layout"]),
    "COCO keypoints given as h36m": (
        lambda ws: (
            ws.npz(
                "a.npz",
                keypoints=np.tile(
                    np.array(
                        [[500.0, 400.0], [505, 395], [495, 395], [510, 400], [490, 400]]
                        + [[500.0, 500.0 + 20 * i] for i in range(12)]
                    ),
                    (3, 1, 1),
                ),
            ),
            [],
        ),
        ["{in}", "--layout coco17"],
    ),
    "pickled member": (lambda ws: (_pickled_npz(ws.root / "a.npz"), []), ["{in}", "Python objects"]),
    "header claims 253 GiB": (lambda ws: (_huge_npz(ws.root / "a.npz"), []), ["{in}", "253.3 GiB"]),
    "not a zip": (lambda ws: (_write(ws.root / "a.npz", b"not a zip"), []), ["{in}", "not a readable"]),
    "JSON syntax": (lambda ws: (_write(ws.root / "a.json", b'{"keypoints": [1, 2'), []), ["{in}"]),
    "every keypoint at one pixel": (
        lambda ws: (ws.npz("a.npz", keypoints=np.full((3, 17, 2), 500.0)), ["--layout", "h36m17"]),
        ["none of the 3 poses can be placed", "one point"],
    ),
    "scores of 1e-300": (
        lambda ws: (ws.npz("a.npz", scores=np.full((3, 17), 1e-300)), []),
        ["none of the 3 poses can be placed"],
    ),
    "missing input": (lambda ws: (ws.root / "absent.npz", []), ["{in}", "no such"]),
    "-o names the input": (lambda ws: (ws.inp, ["-o", ws.inp]), ["{in}", "overwrite the input"]),
    "-o of unknown format": (lambda ws: (ws.inp, ["-o", ws.root / "out.txt"]), ["out.txt", ".npz, .json, .bvh"]),
    "-o is a folder": (lambda ws: (ws.inp, ["-o", ws.root]), ["unknown output format"]),
    "-o in a folder that cannot be made": (
        lambda ws: (ws.inp, ["-o", _write(ws.root / "a-file", b"") / "out.npz"]),
        ["a-file/out.npz", "cannot write"],
    ),
    "--plot of another format": (lambda ws: (ws.inp, ["--plot", ws.root / "poses.xyz"]), ["poses.xyz", "PNG"]),
    "--plot in a folder that cannot be made": (
        lambda ws: (ws.inp, ["--plot", _write(ws.root / "a-file", b"") / "p.png"]),
        ["p.png", "cannot write the plot"],
    ),
    "--mmpose output to .npz": (lambda ws: (ws.inp, ["--output-format", "mmpose"]), ["out.npz", "JSON"]),
    "--threads -1": (lambda ws: (ws.inp, ["--threads", "-1"]), ["--threads"]),
    "--threads 100000": (lambda ws: (ws.inp, ["--threads", "100000"]), ["--threads", "1024"]),
    "--iterations 0": (lambda ws: (ws.inp, ["--iterations", "0"]), ["iterations"]),
    "--iterations 1e9": (lambda ws: (ws.inp, ["--iterations", "1000000000"]), ["iterations", "100000"]),
    "--iterations not a number": (lambda ws: (ws.inp, ["--iterations", "many"]), ["--iterations", "'many'"]),
    "--hypotheses 0": (lambda ws: (ws.inp, ["--hypotheses", "0"]), ["--hypotheses"]),
    "--hypotheses beyond the clusters": (lambda ws: (ws.inp, ["--hypotheses", "51"]), ["51 hypotheses"]),
    "--batch-size 0": (lambda ws: (ws.inp, ["--batch-size", "0"]), ["--batch-size"]),
    "--seed -1": (lambda ws: (ws.inp, ["--seed", "-1"]), ["--seed"]),
    "--seed 2**80": (lambda ws: (ws.inp, ["--seed", str(2**80)]), ["--seed"]),
    "--step-scale NaN": (lambda ws: (ws.inp, ["--step-scale", "nan"]), ["step_scale"]),
    "--noise-px -1": (lambda ws: (ws.inp, ["--noise-px", "-1"]), ["noise_px"]),
    "--noise-px NaN": (lambda ws: (ws.inp, ["--noise-px", "nan"]), ["noise_px"]),
    "-o and --output-dir together": (lambda ws: (ws.inp, ["--output-dir", ws.root / "outs"]), ["-o", "--output-dir"]),
    "--start-candidates with --no-ipo": (
        lambda ws: (ws.inp, ["--no-ipo", "--start-candidates", "5"]),
        ["--start-candidates", "--no-ipo"],
    ),
    "--ipo-joints with --no-ipo": (
        lambda ws: (ws.inp, ["--no-ipo", "--ipo-joints", "paper"]),
        ["--ipo-joints", "--no-ipo"],
    ),
    "--start-candidates with S > 1": (
        lambda ws: (ws.inp, ["--hypotheses", "3", "--start-candidates", "5"]),
        ["--start-candidates", "--hypotheses 3"],
    ),
    "--start-shortlist with S > 1": (
        lambda ws: (ws.inp, ["--hypotheses", "3", "--start-shortlist", "5"]),
        ["--start-shortlist", "--hypotheses"],
    ),
    "--start-ensemble with S > 1": (
        lambda ws: (ws.inp, ["--hypotheses", "3", "--start-ensemble", "2"]),
        ["--start-ensemble", "--hypotheses"],
    ),
    "--start-ensemble above the shortlist": (
        lambda ws: (ws.inp, ["--start-ensemble", "21"]),
        ["start_ensemble", "[1, 20]"],
    ),
    "--start-fit nowhere": (lambda ws: (ws.inp, ["--start-fit", "nowhere"]), ["--start-fit", "nowhere"]),
    "--preset unknown": (lambda ws: (ws.inp, ["--preset", "fastest"]), ["--preset", "fastest"]),
    "--ipo-joints paper on a chosen start": (
        lambda ws: (ws.inp, ["--ipo-joints", "paper"]),
        ["--ipo-joints paper", "--start-candidates 1"],
    ),
    "missing engine file": (lambda ws: (ws.inp, ["--engine", ws.root / "absent.onnx"]), ["absent.onnx"]),
    "unknown engine": (lambda ws: (ws.inp, ["--engine", "nope"]), ["'nope'", "bundled"]),
    "engine of another format": (
        lambda ws: (ws.inp, ["--engine", _write(ws.root / "prior.onnx", b"garbage")]),
        ["prior.onnx", "not a readable ONNX"],
    ),
    "prior: no sde": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.pop("sde"))]),
        ["prior-0.onnx", "sde"],
    ),
    "prior: an extra sde field": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["sde"].update(gamma=1))]),
        ["prior-0.onnx", "sde", "gamma"],
    ),
    "prior: sde as a string": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["sde"].update(beta_min="x"))]),
        ["prior-0.onnx", "beta_min"],
    ),
    "prior: sde of zeros": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["sde"].update(beta_min=0, beta_max=0))]),
        ["prior-0.onnx", "beta_max > 0"],
    ),
    "prior: t_min 0": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["sde"].update(t_min=0.0))]),
        ["prior-0.onnx", "t_min"],
    ),
    "prior: NaN cluster pose": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["clusters"]["50"][3][4].__setitem__(0, None))]),
        ["prior-0.onnx", "clusters[50]", "NaN"],
    ),
    "prior: boolean cluster": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["clusters"]["1"][0][3].__setitem__(0, True))]),
        ["prior-0.onnx", "clusters[1]", "bool"],
    ),
    "prior: cluster in millimetres": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d["clusters"]["1"][0][3].__setitem__(0, 130.0))]),
        ["prior-0.onnx", "clusters[1]", "metres"],
    ),
    "prior: clusters as a list": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.update(clusters=[1, 2]))]),
        ["prior-0.onnx", "clusters"],
    ),
    "prior: name a number": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.update(name=5))]),
        ["prior-0.onnx", "name"],
    ),
    "prior: unknown precision": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.update(precision="fp8"))]),
        ["prior-0.onnx", "precision"],
    ),
    "prior: unknown field": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.update(extra=1))]),
        ["prior-0.onnx", "'extra'"],
    ),
    "prior: skeleton a string": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta(lambda d: d.update(skeleton="x"))]),
        ["prior-0.onnx", "skeleton"],
    ),
    "prior: metadata not JSON": (
        lambda ws: (ws.inp, ["--engine", ws.prior_with_meta("{")]),
        ["prior-0.onnx", "not valid JSON"],
    ),
    "prior returns NaN": (lambda ws: (ws.inp, ["--engine", build_prior(ws.root / "nan.onnx", "nan")]), ["non-finite"]),
    "prior returns (B, 1, 3)": (
        lambda ws: (ws.inp, ["--engine", build_prior(ws.root / "bad.onnx", "bad_shape")]),
        ["bad.onnx", "shape"],
    ),
    "prior fails to run": (
        lambda ws: (ws.inp, ["--engine", build_prior(ws.root / "fails.onnx", "fails")]),
        ["fails.onnx", "ONNX Runtime failed"],
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _openpose(folder: Path, frame: dict) -> Path:
    folder.mkdir()
    (folder / "0_keypoints.json").write_text(json.dumps(frame))
    return folder


def _pickled_npz(path: Path) -> Path:
    np.savez(path, keypoints=np.array([{"a": 1}], dtype=object))
    return path


def _huge_npz(path: Path) -> Path:
    """A 400-byte archive whose .npy header claims 253 GiB."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (34_000_000_000,)
    with zipfile.ZipFile(path, "w") as z, z.open("keypoints.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(b"\0" * 64)
    return path


@pytest.mark.parametrize("case", list(INFER))
def test_zedo_infer_refuses(ws, case, capsys, monkeypatch):
    from zedo.runtime.apps.cli import main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    make, names = INFER[case]
    inp, extra = make(ws)
    argv = [inp, "-o", ws.out, "--engine", ws.prior, "--iterations", 2, "--threads", 1, "--quiet", *extra]
    assert_refused(main, argv, "zedo-infer", [str(inp) if n == "{in}" else n for n in names], ws.root, capsys)


# ---- zedo-eval --------------------------------------------------------------------------------


def _positions(h36m: Path, value) -> None:
    np.savez(h36m / "data_3d_h36m.npz", positions_3d=value)


def _cameras(h36m: Path, change) -> None:
    doc = json.loads((h36m / "cameras.json").read_text())
    for cam in doc["S9"].values():
        change(cam)
    (h36m / "cameras.json").write_text(json.dumps(doc))


def _detections(h36m: Path, per_action) -> None:
    np.savez(
        h36m / "data_2d_h36m_sh_pt_mpii.npz", positions_2d={"S9": {"Walking 1": per_action(6), "Eating": per_action(4)}}
    )


class _Hostile:
    """Pickles as a call of os.system: loading it would run a command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _hostile_positions(h36m: Path) -> None:
    np.savez(h36m / "data_3d_h36m.npz", positions_3d=np.array(_Hostile(h36m / "pwned"), dtype=object))


# name -> (setup(h36m folder, workspace) -> extra flags, words of the error line); "{data}" is the folder
EVAL = {
    "--every 0": (lambda h, ws: ["--every", "0"], ["every"]),
    "--limit -1": (lambda h, ws: ["--limit", "-1"], ["limit"]),
    "--focal-scale -1": (lambda h, ws: ["--focal-scale", "-1"], ["focal_scale"]),
    "--image-size 0 0": (lambda h, ws: ["--image-size", "0", "0"], ["image_size"]),
    "--threads -1": (lambda h, ws: ["--threads", "-1"], ["--threads"]),
    "--ipo-joints with --no-ipo": (lambda h, ws: ["--no-ipo", "--ipo-joints", "paper"], ["--ipo-joints"]),
    "unknown subject": (lambda h, ws: ["--subject", "S1"], ["data_3d_h36m.npz", "'S1'"]),
    "missing data folder": (lambda h, ws: ["--data", h / "absent"], ["absent/data_3d_h36m.npz", "no such file"]),
    "-o in a folder that cannot be made": (
        lambda h, ws: ["-o", _write(ws.root / "a-file", b"") / "r.json"],
        ["r.json", "cannot write"],
    ),
    "-o is a folder": (lambda h, ws: ["-o", ws.root], ["is a folder"]),
    "positions not a dict": (lambda h, ws: _positions(h, np.ones(3)) or [], ["data_3d_h36m.npz", "positions_3d"]),
    "positions of another shape": (
        lambda h, ws: _positions(h, {"S9": {"Walking": np.ones((3, 17, 3))}}) or [],
        ["data_3d_h36m.npz", "(3, 17, 3)"],
    ),
    "NaN positions": (
        lambda h, ws: _positions(h, {"S9": {"W": np.full((3, 32, 3), np.nan)}}) or [],
        ["data_3d_h36m.npz", "NaN"],
    ),
    "string positions": (
        lambda h, ws: _positions(h, {"S9": {"W": np.full((3, 32, 3), "a")}}) or [],
        ["data_3d_h36m.npz", "real numbers"],
    ),
    "positions in millimetres beyond 1 km": (
        lambda h, ws: _positions(h, {"S9": {"W": np.full((3, 32, 3), 1e7)}}) or [],
        ["data_3d_h36m.npz", "beyond"],
    ),
    "positions file not a zip": (
        lambda h, ws: _write(h / "data_3d_h36m.npz", b"garbage") and [],
        ["data_3d_h36m.npz", "not a readable"],
    ),
    "positions a hostile pickle": (lambda h, ws: _hostile_positions(h) or [], ["data_3d_h36m.npz", "system"]),
    "cameras a list": (lambda h, ws: _write(h / "cameras.json", b"[1]") and [], ["cameras.json"]),
    "camera R not a rotation": (
        lambda h, ws: _cameras(h, lambda c: c.update(R=(2 * np.eye(3)).tolist())) or [],
        ["cameras.json", "R is not a rotation"],
    ),
    "camera focal negative": (
        lambda h, ws: _cameras(h, lambda c: c.update(f=[-1000, 1000])) or [],
        ["cameras.json", "focal"],
    ),
    "camera focal a string": (
        lambda h, ws: _cameras(h, lambda c: c.update(f=["a", 1000])) or [],
        ["cameras.json", " f "],
    ),
    "camera centre of two numbers": (
        lambda h, ws: _cameras(h, lambda c: c.update(center=[0, 0])) or [],
        ["cameras.json", "center"],
    ),
    "camera without R": (lambda h, ws: _cameras(h, lambda c: c.pop("R")) or [], ["cameras.json", "'R'"]),
    "detections of three cameras": (
        lambda h, ws: _detections(h, lambda n: [np.ones((n, 16, 2))] * 3) or ["--track", "detected"],
        ["mpii.npz", "4 arrays"],
    ),
    "complex detections": (
        lambda h, ws: _detections(h, lambda n: [np.ones((n, 16, 2), complex)] * 4) or ["--track", "detected"],
        ["mpii.npz", "complex"],
    ),
    "detections all absent": (
        lambda h, ws: _detections(h, lambda n: [np.full((n, 16, 2), np.nan)] * 4) or ["--track", "detected"],
        ["no frames", "dropped"],
    ),
    "detections of 1e30 px": (
        lambda h, ws: _detections(h, lambda n: [np.full((n, 16, 2), 1e30)] * 4) or ["--track", "detected"],
        ["mpii.npz", "beyond"],
    ),
}


@pytest.mark.parametrize("case", list(EVAL))
def test_zedo_eval_refuses(ws, h36m_dir, case, capsys, monkeypatch):
    from zedo.evaluation.cli import main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    setup, names = EVAL[case]
    extra = setup(h36m_dir, ws)
    argv = [
        "--data",
        h36m_dir,
        "--engine",
        ws.prior,
        "--every",
        3,
        "--iterations",
        2,
        "--threads",
        1,
        "--quiet",
        "-o",
        ws.root / "r.json",
        *extra,
    ]
    assert_refused(main, argv, "zedo-eval", names, h36m_dir, capsys)
    assert not (h36m_dir / "pwned").exists(), "a hostile pickle ran its command"


def test_zedo_eval_via_cli_names_zedo_infer_failure(ws, h36m_dir, capsys):
    from zedo.evaluation.cli import main

    argv = [
        "--data",
        h36m_dir,
        "--engine",
        build_prior(ws.root / "fails.onnx", "fails"),
        "--every",
        3,
        "--iterations",
        2,
        "--quiet",
        "--via-cli",
        "-o",
        ws.root / "r.json",
    ]
    assert_refused(main, argv, "zedo-eval", ["zedo-infer failed", "fails.onnx"], h36m_dir, capsys)


# ---- zedo-train and zedo-prepare ----------------------------------------------------------------

TINY = [
    "--hidden",
    "32",
    "--embed",
    "16",
    "--blocks",
    "1",
    "--batch-size",
    "8",
    "--threads",
    "1",
    "--steps",
    "2",
    "--quiet",
]


def _poses(n: int = 32) -> np.ndarray:
    from conftest import TPOSE

    p = TPOSE[None] + 0.03 * np.random.default_rng(0).standard_normal((n, 17, 3))
    return (p - p[:, :1]).astype(np.float32)


def _pose_file(ws, name="poses.npz", **fields) -> Path:
    path = ws.root / name
    with open(path, "wb") as f:  # through a handle: np.savez would add .npz to another suffix
        np.savez(f, **{"poses": _poses(), **fields})
    return path


def _hostile_checkpoint(ws) -> Path:
    import pickle

    path = ws.root / "x.pt"
    path.write_bytes(pickle.dumps(_Hostile(ws.root / "pwned")))
    return path


# name -> (make(ws) -> argv (without the common tiny settings), words of the error line)
TRAIN = {
    "--steps -5": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--steps", "-5"], ["steps"]),
    "--steps 1e13": (
        lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--steps", "10000000000000"],
        ["steps"],
    ),
    "--hidden 0": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--hidden", "0"], ["hidden_dim"]),
    "--hidden 1e7": (
        lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--hidden", "10000000"],
        ["hidden_dim"],
    ),
    "--embed 0": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--embed", "0"], ["embed_dim"]),
    "--blocks -1": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--blocks", "-1"], ["n_blocks"]),
    "--batch-size 0": (
        lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--batch-size", "0"],
        ["batch_size"],
    ),
    "--threads -1": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--threads", "-1"], ["threads"]),
    "--threads 100000": (
        lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--threads", "100000"],
        ["threads", "1024"],
    ),
    "--lr inf": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--lr", "inf"], ["lr"]),
    "--seed -1": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--seed", "-1"], ["seed"]),
    "zero poses": (
        lambda ws: ["--data", _pose_file(ws, poses=np.zeros((0, 17, 3))), "-o", ws.root / "x.pt"],
        ["poses.npz", "M >= 1"],
    ),
    "NaN poses": (
        lambda ws: ["--data", _pose_file(ws, poses=np.full((4, 17, 3), np.nan)), "-o", ws.root / "x.pt"],
        ["poses.npz", "NaN"],
    ),
    "string poses": (
        lambda ws: ["--data", _pose_file(ws, poses=_poses().astype(str)), "-o", ws.root / "x.pt"],
        ["poses.npz", "real numbers"],
    ),
    "poses in millimetres": (
        lambda ws: ["--data", _pose_file(ws, poses=_poses() * 1000), "-o", ws.root / "x.pt"],
        ["poses.npz", "metres"],
    ),
    "poses not root-relative": (
        lambda ws: ["--data", _pose_file(ws, poses=_poses() + 1.0), "-o", ws.root / "x.pt"],
        ["poses.npz", "root-relative"],
    ),
    "poses all at the pelvis": (
        lambda ws: ["--data", _pose_file(ws, poses=np.zeros((4, 17, 3))), "-o", ws.root / "x.pt"],
        ["poses.npz", "not a human pose"],
    ),
    "provenance not JSON": (
        lambda ws: ["--data", _pose_file(ws, provenance="{bad"), "-o", ws.root / "x.pt"],
        ["poses.npz", "provenance"],
    ),
    "missing pose file": (lambda ws: ["--data", ws.root / "absent.npz", "-o", ws.root / "x.pt"], ["absent.npz"]),
    "-o not a .pt": (lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.onnx"], ["x.onnx", ".pt"]),
    "-o names the data": (lambda ws: ["--data", _pose_file(ws, "p.pt"), "-o", ws.root / "p.pt"], ["p.pt", "--data"]),
    "-o in a folder that cannot be made": (
        lambda ws: ["--data", _pose_file(ws), "-o", _write(ws.root / "a-file", b"") / "x.pt"],
        ["x.pt", "cannot write"],
    ),
    "--data-root without --recipe": (
        lambda ws: ["--data", _pose_file(ws), "-o", ws.root / "x.pt", "--data-root", ws.root],
        ["--data-root"],
    ),
    "neither --data nor --recipe": (lambda ws: ["-o", ws.root / "x.pt"], ["--data", "--recipe"]),
    "resume from a foreign file": (
        lambda ws: ["--data", _pose_file(ws), "-o", _write(ws.root / "x.pt", b"PK not a checkpoint")],
        ["x.pt", "not a checkpoint zedo-train wrote"],
    ),
    "resume from a hostile pickle": (
        lambda ws: ["--data", _pose_file(ws), "-o", _hostile_checkpoint(ws)],
        ["x.pt", "not a checkpoint zedo-train wrote"],
    ),
}


@pytest.mark.parametrize("case", list(TRAIN))
def test_zedo_train_refuses(ws, case, capsys, monkeypatch):
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    from zedo.training.cli import train_main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    make, names = TRAIN[case]
    assert_refused(train_main, [*TINY, *make(ws)], "zedo-train", names, ws.root, capsys)
    assert not (ws.root / "pwned").exists(), "a hostile checkpoint ran its command"


BVH = Path(__file__).parent / "fixtures" / "bandai_tiny.bvh"
PREPARE = {
    "--every 0": (lambda ws: ["bvh", BVH, "-o", ws.root / "p.npz", "--every", "0"], ["--every"]),
    "--views 1e8": (lambda ws: ["bvh", BVH, "-o", ws.root / "p.npz", "--views", "100000000"], ["views", "1000"]),
    "-o not an .npz": (lambda ws: ["bvh", BVH, "-o", ws.root / "p.txt"], ["p.txt", ".npz"]),
    "-o names the input": (
        lambda ws: ["h36m", "--data", ws.root, "-o", _write(ws.root / "data_3d_h36m.npz", b"x")],
        ["data_3d_h36m.npz", "overwrite"],
    ),
    "truncated BVH": (
        lambda ws: ["bvh", _write(ws.root / "bad.bvh", b"HIERARCHY\nROOT x\n{"), "-o", ws.root / "p.npz", "--quiet"],
        ["bad.bvh", "MOTION"],
    ),
    "missing Human3.6M folder": (
        lambda ws: ["h36m", "--data", ws.root / "absent", "-o", ws.root / "p.npz"],
        ["absent/data_3d_h36m.npz"],
    ),
}


@pytest.mark.parametrize("case", list(PREPARE))
def test_zedo_prepare_refuses(ws, case, capsys, monkeypatch):
    from zedo.training.cli import prepare_main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    make, names = PREPARE[case]
    prog = "zedo-prepare" if case != "--every 0" else "zedo-prepare bvh"
    assert_refused(prepare_main, make(ws), prog, names, ws.root, capsys)


# ---- zedo-export --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """The tiny random-weight zedo-train checkpoint's dict (fake_prior), to damage per case."""
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    from fake_prior import write_checkpoint

    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    write_checkpoint(path)
    return torch.load(path, weights_only=True)


def _ckpt(ws, checkpoint, change=None, name="c.pt") -> Path:
    import copy

    import torch

    ck = copy.deepcopy(checkpoint)
    if change:
        change(ck)
    path = ws.root / name
    torch.save(ck, path)
    return path


def _nan_weights(ck):
    ck["ema"] = {k: v * float("nan") for k, v in ck["ema"].items()}


EXPORT = {
    "--opset 1": (
        lambda ws, ck: ["--ckpt", _ckpt(ws, ck), "-o", ws.root / "o.onnx", "--opset", "1"],
        ["--opset", "[7, 23]"],
    ),
    "--opset 99": (lambda ws, ck: ["--ckpt", _ckpt(ws, ck), "-o", ws.root / "o.onnx", "--opset", "99"], ["--opset"]),
    "--atol -1": (lambda ws, ck: ["--ckpt", _ckpt(ws, ck), "-o", ws.root / "o.onnx", "--atol", "-1"], ["--atol"]),
    "--atol for a bundled prior": (
        lambda ws, ck: ["--ckpt", "default", "-o", ws.root / "o.onnx", "--atol", "1e-3"],
        ["--atol", "'default'"],
    ),
    "--precision-atol NaN": (
        lambda ws, ck: [
            "--ckpt",
            "default",
            "-o",
            ws.root / "o.onnx",
            "--precision",
            "fp16",
            "--precision-atol",
            "nan",
        ],
        ["--precision-atol"],
    ),
    "--fp16 without --engine": (
        lambda ws, ck: ["--ckpt", "default", "-o", ws.root / "o.onnx", "--fp16"],
        ["--fp16", "--engine"],
    ),
    "-o not an .onnx": (lambda ws, ck: ["--ckpt", _ckpt(ws, ck), "-o", ws.root / "o.pt"], ["o.pt", ".onnx"]),
    "-o names the source": (
        lambda ws, ck: ["--ckpt", build_prior(ws.root / "src.onnx"), "-o", ws.root / "src.onnx"],
        ["src.onnx", "overwrite the source"],
    ),
    "unknown bundled prior": (lambda ws, ck: ["--ckpt", "nope", "-o", ws.root / "o.onnx"], ["nope"]),
    "checkpoint not a torch file": (
        lambda ws, ck: ["--ckpt", _write(ws.root / "g.pt", b"garbage"), "-o", ws.root / "o.onnx"],
        ["g.pt", "not a torch checkpoint"],
    ),
    "checkpoint a hostile pickle": (
        lambda ws, ck: ["--ckpt", _hostile_checkpoint(ws), "-o", ws.root / "o.onnx"],
        ["x.pt"],
    ),
    "checkpoint missing keys": (
        lambda ws, ck: ["--ckpt", _ckpt(ws, ck, lambda c: c.pop("ema")), "-o", ws.root / "o.onnx"],
        ["c.pt", "'ema'"],
    ),
    "checkpoint SDE of zeros": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck, lambda c: c["sde_config"].update(beta_min=0.0, beta_max=0.0)),
            "-o",
            ws.root / "o.onnx",
        ],
        ["c.pt", "sde_config", "beta_max"],
    ),
    "checkpoint SDE a string": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck, lambda c: c["sde_config"].update(beta_min="a")),
            "-o",
            ws.root / "o.onnx",
        ],
        ["c.pt", "beta_min"],
    ),
    "checkpoint hidden 0": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck, lambda c: c["prior_config"].update(hidden_dim=0)),
            "-o",
            ws.root / "o.onnx",
        ],
        ["c.pt", "hidden_dim"],
    ),
    "checkpoint NaN weights": (
        lambda ws, ck: ["--ckpt", _ckpt(ws, ck, _nan_weights), "-o", ws.root / "o.onnx"],
        ["c.pt", "NaN"],
    ),
    "NaN clusters": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck),
            "-o",
            ws.root / "o.onnx",
            "--clusters",
            _npy(ws, np.full((5, 17, 3), np.nan)),
        ],
        ["c.npy", "NaN"],
    ),
    "boolean clusters": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck),
            "-o",
            ws.root / "o.onnx",
            "--clusters",
            _npy(ws, np.ones((5, 17, 3), bool)),
        ],
        ["c.npy", "bool"],
    ),
    "clusters 1e30 m": (
        lambda ws, ck: [
            "--ckpt",
            _ckpt(ws, ck),
            "-o",
            ws.root / "o.onnx",
            "--clusters",
            _npy(ws, np.full((5, 17, 3), 1e30)),
        ],
        ["c.npy", "not a human pose"],
    ),
    "missing calibration set": (
        lambda ws, ck: [
            "--ckpt",
            "default",
            "-o",
            ws.root / "o.onnx",
            "--precision",
            "int8",
            "--calibration-set",
            ws.root / "absent.npz",
        ],
        ["absent.npz"],
    ),
}


def _npy(ws, array) -> Path:
    path = ws.root / "c.npy"
    np.save(path, array)
    return path


@pytest.mark.parametrize("case", list(EXPORT))
def test_zedo_export_refuses(ws, checkpoint, case, capsys, monkeypatch):
    from zedo.export.cli import main

    monkeypatch.delenv("ZEDO_DEBUG", raising=False)
    make, names = EXPORT[case]
    assert_refused(main, make(ws, checkpoint), "zedo-export", names, ws.root, capsys)
    assert not (ws.root / "pwned").exists(), "a hostile checkpoint ran its command"


# ---- missing packages: a fresh interpreter where the import fails -----------------------------

from zedo.runtime.core.errors import install_extra  # noqa: E402  (this section's expected lines)

MISSING = [
    (
        "onnx",
        "zedo.export.cli",
        ["--ckpt", "default", "--precision", "fp16", "-o", "{root}/o.onnx"],
        "zedo-export",
        install_extra("export"),
    ),
    (
        "onnxruntime",
        "zedo.runtime.apps.cli",
        ["{inp}", "-o", "{root}/out.npz", "--iterations", "2"],
        "zedo-infer",
        "pip install onnxruntime",
    ),
    (
        "matplotlib",
        "zedo.runtime.apps.cli",
        ["{inp}", "-o", "{root}/out.npz", "--plot", "{root}/p.png"],
        "zedo-infer",
        install_extra("viz"),
    ),
]


@pytest.mark.parametrize("module, command, argv, prog, install", MISSING, ids=[m[0] for m in MISSING])
def test_a_missing_package_is_one_line_naming_the_install(ws, module, command, argv, prog, install):
    argv = [a.format(root=ws.root, inp=ws.inp) for a in argv]
    before = snapshot(ws.root)
    code = f"import sys; sys.modules[{module!r}] = None\nfrom {command} import main; sys.exit(main({argv!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert (
        proc.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"{prog}: error: ") and install in lines[0]
    ), proc.stderr
    assert snapshot(ws.root) == before


# ---- the Python API -----------------------------------------------------------------------------


def _estimate(ws, **kw):
    args = {
        "keypoints": ws.scene["keypoints"],
        "K": K_CAM,
        "engine": ws.prior,
        "config": LoopConfig(iterations=2),
        **kw,
    }
    return estimate(**args)


API = {
    "config a dict": (lambda ws: _estimate(ws, config={"iterations": 2}), ["config", "LoopConfig"]),
    "engine a number": (lambda ws: _estimate(ws, engine=5), ["engine"]),
    "hypotheses a string": (lambda ws: _estimate(ws, hypotheses="3"), ["hypotheses"]),
    "seed -1": (lambda ws: _estimate(ws, seed=-1), ["seed"]),
    "unknown selection": (lambda ws: _estimate(ws, selection="x"), ["selection"]),
    "keypoints None": (lambda ws: _estimate(ws, keypoints=None), ["keypoints"]),
    "boolean image size": (lambda ws: _estimate(ws, K=None, image_size=(True, True)), ["image_size"]),
    "negative focal length": (lambda ws: _estimate(ws, K=np.diag([-1000.0, 1000.0, 1.0])), ["fx"]),
    "iterations 1e9": (lambda ws: LoopConfig(iterations=10**9), ["iterations"]),
    "infinite IPO range": (lambda ws: LoopConfig(ipo_scale_range=(0.5, float("inf"))), ["ipo_scale_range"]),
    "SDE of zeros": (lambda ws: SDEConfig(beta_min=0, beta_max=0), ["beta_max"]),
    "SDE t_min 0": (lambda ws: SDEConfig(t_min=0.0), ["t_min"]),
    "prior metadata of another skeleton": (
        lambda ws: PriorMeta.from_json(
            json.dumps({"format": "zedo-prior-v1", "skeleton": {"joint_names": []}}), "meta.json"
        ),
        ["meta.json", "skeleton"],
    ),
    "prior metadata without sde": (
        lambda ws: PriorMeta.from_json(
            json.dumps({"format": "zedo-prior-v1", "skeleton": {"joint_names": list(JOINT_NAMES)}}), "meta.json"
        ),
        ["meta.json", "sde"],
    ),
    "threads 100000": (lambda ws: open_engine(ws.prior, threads=100000), ["threads", "1024"]),
    "a stream given three poses": (
        lambda ws: PoseStream(ws.prior, K=K_CAM).update(ws.scene["keypoints"]),
        ["frame", "one pose"],
    ),
    "JSON beyond the size zedo reads": (lambda ws: read_json(ws.inp_json, limit=100), ["in.json", "MiB of JSON"]),
    "save to an unknown format": (lambda ws: _save(ws, ws.root / "out.txt"), ["out.txt"]),
    "train settings: threads 100000": (lambda ws: TrainConfig(threads=100000), ["threads"]),
    "network settings: hidden 0": (lambda ws: PriorConfig(hidden_dim=0), ["hidden_dim"]),
}


def _save(ws, path):
    save_output(path, _estimate(ws))


@pytest.mark.parametrize("case", list(API))
def test_python_api_refuses(ws, case):
    call, names = API[case]
    before = snapshot(ws.root)
    with pytest.raises((ValueError, RuntimeError)) as info:
        call(ws)
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message, message
    assert snapshot(ws.root) == before


# ---- what goes right with a bad pose among good ones -------------------------------------------


def test_a_pose_that_cannot_be_lifted_is_marked_invalid_and_counted(ws, capsys):
    """One pose with every keypoint at one pixel, one with scores too small for float32: both come
    back with valid 0 and NaN joints, counted on stderr; the others are lifted; exit status 0."""
    from zedo.runtime.apps.cli import main

    kp, sc = np.concatenate([ws.scene["keypoints"]] * 2), np.ones((6, 17))
    kp[1], sc[4] = 500.0, 1e-300
    inp = ws.npz("mixed.npz", keypoints=kp, scores=sc)
    assert (
        main(
            [
                str(inp),
                "-o",
                str(ws.out),
                "--engine",
                str(ws.prior),
                "--iterations",
                "2",
                "--threads",
                "1",
                "--quiet",
                "--layout",
                "h36m17",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert (
        "1 pose(s) (first: pose 1) have every observed keypoint at one point" in err
        and "2 of 6 poses could not be lifted" in err
    )
    with np.load(ws.out) as f:
        np.testing.assert_array_equal(f["valid"], [1, 0, 1, 1, 0, 1])
        assert np.isnan(f["joints_3d"][[1, 4]]).all() and np.isfinite(f["joints_3d"][[0, 2, 3, 5]]).all()


def test_tiny_scores_lift_as_their_ratios_say(ws):
    """The translation solve depends on the ratios of a pose's scores only: scores of 1e-30 give
    the pose that scores of 1 give (they used to underflow float32 into a singular system)."""
    ones = _estimate(ws, scores=np.ones((3, 17)))
    tiny = _estimate(ws, scores=np.full((3, 17), 1e-30))
    assert tiny.valid.all()
    np.testing.assert_allclose(tiny.joints_3d, ones.joints_3d, atol=1e-5)
    np.testing.assert_allclose(tiny.reprojection_px, ones.reprojection_px, rtol=1e-4, atol=1e-6)


def test_a_principal_point_near_the_image_is_accepted(ws):
    from zedo.runtime.io.validation import validate_inputs

    K = K_CAM.copy()
    K[0, 2] = 1400.0  # 0.4 of the width beyond the right edge: a crop's principal point
    assert validate_inputs(ws.scene["keypoints"], K, image_size=(1000, 1000)).valid.all()
    K[0, 2] = 1600.0
    with pytest.raises(ValueError, match="cx = 1600"):
        validate_inputs(ws.scene["keypoints"], K, image_size=(1000, 1000))


def test_bad_flag_is_argparse_one_line(capsys):
    from zedo.runtime.apps.cli import main

    assert main(["in.npz", "-o", "out.npz", "--sampler", "nope"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("zedo-infer: error: argument --sampler")
        and lines[0].endswith("(see --help)")
    )

"""The C++ wrapper and C ABI (``cpp/``), built with CMake in a clean temporary folder as the README
says, and its programs run as a C++ developer would run them.

Every program runs with few loop iterations and one ONNX Runtime thread; zedo-infer and the Python
API run with the same settings, so their results agree to float32 rounding.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import cpp_environment, cpp_missing

from zedo.runtime import LoopConfig, estimate
from zedo.runtime.apps.cli import main as zedo_infer
from zedo.runtime.apps.embed import EXAMPLE

REPO = Path(__file__).resolve().parents[1]
FAST = ["--iterations", "10", "--threads", "1"]


pytestmark = pytest.mark.skipif(cpp_missing() is not None, reason=f"needs {cpp_missing()}")


@pytest.fixture(scope="module")
def build(cpp_build) -> Path:
    return cpp_build


def run(build: Path, program: str, *args, stdin: str | None = None, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(build / program), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=cpp_environment(**env),
    )


@pytest.fixture(scope="module")
def example() -> dict:
    with np.load(EXAMPLE) as d:
        return {k: d[k] for k in ("keypoints", "scores", "K")}


def pose_text(example: dict) -> str:
    """Pose 0 of the example as the C programs read it: 34 keypoint, 17 score and 9 K numbers."""
    numbers = np.concatenate([example["keypoints"][0].ravel(), example["scores"][0], example["K"].ravel()])
    return " ".join(repr(float(x)) for x in numbers)


def joints_line(stdout: str) -> np.ndarray:
    line = next(line for line in stdout.splitlines() if line.startswith("joints "))
    return np.array(line.split()[1:], dtype=float).reshape(17, 3)


def assert_errors(lines: dict, expected: dict) -> None:
    """Each case's line (``case: error: message``) is an error whose message holds its words."""
    for case, words in expected.items():
        assert lines[case].startswith("error: ") and words in lines[case], (case, lines[case])


def python_pose0(example: dict) -> np.ndarray:
    config = LoopConfig(iterations=10)
    return estimate(
        example["keypoints"][:1],
        K=example["K"],
        scores=example["scores"][:1],
        engine="default",
        config=config,
        layout="h36m17",
    ).joints_3d[0]


def test_zedo_lift_gives_zedo_infers_joints(build, example, tmp_path):
    source = tmp_path / "example.json"
    source.write_text(json.dumps({k: v.tolist() for k, v in example.items()}))
    proc = run(build, "zedo_lift", source, tmp_path / "cpp.json", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "32 poses" in proc.stdout
    assert zedo_infer([str(source), "-o", str(tmp_path / "python.json"), *FAST, "--quiet"]) == 0
    ours, theirs = (json.loads((tmp_path / name).read_text()) for name in ("cpp.json", "python.json"))
    assert sorted(ours) == sorted(theirs)  # one path: the same file (tests/test_front_doors.py)
    assert ours["joints_3d"] == theirs["joints_3d"]
    assert ours["valid"] == theirs["valid"] and ours["engine"] == theirs["engine"] == "default"


def test_zedo_lift_errors_are_one_line(build, tmp_path):
    proc = run(build, "zedo_lift", tmp_path / "missing.json", tmp_path / "out.json", *FAST)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        f"zedo_lift: error: {tmp_path / 'missing.json'}: no such input file"
    ]
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", "--iterations", "many")
    assert proc.returncode == 2 and "--iterations takes a number, got 'many'" in proc.stderr
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", "--engine", "no-such-prior", *FAST)
    assert proc.returncode == 2 and "engine 'no-such-prior' is neither a bundled prior" in proc.stderr
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    "flags, words",
    [
        (
            ["--image-size", "0", "0"],
            "--image-size takes the image's width and height in pixels, each in [1, 100000], got 0 0",
        ),
        (["--image-size", "nan", "480"], "--image-size takes the image's width and height"),
        (["--iterations", "1e20"], "--iterations takes a whole number, got '1e20'"),
    ],
)
def test_zedo_lift_refuses_bad_numbers_in_one_line(build, tmp_path, flags, words):
    """A size of 0 x 0 is refused as a size (it used to read as "no size given"), a count beyond
    int as a count."""
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", *flags, *FAST)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("zedo_lift: error: ") and words in lines[0], lines[0]
    assert not (tmp_path / "out.json").exists()


def test_the_programs_print_the_packages_version(build):
    from zedo.runtime.core.version import VERSION

    for program in ("zedo_lift", "zedo_stream"):
        proc = run(build, program, "--version")
        assert proc.returncode == 0 and proc.stdout.strip() == f"{program} {VERSION}", proc.stderr


def test_zedo_stream_prints_each_frames_latency(build):
    proc = run(build, "zedo_stream", "--iterations", "3", "--start-candidates", "1", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    frames = [line for line in proc.stdout.splitlines() if line.startswith("frame ")]
    assert len(frames) == 32 and all(" ms, pelvis (" in line for line in frames)
    assert proc.stdout.strip().splitlines()[-1].startswith("per frame: median ")


def test_c_abi_lifts_like_python_and_reports_bad_calls(build, example):
    proc = run(build, "zedo_c_check", "default", 10, stdin=pose_text(example))
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(joints_line(proc.stdout), python_pose0(example), atol=1e-6)
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines()[1:])
    assert lines["keypoint count"] == "17"
    expected = {
        "null keypoints": "keypoints is a null pointer",
        "null joints": "joints_out is a null pointer",
        "n = 0": "n (the number of poses) must be >= 1, got 0",
        "n = -2": "got -2",
        "null lifter": "lifter is a null pointer",
        "NaN keypoint": "keypoints[0, 5] = [nan,",
        "unknown engine": "engine 'no-such-prior' is neither a bundled prior",
    }
    assert_errors(lines, expected)


def test_c_abi_loaded_as_ffis_load_it(build, example):
    """dlopen with RTLD_LOCAL (C#, Rust's libloading): NumPy still finds libpython's symbols."""
    proc = run(build, "zedo_c_dlopen", build / "libzedo_c.so", "default", 10, stdin=pose_text(example))
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(joints_line(proc.stdout), python_pose0(example), atol=1e-6)


def test_two_threads_share_one_lifter(build):
    proc = run(build, "zedo_selftest", "threads", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "max difference to one thread 0 m" in proc.stdout


def test_bad_inputs_are_exceptions_naming_the_field(build):
    proc = run(build, "zedo_selftest", "bad-inputs", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines())
    expected = {
        "null keypoints": "keypoints is a null pointer",
        "null K": "K is a null pointer",
        "null joints_out": "joints_out is a null pointer",
        "n = 0": "got 0",
        "n = -1": "got -1",
        "NaN keypoint with a positive score": "keypoints[0, 5] = [nan,",
        "negative focal length": "focal length fx = -1145 is not positive",
        "unknown engine": "engine 'no-such-prior' is neither a bundled prior",
        "missing engine file": "engine file /nonexistent/prior.onnx does not exist",
        "unknown layout": "unknown keypoint layout 'coco18'",
        "iterations 0": "iterations must be a whole number",
        "threads -1": "threads must be in [0, 1024]",
        "stream null K": "K is a null pointer",
        "stream NaN keypoint": "frame: keypoints[0, 5] = [nan,",
    }
    assert_errors(lines, expected)
    assert lines["after the errors"] == "ok"


def test_arrays_handed_to_python_are_the_callers_memory(build):
    proc = run(build, "zedo_selftest", "views")
    assert (
        proc.returncode == 0
        and "same memory 1, input read-only and output writable 1, written through 1" in proc.stdout
    ), proc.stdout + proc.stderr


def make_venv(path: Path, zedo_from: list[str] | None = None) -> Path:
    """A venv without pip or system packages; ``zedo_from``: site folders its .pth adds (as an
    install there would), so zedo imports in it. Returns its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120, env=cpp_environment()
    )
    if zedo_from:
        (site,) = path.glob("lib/python3*/site-packages")
        (site / "zedo-test.pth").write_text(
            "import site; " + "; ".join(f"site.addsitedir({d!r})" for d in zedo_from) + "\n"
        )
    return path / "bin" / "python"


def test_zedo_python_points_at_a_venv(build, tmp_path):
    """ZEDO_PYTHON names a venv's python: Python reads its pyvenv.cfg and site-packages (.pth files
    included, as editable installs use) as that python would."""
    python = make_venv(tmp_path / "venv", zedo_from=[p for p in sys.path if p.endswith("site-packages")])
    proc = run(build, "zedo_selftest", "info", ZEDO_PYTHON=str(python))
    assert proc.returncode == 0, proc.stderr
    assert f"at {python} (sys.prefix {tmp_path / 'venv'}; zedo from {REPO / 'runtime'})" in proc.stdout


def test_a_python_without_zedo_says_which_and_how_to_point(build, tmp_path):
    python = make_venv(tmp_path / "empty")
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", ZEDO_PYTHON=str(python))
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    for words in (
        f"at {python} (chosen by ZEDO_PYTHON; sys.prefix {tmp_path / 'empty'})",
        "No module named 'zedo'",
        "set ZEDO_PYTHON to the python of the environment",
    ):
        assert words in line
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", ZEDO_PYTHON=str(tmp_path / "nowhere" / "python"))
    assert proc.returncode == 2 and f"no Python at {tmp_path / 'nowhere' / 'python'} (from ZEDO_PYTHON)" in proc.stderr
    other = tmp_path / "other"
    (other / "bin").mkdir(parents=True)
    (other / "bin" / "python").write_text("")
    (other / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.99.0\n")
    proc = run(build, "zedo_lift", EXAMPLE, tmp_path / "out.json", ZEDO_PYTHON=str(other / "bin" / "python"))
    assert (
        proc.returncode == 2
        and "is in a Python 3.99.0 environment but this program was built against Python 3." in proc.stderr
    )

"""The C++ wrapper's cost per call at batch 1 against the Python API (cpp/bench/overhead.cpp):
builds cpp/ with CMake (or takes a build folder), runs zedo_overhead, prints its JSON and writes it
to benchmarks/results/cpp-overhead.json with the machine's load at the start.

    python benchmarks/cpp_overhead.py [--build DIR] [--calls 100] [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build(folder: Path) -> None:
    import pybind11

    subprocess.run(
        [
            "cmake",
            "-S",
            str(REPO / "cpp"),
            "-B",
            str(folder),
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
            f"-DPython_EXECUTABLE={sys.executable}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        ["cmake", "--build", str(folder), "--target", "zedo_overhead", "-j", "2"], check=True, stdout=subprocess.DEVNULL
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", type=Path, help="a build folder of cpp/ (default: build one in a temporary folder)")
    p.add_argument("--calls", type=int, default=100, help="real calls per round (the stubbed rounds make 20x as many)")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--iterations", type=int, default=1, help="loop iterations of the real calls (default: %(default)s)")
    p.add_argument("-o", "--output", type=Path, default=REPO / "benchmarks" / "results" / "cpp-overhead.json")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.build or Path(tmp)
        if a.build is None:
            build(folder)
        load = os.getloadavg()[0]
        args = [
            str(a.calls),
            str(a.rounds),
            "--iterations",
            str(a.iterations),
            "--start-candidates",
            "1",
            "--threads",
            "1",
        ]
        proc = subprocess.run([str(folder / "zedo_overhead"), *args], check=True, capture_output=True, text=True)
    result = {
        **json.loads(proc.stdout),
        "load_average_at_start": load,
        "cpus": os.cpu_count(),
        "command": "python benchmarks/cpp_overhead.py",
    }
    print(json.dumps(result))
    a.output.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

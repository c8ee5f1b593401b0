"""The public surface of zedo.runtime, and its promise never to import torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zedo.runtime

PUBLIC = [
    "BUNDLED_PRIORS",
    "Engine",
    "Estimate",
    "LoopConfig",
    "OnnxRuntimeEngine",
    "PoseStream",
    "PriorMeta",
    "Request",
    "SDEConfig",
    "StreamConfig",
    "TensorRTEngine",
    "estimate",
    "lift_camera",
    "lift_file",
    "lift_video",
    "load_input",
    "open_engine",
    "preset_config",
    "save_output",
]


def test_all_is_pinned():
    assert zedo.runtime.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(zedo.runtime, name) is not None


def test_runtime_never_imports_torch(tiny_prior):
    """Import every runtime module and run a short estimate in a fresh interpreter; torch must stay out."""
    code = f"""
import sys
import pkgutil, importlib, zedo.runtime
for m in pkgutil.iter_modules(zedo.runtime.__path__):
    importlib.import_module('zedo.runtime.' + m.name)
from zedo.runtime import LoopConfig, estimate
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import synthetic_poses
s = synthetic_poses(2)
estimate(s["keypoints"], K=s["K"], engine={str(tiny_prior)!r}, hypotheses=2, config=LoopConfig(iterations=3))
print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

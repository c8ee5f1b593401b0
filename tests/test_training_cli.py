"""The zedo-prepare and zedo-train commands (zedo.training.cli): what they write, one error line,
--help and a clear message without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import NEEDS_TORCH

from zedo.training import cli

TINY_FLAGS = ["--hidden", "32", "--embed", "16", "--blocks", "1", "--batch-size", "8", "--threads", "1", "--quiet"]
FIXTURES = Path(__file__).parent / "fixtures"


def _error_line(capsys) -> str:
    """The one error line on stderr (zedo-prepare's progress bar may stand before it)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 1 and err.endswith("\n"), err
    return err.strip().splitlines()[-1]


def test_train_command_writes_what_the_library_writes(tmp_path, pose_file, capsys):
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    torch.set_num_threads(1)
    from zedo.training.model import PriorConfig
    from zedo.training.train import TrainConfig, train

    out = tmp_path / "cli.pt"
    assert cli.train_main(["--data", str(pose_file), "-o", str(out), "--steps", "2", *TINY_FLAGS]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (2 steps)")
    cfg = TrainConfig(steps=2, batch_size=8, threads=1)
    ref = train(
        [pose_file], tmp_path / "lib.pt", cfg, PriorConfig(hidden_dim=32, embed_dim=16, n_blocks=1), progress=False
    )
    a, b = torch.load(out, weights_only=False), torch.load(ref, weights_only=False)
    assert a["train_config"] == b["train_config"]
    for k in a["ema"]:
        assert torch.equal(a["ema"][k], b["ema"][k])


def test_train_command_errors_are_one_line(tmp_path, pose_file, capsys, monkeypatch):
    pytest.importorskip("torch", reason=NEEDS_TORCH)  # the checks of the output and of TrainConfig import it

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/read-only/x.pt")

    monkeypatch.setattr(cli, "train_prior", denied)
    assert cli.train_main(["--data", str(pose_file), "-o", "/read-only/x.pt"]) == 2
    assert _error_line(capsys) == "zedo-train: error: /read-only/x.pt: Permission denied"
    monkeypatch.undo()
    # Checked before training: an output whose folder cannot be made.
    (tmp_path / "a_file").write_text("")
    assert cli.train_main(["--data", str(pose_file), "-o", str(tmp_path / "a_file" / "x.pt"), *TINY_FLAGS]) == 2
    assert _error_line(capsys).startswith(
        f"zedo-train: error: {tmp_path / 'a_file' / 'x.pt'}: cannot write the checkpoint here"
    )
    assert cli.train_main(["--data", str(pose_file), "-o", str(tmp_path / "x.pt"), "--steps", "-1"]) == 2
    assert "TrainConfig.steps must be a whole number in [1, 10000000], got -1" in _error_line(capsys)
    assert cli.train_main(["--recipe", "h36m", "--data", str(pose_file), "-o", str(tmp_path / "x.pt")]) == 2
    assert "not both" in _error_line(capsys)
    assert not (tmp_path / "x.pt").exists()


def test_prepare_command_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    bandai = str(FIXTURES / "bandai_tiny.bvh")
    assert cli.prepare_main(["bvh", bandai, "-o", str(tmp_path / "a_file" / "x.npz")]) == 2
    assert _error_line(capsys).startswith("zedo-prepare: error: ")
    assert cli.prepare_main(["bvh", str(tmp_path / "absent.bvh"), "-o", str(tmp_path / "x.npz")]) == 2
    assert "absent.bvh: no such file or folder" in _error_line(capsys)
    assert cli.prepare_main(["bvh", bandai, "-o", str(tmp_path / "x.npz"), "--views", "1", "--every", "1"]) == 0
    assert np.load(tmp_path / "x.npz")["poses"].shape == (2, 17, 3)


def _without_torch(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where ``import torch`` fails."""
    shim = "import sys; sys.modules['torch'] = None\n"
    return subprocess.run([sys.executable, "-c", shim + code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("main", ["train_main", "prepare_main"])
def test_help_works_without_torch(main):
    proc = _without_torch(f"from zedo.training.cli import {main}; sys.exit({main}(['--help']))")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: zedo-"), proc.stderr


def test_train_without_torch_says_what_to_install(pose_file, tmp_path):
    argv = ["--data", str(pose_file), "-o", str(tmp_path / "x.pt")]
    proc = _without_torch(f"from zedo.training.cli import train_main; sys.exit(train_main({argv!r}))")
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "zedo-train: error: training needs torch, which is not installed: "
        'pip install torch==2.13.0, then pip install -e ".[train]"'
    ]

"""The README and docs/ say only what is true of this checkout: every relative link resolves, and
every command shown names a real entry point, real flags and real files (scripts run by python or
bash, inputs inside the repository). The README stays short enough to read in a sitting."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest
import tomllib

from zedo.runtime.apps.loop_options import OPTIONS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
# Top-level folders of the repository: a path in a command that starts with one must exist.
REPO_DIRS = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} - {"build"}
# Words in commands that name what a command writes, or a placeholder, never a file to check.
OUTPUT_FLAGS = {"-o", "--output", "--output-dir", "--plot", "--curve-png", "--engine", "--ckpt", "--clusters"}


def _links(page: Path) -> list[str]:
    """The targets of the page's Markdown links and images that are relative paths."""
    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", page.read_text())
    return [t.split("#")[0] for t in targets if not re.match(r"^(https?:|mailto:|#)", t)]


def _commands(page: Path) -> list[str]:
    """Command lines shown on the page: lines of its bash blocks, and inline code that starts with a
    command, each without its trailing comment."""
    text = page.read_text()
    lines = [ln for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S) for ln in block.splitlines()]
    lines += re.findall(r"`((?:zedo-\w+|python benchmarks/|bash benchmarks/)[^`]*)`", text)
    return [ln.split(" # ")[0].strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


# Each entry point's parser builder (a new command must add its own here).
PARSERS = {
    "zedo-infer": ("zedo.runtime.apps.cli", "build_parser"),
    "zedo-eval": ("zedo.evaluation.cli", "build_parser"),
    "zedo-export": ("zedo.export.cli", "_parser"),
    "zedo-prepare": ("zedo.training.cli", "prepare_parser"),
    "zedo-train": ("zedo.training.cli", "train_parser"),
}


def _parser(command: str) -> argparse.ArgumentParser:
    """The argparse parser behind an entry point."""
    module, builder = PARSERS[command]
    return getattr(importlib.import_module(module), builder)()


def test_every_entry_point_has_its_parser_here():
    assert set(PARSERS) == set(SCRIPTS)


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of ``parser`` and its sub-commands'."""
    flags = {"--help-all", "--version"}
    for action in parser._actions:
        flags |= set(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _flags(sub)
    return flags


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    missing = [t for t in _links(page) if t and not (page.parent / t).exists()]
    assert not missing, f"{page.name}: links to missing files {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_names_a_real_entry_point_flag_and_file(page):
    wrong = []
    for line in _commands(page):
        words = [w for w in _words(line) if w not in ("[", "]")]
        if words and words[0].startswith("zedo-"):
            if words[0] not in SCRIPTS:
                wrong.append(f"{line}: no entry point {words[0]}")
                continue
            known = _flags(_parser(words[0]))
            wrong += [f"{line}: {w}" for w in words[1:] if w.startswith("--") and w.split("=")[0] not in known]
        elif len(words) > 1 and words[0] in ("python", "bash") and words[1].endswith((".py", ".sh")):
            script = ROOT / words[1]
            if not script.is_file():
                wrong.append(f"{line}: no file {words[1]}")
                continue
            own = words[2 : words.index("--loop")] if "--loop" in words else words[2:]
            passed = words[words.index("--loop") + 1 :] if "--loop" in words else []  # zedo-infer's options
            wrong += [f"{line}: {w}" for w in own if w.startswith("--") and not _script_takes(script, w)]
            infer = _flags(_parser("zedo-infer"))
            wrong += [f"{line}: {w}" for w in passed if w.startswith("--") and w.split("=")[0] not in infer]
        wrong += [f"{line}: no file {w}" for w in _inputs(words) if not (ROOT / w).exists()]
    assert not wrong, f"{page.name}: " + "; ".join(wrong)


def _script_takes(script: Path, flag: str) -> bool:
    """Whether a benchmark script takes ``flag``: it names it, or it takes the loop's options."""
    source = script.read_text()
    if "from settings import" in source:  # the benchmarks' shared options
        source += (script.parent / "settings.py").read_text()
    flag = flag.split("=")[0]
    if "add_loop_options" in source:
        return flag in source or flag in {f for _, flags, _ in OPTIONS for f in flags}
    return flag in source


def _inputs(words: list[str]) -> list[str]:
    """The words of a command that name a file inside the repository and are not an output."""
    found = []
    for before, word in zip([""] + words, words):
        first = word.split("/")[0]
        if "/" in word and first in REPO_DIRS and before not in OUTPUT_FLAGS and not re.search(r"[A-Z]{3,}", word):
            found.append(word.split(":")[0])
    return found


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_the_readme_names_its_ci_blocks():
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        from readme_blocks import blocks
    finally:
        sys.path.pop(0)
    assert all(blocks(kind) for kind in ("install", "run", "test"))

"""The zedo settings the speed benchmarks run, as zedo-infer flags: one table to add a row to.

A setting is ``NAME=FLAGS`` on a benchmark's command line (``--settings fast="--iterations 200"``)
or a row of ``SETTINGS``; FLAGS are zedo-infer's loop options (``zedo.runtime.apps.loop_options``) and
``--device``, parsed by the same code as the command's.
"""

from __future__ import annotations

import argparse
import shlex

from zedo.runtime.apps.loop_options import add_loop_options
from zedo.runtime.apps.loop_settings import loop_config
from zedo.runtime.core.config import PRESETS, LoopConfig, preset_config
from zedo.runtime.engines.open import DEVICES

# Name -> zedo-infer flags. "default" is whatever zedo's defaults are; "v1" zedo's default before
# the fast start (1000 iterations, 50 shortlisted starts on the IPO's grid); "paper" the release's
# settings (1000 iterations from the mean pose, one start candidate).
SETTINGS: dict[str, str] = {
    "default": "",
    "v1": "--preset v1",
    "paper": "--preset paper",
    "default-whole": "--device cpu-whole",
    "default-numpy": "--device cpu-numpy",
}


def parse_setting(text: str) -> tuple[str, str]:
    """(name, flags) of ``NAME=FLAGS`` or of a row of ``SETTINGS``; ValueError for an unknown name."""
    name, sep, flags = text.partition("=")
    if sep:
        return name, flags
    if name not in SETTINGS:
        raise ValueError(f"unknown setting {name!r}: give NAME=FLAGS or one of {', '.join(SETTINGS)}")
    return name, SETTINGS[name]


def setting_config(flags: str):
    """(LoopConfig, device) of zedo-infer flags; argparse exits on a bad flag, ValueError for a bad value."""
    p = argparse.ArgumentParser(prog="setting", add_help=False)
    p.add_argument("--device", choices=DEVICES, default="cpu")
    add_loop_options(p)
    args = p.parse_args(shlex.split(flags))
    return loop_config(args), args.device


def add_preset_options(p: argparse.ArgumentParser) -> None:
    """``--preset`` and ``--iterations`` of a benchmark that runs one loop setting (as zedo-infer's)."""
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="loop settings, as zedo-infer's --preset (default: %(default)s)",
    )
    p.add_argument("--iterations", type=int, default=None, help="loop iterations (default: the preset's)")


def preset_of(a: argparse.Namespace) -> LoopConfig:
    """The LoopConfig of ``add_preset_options``' flags."""
    return preset_config(a.preset, **({} if a.iterations is None else {"iterations": a.iterations}))


def preset_argv(a: argparse.Namespace) -> list[str]:
    """``add_preset_options``' flags as zedo-infer's."""
    return ["--preset", a.preset] + ([] if a.iterations is None else ["--iterations", str(a.iterations)])

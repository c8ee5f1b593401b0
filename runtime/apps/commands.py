"""What every zedo command shares: one error boundary, ``--version``, and help in two tiers (the loop
options: ``apps.loop_options``).

Every command is ``run_command(prog, parser, body, argv)``: a bad flag is argparse's one error
line (its usage lines are left out) and exit status 2; anything ``body`` raises becomes one line
``PROG: error: ...`` on stderr and exit status 2 (a missing optional package names what to install),
Ctrl-C one line and exit 130 (saying what was kept: the KeyboardInterrupt's message, else the
command's own word, by default that nothing was written); ``ZEDO_DEBUG=1`` in the environment
shows the traceback instead.
Outputs are written atomically by the commands, so an error never leaves a half-written file.
A command that names its ``common`` flags lists only those under ``--help`` and every flag under
``--help-all``: what a user sets first, the loop's internals on request.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Callable

from ..core.errors import command_flags, one_line
from ..core.version import VERSION

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def parse_one_line(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but a bad flag prints only argparse's error line (not its usage
    lines) before argparse exits (status 2); --help prints as usual."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return parser.parse_args(argv)
    except SystemExit as e:
        lines = captured.getvalue().strip().splitlines()
        if e.code not in (0, None) and lines:
            print(f"{lines[-1]} (see --help)", file=sys.stderr)
        else:
            sys.stderr.write(captured.getvalue())
        raise


class _HelpAll(argparse.Action):
    """``--help-all``: the help with every flag (``--help`` lists the common ones), then exit 0."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        for item in parser._actions + parser._action_groups:
            for key, value in getattr(item, "full", {}).items():
                setattr(item, key, value)
        parser.usage = None
        parser.print_help()
        parser.exit()


def _shorten(item, **short) -> None:
    """Set ``short``'s attributes on an action or group, keeping the full ones for --help-all."""
    item.full = {key: getattr(item, key) for key in short}
    for key, value in short.items():
        setattr(item, key, value)


def add_common_flags(parser: argparse.ArgumentParser, common: dict[str, str] | None) -> None:
    """Give ``parser`` ``--version`` and, where ``common`` maps the flags (and positional names)
    that ``--help`` lists to their short help, ``--help-all`` with every flag and its full help."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}", help="print the version")
    if common is None:
        return
    parser.add_argument("--help-all", action=_HelpAll, help="every option, with its full help")
    for action in parser._actions:
        name = next((n for n in action.option_strings or [action.dest] if n in common), None)
        if name is not None and common[name]:
            metavar = action.metavar or (action.dest.upper() if action.choices and action.option_strings else None)
            _shorten(action, help=common[name], metavar=metavar)
        elif name is None and action.help is not None and action.dest not in ("help", "version", "help_all"):
            _shorten(action, help=argparse.SUPPRESS)
    for group in parser._action_groups:
        shown = any(a.help != argparse.SUPPRESS for a in group._group_actions)
        _shorten(group, description=None, title=group.title if shown else None)


def run_command(
    prog: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], None],
    argv=None,
    interrupted: str = "nothing was written",
    common: dict[str, str] | None = None,
) -> int:
    """Parse ``argv``, run ``body(args)`` inside the error boundary; returns the exit status.
    ``interrupted`` says, after Ctrl-C, what the command leaves behind (unless the interrupt says it);
    ``common`` as ``add_common_flags``."""
    add_common_flags(parser, common)
    try:
        args = parse_one_line(parser, argv)
    except SystemExit as e:
        return EXIT_ERROR if e.code not in (0, None) else 0
    try:
        body(args)
    except KeyboardInterrupt as e:
        if os.environ.get("ZEDO_DEBUG"):
            raise
        print(f"\n{prog}: interrupted; {str(e) or interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # the boundary: every failure becomes one line
        if os.environ.get("ZEDO_DEBUG"):
            raise
        print(f"{prog}: error: {command_flags(one_line(e))}", file=sys.stderr)
        return EXIT_ERROR
    return 0


__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "add_common_flags", "one_line", "parse_one_line", "run_command"]

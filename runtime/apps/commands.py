"""What every zedo command shares: one error boundary (the loop options: ``apps.loop_options``).

Every command is ``run_command(prog, parser, body, argv)``: a bad flag is argparse's one error
line (its usage lines are left out) and exit status 2; anything ``body`` raises becomes one line
``PROG: error: ...`` on stderr and exit status 2 (a missing optional package names what to install),
Ctrl-C one line and exit 130 (saying what was kept: the KeyboardInterrupt's message, else the
command's own word, by default that nothing was written); ``ZEDO_DEBUG=1`` in the environment
shows the traceback instead.
Outputs are written atomically by the commands, so an error never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Callable

from ..core.errors import one_line

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


def run_command(
    prog: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], None],
    argv=None,
    interrupted: str = "nothing was written",
) -> int:
    """Parse ``argv``, run ``body(args)`` inside the error boundary; returns the exit status.
    ``interrupted`` says, after Ctrl-C, what the command leaves behind (unless the interrupt says it)."""
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
        print(f"{prog}: error: {one_line(e)}", file=sys.stderr)
        return EXIT_ERROR
    return 0


__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "one_line", "parse_one_line", "run_command"]

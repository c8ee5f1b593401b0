"""Print the README's shell blocks of one kind, in the order written: a block follows a line
``<!-- ci: KIND -->``. ``.ci/run`` runs the install, run and test blocks, so the README's commands are
the ones CI runs on a fresh clone."""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(kind: str) -> list[str]:
    """The bodies of the ```bash blocks marked ``<!-- ci: kind -->``."""
    pattern = rf"<!-- ci: {re.escape(kind)} -->\s*```bash\n(.*?)```"
    return re.findall(pattern, README.read_text(), flags=re.S)


if __name__ == "__main__":
    found = blocks(sys.argv[1])
    if not found:
        sys.exit(f"README.md has no block marked <!-- ci: {sys.argv[1]} -->")
    print("\n".join(found))

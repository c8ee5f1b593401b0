"""The installed zedo's version, for ``--version`` and the outputs' provenance."""

from __future__ import annotations

from importlib import metadata


def _version() -> str:
    """The distribution's version; "unknown" for a tree used without installing it."""
    try:
        return metadata.version("zedo")
    except metadata.PackageNotFoundError:
        return "unknown"


VERSION = _version()

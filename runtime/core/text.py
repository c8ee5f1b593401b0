"""Words for counts in what zedo prints: ``counted(1, "hypothesis")`` reads "1 hypothesis"."""

from __future__ import annotations

_PLURALS = {"hypothesis": "hypotheses", "person": "people"}


def counted(n: int, word: str) -> str:
    """``n`` and ``word``, in the plural unless n is 1 (irregular plurals from ``_PLURALS``)."""
    return f"{n} {word if n == 1 else _PLURALS.get(word, word + 's')}"

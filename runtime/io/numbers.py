"""Numbers from outside: a field of a file or an argument taken as real numbers, or refused.

JSON lists, NumPy arrays and Python sequences all come in; what comes out is a float64 array
(JSON null -> NaN), or a ValueError naming the source and the field. Units are the field's own.
"""

from __future__ import annotations

import numpy as np


def as_numbers(value, source: str, field: str) -> np.ndarray:
    """``value`` as a float64 array if it holds real numbers (JSON null -> NaN); ValueError naming the
    field for strings, booleans, complex numbers or ragged lists, which would otherwise convert."""
    at = f"{source}: " if source else ""
    try:
        # Lists (JSON) go through the object path, so booleans and strings are seen before NumPy
        # would quietly turn them into numbers.
        arr = np.array(value, dtype=object) if isinstance(value, (list, tuple)) else np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{at}{field} is not a rectangular numeric array ({' '.join(str(e).split())[:120]})") from None
    if arr.dtype.kind == "O":
        return _from_objects(arr, at, field)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{at}{field} must hold real numbers, got {arr.dtype} values")
    return arr.astype(np.float64, copy=False)


def _from_objects(arr: np.ndarray, at: str, field: str) -> np.ndarray:
    """An object array of Python numbers and None (nested lists, as JSON gives them) as float64."""
    flat = arr.ravel().tolist()
    if any(isinstance(v, (list, tuple)) for v in flat):
        raise ValueError(f"{at}{field} is not a rectangular numeric array (nested lists of different lengths)")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in flat):
        raise ValueError(
            f"{at}{field} must hold real numbers (null for missing), got {sorted({type(v).__name__ for v in flat})}"
        )
    try:
        return np.array([np.nan if v is None else v for v in flat], dtype=np.float64).reshape(arr.shape)
    except OverflowError:
        raise ValueError(f"{at}{field} holds a number too large for float64") from None


def first_index(bad: np.ndarray) -> tuple[int, ...]:
    """The index of the first True entry of ``bad`` (C order), for a message."""
    return tuple(int(i) for i in np.argwhere(bad)[0])

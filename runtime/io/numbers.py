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


# Frame indices and ids are exact in float64 (JSON's numbers) below this.
MAX_INDEX = 2**53


def whole_number(value, source: str, field: str, low: int = 0) -> int:
    """A frame index or id as a file or a caller writes it: a whole number (3, or 3.0 from JSON) in
    [``low``, 2^53); ValueError naming the source and the field for a boolean, a string, a fraction
    or a number out of that range (it would overflow int64 or lose digits)."""
    at = f"{source}: " if source else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{at}{field} must be a whole number, got {type(value).__name__} {value!r}")
    if isinstance(value, (float, np.floating)) and not (np.isfinite(value) and float(value).is_integer()):
        raise ValueError(f"{at}{field} must be a whole number, got {value!r}")
    if not low <= int(value) < MAX_INDEX:
        bounds = "below 2^53 in size" if low <= -MAX_INDEX else f"in [{low}, 2^53)"
        raise ValueError(f"{at}{field} = {int(value)} is out of range: it must be a whole number {bounds}")
    return int(value)


def whole_numbers(values, n: int, source: str, field: str, low: int = 0) -> np.ndarray:
    """(n,) frame indices or ids as int64: whole numbers in [``low``, 2^53); ValueError naming the
    source, the field and the first bad entry (or the shape) otherwise."""
    at = f"{source}: " if source else ""
    arr = as_numbers(values, source, field)
    if arr.shape != (n,):
        raise ValueError(f"{at}{field} has shape {arr.shape}, expected ({n},): one per pose")
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < low) | (arr >= MAX_INDEX)
    if bad.any():
        i = first_index(bad)[0]
        raise ValueError(f"{at}{field}[{i}] = {arr[i]:g} is not a whole number in [{low}, 2^53)")
    return arr.astype(np.int64)

"""Optimal assignment: the pairing of rows and columns of a cost matrix with the least total cost.

Written here in numpy rather than taken from ``scipy.optimize.linear_sum_assignment`` because the
runtime needs only numpy, onnxruntime and tqdm (scipy is a large dependency for one function, and
the C++ and embedded front doors ship without it). The algorithm is the shortest augmenting path
method of Jonker and Volgenant as Crouse (2016, "On implementing 2D rectangular assignment
algorithms") writes it, the one scipy uses: one row at a time is added, the cheapest path (by
reduced costs) from it to a free column found by Dijkstra's method, the duals updated and the path
flipped. O(n^2 m) for n <= m, ample for the people of one frame. Tested against brute force on
small random matrices (tests/test_tracker.py).
"""

from __future__ import annotations

import numpy as np


def _shortest_path(cost, u, v, row4col, start: int):
    """Dijkstra over reduced costs from row ``start`` to the first free column: (sink column,
    path (m,) the row before each column, shortest (m,) path costs, rows seen (n,), columns seen
    (m,), the path's cost)."""
    n, m = cost.shape
    shortest, path = np.full(m, np.inf), np.full(m, -1)
    seen_rows, seen_cols = np.zeros(n, bool), np.zeros(m, bool)
    i, low = start, 0.0
    while True:
        seen_rows[i] = True
        reduced = low + cost[i] - u[i] - v
        better = ~seen_cols & (reduced < shortest)
        path[better], shortest[better] = i, reduced[better]
        open_cols = np.flatnonzero(~seen_cols)
        low = shortest[open_cols].min()
        if not np.isfinite(low):
            raise ValueError("no complete assignment exists (every remaining pairing costs infinity)")
        ties = open_cols[shortest[open_cols] == low]
        free = ties[row4col[ties] < 0]
        j = int(free[0] if len(free) else ties[0])
        seen_cols[j] = True
        if row4col[j] < 0:
            return j, path, shortest, seen_rows, seen_cols, low
        i = int(row4col[j])


def assign(cost) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (each (min(n, m),) ints, rows increasing) of the assignment of the
    (n, m) ``cost`` matrix with the least total cost, as ``scipy.optimize.linear_sum_assignment``
    returns them. Entries may be +inf (never paired) so long as a complete assignment exists;
    ValueError otherwise, or for NaN or -inf."""
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError(f"cost must be a 2D matrix, got shape {cost.shape}")
    if np.isnan(cost).any() or np.isneginf(cost).any():
        raise ValueError("cost must not hold NaN or -inf")
    transposed = cost.shape[0] > cost.shape[1]
    if transposed:
        cost = cost.T
    n, m = cost.shape
    u, v = np.zeros(n), np.zeros(m)
    col4row, row4col = np.full(n, -1), np.full(m, -1)
    for row in range(n):
        sink, path, shortest, seen_rows, seen_cols, low = _shortest_path(cost, u, v, row4col, row)
        u[row] += low
        others = seen_rows.copy()
        others[row] = False
        u[others] += low - shortest[col4row[others]]
        v[seen_cols] -= low - shortest[seen_cols]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == row:
                break
    rows, cols = np.arange(n), col4row
    if transposed:
        order = np.argsort(cols)
        return cols[order], rows[order]
    return rows, cols

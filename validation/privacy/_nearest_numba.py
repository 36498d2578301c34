"""Numba kernel of the exact nearest-record search (imported only where numba is installed).

Distances here are sums ``sum_j min(|x_j - y_j|, 1)`` over encoded columns (see encoding.py).
One call searches a chunk of query rows against every reference block:

1. Query rows go in tiles of ``TILE``. For each tile and each reference block, a lower bound of
   every query's distance to any row of the block comes from the block's bounding box
   (``sum_j min(gap_j, 1)``, the gap between the query value and the box's [low, high]).
2. Blocks are visited in increasing order of the tile's smallest bound; a block is skipped for a
   query whose bound already reaches that query's current k-th best exact distance, and the scan
   stops once no query in the tile can improve.
3. A visited block is scored for the active queries in float32, column by column into a
   ``TILE x block`` buffer (the inner loop is SIMD-friendly: contiguous, branch-free).
4. Exactness: a row whose float32 sum is within ``tolerance`` of the current k-th best is
   re-scored in float64 and only float64 values are kept. ``tolerance`` bounds twice the float32
   rounding error, so the true nearest rows are always re-scored. With integer-coded columns
   only, float32 sums are exact and ``tolerance`` is 0.

The kernel runs without the GIL, so threads over query chunks use every core.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

TILE = 8
# "No neighbour yet". Finite, because fastmath lets LLVM assume no infinities.
BIG = 1e30
# Allowance for float64 rounding in box lower bounds (their true value may be a hair lower).
BOUND_SLACK = 1e-9


def _compile(function: Callable[..., None]) -> Callable[..., None]:
    """Compile without the GIL; cache the machine code beside the source when possible."""
    try:
        return numba.njit(nogil=True, fastmath=True, cache=True)(function)
    except RuntimeError:  # no writable cache directory: compile once per process instead
        return numba.njit(nogil=True, fastmath=True)(function)


@_compile
def search_chunk(
    q32: np.ndarray,  # (n_query, d) float32
    q64: np.ndarray,  # (n_query, d) float64, same rows
    r32: np.ndarray,  # (n_blocks, d, block) float32; each block stored column by column
    r64: np.ndarray,  # (n_reference, d) float64, rows in block order
    low: np.ndarray,  # (n_blocks, d) float64 bounding box of each block
    high: np.ndarray,  # (n_blocks, d)
    n_reference: int,  # real rows; the last block is padded beyond them
    tolerance: float,  # float32 candidate margin (0 when float32 is exact)
    exact32: bool,  # float32 sums are exact: keep them, no float64 re-score
    neighbours: int,  # 1 (closest) or 2 (closest and second closest)
    best1: np.ndarray,  # out: (n_query,) exact smallest sum
    best2: np.ndarray,  # out: (n_query,) exact second smallest sum (BIG if none)
) -> None:
    n_query, d = q32.shape
    n_blocks = r32.shape[0]
    block = r32.shape[2]
    acc = np.empty((TILE, block), dtype=np.float32)
    bound = np.empty((TILE, n_blocks))
    tile_bound = np.empty(n_blocks)
    active = np.zeros(TILE, dtype=np.bool_)
    one = np.float32(1.0)
    for i0 in range(0, n_query, TILE):
        m = min(TILE, n_query - i0)
        for t in range(m):
            best1[i0 + t] = BIG
            best2[i0 + t] = BIG
        for b in range(n_blocks):
            lowest = BIG
            for t in range(m):
                s = 0.0
                for j in range(d):
                    x = q64[i0 + t, j]
                    gap = max(low[b, j] - x, x - high[b, j], 0.0)
                    s += min(gap, 1.0)
                bound[t, b] = s
                lowest = min(lowest, s)
            tile_bound[b] = lowest
        order = np.argsort(tile_bound)
        for b_i in range(n_blocks):
            b = order[b_i]
            worst = 0.0
            any_active = False
            for t in range(m):
                limit = best1[i0 + t] if neighbours == 1 else best2[i0 + t]
                worst = max(worst, limit)
                active[t] = bound[t, b] - BOUND_SLACK < limit
                if active[t]:
                    any_active = True
            if tile_bound[b] - BOUND_SLACK >= worst:
                break  # blocks come in increasing bound order: no later block can help
            if not any_active:
                continue
            n_valid = min(block, n_reference - b * block)
            for t in range(m):
                if active[t]:
                    a = acc[t]
                    for r in range(block):
                        a[r] = 0
            for j in range(d):
                column = r32[b, j]
                for t in range(m):
                    if active[t]:
                        x32 = q32[i0 + t, j]
                        a = acc[t]
                        for r in range(block):
                            a[r] += min(abs(x32 - column[r]), one)
            for t in range(m):
                if not active[t]:
                    continue
                i = i0 + t
                a = acc[t]
                lowest32 = a[0]
                for r in range(n_valid):
                    lowest32 = min(lowest32, a[r])
                limit = best1[i] if neighbours == 1 else best2[i]
                if lowest32 - tolerance >= limit:
                    continue
                for r in range(n_valid):
                    limit = best1[i] if neighbours == 1 else best2[i]
                    if a[r] - tolerance < limit:
                        if exact32:
                            exact = float(a[r])
                        else:
                            row = b * block + r
                            exact = 0.0
                            for j in range(d):
                                exact += min(abs(q64[i, j] - r64[row, j]), 1.0)
                        if exact < best1[i]:
                            best2[i] = best1[i]
                            best1[i] = exact
                        elif exact < best2[i]:
                            best2[i] = exact

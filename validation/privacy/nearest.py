"""Exact nearest-record search for the encoded DCR distance ``sum_j min(|x_j - y_j|, 1)``.

Every query row is compared with every reference row that could be its nearest: nothing is
sampled or approximated. Two engines give the same numbers:

- ``"numba"`` (default when numba is installed; it comes with anonymeter): reference rows are
  put in spatially compact blocks (a k-d split to blocks of ``BLOCK`` rows), each with a bounding
  box; query rows are ordered the same way and searched in tiles. Box lower bounds skip blocks
  that cannot hold a closer row, float32 SIMD scoring finds candidates, and float64 re-scoring
  of the candidates makes the result exact (details in ``_nearest_numba``).
- ``"numpy"``: plain float64 block-by-block distance matrices; slower, no extra dependency.

Both run query chunks on a thread pool; the heavy loops release the GIL.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

try:
    from validation.privacy import _nearest_numba
except ImportError:  # numba is optional: fall back to the numpy engine.
    _nearest_numba = None  # type: ignore[assignment]

Engine = Literal["auto", "numba", "numpy"]

# Reference rows per block (one bounding box each); 256 float32 rows of a column fill 1 KiB.
BLOCK = 256
# Query rows per leaf of the query ordering: tiles of 8 inside a leaf are close together.
_QUERY_LEAF = 32
# Reference rows per distance matrix in the numpy engine (bounded memory per chunk).
_NUMPY_BLOCK = 1024
# Rows sampled to pick the split column of a k-d node.
_SPLIT_SAMPLE = 256


@dataclass(frozen=True)
class ReferenceBlocks:
    """An encoded reference table laid out for the numba kernel.

    Attributes:
        values32: (n_blocks, n_columns, BLOCK) float32, each block column by column; the last
            block is padded with zeros beyond ``n_rows`` (never read as a result).
        values64: (n_rows, n_columns) float64, rows in block order (for exact re-scoring).
        low: (n_blocks, n_columns) smallest value of each column in each block.
        high: (n_blocks, n_columns) largest value of each column in each block.
        n_rows: number of reference rows.
        exact32: every column is integer-coded, so float32 sums are exact.
        tolerance: float32 candidate margin: twice a bound on float32 rounding in one sum.
    """

    values32: np.ndarray
    values64: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_rows: int
    exact32: bool
    tolerance: float


def default_n_jobs() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def nearest_sums(
    reference: np.ndarray,
    queries: list[np.ndarray],
    integer_coded: np.ndarray,
    *,
    neighbours: int = 1,
    chunk_rows: int | None = None,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> list[np.ndarray]:
    """Smallest distance sums from each query row to the reference rows, exactly.

    Args:
        reference: (n_reference, n_columns) encoded reference matrix (encoding.py).
        queries: encoded query matrices with the same columns.
        integer_coded: per column, True when its encoded values are small integers.
        neighbours: 1 for the closest sum, 2 for the closest and the second closest.
        chunk_rows: query rows per unit of work (default: enough units to balance the threads).
        n_jobs: threads (default: every core this process may use).
        engine: "numba", "numpy", or "auto" (numba when installed).

    Returns:
        Per query matrix, an (n_query, neighbours) float64 array of ascending sums; ``inf``
        where the reference has fewer than ``neighbours`` rows.

    Raises:
        ValueError: empty reference, bad ``neighbours``, or numba asked for but not installed.
    """
    if neighbours not in (1, 2):
        raise ValueError(f"neighbours must be 1 or 2, got {neighbours}.")
    if len(reference) == 0:
        raise ValueError("The reference table has no rows: there is no closest record.")
    if engine == "auto":
        engine = "numpy" if _nearest_numba is None else "numba"
    if engine == "numba" and _nearest_numba is None:
        raise ValueError("engine='numba' needs numba installed; use engine='numpy'.")
    n_jobs = n_jobs or default_n_jobs()
    if engine == "numba":
        blocks = build_blocks(reference, integer_coded)
        return [_numba_search(blocks, query, neighbours, chunk_rows, n_jobs) for query in queries]
    return [_numpy_search(reference, query, neighbours, chunk_rows, n_jobs) for query in queries]


def build_blocks(reference: np.ndarray, integer_coded: np.ndarray) -> ReferenceBlocks:
    """Order the reference spatially and cut it into bounding-boxed float32 blocks."""
    n_rows, n_columns = reference.shape
    ordered = reference[spatial_order(reference, BLOCK)]
    n_blocks = math.ceil(n_rows / BLOCK)
    padded = np.zeros((n_blocks * BLOCK, n_columns))
    padded[:n_rows] = ordered
    values32 = np.ascontiguousarray(
        padded.reshape(n_blocks, BLOCK, n_columns).transpose(0, 2, 1), dtype=np.float32
    )
    starts = np.arange(0, n_rows, BLOCK)
    low = np.minimum.reduceat(ordered, starts, axis=0)
    high = np.maximum.reduceat(ordered, starts, axis=0)
    # Category codes are exact in float32 below 2**24; beyond that (absurd cardinality) float32
    # could merge codes, so every row is re-scored in float64 (a margin above any sum).
    codes_exact = not integer_coded.any() or np.abs(reference[:, integer_coded]).max() < 2**22
    exact32 = bool(integer_coded.all()) and codes_exact
    if exact32:
        tolerance = 0.0
    elif codes_exact:
        # |encoded value| <= 10: float32 casting and subtraction cost < 2**-19 per column and
        # accumulating partial sums (each <= n_columns) < n_columns * 2**-23 per addition.
        tolerance = 2.0 * (n_columns * 2.0**-19 + n_columns**2 * 2.0**-23)
    else:
        tolerance = n_columns + 1.0
    return ReferenceBlocks(
        values32=values32,
        values64=np.ascontiguousarray(ordered),
        low=low,
        high=high,
        n_rows=n_rows,
        exact32=exact32,
        tolerance=tolerance,
    )


def spatial_order(values: np.ndarray, leaf: int) -> np.ndarray:
    """Row order of a k-d split into leaves of ``leaf`` rows (every leaf full but the last).

    Each node splits at the median of the column with the largest mean capped distance between
    sampled row pairs, i.e. the column that separates rows most under the DCR distance.
    """
    rng = np.random.default_rng(0)  # only steers the split heuristic, never the result
    pieces: list[np.ndarray] = []
    stack = [np.arange(len(values))]
    while stack:
        rows = stack.pop()
        if len(rows) <= leaf:
            pieces.append(rows)
            continue
        pairs = rng.integers(0, len(rows), size=(2, min(_SPLIT_SAMPLE, len(rows))))
        spread = np.minimum(np.abs(values[rows[pairs[0]]] - values[rows[pairs[1]]]), 1.0)
        column = int(np.argmax(spread.mean(axis=0)))
        n_left = math.ceil(len(rows) / 2 / leaf) * leaf
        split = np.argpartition(values[rows, column], n_left - 1)
        stack.append(rows[split[n_left:]])
        stack.append(rows[split[:n_left]])
    return np.concatenate(pieces)


def _numba_search(
    blocks: ReferenceBlocks,
    query: np.ndarray,
    neighbours: int,
    chunk_rows: int | None,
    n_jobs: int,
) -> np.ndarray:
    assert _nearest_numba is not None
    order = spatial_order(query, _QUERY_LEAF)
    q64 = np.ascontiguousarray(query[order])
    q32 = q64.astype(np.float32)
    best = np.empty((2, len(query)))

    def search(start: int, stop: int) -> None:
        _nearest_numba.search_chunk(
            q32[start:stop],
            q64[start:stop],
            blocks.values32,
            blocks.values64,
            blocks.low,
            blocks.high,
            blocks.n_rows,
            blocks.tolerance,
            blocks.exact32,
            neighbours,
            best[0, start:stop],
            best[1, start:stop],
        )

    _run_chunks(search, len(query), chunk_rows, n_jobs, multiple=_nearest_numba.TILE)
    best[best >= _nearest_numba.BIG] = np.inf
    result = np.empty((len(query), neighbours))
    result[order] = best[:neighbours].T
    return result


def _numpy_search(
    reference: np.ndarray,
    query: np.ndarray,
    neighbours: int,
    chunk_rows: int | None,
    n_jobs: int,
) -> np.ndarray:
    best = np.full((len(query), 2), np.inf)

    def search(start: int, stop: int) -> None:
        rows = query[start:stop]
        found = np.full((len(rows), 2), np.inf)
        for first in range(0, len(reference), _NUMPY_BLOCK):
            block = reference[first : first + _NUMPY_BLOCK]
            sums = np.zeros((len(rows), len(block)))
            for j in range(reference.shape[1]):
                term = np.abs(np.subtract.outer(rows[:, j], block[:, j]))
                sums += np.minimum(term, 1.0, out=term)
            two = np.partition(sums, 1, axis=1)[:, :2] if len(block) > 1 else sums
            found = np.sort(np.concatenate([found, two], axis=1), axis=1)[:, :2]
        best[start:stop] = found

    _run_chunks(search, len(query), chunk_rows, n_jobs, multiple=1)
    return best[:, :neighbours].copy()


def _run_chunks(
    work: Callable[[int, int], None],
    n_rows: int,
    chunk_rows: int | None,
    n_jobs: int,
    multiple: int,
) -> None:
    """Call ``work(start, stop)`` over query chunks, ``n_jobs`` threads at a time."""
    if chunk_rows is None:
        # Several chunks per thread so an unlucky (slow) chunk does not idle the other cores.
        chunk_rows = min(4096, max(64, math.ceil(n_rows / (8 * n_jobs))))
    chunk_rows = max(multiple, chunk_rows // multiple * multiple)
    bounds = [(start, min(start + chunk_rows, n_rows)) for start in range(0, n_rows, chunk_rows)]
    if n_jobs == 1 or len(bounds) <= 1:
        for start, stop in bounds:
            work(start, stop)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        for future in [pool.submit(work, start, stop) for start, stop in bounds]:
            future.result()

"""ACRO's statistical disclosure rules for magnitude tables (sums, means of a value).

Definitions follow AI-SDC/ACRO (``acro_tables.agg_threshold``, ``agg_p_percent``,
``agg_nk``), so a cell unsafe here is unsafe there:

- threshold: fewer than ``acro_threshold`` contributors.
- p% rule: with contributions sorted largest first, unsafe when
  ``(total - x1 - x2) / x1 < p``: the second-largest contributor, who knows its own
  value, could estimate the largest to within p. A cell with one contributor, or a
  total of zero or less, is unsafe (ACRO's ``ZEROS_ARE_DISCLOSIVE`` default).
- nk rule: unsafe when the ``n`` largest contributors hold more than ``k`` of a
  positive total.

Negative contributions make both dominance rules meaningless; ACRO sends such tables to
a human for review, and here the cell is unsafe (rule ``negative``) for the same reason.
Missing contributions (NaN) are dropped, as ACRO's pandas aggregations skip them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from testbench.disclosure.policy import DisclosurePolicy


def _contributions(values: ArrayLike) -> np.ndarray:
    """Contributions as floats, missing ones dropped, sorted largest first."""
    array = np.asarray(values, dtype=float).ravel()
    return np.sort(array[~np.isnan(array)])[::-1]


def threshold_unsafe(values: ArrayLike, threshold: int) -> bool:
    """ACRO threshold rule: fewer than ``threshold`` (non-missing) contributors."""
    return _contributions(values).size < threshold


def p_ratio_unsafe(values: ArrayLike, p: float) -> bool:
    """ACRO p% rule: ``(total - largest - second largest) / largest < p``.

    Args:
        values: One cell's contributions (one value per person or unit).
        p: The p-ratio, e.g. 0.10.

    Returns:
        True if the cell is unsafe; also for one contributor or a total of zero or less.
    """
    ordered = _contributions(values)
    total = float(ordered.sum())
    if total <= 0.0 or ordered.size <= 1:
        return True
    rest = total - ordered[0] - ordered[1]
    return bool(rest / ordered[0] < p)


def nk_unsafe(values: ArrayLike, n: int, k: float) -> bool:
    """ACRO nk rule: the ``n`` largest contributions exceed a share ``k`` of the total.

    Args:
        values: One cell's contributions.
        n: How many of the largest contributors to sum.
        k: The share they may hold at most, e.g. 0.9.

    Returns:
        True if the cell is unsafe; a total of zero or less is safe (as in ACRO).
    """
    ordered = _contributions(values)
    total = float(ordered.sum())
    if total <= 0.0:
        return False
    return bool(ordered[:n].sum() / total > k)


def magnitude_rules(values: ArrayLike, policy: DisclosurePolicy) -> tuple[str, ...]:
    """The rules one magnitude cell breaks, in a fixed order; empty when it is safe.

    Args:
        values: The cell's contributions (one value per contributor).
        policy: Thresholds to apply.

    Returns:
        A subset of ``("negative", "threshold", "p_ratio", "nk")``.
    """
    ordered = _contributions(values)
    if ordered.size and ordered[-1] < 0:
        return ("negative",)
    broken = []
    if threshold_unsafe(ordered, policy.acro_threshold):
        broken.append("threshold")
    if p_ratio_unsafe(ordered, policy.p_ratio):
        broken.append("p_ratio")
    if nk_unsafe(ordered, policy.nk_n, policy.nk_k):
        broken.append("nk")
    return tuple(broken)

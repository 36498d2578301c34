"""Privacy metrics for synthetic data: exact distance to closest record (DCR) and friends.

DataFrames in, numbers or result dataclasses out; SDMetrics 0.32 semantics, computed exactly
and fast enough for whole lakes (see ``benchmarks/dcr.py``).

- :func:`dcr`, :func:`nndr`: per-row distance to the closest real record / distance ratio.
- :func:`dcr_baseline_protection`, :func:`dcr_overfitting_protection`: SDMetrics'
  DCRBaselineProtection and DCROverfittingProtection scores.
- :func:`random_baseline_data`: the random table DCRBaselineProtection compares against.
"""

from validation.privacy.dcr import closest_distances, dcr, nndr
from validation.privacy.encoding import infer_metadata
from validation.privacy.protection import (
    DCRBaselineResult,
    DCROverfittingResult,
    dcr_baseline_protection,
    dcr_overfitting_protection,
)
from validation.privacy.random_baseline import random_baseline_data

__all__ = [
    "DCRBaselineResult",
    "DCROverfittingResult",
    "closest_distances",
    "dcr",
    "dcr_baseline_protection",
    "dcr_overfitting_protection",
    "infer_metadata",
    "nndr",
    "random_baseline_data",
]

"""Privacy metrics for synthetic data: exact distance to closest record (DCR) and friends.

DataFrames in, numbers or result dataclasses out; SDMetrics 0.32 semantics, computed exactly
and fast enough for whole lakes (see ``benchmarks/dcr.py``).

- :func:`dcr`, :func:`nndr`: per-row distance to the closest real record / distance ratio.
- :func:`dcr_baseline_protection`, :func:`dcr_overfitting_protection`: SDMetrics'
  DCRBaselineProtection and DCROverfittingProtection scores.
- :func:`random_baseline_data`: the random table DCRBaselineProtection compares against.
- :func:`exact_copies`, :func:`rare_category_leakage`: copied rows and leaked rare categories.
- :func:`singling_out_risk`, :func:`linkability_risk`, :func:`inference_risk`: anonymeter's
  attacks on a person-level table (:func:`person_summary` folds a lake into one).
- :func:`is_instance_based`, :func:`membership_inference`: the release check for fitted models.

The anonymeter wrappers load on first use: anonymeter brings polars and numba along, and most
callers (a validation job checking a model) never need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validation.privacy.copies import RareLeakage, exact_copies, rare_category_leakage
from validation.privacy.dcr import closest_distances, dcr, nndr
from validation.privacy.encoding import infer_metadata
from validation.privacy.membership import (
    MembershipResult,
    is_instance_based,
    membership_inference,
)
from validation.privacy.person_summary import person_summary
from validation.privacy.protection import (
    DCRBaselineResult,
    DCROverfittingResult,
    dcr_baseline_protection,
    dcr_overfitting_protection,
)
from validation.privacy.random_baseline import random_baseline_data

if TYPE_CHECKING:
    from validation.privacy.anonymeter import (
        AttackInputError,
        AttackRisk,
        inference_risk,
        linkability_risk,
        singling_out_risk,
    )

_LAZY = {
    "AttackInputError",
    "AttackRisk",
    "inference_risk",
    "linkability_risk",
    "singling_out_risk",
}

__all__ = [
    "AttackInputError",
    "AttackRisk",
    "DCRBaselineResult",
    "DCROverfittingResult",
    "MembershipResult",
    "RareLeakage",
    "closest_distances",
    "dcr",
    "dcr_baseline_protection",
    "dcr_overfitting_protection",
    "exact_copies",
    "infer_metadata",
    "inference_risk",
    "is_instance_based",
    "linkability_risk",
    "membership_inference",
    "nndr",
    "person_summary",
    "random_baseline_data",
    "rare_category_leakage",
    "singling_out_risk",
]


def __getattr__(name: str) -> Any:
    """Import the anonymeter wrappers when one of them is first asked for."""
    if name in _LAZY:
        from validation.privacy import anonymeter

        return getattr(anonymeter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Gate inputs for tests: one value per check of the default policy that passes it."""

from __future__ import annotations

PASSING: dict[str, object] = {
    "quality": 0.9,
    "diagnostic": 1.0,
    "dcr_baseline_protection": 0.95,
    "dcr_overfitting_protection": 0.9,
    "dcr_holdout_ratio": 1.0,
    "exact_copies": 0.0,
    "rare_leakage": 0.0,
    "singling_out": {"value": 0.01, "low": 0.0, "high": 0.03},
    "linkability": {"value": 0.0, "low": 0.0, "high": 0.02},
    "inference": {"value": 0.02, "low": 0.0, "high": 0.05},
    "membership_auc": {"value": 0.5, "low": 0.48, "high": 0.52},
    "membership_tpr_at_fpr_01": {"value": 0.01, "low": 0.005, "high": 0.02},
    "membership_tpr_at_fpr_10": {"value": 0.1, "low": 0.08, "high": 0.12},
    "near_copies": 0.0,
}

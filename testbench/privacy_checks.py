"""The privacy half of a twin evaluation, on a person-level view of the lake.

A person is the unit a twin must not reveal, so the distance and attack checks run on one
record per person: the unit table's own columns joined with a summary of every table under
it (:func:`validation.privacy.person_summary`). Per-table checks add exact copies and rare
categories, where a table-level copy of a low-dimensional table (diagnosis code and type)
is expected and therefore reported but not gated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from validation.privacy import (
    dcr_baseline_protection,
    dcr_overfitting_protection,
    nndr,
)
from validation.privacy.anonymeter import inference_risk, linkability_risk, singling_out_risk
from validation.privacy.copies import exact_copies, rare_category_leakage
from validation.privacy.person_summary import person_summary

ATTACKS = 500  # Anonymeter attacks per check; its CI reflects the number
SECRETS = ("koen", "civst", "reg")  # columns the inference attack tries to infer, when present


def person_view(
    tables: dict[str, pd.DataFrame], relations: list[Relation], unit: str, key: str
) -> pd.DataFrame:
    """One row per unit: its own non-key columns and a summary of its rows below (no keys)."""
    summary = person_summary(tables, unit, key, relations)
    own = tables[unit].set_index(key)
    view = own.join(summary, how="left") if len(summary.columns) else own
    keys = {r.child_column for r in relations if r.child_table == unit}
    view = view.drop(columns=[c for c in view.columns if c in keys], errors="ignore")
    return view.reset_index(drop=True)


def privacy_checks(
    training: dict[str, pd.DataFrame],
    holdout: dict[str, pd.DataFrame],
    twin: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    key: str | None,
    min_count: int,
    seed: int,
) -> dict[str, Any]:
    """The ``privacy`` block of the twin-evaluation evidence (docs/evidence.md)."""
    out: dict[str, Any] = {"tables": {}}
    for name, syn in twin.items():
        key_columns = _key_columns(name, relations, keys)
        real = training[name]
        compared = [c for c in real.columns if c in syn.columns and c not in key_columns]
        leak = rare_category_leakage(real[compared], syn[compared], min_count)
        out["tables"][name] = {
            "exact_copies": round(exact_copies(real, syn, compared), 6) if compared else None,
            "rare_leakage": round(float(leak.share), 6),
        }
    out["rare_leakage"] = max((t["rare_leakage"] for t in out["tables"].values()), default=0.0)
    if key is None:  # no person table: the view is the single table itself
        ori, control, syn_view = training[unit], holdout[unit], twin[unit]
    else:
        ori = person_view(training, relations, unit, key)
        control = person_view(holdout, relations, unit, key)
        syn_view = person_view(twin, relations, unit, key)
    syn_view = syn_view[[c for c in ori.columns if c in syn_view.columns]]
    ori = ori[syn_view.columns]
    control = control[syn_view.columns]
    out["exact_copies"] = round(exact_copies(ori, syn_view), 6)
    out["person_view"] = {"columns": len(ori.columns), "training": len(ori), "twin": len(syn_view)}

    baseline = dcr_baseline_protection(ori, syn_view, seed=seed)
    overfit = dcr_overfitting_protection(ori, control, syn_view)
    ratios = nndr(ori, syn_view)
    out["dcr_baseline_protection"] = _round(baseline.score)
    out["dcr_overfitting_protection"] = _round(overfit.score)
    out["dcr"] = {
        "median_twin": _round(baseline.median_dcr_synthetic),
        "median_random": _round(baseline.median_dcr_random),
        "zero_share": _round(float(np.mean(baseline.dcr_synthetic == 0.0))),
        "closer_to_training_share": _round(overfit.synthetic_closer_to_training_share),
        "nndr_median": _round(float(np.nanmedian(ratios))),
    }
    secrets = [c for c in SECRETS if c in ori.columns] or None
    attacks = {
        "singling_out": singling_out_risk(ori, syn_view, control, n_attacks=ATTACKS, seed=seed),
        "linkability": linkability_risk(
            ori, syn_view, control, n_attacks=ATTACKS, seed=seed, n_jobs=1
        ),
        "inference": inference_risk(
            ori, syn_view, control, secret=secrets, n_attacks=ATTACKS, seed=seed, n_jobs=1
        ),
    }
    out["anonymeter"] = {
        name: {"value": _round(r.value), "low": _round(r.low), "high": _round(r.high)}
        for name, r in attacks.items()
    }
    out["anonymeter_attacks"] = ATTACKS
    return out


def _key_columns(table: str, relations: list[Relation], keys: dict[str, str]) -> set[str]:
    columns = {keys[table]} if table in keys else set()
    columns |= {r.child_column for r in relations if r.child_table == table}
    columns |= {r.parent_column for r in relations if r.parent_table == table}
    return columns


def _round(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None

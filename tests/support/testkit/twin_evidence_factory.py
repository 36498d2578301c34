"""The twin-evaluation half of the evidence factory (see ``evidence_factory``).

Fidelity (``validation.fidelity.evaluate``), privacy (``validation.privacy``) and the gate's
decision (``testbench.twins.gate``) of a one-table twin, disclosure-checked, in docs/evidence.md's
``twin-evaluation`` shape, as ``testbench.twins.evaluation.evaluate_twin`` builds it for a lake.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TABLE = "kohorte"  # the one table of this twin


def twin_evaluation(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    twin: pd.DataFrame,
    *,
    tenant: str,
    twin_id: str,
    seed: int,
    min_count: int = 5,
) -> dict[str, Any]:
    """A twin-evaluation evidence dict: fidelity, per-column shares, privacy and the gate.

    Not every privacy measure of ``testbench.twins.privacy`` is computed: anonymeter's
    linkability and inference attacks JIT-compile a nearest-neighbour search on first use
    (tens of seconds), too slow for a test fixture. The gate fails closed on a missing value,
    so those checks, and the gate, fail: the dashboard shows a failed gate with its reasons.

    Args:
        train: real rows the twin was fitted on, one per person, no key columns.
        holdout: real rows kept out of fitting (the attacks' control set).
        twin: the synthetic rows, same columns.
        tenant: owner written into the evidence.
        twin_id: the twin's id.
        seed: seeds the random DCR baseline and the attack.
        min_count: the disclosure policy's smallest count.
    """
    from testbench.disclosure import DisclosureChecker, DisclosurePolicy
    from testbench.twins.gate import PrivacyGate, gate_values
    from validation.fidelity.detection import lake_detection
    from validation.fidelity.evaluate import evaluate_fidelity
    from validation.privacy import dcr_baseline_protection, dcr_overfitting_protection
    from validation.privacy.anonymeter import singling_out_risk
    from validation.privacy.copies import exact_copies, rare_category_leakage
    from validation.privacy.encoding import infer_metadata

    metadata = {"tables": {TABLE: infer_metadata(train)}, "relationships": []}
    fidelity = evaluate_fidelity(
        {TABLE: train}, {TABLE: twin}, metadata, min_count=min_count, drift_reports=False
    ).to_dict()
    baseline = dcr_baseline_protection(train, twin, seed=seed).score
    overfitting = dcr_overfitting_protection(train, holdout, twin).score
    singling = singling_out_risk(train, twin, holdout, n_attacks=200, mode="univariate", seed=seed)
    copies = exact_copies(train, twin)
    leakage = float(rare_category_leakage(train, twin, min_count).share)
    evidence: dict[str, Any] = {
        "schema": 1,
        "kind": "twin-evaluation",
        "tenant": tenant,
        "twin": twin_id,
        "units": {"table": TABLE, "training": len(train), "control": len(holdout)},
        **fidelity,
        "privacy": {
            "tables": {TABLE: {"exact_copies": _round(copies), "rare_leakage": _round(leakage)}},
            "exact_copies": _round(copies),
            "rare_leakage": _round(leakage),
            "dcr_baseline_protection": _round(baseline),
            "dcr_overfitting_protection": _round(overfitting),
            "anonymeter": {
                "singling_out": {
                    "value": _round(singling.value),
                    "low": _round(singling.low),
                    "high": _round(singling.high),
                },
                "linkability": {},
                "inference": {},
            },
        },
    }
    detection = lake_detection({TABLE: train}, {TABLE: twin}, metadata, seed=seed)
    evidence["fidelity"]["detection"] = detection.to_dict()
    evidence["gate"] = PrivacyGate().decide(gate_values(evidence)).to_dict()
    checker = DisclosureChecker(DisclosurePolicy(min_count=min_count), len(train) + len(holdout))
    return checker.check_evidence(evidence)


def _round(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None

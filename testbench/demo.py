"""`testbench demo`: one thin, real pass through the whole chain.

simulate a lake -> store it encrypted -> twin (GaussianCopula per table) ->
fidelity (SDMetrics) -> train on real and on twin as Ray tasks -> AUROC on the
same real held-out persons -> evidence in MLflow -> dashboard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from testbench import __version__
from testbench.audit import AuditLog
from testbench.config import Settings
from testbench.evidence import EvidenceWriter
from testbench.jobs import Executor, RayExecutor
from testbench.jobs.training import TrainResult, TrainTask, train_and_score
from testbench.lake.cohort import query_frames
from testbench.lake.lake import tenant_lake
from testbench.lake.simulated import fill_simulated
from testbench.tenants import TenantRegistry
from testbench.twins import TwinStore, build_twin, holdout_units

Progress = Callable[[str], None]

DEMO_TENANT = "demo"
# The demo twin covers the two tables the demo cohort reads: persons and their hospital contacts.
DEMO_TABLES = ["bef", "lpr_a_kontakt"]
DEMO_NAME = "hospital-contact-2023-2024"
# One row per person alive and born before 2023: does the person have a hospital contact in
# 2023-2024, predicted from age, sex, region, civil status and contacts in 2015-2022?
DEMO_COHORT = """
SELECT b.pnr AS person_id,
       date_diff('year', b.foed_dag, DATE '2023-01-01') AS age,
       CAST(b.koen AS VARCHAR) AS sex,
       CAST(b.reg AS VARCHAR) AS region,
       CAST(b.civst AS VARCHAR) AS civil_status,
       count(k.pnr) FILTER (WHERE k.kont_starttidspunkt < TIMESTAMP '2023-01-01')
           AS contacts_before_2023,
       CAST(count(k.pnr) FILTER (WHERE k.kont_starttidspunkt >= TIMESTAMP '2023-01-01') > 0
            AS INTEGER) AS contact_2023_2024
FROM bef b
LEFT JOIN lpr_a_kontakt k ON k.pnr = b.pnr
WHERE b.foed_dag < DATE '2023-01-01'
GROUP BY ALL
"""
DEMO_TARGET = "contact_2023_2024"
DEMO_NUMERIC = ["age", "contacts_before_2023"]
DEMO_CATEGORICAL = ["sex", "region", "civil_status"]


def demo_model() -> Pipeline:
    """The demo's SME model: one-hot categories, scaled numbers, logistic regression."""
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), DEMO_NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), DEMO_CATEGORICAL),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced (aggregates only)."""

    tenant: str  # "demo"
    twin_id: str  # the twin it built
    run_id: str  # the MLflow run with the evidence
    quality: float  # SDMetrics QualityReport of the twin
    auroc_trtr: float  # trained on real, tested on real held-out persons
    auroc_tstr: float  # trained on the twin, tested on the same real persons


def run_demo(
    settings: Settings,
    persons: int = 2000,
    seed: int = 7,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the demo chain end to end and log its evidence; see the module docstring."""
    say = progress or (lambda _m: None)
    executor = executor or RayExecutor(settings.ray_address)
    started = time.perf_counter()
    tenant = TenantRegistry(settings).create(DEMO_TENANT, exist_ok=True)
    audit = AuditLog(tenant.audit_path)
    lake = tenant_lake(tenant, actor="demo")  # reads and writes go to the audit log

    say(f"[1/5] simulating {persons:,} persons")
    fill_simulated(lake, persons, seed, say)

    say("[2/5] building the synthetic twin")
    manifest = build_twin(
        settings, tenant, lake, seed=seed, tables=DEMO_TABLES, executor=executor, progress=say
    )
    audit.append("twin.build", twin_id=manifest.twin_id, rows=manifest.rows)
    say(f"      twin {manifest.twin_id}: quality {manifest.quality:.2f}")

    say("[3/5] cohorts on the real lake and on the twin")
    real = lake.query(DEMO_COHORT)
    twin = query_frames(TwinStore(settings, tenant).tables(manifest.twin_id), DEMO_COHORT)
    held = real["person_id"].astype(str).isin(holdout_units(lake, manifest.twin_id))
    train_real, test_real = real[~held], real[held]

    say("[4/5] training on real and on twin data (Ray tasks)")
    features = DEMO_NUMERIC + DEMO_CATEGORICAL
    tasks = [
        TrainTask("TRTR", train_real, test_real, features, DEMO_TARGET, demo_model()),
        TrainTask("TSTR", twin, test_real, features, DEMO_TARGET, demo_model()),
    ]
    results: dict[str, TrainResult] = {r.regime: r for r in executor.map(train_and_score, tasks)}
    trtr, tstr = results["TRTR"], results["TSTR"]
    say(f"      AUROC real-trained {trtr.auroc:.3f}, twin-trained {tstr.auroc:.3f}")

    say("[5/5] logging evidence to MLflow")
    evidence = {
        "name": DEMO_NAME,
        "tenant": tenant.name,
        "twin_id": manifest.twin_id,
        "target": DEMO_TARGET,
        "features": features,
        "fidelity": {"quality": manifest.quality, **manifest.quality_properties},
        "regimes": {
            r.regime: {"auroc": round(r.auroc, 4), "n_train": r.n_train, "n_test": r.n_test}
            for r in results.values()
        },
        "outcome_rate_test": round(float(pd.to_numeric(test_real[DEMO_TARGET]).mean()), 3),
    }
    run_id = EvidenceWriter(settings.tracking_uri, settings.artifact_root).log_run(
        tenant=tenant.name,
        run_name=DEMO_NAME,
        kind="validation",
        params={
            "persons": persons,
            "seed": seed,
            "synthesizer": manifest.synthesizer,
            "model": "logistic_regression",
            "twin_id": manifest.twin_id,
        },
        metrics={
            "auroc_trtr": trtr.auroc,
            "auroc_tstr": tstr.auroc,
            "twin_quality": manifest.quality,
            "n_train_real": trtr.n_train,
            "n_train_twin": tstr.n_train,
            "n_test": trtr.n_test,
        },
        evidence=evidence,
        tags={"testbench.code_version": __version__, "testbench.twin_id": manifest.twin_id},
    )
    audit.append("evidence.log", run_id=run_id, kind="validation")
    say(f"done in {time.perf_counter() - started:.0f} s: MLflow run {run_id}")
    return DemoResult(
        tenant.name, manifest.twin_id, run_id, manifest.quality, trtr.auroc, tstr.auroc
    )

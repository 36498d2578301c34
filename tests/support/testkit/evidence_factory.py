"""Realistic evidence for dashboard tests, computed by the project's real validation code.

Nothing here is typed in: a small random cohort is drawn, a crude synthetic twin is made of
it, and the real job (``testbench.jobs.validation``: TRTR, TSTR and TSTS fits, folds,
bootstrap, subgroups, importance, membership check) turns them into evidence with
``testbench.jobs.summaries`` and ``testbench.jobs.model_card``; the disclosure checker then
reviews it, as ``testbench validate`` does. The twin's evaluation comes from
``twin_evidence_factory``. The result has docs/evidence.md's shape.

Typical use::

    evidence = build_evidence(seed=7)
    runs = log_runs(tracking_uri, artifact_root, evidence)  # published, as after approve
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from testkit.twin_evidence_factory import twin_evaluation

TARGET = "needs_home_care_1y"  # binary outcome
STAY = "liggetid"  # length of hospital stay in days: the regression outcome
ID = "person_id"
FEATURES = ("age", "koen", "reg", "bor_alene", "komorbiditet", "bmi")
SUBGROUPS = ("koen", "age_band", "reg")
# Region weights: Sjælland (85) is kept tiny so its subgroup is suppressed ("<5").
REGIONS = {"81": 0.2, "82": 0.3, "83": 0.25, "84": 0.245, "85": 0.005}


@dataclass(frozen=True)
class Evidence:
    """A validation run and the evaluation of the twin it names, both disclosure-checked."""

    validation: dict[str, Any]  # kind "validation"
    twin_evaluation: dict[str, Any]  # kind "twin-evaluation"


@dataclass(frozen=True)
class LoggedRuns:
    """Ids of the runs :func:`log_runs` wrote."""

    validation: str  # MLflow run id of the validation run
    twin_evaluation: str  # MLflow run id of the twin-evaluation run


def make_cohort(n: int = 1500, seed: int = 7) -> pd.DataFrame:
    """A random cohort of 65+ persons after a hip fracture with a home-care outcome."""
    rng = np.random.default_rng(seed)
    age = rng.integers(65, 100, n)
    koen = rng.choice(["K", "M"], n, p=[0.62, 0.38])  # koen: sex, K woman, M man
    reg = rng.choice(list(REGIONS), n, p=list(REGIONS.values()))  # reg: region code
    alone = rng.binomial(1, 0.45, n)
    comorbidity = rng.poisson(1.4, n)
    logit = -7.2 + 0.075 * age + 0.6 * alone + 0.35 * comorbidity - 0.25 * (koen == "M")
    stay = rng.gamma(2.0, 2.0 + 0.05 * (age - 65) + 0.8 * comorbidity)
    contact = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), "D")
    birth = contact - pd.to_timedelta(age * 365.25 + rng.integers(0, 365, n), "D")
    cohort = pd.DataFrame(
        {
            ID: [f"p{i:05d}" for i in range(n)],
            "age": age,
            "koen": koen,
            "reg": reg,
            "bor_alene": alone,  # lives alone
            "komorbiditet": comorbidity,
            "bmi": rng.normal(25.5, 4.0, n),  # body-mass index from the regional EPJ
            "foed_dag": birth.normalize(),  # date of birth (CPR register)
            "kont_starttidspunkt": contact,  # start of the hip-fracture contact (LPR3)
            TARGET: rng.binomial(1, 1.0 / (1.0 + np.exp(-logit))),
            STAY: np.round(stay, 1),
        }
    )
    return _with_age_band(cohort)


MODEL_SOURCE = """\
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def encoder():
    return ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["koen", "reg"]),
            ("num", StandardScaler(), ["age", "bor_alene", "komorbiditet", "bmi"]),
        ]
    )


def build_model():
    \"\"\"The SME's model: one-hot sex and region, scaled numbers, logistic regression.\"\"\"
    return make_pipeline(encoder(), LogisticRegression(max_iter=1000))


def build_regressor():
    \"\"\"A regression model of the length of stay: the same inputs, ridge regression.\"\"\"
    return make_pipeline(encoder(), Ridge())
"""


def build_model() -> Any:
    """The SME's model (MODEL_SOURCE's build_model), built here for the crude twin."""
    namespace: dict[str, Any] = {}
    exec(compile(MODEL_SOURCE, "model.py", "exec"), namespace)
    return namespace["build_model"]()


def crude_twin(real: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """A deliberately simple synthetic twin: each column resampled on its own.

    Marginals survive, correlations between features do not; numbers are jittered (a
    synthesizer draws new values) and the outcome is redrawn from a model fitted on the real
    rows, so a model trained on the twin still learns something (TSTR near TRTR).
    """
    rng = np.random.default_rng(seed)
    columns = [c for c in real if c != ID]  # STAY is resampled like any other column
    twin = pd.DataFrame(
        {c: real[c].to_numpy()[rng.integers(0, len(real), len(real))] for c in columns}
    )
    twin.insert(0, ID, [f"t{i:05d}" for i in range(len(twin))])
    twin["bmi"] = twin["bmi"] + rng.normal(0.0, 1.5, len(twin))
    twin["age"] = np.clip(twin["age"] + rng.integers(-3, 4, len(twin)), 65, 99)
    model = build_model().fit(real[list(FEATURES)], real[TARGET])
    twin[TARGET] = rng.binomial(1, model.predict_proba(twin[list(FEATURES)])[:, 1])
    return _with_age_band(twin)


def build_evidence(
    seed: int = 7,
    n: int = 1500,
    bootstrap: int = 100,
    tenant: str = "demo",
    name: str = "home-care-after-hip-fracture",
    task: str = "binary_classification",
    twin_eval: dict[str, Any] | None = None,
) -> Evidence:
    """Run the real validation job on a random cohort and its twin; evaluate the twin.

    Args:
        seed: seeds the cohort, the twin, the splits and the bootstrap.
        n: persons in the cohort.
        bootstrap: replicates behind every interval (small keeps tests fast).
        tenant: owner written into the evidence.
        name: spec name.
        task: "binary_classification" (home care within a year) or "regression" (length
            of stay).
        twin_eval: an evaluation of the same twin (same seed and n) to reuse instead of
            computing it again.

    Returns:
        Both evidence dicts, disclosure-checked and JSON-serialisable.
    """
    from threadpoolctl import threadpool_limits

    from common.executor import SerialExecutor
    from testbench import __version__
    from testbench.disclosure import DisclosureChecker, DisclosurePolicy
    from testbench.jobs.model_card import model_card
    from testbench.jobs.run import MAX_MEMBERSHIP_AUC
    from testbench.jobs.sandbox import ModelCode
    from testbench.jobs.summaries import regime_evidence
    from testbench.jobs.tasks import Containment
    from testbench.jobs.validation import ValidationJob, plan_splits, run_validation_job

    cohort = make_cohort(n, seed)
    held = np.random.default_rng(seed).random(n) < 0.2  # persons the twin never sees
    twin = crude_twin(cohort[~held], seed + 4)
    twin_id = f"20261122T101500-{seed:06x}"
    spec_hash = hashlib.sha256(f"{name}:{seed}:{n}".encode()).hexdigest()
    binary = task == "binary_classification"
    job = ValidationJob(
        name=name, task=task, target=TARGET if binary else STAY, features=FEATURES,
        subgroups=SUBGROUPS, id_column=ID, containment=Containment(limits=None),
        model=ModelCode(MODEL_SOURCE, function="build_model" if binary else "build_regressor"),
        folds=5, bootstrap=bootstrap, seed=seed, threshold=0.3,
    )  # fmt: skip
    splits = plan_splits(job, cohort, twin, set(cohort.loc[held, ID]))
    # One BLAS thread: small fits are faster that way, and the test machines are shared.
    with threadpool_limits(1):
        results = run_validation_job(job, splits, SerialExecutor())
        if twin_eval is None:
            twin_eval = twin_evaluation(
                cohort[~held].drop(columns=[ID]), cohort[held].drop(columns=[ID]),
                twin.drop(columns=[ID]), tenant=tenant, twin_id=twin_id, seed=seed,
            )  # fmt: skip
    trtr = results["TRTR"]
    auc = float((trtr.membership or {}).get("auc", float("nan")))
    evidence: dict[str, Any] = {
        "schema": 1,
        "kind": "validation",
        "name": name,
        "tenant": tenant,
        "task": job.task,
        "description": (
            "Need for municipal home care within a year after a hip fracture, 65+" if binary
            else "Length of hospital stay after a hip fracture, 65+"
        ),
        "data": "real",
        "twin_id": twin_id,
        "spec_hash": spec_hash,
        "code_version": __version__,
        "lake_snapshot": hashlib.sha256(f"lake:{seed}".encode()).hexdigest(),
        "requested_by": "sme-developer",
        "model": {
            "reference": "model.py:build_model",
            "estimator": trtr.estimator,
            "released": bool(auc <= MAX_MEMBERSHIP_AUC),
            "release_reason": f"membership-inference AUC {auc:.2f}",
        },
        "target": job.target,
        "features": list(FEATURES),
        "subgroups": list(SUBGROUPS),
        "evaluation": {"folds": job.folds, "bootstrap": bootstrap, "seed": seed,
                       "test_share": job.test_share, "threshold": job.threshold},
        "cohort": {"n": n, "n_train": trtr.n_train, "n_test": trtr.n_test,
                   **({"events": int(cohort[TARGET].sum())} if binary else {})},
        "sources": _sources(cohort),
        "regimes": {regime: regime_evidence(job, r) for regime, r in results.items()},
        "fidelity": {"quality": twin_eval["fidelity"]["quality"]},
    }  # fmt: skip
    evidence["model_card"] = model_card(evidence)
    checker = DisclosureChecker(DisclosurePolicy(), n, id_columns=(ID,))
    return Evidence(validation=checker.check_evidence(evidence), twin_evaluation=twin_eval)


def for_tenant(evidence: Evidence, tenant: str, name: str | None = None) -> Evidence:
    """The same evidence re-labelled for another tenant (and spec name), as deep copies."""
    from testbench.jobs.model_card import model_card

    validation = copy.deepcopy(evidence.validation)
    twin_eval = copy.deepcopy(evidence.twin_evaluation)
    validation["tenant"] = twin_eval["tenant"] = tenant
    if name is not None:
        validation["name"] = name
        validation["model_card"] = model_card(validation)
    return Evidence(validation=validation, twin_evaluation=twin_eval)


def log_runs(
    tracking_uri: str,
    artifact_root: Path,
    evidence: Evidence,
    *,
    publish: bool = True,
    reviewer: str = "reviewer-a",
) -> LoggedRuns:
    """Log a twin-evaluation run and a validation run with EvidenceWriter; publish both.

    Args:
        tracking_uri: MLflow store, e.g. ``sqlite:///tmp/mlflow.db``.
        artifact_root: where the local store keeps artifacts.
        evidence: from :func:`build_evidence`.
        publish: set ``testbench.status`` to ``published`` as ``testbench approve`` does;
            False leaves both runs as drafts.
        reviewer: written to ``testbench.reviewer`` when published.

    Returns:
        The two run ids.
    """
    from mlflow.tracking import MlflowClient

    from testbench.evidence import EvidenceWriter
    from testbench.evidence.writer import TAG_STATUS

    writer = EvidenceWriter(tracking_uri, artifact_root)
    val, twin = evidence.validation, evidence.twin_evaluation
    common = {
        "testbench.requester": "sme-developer",
        "testbench.twin_id": val["twin_id"],
        "testbench.code_version": val["code_version"],
    }
    twin_run = writer.log_run(
        tenant=twin["tenant"],
        run_name=f"twin {twin['twin']}",
        kind="twin-evaluation",
        params={"twin": twin["twin"]},
        metrics={c["name"]: c["value"] for c in twin["gate"]["checks"] if c["value"] is not None},
        evidence=twin,
        tags={**common, "testbench.gate": "passed" if twin["gate"]["passed"] else "failed"},
    )
    headline = {
        f"{metric}_{regime.lower()}": value["value"]
        for regime, block in val["regimes"].items()
        for metric, value in block["metrics"].items()
        if value.get("value") is not None
    }
    val_run = writer.log_run(
        tenant=val["tenant"],
        run_name=val["name"],
        kind="validation",
        params={"seed": val["evaluation"]["seed"], "model": val["model"]["reference"]},
        metrics=headline,
        evidence=val,
        tags={
            **common,
            "testbench.data": val["data"],
            "testbench.spec_name": val["name"],
            "testbench.spec_hash": val["spec_hash"],
            "testbench.lake_snapshot": val["lake_snapshot"],
        },
    )
    if publish:
        client = MlflowClient(tracking_uri=tracking_uri)
        for run_id in (twin_run, val_run):
            client.set_tag(run_id, TAG_STATUS, "published")
            client.set_tag(run_id, "testbench.reviewer", reviewer)
    return LoggedRuns(validation=val_run, twin_evaluation=twin_run)


@dataclass(frozen=True)
class EvidenceStore:
    """An MLflow store with runs for the dashboard tests (see :func:`build_store`)."""

    home: Path  # TESTBENCH_HOME; the store is home/mlflow.db
    tracking_uri: str  # its MLflow URI
    evidence: Evidence  # what every run in it was logged from
    demo_run: str  # published validation run of tenant demo
    draft_run: str  # draft validation run of tenant demo (never shown)
    acme_run: str  # published validation run of tenant acme
    lonely_run: str  # published validation run of tenant lonely; its twin evaluation is a draft
    regression_run: str  # published regression run of tenant numbers
    acme_token: str  # viewer token of tenant acme
    lonely_token: str  # viewer token of tenant lonely
    numbers_token: str  # viewer token of tenant numbers
    catalogues: Catalogues  # catalogue and access-request runs (see :func:`log_catalogues`)


def build_store(home: Path, n: int = 1200, bootstrap: int = 100, seed: int = 7) -> EvidenceStore:
    """Compute evidence once and log it for three tenants under ``home``.

    Tenants: ``demo`` (a published run with its published twin evaluation, and a draft
    run), ``acme`` (a published run and a viewer token), ``lonely`` (a published run whose
    twin evaluation is still a draft, and a viewer token), ``numbers`` (a published
    regression run and a viewer token); catalogues and access requests from
    :func:`log_catalogues`.
    """
    from mlflow.tracking import MlflowClient

    from testbench.config import Settings
    from testbench.evidence.writer import TAG_STATUS
    from testbench.viewers import create_token

    settings = Settings(home=home)
    uri, artifacts = settings.tracking_uri, settings.artifact_root
    evidence = build_evidence(seed=seed, n=n, bootstrap=bootstrap)
    demo = log_runs(uri, artifacts, evidence)
    draft = log_runs(
        uri, artifacts, for_tenant(evidence, "demo", "draft-only-model"), publish=False
    )
    acme = log_runs(uri, artifacts, for_tenant(evidence, "acme", "acme-readmission"))
    lonely = log_runs(uri, artifacts, for_tenant(evidence, "lonely", "lonely-model"))
    MlflowClient(uri).set_tag(lonely.twin_evaluation, TAG_STATUS, "draft")
    regression = build_evidence(
        seed=seed, n=n, bootstrap=bootstrap, tenant="numbers", name="length-of-stay",
        task="regression", twin_eval=for_tenant(evidence, "numbers").twin_evaluation,
    )  # fmt: skip
    numbers = log_runs(uri, artifacts, regression)
    catalogues = log_catalogues(settings, evidence, demo.validation)
    return EvidenceStore(
        home=home,
        tracking_uri=uri,
        evidence=evidence,
        demo_run=demo.validation,
        draft_run=draft.validation,
        acme_run=acme.validation,
        lonely_run=lonely.validation,
        regression_run=numbers.validation,
        acme_token=create_token(uri, "acme", "region-nord", artifacts),
        lonely_token=create_token(uri, "lonely", "kommune-syd", artifacts),
        numbers_token=create_token(uri, "numbers", "hospital-vest", artifacts),
        catalogues=catalogues,
    )


@dataclass(frozen=True)
class Catalogues:
    """Catalogue and access-request runs of the store (see :func:`log_catalogues`)."""

    description: dict[str, Any]  # demo's checked description, as its published run holds it
    demo_run: str  # published catalogue of tenant demo; names the demo twin
    lonely_run: str  # published catalogue of tenant lonely; its twin evaluation is a draft
    acme_draft: str  # draft catalogue of tenant acme (never shown)
    approved: str  # id of an approved access request to demo; the demo validation run names it
    rejected: str  # id of a rejected access request to demo
    requester: str  # who asked (never shown on the dashboard)
    purpose: str  # what for (never logged)
    reason: str  # the reviewer's reason for the rejection (logged, never shown)


class _OneTwin:
    """A twin store holding one twin: the evidence's, its stored gate decision passed.

    The factory's own gate fails closed (two slow attacks are not run, see
    ``twin_evidence_factory``); a catalogue names a twin only after its gate passed.
    """

    def __init__(self, root: Path, evaluation: dict[str, Any]) -> None:
        import json

        self.twin_id = str(evaluation["twin"])
        folder = root / self.twin_id / "evaluation"
        folder.mkdir(parents=True, exist_ok=True)
        stored = {**evaluation, "gate": {**evaluation["gate"], "passed": True}}
        (folder / "evaluation.json").write_text(json.dumps(stored))
        (folder / "report.html").write_text("<html></html>")
        self.root = root

    def ids(self) -> list[str]:
        return [self.twin_id]

    def path(self, twin_id: str) -> Path:
        return self.root / twin_id


def log_catalogues(settings: Any, evidence: Evidence, demo_validation: str) -> Catalogues:
    """Describe a simulated 300-person lake with the real catalogue code; log it and requests.

    Tenant ``demo`` gets a published catalogue naming the evidence's twin (whose evaluation
    is published), an approved and a rejected access request, and its validation run names
    the approved one; ``lonely`` a published catalogue of the same lake whose twin
    evaluation is a draft; ``acme`` a draft catalogue.
    """
    from mlflow.tracking import MlflowClient

    from testbench.catalogue import (
        AccessRegister,
        build_graph,
        describe_lake,
        log_catalogue,
        log_request_status,
        serialize,
    )
    from testbench.evidence.reader import TAG_ACCESS_REQUEST
    from testbench.evidence.writer import TAG_REVIEWER, TAG_STATUS
    from testbench.lake.lake import tenant_lake
    from testbench.lake.simulated import fill_simulated
    from testbench.tenants import TenantRegistry

    client = MlflowClient(settings.tracking_uri)
    lake = tenant_lake(TenantRegistry(settings).create("demo"))
    fill_simulated(lake, 300, 3, lambda _m: None)
    with lake.transaction() as tx:  # the company's own table of three rows: counted "<5"
        tx.replace_table("egen_maaling", pd.DataFrame({"score": [1.0, 2.0, 3.0]}), None)
    twins = _OneTwin(settings.home / "catalogue-twins", evidence.twin_evaluation)
    runs, demo_description = {}, {}
    for tenant in ("demo", "lonely", "acme"):
        described = describe_lake(settings, tenant, lake, twins)  # type: ignore[arg-type]
        turtle = serialize(build_graph(described), "turtle")
        runs[tenant] = log_catalogue(settings, described, turtle, "data-steward")
        if tenant != "acme":
            client.set_tag(runs[tenant], TAG_STATUS, "published")
            client.set_tag(runs[tenant], TAG_REVIEWER, "reviewer-a")
        if tenant == "demo":
            demo_description = described
    register = AccessRegister(settings)
    requester, purpose = "sme-developer", "Validate a home-care model after hip fracture"
    reason = "The purpose needs no municipal care data"
    approved = register.request("demo", ["bef,lpr_a_kontakt"], "2019..2023", purpose, requester)
    approved = register.decide(approved.id, True, "reviewer-a", "Covered by the DPIA")
    rejected = register.request("demo", ["fsiii_indsats"], "2019..2023", purpose, requester)
    rejected = register.decide(rejected.id, False, "reviewer-b", reason)
    for request in (approved, rejected):
        log_request_status(settings, request)
    client.set_tag(demo_validation, TAG_ACCESS_REQUEST, approved.id)
    return Catalogues(
        description=demo_description,
        demo_run=runs["demo"],
        lonely_run=runs["lonely"],
        acme_draft=runs["acme"],
        approved=approved.id,
        rejected=rejected.id,
        requester=requester,
        purpose=purpose,
        reason=reason,
    )


def _with_age_band(frame: pd.DataFrame) -> pd.DataFrame:
    bands = pd.cut(frame["age"], [64, 74, 84, 120], labels=["65-74", "75-84", "85+"])
    return frame.assign(age_band=bands.astype(str))


def _sources(cohort: pd.DataFrame) -> list[dict[str, Any]]:
    """The tables behind the cohort as ``testbench.jobs.run.lake_sources`` lists them:
    rows rounded to tens, and the period their dates span."""

    def period(column: str) -> dict[str, str]:
        return {
            "first": cohort[column].min().date().isoformat(),
            "last": cohort[column].max().date().isoformat(),
        }

    rows = int(round(len(cohort), -1))
    return [
        {"table": "bef", "rows": rows, **period("foed_dag")},
        {"table": "lpr_a_kontakt", "rows": rows, **period("kont_starttidspunkt")},
    ]

"""`testbench validate`: one code path for a spec on the real lake, on a twin, or on a bundle.

Inside the lake (``--tenant``) the cohort SQL runs on the locked-down lake and on the
tenant's twin; the real test set is the twin's held-out persons. Outside (``--bundle``) the
same SQL runs on the bundle's tables (no lake, no key) and only the twin regime (TSTS)
exists. Either way the job is the same (:mod:`testbench.jobs.validation`), the result
passes the disclosure checker, and the output has the same shape.

Only an inside run is logged to MLflow: it is opened first (RUNNING), so a run that fails
midway ends FAILED with its reason, never FINISHED with partial evidence.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from common.executor import Executor, TaskFailed
from testbench import __version__
from testbench.audit import AuditLog
from testbench.config import Settings
from testbench.disclosure import DisclosureChecker, DisclosurePolicy
from testbench.errors import TestbenchError
from testbench.evidence.figures import validation_figures
from testbench.evidence.reader import TAG_ACCESS_REQUEST
from testbench.evidence.writer import TAG_REQUESTER, TAG_SANDBOX, EvidenceWriter
from testbench.jobs.model_card import model_card
from testbench.jobs.sandbox import (
    ModelCode,
    SandboxLimits,
    SandboxUnavailable,
    check_model_release,
    sandbox_available,
)
from testbench.jobs.summaries import regime_evidence
from testbench.jobs.tasks import Containment
from testbench.jobs.validation import (
    JobError,
    RegimeResult,
    ValidationJob,
    plan_splits,
    run_validation_job,
)
from testbench.lake.cohort import query_frames
from testbench.spec import (
    CohortData,
    ValidationSpec,
    load_spec,
    resolve_cohort,
    run_cohort_sql,
)
from testbench.spec.errors import SpecError

Progress = Callable[[str], None]
DATA_CHOICES = ("real", "twin")
# Model release (SACRO-ML rule): the fitted TRTR model leaves only when a loss-based
# membership-inference attack does no better than this AUC, and never an instance-based model.
MAX_MEMBERSHIP_AUC = 0.6


@dataclass(frozen=True)
class ValidationOutcome:
    """What a validation produced."""

    evidence: dict[str, Any]  # disclosure-checked evidence (docs/evidence.md)
    run_id: str | None  # MLflow run (inside the lake); None for a bundle run


def validate_in_lake(
    settings: Settings,
    spec_path: Path,
    tenant_name: str,
    data: str = "real",
    twin_id: str | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    requester: str | None = None,
    unsandboxed: bool = False,
    access_request: str | None = None,
) -> ValidationOutcome:
    """Run a spec inside a tenant's lake and log the evidence as a draft MLflow run.

    The SME's model code runs only in the sandbox (:mod:`testbench.jobs.sandbox`): it gets
    the cohort's features and target, never the key, the lake or the network, and its
    output goes to the tenant's job log (``jobs/<run id>.log``, operator only).

    Args:
        settings: the test-bench settings.
        spec_path: the spec YAML (its model file beside it).
        tenant_name: the tenant whose lake holds the data.
        data: "real" (TRTR, and TSTR/TSTS when the tenant has a twin) or "twin" (TSTS only).
        twin_id: the twin to use (default: the newest, if any).
        executor: where tasks run (default: serial in this process).
        progress: per-step messages.
        requester: who asks for the run (default: the operating-system user).
        unsandboxed: an operator's explicit choice to run the model code in this process
            (where no sandbox can be set up); recorded in the audit log and on the run.
        access_request: the approved access request the run rests on; refused (before
            anything runs) unless approved, for this tenant and within its deadline. Named
            on the run (tag ``testbench.access_request``), in its evidence and the audit log.

    Raises:
        SandboxUnavailable: no sandbox here and ``unsandboxed`` is not set (nothing ran).
        SpecError, JobError, SandboxError, DisclosureViolation, EvidenceError: with what
            to change.
    """
    from testbench.lake.lake import tenant_lake
    from testbench.tenants import TenantRegistry
    from testbench.twins.store import TwinStore, holdout_units

    if data not in DATA_CHOICES:
        raise TestbenchError(f"--data must be one of {', '.join(DATA_CHOICES)}; got {data!r}")
    say = progress or (lambda _m: None)
    spec = load_spec(spec_path)  # reads the model file as text; nothing of it runs here
    requester = requester or spec.requested_by or getpass.getuser()
    tenant = TenantRegistry(settings).get(tenant_name)
    if access_request is not None:
        from testbench.catalogue import AccessRegister

        access_request = AccessRegister(settings).require_approved(access_request, tenant.name).id
    if not unsandboxed:
        problem = sandbox_available()
        if problem is not None:
            raise SandboxUnavailable(
                f"the model code cannot be sandboxed here ({problem}); install bubblewrap "
                "(`make chromium` does), or as the operator pass --unsandboxed (recorded)"
            )
    lake = tenant_lake(tenant, actor=f"validation:{spec.name}")
    store = TwinStore(settings, tenant)
    twin_id = store.resolve(twin_id) if (twin_id or store.ids()) else None
    if data == "twin" and twin_id is None:
        raise TestbenchError(
            f"tenant {tenant_name!r} has no twin; build one with `testbench twin build`"
        )

    snapshot = lake.snapshot_hash()  # hashes every table's contents: once per run
    writer = EvidenceWriter(settings.tracking_uri, settings.artifact_root)
    run_id = writer.start_run(
        tenant.name,
        spec.name,
        "validation",
        {
            TAG_REQUESTER: requester,
            "testbench.spec_name": spec.name,
            "testbench.spec_hash": spec.hash(),
            "testbench.data": data,
            "testbench.twin_id": twin_id or "",
            "testbench.code_version": __version__,
            "testbench.lake_snapshot": snapshot,
            TAG_SANDBOX: "off" if unsandboxed else "on",
            **({TAG_ACCESS_REQUEST: access_request} if access_request else {}),
        },
    )
    if unsandboxed:
        AuditLog(tenant.audit_path).append(
            "validation.unsandboxed", actor=requester, run_id=run_id, spec=spec.name
        )
    jobs_dir = tenant.root / "jobs"
    jobs_dir.mkdir(mode=0o700, exist_ok=True)
    containment = Containment(
        limits=None if unsandboxed else sandbox_limits(spec),
        log_path=str(jobs_dir / f"{run_id}.log"),
        scratch=str(jobs_dir),
    )
    try:
        say(f"cohort SQL of {spec.name!r} on the {data} data of {tenant.name}")
        real = run_cohort_sql(spec, lake.query) if data == "real" else None
        twin = holdout = None
        if twin_id is not None:
            twin = run_cohort_sql(spec, functools.partial(query_frames, store.tables(twin_id)))
            holdout = holdout_units(lake, twin_id) if real is not None else None
        sources = lake_sources(lake, settings.min_cell_count)
        evidence, checker, model_file = _evaluate(
            settings, spec, real, twin, holdout, executor, say, data, twin_id, sources, containment
        )
        evidence.update(
            tenant=tenant.name,
            requested_by=requester,
            lake_snapshot=snapshot,
        )
        if access_request:
            evidence["access_request"] = access_request
        if twin_id is not None:  # how faithful the twin behind TSTR/TSTS is, for the reader
            twin_manifest = store.manifest(twin_id)
            evidence["fidelity"] = {
                "quality": twin_manifest.quality,
                **twin_manifest.quality_properties,
            }
        checked = checker.check_evidence(evidence)
        say("logging disclosure-checked evidence to MLflow (draft)")
        writer.finish_run(
            run_id,
            params=_params(spec),
            metrics=_headline_metrics(checked),
            evidence=checked,
            artifacts={
                **validation_figures(checked),
                "model_card.md": checked["model_card"],
                "disclosure_manifest.json": _json(checked["disclosure"]),
            },
            model_file=model_file,
        )
    except BaseException as exc:
        # Our own errors are written to be safe to show; anything else (the SME's code, a
        # library) may quote data, so only its type is recorded outside the lake.
        safe = isinstance(exc, TestbenchError) and not isinstance(exc, TaskFailed)
        reason = str(exc).splitlines()[0] if safe and str(exc) else "see the operator's log"
        writer.fail_run(run_id, f"{type(exc).__name__}: {reason}")
        AuditLog(tenant.audit_path).append(
            "validation.failed", actor=requester, run_id=run_id, spec=spec.name
        )
        raise
    AuditLog(tenant.audit_path).append(
        "validation.run",
        actor=requester,
        run_id=run_id,
        spec=spec.name,
        spec_hash=spec.hash(),
        data=data,
        twin_id=twin_id,
        sandbox="off" if unsandboxed else "on",
        access_request=access_request,
    )
    return ValidationOutcome(checked, run_id)


def validate_bundle(
    settings: Settings,
    spec_path: Path,
    bundle_dir: Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> ValidationOutcome:
    """Run a spec on a twin bundle (an SME's laptop: no lake, no key, nothing logged)."""
    from testbench.twins.bundle.export import load_bundle

    say = progress or (lambda _m: None)
    spec = load_spec(spec_path)
    spec.build_model()  # a broken model file fails before any work (the SME's own machine)
    bundle = load_bundle(bundle_dir)
    say(f"cohort SQL of {spec.name!r} on the twin bundle {bundle_dir}")
    twin = run_cohort_sql(spec, functools.partial(query_frames, bundle.tables))
    twin_id = str(bundle.manifest.get("twin_id", ""))
    sources = [
        {"table": name, "rows": len(frame), "first": None, "last": None}
        for name, frame in bundle.tables.items()
    ]
    # The SME's own machine and the twin: the model code runs in this process, as it would
    # in the SME's own notebook; there is no key, lake or real row here to protect.
    evidence, checker, _ = _evaluate(
        settings, spec, None, twin, None, executor, say, "bundle", twin_id, sources,
        Containment(limits=None),
    )  # fmt: skip
    evidence.update(
        tenant=str(bundle.manifest.get("tenant", "")),
        requested_by=None,
        lake_snapshot=None,
        fidelity=bundle.manifest.get("fidelity"),
    )
    return ValidationOutcome(checker.check_evidence(evidence), None)


def _evaluate(
    settings: Settings,
    spec: ValidationSpec,
    real: pd.DataFrame | None,
    twin: pd.DataFrame | None,
    holdout: set[str] | None,
    executor: Executor | None,
    say: Progress,
    data: str,
    twin_id: str | None,
    sources: list[dict[str, Any]],
    containment: Containment,
) -> tuple[dict[str, Any], DisclosureChecker, bytes | None]:
    """The shared core: job, evidence, model card, release decision, checker.

    Returns the evidence, its checker, and the TRTR model's skops file when it may be
    released (else None).
    """
    from common.executor import SerialExecutor

    # SQL without ORDER BY returns rows in whatever order DuckDB's threads finish; sort by the
    # unit id so splits, folds and bootstraps are the same on every run and every machine.
    cohorts: dict[str, CohortData] = {}
    skipped: dict[str, str] = {}
    if real is not None:
        cohorts["real"] = resolve_cohort(spec, _sorted(real, spec.id_column))
    if twin is not None:
        try:
            cohorts["twin"] = resolve_cohort(spec, _sorted(twin, spec.id_column))
        except SpecError as exc:
            if real is None:
                raise
            # The twin may lack what the cohort needs (e.g. too few outcomes): the real-data
            # regime still stands, and the evidence says why the twin regimes are missing.
            skipped = _twin_skipped(f"the twin's cohort cannot be used: {exc}")
    first = next(iter(cohorts.values()))
    job = validation_job(spec, first.features, settings.min_cell_count, containment)
    frames = {name: c.frame for name, c in cohorts.items()}
    try:
        splits = plan_splits(job, frames.get("real"), frames.get("twin"), holdout, skipped)
    except JobError as exc:
        if "real" not in frames or "twin" not in frames:
            raise
        skipped = _twin_skipped(f"the twin's cohort cannot be used: {exc}")
        splits = plan_splits(job, frames["real"], None)
        frames.pop("twin")
    results = run_validation_job(job, splits, executor or SerialExecutor(), say)
    cohort_frame = frames.get("real", frames.get("twin"))
    assert cohort_frame is not None
    released, reason, model_file = _release(results)
    evidence: dict[str, Any] = {
        "schema": 1,
        "kind": "validation",
        "name": spec.name,
        "task": spec.task,
        "description": spec.description,
        "data": data,
        "twin_id": twin_id,
        "spec_hash": spec.hash(),
        "code_version": __version__,
        "model": {
            "reference": spec.model,
            "estimator": next(iter(results.values())).estimator,
            "released": released,
            "release_reason": reason,
        },
        "target": spec.target,
        "features": list(job.features),
        "subgroups": list(job.subgroups),
        "evaluation": {
            "folds": job.folds,
            "bootstrap": spec.evaluation.bootstrap,
            "seed": job.seed,
            "test_share": job.test_share,
            "threshold": job.threshold,
        },
        "cohort": _cohort_counts(job, cohort_frame, results),
        "sources": sources,
        "regimes": {name: regime_evidence(job, result) for name, result in results.items()},
        "regimes_skipped": skipped,
    }
    if spec.evaluation.bootstrap == 0:  # asked for no intervals: the one replicate run is hidden
        _drop_intervals(evidence["regimes"])
    evidence["model_card"] = model_card(evidence)
    checker = DisclosureChecker(
        DisclosurePolicy.from_settings(settings), len(cohort_frame), id_columns=(spec.id_column,)
    )
    return evidence, checker, model_file if released else None


def sandbox_limits(spec: ValidationSpec) -> SandboxLimits:
    """The sandbox's limits for a spec: its wall-clock timeout (``evaluation.timeout_minutes``)
    per batch of fits, the same CPU time, and the defaults for memory, files and processes."""
    seconds = spec.evaluation.timeout_minutes * 60
    return SandboxLimits(wall_seconds=float(seconds), cpu_seconds=seconds)


def validation_job(
    spec: ValidationSpec,
    features: Sequence[str],
    min_count: int,
    containment: Containment,
) -> ValidationJob:
    """The job a spec describes, with the cohort's resolved features and where its model code
    runs.

    ``bootstrap: 0`` still runs one replicate (the metric code needs one); the evidence then
    hides the intervals.
    """
    return ValidationJob(
        name=spec.name,
        task=spec.task,
        target=spec.target,
        features=tuple(features),
        subgroups=tuple(spec.subgroups),
        id_column=spec.id_column,
        model=ModelCode(spec.model_source, spec.model_file.name, spec.model_function),
        containment=containment,
        folds=spec.evaluation.folds,
        bootstrap=max(spec.evaluation.bootstrap, 1),
        seed=spec.evaluation.seed,
        test_share=spec.evaluation.test_share,
        threshold=spec.evaluation.threshold,
        min_count=min_count,
    )


def lake_sources(lake: Any, min_count: int) -> list[dict[str, Any]]:
    """The lake's tables for the evidence: rows rounded to tens, the period their dates span.

    Built from the disclosure-checked catalogue (small counts and date ranges of fewer than
    ``min_count`` values are already hidden there).
    """
    from testbench.lake.catalogue import catalogue

    sources = []
    for table in catalogue(lake, min_count)["tables"]:
        spans = [r for r in table["date_ranges"].values() if isinstance(r, dict)]
        rows = table["rows"]
        sources.append(
            {
                "table": table["name"],
                "rows": int(round(rows, -1)) if isinstance(rows, int) and rows >= 10 else rows,
                "first": str(min(r["min"] for r in spans))[:10] if spans else None,
                "last": str(max(r["max"] for r in spans))[:10] if spans else None,
            }
        )
    return sources


def _twin_skipped(reason: str) -> dict[str, str]:
    return {"TSTR": reason, "TSTS": reason}


def _sorted(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    if id_column not in frame.columns:
        return frame  # resolve_cohort names the missing column
    return frame.sort_values(id_column, kind="stable").reset_index(drop=True)


def _drop_intervals(node: Any) -> None:
    """Set every ``low``/``high`` of an estimate to None, in place."""
    if isinstance(node, dict):
        if "value" in node and "low" in node:
            node["low"] = node["high"] = None
        if "model" in node and isinstance(node.get("low"), list):  # the decision curve's band
            node["low"], node["high"] = [], []
        for child in node.values():
            _drop_intervals(child)
    elif isinstance(node, list):
        for child in node:
            _drop_intervals(child)


def _release(results: dict[str, RegimeResult]) -> tuple[bool, str, bytes | None]:
    """Whether the real-trained model may leave, and why (SACRO-ML rules, and the sandbox's
    rule on what the model file holds: known library types, nothing that grows with rows)."""
    trtr = results.get("TRTR")
    if trtr is None or trtr.model_file is None:
        return False, "no model trained on real data in this run", None
    if trtr.instance_based:
        return False, f"{trtr.estimator} is instance-based (stores training rows)", None
    attack = trtr.membership or {}
    auc = float(attack.get("auc", float("nan")))
    if not auc <= MAX_MEMBERSHIP_AUC:
        return False, f"membership-inference AUC {auc:.2f} > {MAX_MEMBERSHIP_AUC}", None
    verdict = check_model_release(trtr.model_file, trtr.n_train, trtr.n_features)
    if not verdict.released:
        return False, "; ".join(verdict.reasons), None
    return True, f"membership-inference AUC {auc:.2f} <= {MAX_MEMBERSHIP_AUC}", trtr.model_file


def _cohort_counts(
    job: ValidationJob, frame: pd.DataFrame, results: dict[str, RegimeResult]
) -> dict[str, Any]:
    first = next(iter(results.values()))
    counts: dict[str, Any] = {"n": len(frame), "n_train": first.n_train, "n_test": first.n_test}
    if job.task == "binary_classification":
        counts["events"] = int(pd.to_numeric(frame[job.target]).sum())
    return counts


def _params(spec: ValidationSpec) -> dict[str, Any]:
    return {
        "task": spec.task,
        "target": spec.target,
        "model": spec.model,
        "folds": spec.evaluation.folds,
        "bootstrap": spec.evaluation.bootstrap,
        "seed": spec.evaluation.seed,
        "threshold": spec.evaluation.threshold,
    }


def _headline_metrics(evidence: dict[str, Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for regime, block in evidence.get("regimes", {}).items():
        for name, value in block.get("metrics", {}).items():
            if isinstance(value, dict) and value.get("value") is not None:
                metrics[f"{name}_{regime.lower()}"] = float(value["value"])
    return metrics


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, default=str)

"""`testbench demo`: the whole story on a simulated lake, ready to show.

simulate a Danish lake -> encrypted DuckDB -> synthetic twin (SDV per table, Ray tasks)
-> twin evaluation and privacy gate -> bundle for the SME (when the gate passes)
-> the lake's HealthDCAT-AP catalogue, published -> the hip-fracture example validated on
real data beside the twin (Ray tasks)
-> disclosure-checked evidence in MLflow -> approved by a demo reviewer -> dashboard.

The demo tenant's requester and reviewer are different (made-up) people, so the airlock's
four-eyes rule is exercised as it would be in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, say

if TYPE_CHECKING:  # the library is imported by the commands that use it: `--help` stays fast
    from common.executor import Executor
    from testbench.config import Settings
    from testbench.lake.lake import Lake
    from testbench.tenants import Tenant
    from testbench.twins.gate import GateCheck

Progress = Callable[[str], None]

DEMO_TENANT = "demo"
EXAMPLE_SPEC = (
    Path(__file__).resolve().parents[2] / "examples" / "hip-fracture-home-care" / "spec.yaml"
)
REQUESTER = "demo-sme-developer"  # asks for the runs
REVIEWER = "demo-reviewer"  # publishes them (must differ from the requester)


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced (aggregates and ids only)."""

    tenant: str  # "demo"
    twin_id: str  # the twin it built
    quality: float  # SDMetrics QualityReport of the twin
    gate_passed: bool  # the privacy gate's decision on the twin
    evaluation_run_id: str  # MLflow twin-evaluation run (published)
    run_id: str | None  # MLflow validation run (published); None when validation was skipped
    bundle: str | None  # the exported twin bundle, when the gate passed
    auroc_trtr: float | None  # trained on real, tested on real held-out persons
    auroc_tstr: float | None  # trained on the twin, tested on the same real persons
    seconds: float  # wall-clock time of the whole demo
    # What a small lake made the demo reduce or leave out, each with its reason (empty at
    # the default size): e.g. {"validation": "the example's real test set holds ..."}.
    reduced: dict[str, str] = field(default_factory=dict)


def run_demo(
    settings: Settings,
    persons: int = 20_000,
    seed: int = 7,
    executor: Executor | None = None,
    progress: Progress | None = None,
    spec: Path = EXAMPLE_SPEC,
) -> DemoResult:
    """Run the demo chain end to end; see the module docstring.

    Raises:
        TestbenchError: any step's error, with what to do.
    """
    from common.executor import RayExecutor
    from testbench.audit import AuditLog
    from testbench.evidence.airlock import approve
    from testbench.jobs.run import validate_in_lake
    from testbench.lake.lake import tenant_lake
    from testbench.lake.simulated import fill_simulated
    from testbench.tenants import TenantRegistry
    from testbench.twins.bundle.export import export_bundle
    from testbench.twins.bundle.guard import pseudonyms_in_lake, tenant_secrets
    from testbench.twins.evaluation import evaluate_twin, record_evaluation
    from testbench.twins.store import TwinStore, build_twin

    say = progress or (lambda _m: None)
    executor = executor or RayExecutor(settings.ray_address)
    started = time.perf_counter()
    tenant = TenantRegistry(settings).create(DEMO_TENANT, exist_ok=True)
    audit = AuditLog(tenant.audit_path)
    lake = tenant_lake(tenant, actor="demo")

    say(f"[1/7] simulating {persons:,} persons (Danish registers)")
    fill_simulated(lake, persons, seed, say)

    say("[2/7] building the synthetic twin of the whole lake")
    manifest = build_twin(settings, tenant, lake, seed=seed, executor=executor, progress=say)
    audit.append("twin.build", actor=REQUESTER, twin_id=manifest.twin_id, rows=manifest.rows)
    say(f"      twin {manifest.twin_id}: quality {manifest.quality:.2f}")

    say("[3/7] evaluating the twin: fidelity, privacy attacks, gate")
    evaluation = evaluate_twin(settings, tenant, lake, manifest.twin_id, progress=say, seed=seed)
    evaluation_run = record_evaluation(
        settings, tenant, evaluation, "default", seed, requester=REQUESTER
    )
    approve(settings.tracking_uri, evaluation_run, REVIEWER)
    audit.append("evidence.approve", actor=REVIEWER, run_id=evaluation_run)
    passed = evaluation.decision.passed
    attacks = evaluation.evidence.get("privacy", {}).get("anonymeter_attacks")
    say(f"      {attacks} attacks per Anonymeter check (one per held-out person, at most 5,000)")
    say(f"      gate {'passed' if passed else 'FAILED: ' + '; '.join(evaluation.decision.reasons)}")
    reduced: dict[str, str] = {}
    too_few = too_few_to_pass(evaluation.decision.checks)
    if too_few:
        reduced["gate"] = (
            f"{', '.join(too_few)}: the estimate is within the threshold but its interval is "
            f"not, for want of held-out persons ({attacks} attacked); simulate more persons"
        )
        say(f"      {reduced['gate']}")

    bundle = None
    if passed:
        say("[4/7] exporting the twin bundle for the SME")
        folder = export_bundle(
            TwinStore(settings, tenant),
            manifest.twin_id,
            settings.home / "bundles" / DEMO_TENANT,
            evaluation.evidence,
            evaluation.report_html,
            lake_pseudonyms=lambda: pseudonyms_in_lake(lake),
            secrets=tenant_secrets(tenant),
        )
        bundle = str(folder)
        audit.append("twin.export", actor=REQUESTER, twin=manifest.twin_id, out=bundle)
        say(f"      bundle: {folder}")
    else:
        say("[4/7] no bundle: the gate refused the twin")

    say("[5/7] publishing the lake's catalogue (HealthDCAT-AP), disclosure-checked")
    catalogue_run = publish_catalogue(settings, tenant, lake)
    approve(settings.tracking_uri, catalogue_run, REVIEWER)
    audit.append("evidence.approve", actor=REVIEWER, run_id=catalogue_run)

    why_not = example_too_small(spec, lake, manifest.twin_id, settings.min_cell_count)
    run_id = trtr = tstr = None
    if why_not is not None:
        reduced["validation"] = why_not
        say(f"[6/7] validation of {spec.parent.name} skipped: {why_not}")
        say(
            "[7/7] only the twin's evaluation is published: the dashboard shows it on its "
            "Synthetic twin and Privacy pages, and says no model was validated on the others"
        )
    else:
        say(f"[6/7] validating {spec.parent.name} on real data beside the twin (Ray tasks)")
        outcome = validate_in_lake(
            settings,
            spec,
            tenant.name,
            "real",
            manifest.twin_id,
            executor,
            say,
            requester=REQUESTER,
        )
        assert outcome.run_id is not None
        run_id = outcome.run_id
        regimes = outcome.evidence["regimes"]
        trtr = regimes.get("TRTR", {}).get("metrics", {}).get("auroc", {}).get("value")
        tstr = regimes.get("TSTR", {}).get("metrics", {}).get("auroc", {}).get("value")
        say(f"      AUROC real-trained {trtr}, twin-trained {tstr}")
        for regime, why in (outcome.evidence.get("regimes_skipped") or {}).items():
            reduced[regime] = why
            say(f"      {regime} skipped: {why}")

        say("[7/7] airlock: a second person publishes the evidence")
        approve(settings.tracking_uri, run_id, REVIEWER)
        audit.append("evidence.approve", actor=REVIEWER, run_id=run_id)
    seconds = time.perf_counter() - started
    say(f"done in {seconds:.0f} s")
    return DemoResult(
        tenant=tenant.name,
        twin_id=manifest.twin_id,
        quality=manifest.quality,
        gate_passed=passed,
        evaluation_run_id=evaluation_run,
        run_id=run_id,
        bundle=bundle,
        auroc_trtr=trtr,
        auroc_tstr=tstr,
        seconds=round(seconds, 1),
        reduced=reduced,
    )


def too_few_to_pass(checks: list[GateCheck]) -> list[str]:
    """The failed checks whose estimate passes but whose interval does not: refused for the
    lake's size (a wide interval cannot hide a risk), not for what the twin showed."""
    return [
        c.name
        for c in checks
        if not c.passed
        and c.value is not None
        and c.threshold is not None
        and c.direction.passes(c.value, c.threshold)
    ]


def publish_catalogue(settings: Settings, tenant: Tenant, lake: Lake) -> str:
    """Describe the lake (disclosure-checked), log it as a catalogue run; return its run id.

    The same steps as `testbench catalogue publish`; the demo's reviewer then approves it,
    so the dashboard's Catalogue page shows the demo lake before anyone asks for access.
    """
    from testbench.audit import AuditLog
    from testbench.catalogue import build_graph, describe_lake, log_catalogue, serialize
    from testbench.catalogue.dcat import DEFAULT_BASE_URI
    from testbench.twins.store import TwinStore

    audited = lake.with_audit(AuditLog(tenant.audit_path), actor="catalogue")
    description = describe_lake(settings, tenant.name, audited, TwinStore(settings, tenant))
    turtle = serialize(build_graph(description, DEFAULT_BASE_URI), "turtle")
    run_id = log_catalogue(settings, description, turtle, REQUESTER)
    AuditLog(tenant.audit_path).append("catalogue.publish", actor=REQUESTER, run_id=run_id)
    return run_id


def example_too_small(spec_path: Path, lake: Lake, twin_id: str, min_count: int) -> str | None:
    """Why the example cannot be validated on this lake, or None when it can.

    The real test set is the twin's held-out persons in the example's cohort; it and the
    training rows must each hold ``min_count`` persons with and without the outcome (the
    disclosure rule every published count follows), and the training rows enough for the
    spec's folds. A small lake (a few thousand persons) holds too few hip fractures for that:
    the demo then says so and leaves the validation out rather than publish what its size
    cannot support. Counts in the reason are shown as the catalogue shows them (``<5``).
    """
    from testbench.lake.catalogue import shown_count
    from testbench.spec.cohort import run_cohort_sql
    from testbench.spec.loader import load_spec
    from testbench.twins.store import holdout_units

    spec = load_spec(spec_path)
    cohort = run_cohort_sql(spec, lake.query)  # unchecked: too small is what we look for
    y = cohort[spec.target].astype(int)  # the example's outcome is 0/1
    held = cohort[spec.id_column].astype(str).isin(holdout_units(lake, twin_id)).to_numpy()
    parts = (
        ("real test set (the twin's held-out persons)", y[held], min_count),
        ("real training set", y[~held], max(min_count, spec.evaluation.folds)),
    )
    for what, y, need in parts:
        events = int(y.sum())
        if min(events, len(y) - events) < need:
            return (
                f"the example's {what} holds {shown_count(events, min_count)} persons with "
                f"and {shown_count(len(y) - events, min_count)} without the outcome; at "
                f"least {need} of each are needed; simulate more persons"
            )
    return None


def serve_dashboard(settings: Settings, port: int, demo_mode: bool | None = None) -> None:
    """Serve the Streamlit dashboard on localhost until interrupted."""
    app_path = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
    env = dict(os.environ)
    env["TESTBENCH_HOME"] = str(settings.home.resolve())
    env["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    if demo_mode if demo_mode is not None else settings.demo_mode:
        env["TESTBENCH_DEMO_MODE"] = "1"
    command = [
        sys.executable, "-m", "streamlit", "run", str(app_path),
        "--server.port", str(port), "--server.headless", "true",
        "--server.address", "localhost", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    say(f"dashboard: http://localhost:{port}  (Ctrl-C stops it)")
    try:
        subprocess.run(command, env=env, check=True)
    except KeyboardInterrupt:
        say("dashboard stopped")


def dashboard(
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8501,
) -> None:
    """Serve the buyers' dashboard (reads MLflow only, never a lake)."""
    serve_dashboard(cli_settings(), port)


def demo(
    persons: Annotated[int, typer.Option(min=500, help="Persons in the simulated lake.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    no_dashboard: Annotated[
        bool, typer.Option("--no-dashboard", help="Stop after logging the evidence.")
    ] = False,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    as_json: JsonFlag = False,
) -> None:
    """Run the whole chain on a simulated lake for tenant `demo`, then serve the dashboard."""

    from common.executor import RayExecutor

    settings = cli_settings()
    executor = RayExecutor(settings.ray_address)
    try:
        result = run_demo(settings, persons=persons, seed=seed, executor=executor, progress=say)
    finally:
        executor.shutdown()
    if as_json:
        emit(asdict(result))
    if not no_dashboard:
        serve_dashboard(settings, port, demo_mode=True)

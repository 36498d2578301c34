"""`testbench twin evaluate`: fidelity, privacy and the gate's decision for a twin.

The twin (or a candidate directory of Parquet files made by any tool) is compared with the
real rows it was fitted on; the privacy attacks use the persons it never saw as their
control set. Everything runs inside the lake boundary; what leaves (the evidence, the
reports) is aggregate and passes the disclosure checker. The decision and its reasons go
to the tenant's audit log and the evidence to MLflow as a ``twin-evaluation`` run.

Privacy checks run on a person-level view (the unit table joined with a summary of every
table under it), where a record is a person: exact DCR and NNDR over all persons, the three
Anonymeter attacks, exact copies and rare categories per table.
"""

from __future__ import annotations

import getpass
import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from generators.relations import Relation
from generators.twin.graph import find_unit_table
from generators.twin.holdout import split_by_units, split_holdout
from generators.twin.metadata import build_metadata
from testbench import __version__
from testbench.config import Settings
from testbench.disclosure import DisclosureChecker, DisclosurePolicy
from testbench.errors import TestbenchError
from testbench.lake import Lake
from testbench.tenants import Tenant
from testbench.twins.gate import GateDecision, GatePolicy, PrivacyGate, gate_values
from testbench.twins.store import INGEST_KEYS, TwinStore, holdout_units, unit_key

Progress = Callable[[str], None]
EVALUATION_DIR = "evaluation"  # inside a twin's folder: evaluation.json, report.html, drift/


@dataclass(frozen=True)
class TwinEvaluation:
    """A twin's evaluation: the evidence (with the gate's decision) and its reports."""

    evidence: dict[str, Any]  # disclosure-checked, kind "twin-evaluation" (docs/evidence.md)
    decision: GateDecision  # the gate's decision with one entry per check
    report_html: str  # human-readable report
    drift_html: dict[str, str]  # Evidently report per table
    folder: Path  # where evaluation.json and report.html were written
    seconds: dict[str, float]  # time per part


def evaluate_twin(
    settings: Settings,
    tenant: Tenant,
    lake: Lake,
    twin_id: str | None = None,
    candidate: Path | None = None,
    policy: GatePolicy | None = None,
    progress: Progress | None = None,
    seed: int = 0,
) -> TwinEvaluation:
    """Evaluate a stored twin or a candidate directory and decide whether it may leave.

    Args:
        settings: the test-bench settings.
        tenant: the owner.
        lake: the tenant's lake (the real rows).
        twin_id: a stored twin (default: the newest) when no candidate is given.
        candidate: a directory of ``<table>.parquet`` files named like the lake's tables.
        policy: the gate's thresholds (default: the documented defaults).
        progress: per-step messages.
        seed: seeds the attacks and samples.

    Raises:
        TestbenchError: no twin, or a candidate that does not match the lake.
    """
    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    store = TwinStore(settings, tenant)
    if candidate is not None:
        twin = _read_candidate(candidate, lake.tables())
        subject = f"candidate:{candidate.name}"
    else:
        twin_id = store.resolve(twin_id)
        twin = store.tables(twin_id)
        subject = twin_id
    names = list(twin)
    real = lake.read_tables(names)
    relations = [r for r in lake.relations() if r.child_table in real and r.parent_table in real]
    keys = {t: k for t, k in lake.primary_keys().items() if t in real}
    try:
        unit = find_unit_table(names, relations, keys) if relations or keys else names[0]
    except ValueError as exc:
        raise TestbenchError(f"{exc} ({INGEST_KEYS})") from None
    key = unit_key(relations, unit, keys) if relations or unit in keys else None
    training, holdout, control_note = _split(lake, store, real, relations, unit, key, twin_id, seed)
    timings["load"] = time.perf_counter() - started

    say(f"fidelity of {subject}: SDMetrics reports and Evidently drift per table")
    from validation.fidelity.evaluate import evaluate_fidelity

    metadata = build_metadata(training, relations, keys)
    fidelity = evaluate_fidelity(
        training, twin, metadata, min_count=settings.min_cell_count, seed=seed
    )
    timings["fidelity"] = fidelity.timings.get("total", 0.0)

    say("detection and utility: a classifier against the twin; TSTR on tasks from the lake")
    from validation.fidelity.detection import lake_detection
    from validation.fidelity.utility import derived_utility

    step = time.perf_counter()
    detection = lake_detection(training, twin, metadata, seed=seed)
    timings["detection"] = time.perf_counter() - step
    step = time.perf_counter()
    utility = derived_utility(training, twin, holdout, metadata, seed=seed)
    timings["utility"] = time.perf_counter() - step

    say("privacy: exact DCR/NNDR, Anonymeter attacks, exact copies, rare categories")
    from testbench.twins.privacy import privacy_checks
    from validation.privacy.errors import AttackInputError

    step = time.perf_counter()
    try:
        privacy = privacy_checks(
            training, holdout, twin, relations, keys, unit, key, settings.min_cell_count, seed
        )
    except AttackInputError as exc:  # a tiny lake: too few held-out persons to attack with
        raise TestbenchError(f"cannot measure the privacy of {subject}: {exc}") from None
    timings["privacy"] = time.perf_counter() - step

    fidelity_dict = fidelity.to_dict()
    evidence: dict[str, Any] = {
        "schema": 1,
        "kind": "twin-evaluation",
        "tenant": tenant.name,
        "twin": subject,
        "code_version": __version__,
        "units": {"table": unit, "training": len(training[unit]), "control": len(holdout[unit])},
        "control": control_note,
        "fidelity": fidelity_dict["fidelity"],
        "columns": fidelity_dict["columns"],
        "privacy": privacy,
    }
    evidence["fidelity"]["detection"] = detection.to_dict()
    evidence["utility"] = utility.to_dict()
    decision = PrivacyGate(policy).decide(gate_values(evidence))
    evidence["gate"] = decision.to_dict()
    checker = DisclosureChecker(DisclosurePolicy.from_settings(settings), len(real[unit]))
    checked = checker.check_evidence(evidence)
    timings["total"] = time.perf_counter() - started
    checked["seconds"] = {k: round(v, 2) for k, v in timings.items()}

    # A table Evidently could not draw (one mostly-missing column) has no page of its own.
    drift = {t: result.html for t, result in fidelity.drift.items() if result.html}
    report = report_html(checked)
    folder = _write(settings, store, tenant, subject, twin_id, checked, report, drift)
    return TwinEvaluation(checked, decision, report, drift, folder, timings)


def record_evaluation(
    settings: Settings,
    tenant: Tenant,
    result: TwinEvaluation,
    policy: str,
    seed: int,
    requester: str | None = None,
) -> str:
    """Log an evaluation to MLflow (a draft ``twin-evaluation`` run) and its decision to the
    tenant's audit log; return the run id."""
    from testbench.audit import AuditLog
    from testbench.evidence import EvidenceWriter

    evidence = result.evidence
    checks = evidence["gate"]["checks"]
    run_id = EvidenceWriter(settings.tracking_uri, settings.artifact_root).log_run(
        tenant=tenant.name,
        run_name=f"twin {evidence['twin']}",
        kind="twin-evaluation",
        params={"seed": seed, "policy": policy},
        metrics={c["name"]: c["value"] for c in checks if c["value"] is not None},
        evidence=evidence,
        tags={
            "testbench.twin_id": str(evidence["twin"]),
            "testbench.gate": "passed" if result.decision.passed else "failed",
            "testbench.requester": requester or getpass.getuser(),
            "testbench.code_version": __version__,
        },
        # The Evidently HTML reports draw real distributions row by row: they stay inside
        # the lake (the twin's evaluation folder) and are never logged.
        artifacts={"report.html": result.report_html},
    )
    AuditLog(tenant.audit_path).append(
        "twin.evaluate",
        twin=str(evidence["twin"]),
        passed=result.decision.passed,
        reasons=list(result.decision.reasons),
        run_id=run_id,
    )
    return run_id


def _read_candidate(folder: Path, lake_tables: list[str]) -> dict[str, pd.DataFrame]:
    if not folder.is_dir():
        raise TestbenchError(f"candidate {folder} is not a directory of Parquet files")
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise TestbenchError(f"candidate {folder} holds no .parquet files (one per lake table)")
    unknown = [p.stem for p in files if p.stem not in lake_tables]
    if unknown:
        raise TestbenchError(
            f"candidate tables {unknown} are not in the lake; name files like the lake's "
            f"tables: {', '.join(lake_tables)}"
        )
    try:
        return {p.stem: pd.read_parquet(p) for p in files}
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise TestbenchError(f"cannot read candidate {folder}: {exc}") from None


def _split(
    lake: Lake,
    store: TwinStore,
    real: dict[str, pd.DataFrame],
    relations: list[Relation],
    unit: str,
    key: str | None,
    twin_id: str | None,
    seed: int,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], str]:
    """Real rows the twin was fitted on, the held-out control rows, and how they were found."""
    if key is not None:
        source = twin_id or next(reversed(store.ids()), None)
        held = holdout_units(lake, source) if source else set()
        if held:
            training, holdout = split_by_units(real, relations, unit, key, held)
            note = (
                "the twin's held-out persons"
                if twin_id
                else f"persons held out of twin {source}; the candidate's own training "
                "rows are unknown, so the attack risks may be underestimated"
            )
            return training, holdout, note
    training, holdout = split_holdout(real, relations, unit, 0.2, seed)
    return training, holdout, "a seeded 20% split of the persons (no twin holdout recorded)"


def _write(
    settings: Settings,
    store: TwinStore,
    tenant: Tenant,
    subject: str,
    twin_id: str | None,
    evidence: dict[str, Any],
    report: str,
    drift: dict[str, str],
) -> Path:
    if twin_id and not subject.startswith("candidate:"):
        folder = store.path(twin_id) / EVALUATION_DIR
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        folder = settings.home / "evaluations" / tenant.name / f"{stamp}-{subject.split(':')[1]}"
    (folder / "drift").mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.json").write_text(json.dumps(evidence, indent=2, default=str))
    (folder / "report.html").write_text(report, encoding="utf-8")
    for table, text in drift.items():
        (folder / "drift" / f"{table}.html").write_text(text, encoding="utf-8")
    return folder


def load_evaluation(store: TwinStore, twin_id: str) -> tuple[dict[str, Any], str] | None:
    """A stored twin's latest evaluation (evidence, report HTML), or None if never evaluated."""
    folder = store.path(twin_id) / EVALUATION_DIR
    if not (folder / "evaluation.json").exists():
        return None
    evidence = json.loads((folder / "evaluation.json").read_text())
    return evidence, (folder / "report.html").read_text(encoding="utf-8")


def report_html(evidence: dict[str, Any]) -> str:
    """A self-contained HTML report of the evaluation (no scripts, no external files)."""
    gate = evidence["gate"]
    verdict = "PASSED" if gate["passed"] else "FAILED"
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(c["name"]),
            _fmt(c.get("value")),
            "" if c.get("threshold") is None else "&ge;" if c.get("direction") == "min" else "&le;",
            "report only" if c.get("threshold") is None else _fmt(c.get("threshold")),
            _ci(c),
            "pass" if c["passed"] else "<b>FAIL</b>",
        )
        for c in gate["checks"]
    )
    fidelity = evidence["fidelity"]
    tables = "".join(
        f"<tr><td>{html.escape(t)}</td><td>{_fmt(q)}</td></tr>"
        for t, q in (fidelity.get("tables") or {}).items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Twin evaluation {html.escape(str(evidence["twin"]))}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{border-bottom:1px solid #ccc;padding:.3em .8em;text-align:left}}</style></head>
<body>
<h1>Twin evaluation: {html.escape(str(evidence["twin"]))}</h1>
<p>Tenant {html.escape(evidence["tenant"])}. Gate decision: <b>{verdict}</b>.
Control set: {html.escape(str(evidence.get("control", "")))}.</p>
<h2>Gate checks</h2>
<table><tr><th>Check</th><th>Value</th><th>Threshold</th><th>95% CI</th><th>Result</th></tr>
{rows}</table>
<h2>Fidelity</h2>
<p>SDMetrics quality {_fmt(fidelity.get("quality"))},
diagnostic {_fmt(fidelity.get("diagnostic"))}.</p>
<table><tr><th>Table</th><th>Quality</th></tr>{tables}</table>
{_detection_html(fidelity.get("detection") or {})}
{_utility_html(evidence.get("utility") or {})}
<p>Evidently drift reports per table are in the <code>drift/</code> folder beside this file
inside the lake; they show real distributions and are not published.</p>
</body></html>
"""


def _detection_html(detection: dict[str, Any]) -> str:
    """Detection AUC of the person view and of each table, with the telling features."""
    if not detection:
        return ""
    parts = [("persons + their rows below", detection.get("person_view"))]
    parts += list((detection.get("tables") or {}).items())
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(str(name)),
            _fmt(result["auc"]),
            _ci(result["auc"]),
            html.escape(", ".join(f["feature"] for f in result.get("top_features", [])[:5])),
        )
        for name, result in parts
        if result
    )
    return f"""<h2>Detection</h2>
<p>Can a classifier tell twin rows from real ones? 0.5: no better than a coin; 1.0: every
row told apart. {html.escape(str(detection.get("method", "")))}.</p>
<table><tr><th>Rows</th><th>AUC</th><th>95% CI</th><th>Telling features</th></tr>
{rows}</table>"""


def _utility_html(utility: dict[str, Any]) -> str:
    """TRTR and TSTR per derived task, with the ratio above chance and calibration."""
    if not utility:
        return ""
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(t["name"]),
            _fmt(t["trtr_auroc"]),
            _fmt(t["tstr_auroc"]),
            _fmt(t["above_chance"]),
            _fmt(t["tstr_calibration_slope"]),
            f"{_fmt(t['outcome_rate_real'])} / {_fmt(t['outcome_rate_synthetic'])}",
        )
        for t in utility.get("tasks", [])
    )
    skipped = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
        for k, v in (utility.get("skipped") or {}).items()
    )
    return f"""<h2>Utility on tasks derived from the lake</h2>
<p>A model trained on the twin (TSTR) against one trained on real persons (TRTR), both
tested on the real persons the twin never saw. Above chance: (TSTR - 0.5) / (TRTR - 0.5).</p>
<table><tr><th>Task</th><th>TRTR AUROC</th><th>TSTR AUROC</th><th>Above chance</th>
<th>TSTR calibration slope</th><th>Outcome rate real / twin</th></tr>{rows}</table>
<ul>{skipped}</ul>"""


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    return "n/a" if value is None else f"{float(value):.3f}"


def _ci(check: dict[str, Any]) -> str:
    low, high = check.get("low"), check.get("high")
    return "" if low is None or high is None else f"{low:.3f} to {high:.3f}"

"""Any lake shape goes through the chain (issue 16): ingest -> status -> twin build -> twin
evaluate -> export when the gate passes (a one-line refusal when it does not).

Hypothesis draws the lake's shape (persons, columns of every awkward kind, long child tables,
a self-reference, composite-looking keys, tables named like count fields) and numpy fills it
from a drawn seed. The chain runs through the library API; two CLI runs check the one-line
error contract. ``CORPUS`` keeps the shapes that failed once, and runs every time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbench.config import Settings
from testbench.errors import TestbenchError
from testbench.lake.catalogue import lake_status
from testbench.lake.ingest.pipeline import ingest_file
from testbench.lake.lake import tenant_lake
from testbench.tenants import TenantRegistry

pytestmark = [pytest.mark.heavy]
SME, REVIEWER = "sme-dev", "reviewer"  # the airlock's two persons

KINDS = (
    "number",  # a float column
    "int_as_float",  # integers stored as floats, with NaN
    "boolean",
    "text_date",  # ISO dates as text
    "category",  # a few common values
    "rare_category",  # one very common value and one held by 1-3 persons
    "all_missing",
    "mostly_missing",  # 95% missing
)


@dataclass(frozen=True)
class LakeShape:
    """A lake to build: its persons and their columns, and the tables under them."""

    persons: int
    columns: tuple[str, ...]  # one kind (KINDS) per person column
    children: tuple[int, ...] = ()  # mean rows per person of each child table
    person_table: str = "persons"  # a count-like name on purpose (issue 16)
    self_reference: bool = False  # the first child refers to its own earlier rows
    key_style: str = "plain"  # or "composite": keys that look like "81|000123-A"
    seed: int = 0
    notes: str = field(default="", compare=False)  # why the shape is in the corpus


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    if kind == "number":
        return pd.Series(rng.normal(50, 10, n))
    if kind == "int_as_float":
        values = rng.integers(0, 40, n).astype(float)
        values[rng.random(n) < 0.3] = np.nan
        return pd.Series(values)
    if kind == "boolean":
        return pd.Series(rng.random(n) < 0.4)
    if kind == "text_date":
        days = pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
        return pd.Series((pd.Timestamp("2015-01-01") + days).strftime("%Y-%m-%d"))
    if kind == "category":
        return pd.Series(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]))
    if kind == "rare_category":
        values = np.full(n, "common", dtype=object)
        values[rng.choice(n, size=min(n, int(rng.integers(1, 4))), replace=False)] = "rare"
        return pd.Series(values)
    if kind == "all_missing":
        return pd.Series([np.nan] * n, dtype=float)
    values = rng.normal(0, 1, n)
    values[rng.random(n) < 0.95] = np.nan
    return pd.Series(values)


def _keys(style: str, prefix: str, n: int) -> list[str]:
    if style == "composite":
        return [f"{81 + i % 5}|{i:06d}-{prefix}" for i in range(n)]
    return [f"{prefix}{i:06d}" for i in range(n)]


def make_files(shape: LakeShape, folder: Path) -> list[tuple[str, Path, str | None, list[str]]]:
    """Write the shape's tables as CSV/Parquet: (table, file, primary key, foreign keys)."""
    rng = np.random.default_rng(shape.seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = _keys(shape.key_style, "P", shape.persons)
    columns = {
        f"c{i}_{kind}": _column(kind, shape.persons, rng) for i, kind in enumerate(shape.columns)
    }
    persons = pd.concat([pd.DataFrame({"pid": ids}), pd.DataFrame(columns)], axis=1)  # at once
    out = []
    path = folder / f"{shape.person_table}.parquet"
    persons.to_parquet(path, index=False)
    out.append((shape.person_table, path, "pid", []))
    for j, mean in enumerate(shape.children):
        n = int(rng.poisson(mean, shape.persons).sum())
        child = pd.DataFrame(
            {
                "row_id": _keys(shape.key_style, f"E{j}", n),
                "pid": rng.choice(ids, n),
                "code": _column("category", n, rng),
                "value": _column("int_as_float", n, rng),
                "day": _column("text_date", n, rng),
            }
        )
        foreign = [f"pid:{shape.person_table}.pid"]
        if shape.self_reference and j == 0 and n:
            earlier = rng.integers(-1, np.arange(n))  # -1: none
            child["previous"] = [child["row_id"][k] if k >= 0 else None for k in earlier]
            foreign.append(f"previous:events{j}.row_id")
        path = folder / f"events{j}.csv"
        child.to_csv(path, index=False)
        out.append((f"events{j}", path, "row_id", foreign))
    return out


def run_chain(
    shape: LakeShape, root: Path, validate: bool = False, languages: tuple[str, ...] = ("da",)
) -> dict[str, object]:
    """Ingest, status, build, evaluate and export through the library; what each said.

    With ``validate``, a spec on the person table (:func:`write_spec`) runs inside the lake
    (sandboxed, evidence to MLflow) and on the bundle when the gate let one out; then a
    reviewer publishes the twin's evaluation and the validation (if it ran), and every page
    of the dashboard renders them in ``languages`` (:func:`read_dashboard`).
    """
    from testbench.evidence.airlock import approve
    from testbench.jobs.run import validate_bundle, validate_in_lake
    from testbench.twins.bundle.export import export_bundle
    from testbench.twins.evaluation import evaluate_twin, record_evaluation
    from testbench.twins.store import TwinStore, build_twin
    from testbench.viewers import create_token

    config = Settings(home=root / "home")
    tenant = TenantRegistry(config).create("shape")
    lake = tenant_lake(tenant)
    for table, path, key, foreign in make_files(shape, root / "files"):
        try:
            ingest_file(lake, tenant.derived_key("pseudonym"), path, table, None, key, foreign)
        except TestbenchError as exc:  # no shape here is refused at ingestion
            raise AssertionError(f"ingestion refused {table}: {exc}") from None
    status = lake_status(lake)
    if shape.self_reference and shape.children:  # the self-reference is a relation of the lake
        assert any(r.child_table == r.parent_table == "events0" for r in lake.relations())
    assert {t.name for t in status.tables} >= {shape.person_table}
    try:
        manifest = build_twin(config, tenant, lake, seed=shape.seed)
    except TestbenchError as exc:  # a clear refusal is an allowed outcome; a traceback is not
        assert "\n" not in str(exc)
        return {"refused": str(exc)}
    assert manifest.unit_table == shape.person_table
    try:
        evaluation = evaluate_twin(config, tenant, lake, manifest.twin_id, seed=shape.seed)
    except TestbenchError as exc:  # e.g. too few held-out persons for the attacks
        assert "\n" not in str(exc)
        return {"refused": str(exc)}
    evidence = evaluation.evidence
    json.dumps(evidence, allow_nan=False)  # what leaves is plain, finite JSON
    assert evidence["units"]["table"] == shape.person_table
    assert set(evidence["fidelity"]["tables"]) == set(manifest.rows)
    store = TwinStore(config, tenant)
    outcome: dict[str, object] = {"passed": evaluation.decision.passed, "rows": manifest.rows}
    spec = None
    if validate:  # the person table as written, before the lake took it in
        persons = pd.read_parquet(root / "files" / f"{shape.person_table}.parquet")
        spec = write_spec(shape, persons, root / "spec")
    if spec is not None:  # the spec inside the lake: real data beside the twin, sandboxed
        ran: list[str] = []
        outcome["lake"] = _validated(
            lambda: validate_in_lake(
                config, spec, tenant.name, twin_id=manifest.twin_id, requester=SME
            ),
            ran,
        )
        evaluated = record_evaluation(config, tenant, evaluation, "default", 0, requester=SME)
        for run_id in [evaluated, *ran]:  # the airlock: a second person publishes
            approve(config.tracking_uri, run_id, REVIEWER)
        token = create_token(config.tracking_uri, tenant.name, "buyer", config.artifact_root)
        outcome["pages"] = read_dashboard(config.home, token, languages)
    if evaluation.decision.passed:
        bundle = export_bundle(
            store, manifest.twin_id, root / "bundle", evidence, evaluation.report_html
        )
        assert (bundle / f"{shape.person_table}.parquet").exists()
        if spec is not None:  # the SME's first step with the bundle
            outcome["bundle"] = _validated(lambda: validate_bundle(config, spec, bundle))
    else:
        with pytest.raises(TestbenchError, match="gate"):
            export_bundle(store, manifest.twin_id, root / "bundle", evidence, "")
    return outcome


MODEL = """
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder


def build_model():
    numbers = SimpleImputer(strategy="median", keep_empty_features=True)
    texts = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    encode = ColumnTransformer(
        [
            ("numbers", numbers, make_column_selector(dtype_include="number")),
            ("texts", texts, make_column_selector(dtype_exclude="number")),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=500))
"""


def write_spec(shape: LakeShape, persons: pd.DataFrame, folder: Path) -> Path | None:
    """A spec on the person table, or None when it has nothing to predict or predict from.

    The target is whether the first numeric column with 20+ values is above its median; the
    other person columns are the features; a model that imputes what is missing.
    """
    import yaml

    others = [c for c in persons.columns if c != "pid"]
    usable = [
        c
        for c in others
        if pd.api.types.is_numeric_dtype(persons[c])
        and not pd.api.types.is_bool_dtype(persons[c])
        and persons[c].notna().sum() >= 20
        and persons[c].nunique() > 1
    ]
    if not usable or len(others) < 2:
        return None
    target, features = usable[0], [c for c in others if c != usable[0]]
    table = shape.person_table
    # Text as text: the lake may have made a column of ISO dates a DATE.
    listed = ", ".join(
        f'"{c}"'
        if pd.api.types.is_numeric_dtype(persons[c])
        else f'CAST("{c}" AS VARCHAR) AS "{c}"'
        for c in features
    )
    spec = {
        "name": "any-lake",
        "description": "Whether a number is above its median, from the other person columns.",
        "task": "binary_classification",
        "cohort": (
            f'SELECT pid AS person_id, CAST("{target}" > (SELECT median("{target}") FROM "{table}")'
            f" AS INTEGER) AS outcome, {listed} "
            f'FROM "{table}" WHERE "{target}" IS NOT NULL ORDER BY person_id'
        ),
        "target": "outcome",
        "features": features,
        "id_column": "person_id",
        "model": "model.py:build_model",
        "evaluation": {"folds": 2, "bootstrap": 20, "seed": 1, "test_share": 0.3},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text(MODEL)
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "spec.yaml"


def _validated(run: Callable[[], Any], ran: list[str] | None = None) -> str:
    """Run a validation: "ran", or its one-line refusal (too small a cohort is allowed);
    the run's id goes to ``ran``."""
    try:
        outcome = run()
    except TestbenchError as exc:
        assert "\n" not in str(exc)
        return str(exc)
    json.dumps(outcome.evidence, allow_nan=False)  # what leaves is plain, finite JSON
    if ran is not None and outcome.run_id is not None:
        ran.append(outcome.run_id)
    return "ran"


def read_dashboard(home: Path, token: str, languages: tuple[str, ...]) -> int:
    """Every page of the dashboard as a buyer with the tenant's viewer ``token`` sees the
    published evidence of ``home`` (Streamlit's AppTest): none may raise, and the twin's
    pages show its published evaluation (beside a validation, or alone where none ran).
    Returns the pages rendered."""
    from streamlit.testing.v1 import AppTest

    from dashboards.i18n import t

    dashboards = Path(__file__).resolve().parents[2] / "dashboards"
    pages = sorted(p.name for p in (dashboards / "screens").glob("*.py") if p.stem != "__init__")
    rendered = 0
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TESTBENCH_HOME", str(home))
        env.setenv("TESTBENCH_DEMO_MODE", "0")
        at = AppTest.from_file(str(dashboards / "app.py"), default_timeout=120)
        at.query_params["token"] = token
        at.run()
        assert not at.exception, at.exception
        for lang in languages:
            at.sidebar.radio[0].set_value(lang).run()
            for page in pages:
                at.switch_page(f"screens/{page}").run()
                assert not at.exception, (page, lang, at.exception)
                rendered += 1
                if page in ("synthetic_twin.py", "privacy.py"):
                    assert at.table or at.metric, (page, [e.value for e in at.info])
                if page == "privacy.py":
                    assert t("privacy.check.singling_out", lang) in at.table[0].value.to_string()
    return rendered


# Shapes that failed once (issue 16), kept so they never fail again.
CORPUS = [
    LakeShape(
        persons=100,
        columns=("number",),
        children=(0.5,),
        self_reference=True,
        notes="a self-reference: ingestion refused it (its rows point at earlier rows)",
    ),
    LakeShape(
        persons=200,
        columns=("number", "category", "boolean"),
        notes="one table with a primary key: no unit table could be found",
    ),
    LakeShape(
        persons=200,
        columns=("number", "int_as_float", "mostly_missing", "boolean"),
        children=(4.0, 2.0),
        notes="tables named 'persons' and 'events': fidelity.tables.<name> read as a count",
    ),
    LakeShape(
        persons=50,
        columns=("rare_category", "all_missing", "text_date"),
        children=(1.0,),
        key_style="composite",
        notes="a tiny lake: the membership attack raised ValueError (a traceback)",
    ),
    LakeShape(
        persons=50,
        columns=("boolean",),
        notes="one yes/no column: detection's folds of equal rows left one fold empty",
    ),
    LakeShape(
        persons=141,
        columns=("rare_category",),
        notes="one rare category column: a constant twin view made the density attack's "
        "PCA divide by zero",
    ),
    LakeShape(
        persons=141,
        columns=("all_missing",),
        notes="one all-missing column: exact copies had no column to compare (a traceback)",
    ),
    LakeShape(
        persons=98,
        columns=("mostly_missing",),
        notes="one mostly-missing column: Evidently drew no drift page, which was required",
    ),
    LakeShape(
        persons=50,
        columns=("int_as_float",),
        notes="one float column of whole numbers: SDMetrics scored nothing (mean of no scores)",
    ),
]


@pytest.mark.parametrize("shape", CORPUS, ids=[s.notes.split(":")[0] for s in CORPUS])
def test_corpus_shapes_go_through_the_chain(shape: LakeShape, tmp_path: Path) -> None:
    outcome = run_chain(shape, tmp_path)
    if shape.persons < 100:  # 20 held-out persons at least, for the membership attack
        assert "larger lake" in str(outcome.get("refused", "larger lake")), outcome
    elif set(shape.columns) == {"all_missing"} and not shape.children:  # nothing to measure
        assert "no value in any column" in str(outcome.get("refused")), outcome
    else:
        assert "refused" not in outcome, outcome


shapes = st.builds(
    LakeShape,
    persons=st.integers(50, 200),
    columns=st.lists(st.sampled_from(KINDS), min_size=1, max_size=8).map(tuple),
    children=st.lists(st.sampled_from([0.5, 1.0, 3.0, 8.0]), max_size=2).map(tuple),
    person_table=st.sampled_from(["persons", "cohort", "n"]),
    self_reference=st.booleans(),
    key_style=st.sampled_from(["plain", "composite"]),
    seed=st.integers(0, 2**16),
)


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=shapes)
def test_any_lake_shape_goes_through_the_chain(shape: LakeShape, tmp_path_factory) -> None:
    run_chain(shape, tmp_path_factory.mktemp("lake"))  # the slow run below validates too


def test_a_spec_runs_inside_the_lake_of_an_awkward_shape(tmp_path: Path) -> None:
    """Validate is part of the chain: a spec on a lake of awkward columns runs in the lake."""
    shape = LakeShape(
        persons=150,
        columns=("int_as_float", "text_date", "mostly_missing", "boolean"),
        person_table="n",
        key_style="composite",
    )
    outcome = run_chain(shape, tmp_path, validate=True)
    assert outcome["lake"] == "ran", outcome
    assert outcome["pages"] == 10  # every page of the dashboard read the published evidence


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes)
def test_many_lake_shapes_go_through_the_chain(shape: LakeShape, tmp_path_factory) -> None:
    run_chain(shape, tmp_path_factory.mktemp("lake"), validate=True, languages=("da", "en"))


@pytest.mark.slow
def test_a_wide_lake_of_200_columns_goes_through_the_chain(tmp_path: Path) -> None:
    shape = LakeShape(persons=400, columns=tuple(KINDS[i % len(KINDS)] for i in range(200)))
    assert "refused" not in run_chain(shape, tmp_path)


@pytest.mark.cli
@pytest.mark.slow  # 35 s of CLI starts; the corpus runs the one-table chain through the library
def test_one_table_lake_on_the_command_line(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    shape = LakeShape(persons=150, columns=("number", "boolean", "int_as_float"))
    (table, path, key, _), *_ = make_files(shape, tmp_path / "files")
    cli("tenant", "create", "one", home=home)
    cli("lake", "ingest", "one", str(path), "--table", table, "--primary-key", key, home=home)
    status = json.loads(cli("lake", "status", "one", "--json", home=home).stdout)
    assert [t["name"] for t in status["tables"]] == [table]
    built = json.loads(cli("twin", "build", "one", "--json", home=home).stdout)
    assert built["unit_table"] == table
    evaluated = cli("twin", "evaluate", "one", "--json", home=home, check=False)
    assert evaluated.returncode in (0, 1), evaluated.stderr  # 1: the gate refused the twin
    assert set(json.loads(evaluated.stdout)["fidelity"]["tables"]) == {table}
    if evaluated.returncode == 1:  # too few persons for the attacks' intervals: one line
        refused = cli("twin", "export", "one", "--out", str(tmp_path / "b"), home=home, check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.cli
def test_a_table_without_a_primary_key_is_refused_in_one_line(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    pd.DataFrame({"age": [70, 80, 90] * 20}).to_csv(tmp_path / "t.csv", index=False)
    cli("tenant", "create", "one", home=home)
    cli("lake", "ingest", "one", str(tmp_path / "t.csv"), "--table", "cohort", home=home)
    result = cli("twin", "build", "one", home=home, check=False)
    assert result.returncode != 0
    assert "error: table cohort has no primary key" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.cli
@pytest.mark.slow  # 30 s; the corpus's 50-person shapes check the refusal through the library
def test_a_tiny_lake_is_refused_in_one_line_at_evaluation(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    shape = LakeShape(persons=50, columns=("number", "category"))
    (table, path, key, _), *_ = make_files(shape, tmp_path / "files")
    cli("tenant", "create", "tiny", home=home)
    cli("lake", "ingest", "tiny", str(path), "--table", table, "--primary-key", key, home=home)
    cli("twin", "build", "tiny", home=home)
    result = cli("twin", "evaluate", "tiny", home=home, check=False)
    assert result.returncode not in (0, 1) and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot measure the privacy") and "larger lake" in last


def test_a_self_reference_to_a_row_that_is_not_there_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    config = Settings(home=tmp_path / "home")
    tenant = TenantRegistry(config).create("self")
    lake = tenant_lake(tenant)
    rows = tmp_path / "visits.csv"
    rows.write_text("visit,previous\nV1,\nV2,V1\nV3,V9\n")  # V9 is no visit
    with pytest.raises(TestbenchError, match="no row of visits holds") as refused:
        ingest_file(lake, tenant.derived_key("pseudonym"), rows, "visits", None, "visit",
                    ["previous:visits.visit"])  # fmt: skip
    assert "\n" not in str(refused.value) and "V9" not in str(refused.value)
    assert "visits" not in lake.tables()
    rows.write_text("visit,previous\nV1,\nV2,V1\nV3,V1\n")
    ingest_file(lake, tenant.derived_key("pseudonym"), rows, "visits", None, "visit",
                ["previous:visits.visit"])  # fmt: skip
    assert [(r.child_column, r.parent_table) for r in lake.relations()] == [("previous", "visits")]

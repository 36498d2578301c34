"""Cohort SQL errors point at the line; cohort frames are checked against the spec."""

from __future__ import annotations

from functools import partial

import duckdb
import pandas as pd
import pytest

from testbench.lake.cohort import query_frames
from testbench.lake.errors import LakeEmpty, QueryRefused
from testbench.spec import ValidationSpec, load_cohort, load_spec, resolve_cohort, run_cohort_sql
from testbench.spec.errors import SpecError


def _people(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pnr": [f"p{i:03d}" for i in range(n)],
            "age": [60 + i % 30 for i in range(n)],
            "sex": ["female" if i % 3 else "male" for i in range(n)],
            "outcome": [i % 2 for i in range(n)],
            "code": ["12" if i % 7 else "secret-cell" for i in range(n)],
        }
    )


@pytest.fixture
def spec(write_spec) -> ValidationSpec:
    return load_spec(write_spec())


def _cohort_error(spec: ValidationSpec, frame: pd.DataFrame) -> str:
    with pytest.raises(SpecError) as caught:
        resolve_cohort(spec, frame)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_cohort_runs_on_frames_and_splits_into_parts(spec: ValidationSpec) -> None:
    cohort = load_cohort(spec, partial(query_frames, {"people": _people()}))
    assert cohort.features == ("age",)  # default: all but target, id and subgroups
    assert list(cohort.X.columns) == ["age"]
    assert cohort.y.dtype == "int64" and set(cohort.y) == {0, 1}
    assert cohort.ids.is_unique and len(cohort.ids) == 40
    assert list(cohort.subgroups.columns) == ["sex"]


def test_listed_features_are_kept_in_order(write_spec) -> None:
    spec = load_spec(write_spec(extra="features: [sex, age]\n"))
    cohort = resolve_cohort(spec, _people().rename(columns={"pnr": "person_id"}))
    assert cohort.features == ("sex", "age")


def test_sql_error_names_the_cohort_line_and_the_file_line(spec: ValidationSpec) -> None:
    broken = spec.model_copy(update={"cohort": spec.cohort.replace("age,", "agee,")})
    with pytest.raises(SpecError) as caught:
        run_cohort_sql(broken, partial(query_frames, {"people": _people()}))
    message = str(caught.value)
    assert message.startswith("field 'cohort', SQL line 2 (line 5 of the spec file): Binder Error")
    assert '"agee"' in message and "\n" not in message


def test_sql_syntax_error(spec: ValidationSpec) -> None:
    broken = spec.model_copy(update={"cohort": spec.cohort.replace("FROM", "FROMM")})
    with pytest.raises(SpecError, match=r"SQL line 5 \(line 8 of the spec file\): Parser Error"):
        run_cohort_sql(broken, partial(query_frames, {"people": _people()}))


def test_unknown_table(spec: ValidationSpec) -> None:
    with pytest.raises(SpecError, match="Catalog Error: Table with name people does not exist"):
        run_cohort_sql(spec, partial(query_frames, {"persons": _people()}))


def test_cell_values_are_not_quoted_in_errors(spec: ValidationSpec) -> None:
    sql = "SELECT pnr AS person_id, CAST(code AS INTEGER) AS age, sex, outcome FROM people"
    with pytest.raises(SpecError) as caught:
        run_cohort_sql(
            spec.model_copy(update={"cohort": sql}), partial(query_frames, {"people": _people()})
        )
    assert "Conversion Error" in str(caught.value) and "secret-cell" not in str(caught.value)


def test_raw_duckdb_errors_are_wrapped(spec: ValidationSpec) -> None:
    def run(sql: str) -> pd.DataFrame:
        with duckdb.connect() as con:  # no tables: DuckDB's own error
            return con.execute(sql).df()

    with pytest.raises(SpecError, match="field 'cohort', SQL line 5"):
        run_cohort_sql(spec, run)


def test_refused_query_passes_through(spec: ValidationSpec) -> None:
    sql = "SELECT * FROM read_csv('/etc/hostname')"
    with pytest.raises(QueryRefused):
        run_cohort_sql(spec.model_copy(update={"cohort": sql}), partial(query_frames, {}))


def test_lake_failures_that_are_not_sql_pass_through(spec: ValidationSpec) -> None:
    def empty_lake(sql: str) -> pd.DataFrame:
        raise LakeEmpty("the lake has no tables yet; run `testbench lake simulate`")

    with pytest.raises(LakeEmpty):
        run_cohort_sql(spec, empty_lake)


def _frame() -> pd.DataFrame:
    return _people().rename(columns={"pnr": "person_id"}).drop(columns="code")


def test_missing_target_lists_the_columns(spec: ValidationSpec) -> None:
    message = _cohort_error(spec, _frame().drop(columns="outcome"))
    assert message == (
        "field 'target': 'outcome' not in the cohort; its columns are: person_id, age, sex"
    )


def test_missing_id_column(spec: ValidationSpec) -> None:
    message = _cohort_error(spec, _frame().rename(columns={"person_id": "pnr"}))
    assert "field 'id_column': 'person_id' not in the cohort" in message


def test_repeated_ids(spec: ValidationSpec) -> None:
    frame = _frame()
    frame.loc[1, "person_id"] = frame.loc[0, "person_id"]
    message = _cohort_error(spec, frame)
    assert "'person_id' repeats" in message and "p000" not in message


def test_missing_feature_and_subgroup(write_spec) -> None:
    spec = load_spec(write_spec(extra="features: [age, bmi]\n"))
    assert "field 'features': bmi not in the cohort" in _cohort_error(spec, _frame())
    spec = load_spec(write_spec(replace={"subgroups: [sex]": "subgroups: [sex, region]"}))
    assert "field 'subgroups': region not in the cohort" in _cohort_error(spec, _frame())


def test_empty_cohort(spec: ValidationSpec) -> None:
    assert "returned no rows" in _cohort_error(spec, _frame().iloc[:0])


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ([0, 1, 2] * 13 + [0], "must be 0/1 or true/false"),
        (["yes", "no"] * 20, "must be 0/1 or true/false"),
        ([1] * 40, "is always 1 in the cohort"),
        ([0, 1] * 19 + [None, None], "is missing in some rows"),
        ([1] * 37 + [0] * 3, "smaller class has fewer rows than the 5"),
    ],
)
def test_binary_target_must_be_zero_one_with_both_classes(
    spec: ValidationSpec, outcome: list[object], expected: str
) -> None:
    assert expected in _cohort_error(spec, _frame().assign(outcome=outcome))


def test_boolean_target_becomes_zero_one(spec: ValidationSpec) -> None:
    cohort = resolve_cohort(spec, _frame().assign(outcome=[i % 4 == 0 for i in range(40)]))
    assert cohort.y.dtype == "int64" and int(cohort.y.sum()) == 10
    assert cohort.frame["outcome"].dtype == "int64"


def test_regression_target_must_be_numeric(write_spec) -> None:
    path = write_spec(replace={"task: binary_classification": "task: regression"})
    spec = load_spec(path)
    message = _cohort_error(spec, _frame().assign(outcome=["a"] * 40))
    assert "not numeric" in message
    cohort = resolve_cohort(spec, _frame().assign(outcome=[i / 3 for i in range(40)]))
    assert cohort.y.dtype == "float64"

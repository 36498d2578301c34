"""Running a spec's cohort SQL and checking that the result fits the spec.

The SQL itself runs wherever the caller says (the lake's audited, locked-down
``Lake.query``, or :func:`testbench.lake.cohort.query_frames` over a twin bundle);
this module turns DuckDB's errors into spec errors that point at the SQL's line,
and checks the cohort frame against the spec's columns and task.

Messages never quote a cohort value: a failing cell could be lake data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from testbench.lake.errors import LakeError, QueryRefused
from testbench.spec.errors import SpecError
from testbench.spec.schema import ValidationSpec

RunSql = Callable[[str], pd.DataFrame]  # runs cohort SQL somewhere, returns the rows

SQL_FAILED = "cohort SQL failed: "  # prefix testbench.lake.cohort.run_locked puts on errors
LINE = re.compile(r"^LINE (\d+):", re.MULTILINE)
# DuckDB errors about the SQL text or the schema quote only SQL and names; others
# (conversion, out of range, ...) can quote a cell's value, which is redacted.
SCHEMA_ERRORS = ("Parser Error", "Binder Error", "Catalog Error", "Syntax Error")
QUOTED = re.compile(r"'[^']*'")


@dataclass(frozen=True)
class CohortData:
    """A cohort checked against its spec, split into the parts a validation run needs."""

    frame: pd.DataFrame  # the cohort, one row per unit, target recoded to 0/1 if binary
    features: tuple[str, ...]  # model input columns (the X columns), in order
    y: pd.Series  # the outcome: int 0/1 for binary classification, float for regression
    ids: pd.Series  # the unit identifiers, unique
    subgroups: pd.DataFrame  # the columns performance is reported by (may have none)

    @property
    def X(self) -> pd.DataFrame:  # capital X: scikit-learn's name for the inputs
        """The model inputs."""
        return self.frame[list(self.features)]


def run_cohort_sql(spec: ValidationSpec, run_sql: RunSql) -> pd.DataFrame:
    """Run the spec's cohort SQL through ``run_sql``; SQL errors become spec errors.

    Args:
        spec: The spec.
        run_sql: Runs SQL and returns a DataFrame, e.g. ``lake.query`` or
            ``functools.partial(query_frames, tables)``.

    Returns:
        The cohort frame, unchecked (see :func:`resolve_cohort`).

    Raises:
        SpecError: DuckDB rejected the SQL; the message names the cohort's line and,
            for a literal block (``cohort: |``), the spec file's line.
        QueryRefused: the SQL tried to reach outside the tables (passed on unchanged).
    """
    try:
        return run_sql(spec.cohort)
    except QueryRefused:
        raise
    except LakeError as exc:
        message = str(exc)
        if not message.startswith(SQL_FAILED):  # the lake itself failed, not the SQL
            raise
        raise SpecError(describe_sql_error(spec, message.removeprefix(SQL_FAILED))) from None
    except duckdb.Error as exc:
        raise SpecError(describe_sql_error(spec, str(exc))) from None


def describe_sql_error(spec: ValidationSpec, message: str) -> str:
    """One line for a DuckDB error message: its kind, its hints, and where in the spec.

    Args:
        spec: The spec whose cohort SQL failed.
        message: DuckDB's message, e.g. ``"Binder Error: ...\\n\\nLINE 3: ..."``.

    Returns:
        E.g. ``"field 'cohort', SQL line 3 (line 9 of the spec file): Binder Error: Referenced
        column "agee" not found ...; fix the cohort SQL"``.
    """
    head = message.strip().split("\n\n", 1)[0]
    text = " ".join(part.strip() for part in head.splitlines() if part.strip())
    if not text.startswith(SCHEMA_ERRORS):
        text = QUOTED.sub("'…'", text)
    where = "field 'cohort'"
    found = LINE.search(message)
    if found is not None:
        line = int(found.group(1))
        where += f", SQL line {line}"
        if spec.cohort_line is not None:
            where += f" (line {spec.cohort_line + line - 1} of the spec file)"
    return f"{where}: {text}; fix the cohort SQL"


def resolve_cohort(spec: ValidationSpec, frame: pd.DataFrame) -> CohortData:
    """Check a cohort frame against the spec and split it into features, target, ids.

    Args:
        spec: The spec.
        frame: What the cohort SQL returned.

    Returns:
        The checked cohort. Features default to every column but the target, the id
        column and the subgroups.

    Raises:
        SpecError: the cohort is empty; the target, id column, a feature or a subgroup
            is not a column of it; ids repeat; the target has missing values, or (binary)
            is not 0/1 with both classes, or (regression) is not numeric; or the smaller
            class has fewer rows than ``evaluation.folds``.
    """
    columns = list(frame.columns)
    listed = ", ".join(map(str, columns))
    if frame.empty:
        raise SpecError(
            "field 'cohort': the cohort SQL returned no rows; check its WHERE clauses "
            "against the data's date range"
        )
    for role, column in (("target", spec.target), ("id_column", spec.id_column)):
        if column not in frame.columns:
            raise SpecError(
                f"field {role!r}: {column!r} not in the cohort; its columns are: {listed}"
            )
    roles = {spec.target, spec.id_column, *spec.subgroups}
    features = (
        spec.features if spec.features is not None else [c for c in columns if c not in roles]
    )
    for role, wanted in (("features", features), ("subgroups", spec.subgroups)):
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise SpecError(
                f"field {role!r}: {', '.join(missing)} not in the cohort; its columns are: {listed}"
            )
    if not features:
        raise SpecError(
            "field 'features': the cohort has no feature columns besides the target, id "
            "and subgroups; select some in the cohort SQL or list them under features"
        )
    if frame.columns.duplicated().any():
        raise SpecError("field 'cohort': the cohort SQL returns a column name twice; alias them")

    ids = frame[spec.id_column]
    if ids.isna().any():
        raise SpecError(
            f"field 'id_column': {spec.id_column!r} is missing in some rows; every unit needs one"
        )
    if ids.duplicated().any():
        raise SpecError(
            f"field 'id_column': {spec.id_column!r} repeats; the cohort SQL must return one "
            "row per unit (GROUP BY it, or keep the first event per unit)"
        )
    y = _target(spec, frame[spec.target])
    frame = frame.assign(**{spec.target: y})
    return CohortData(
        frame=frame,
        features=tuple(features),
        y=y,
        ids=ids,
        subgroups=frame[list(spec.subgroups)],
    )


def load_cohort(spec: ValidationSpec, run_sql: RunSql) -> CohortData:
    """Run the spec's cohort SQL and check the result: :func:`run_cohort_sql` then
    :func:`resolve_cohort` (see both for arguments and errors)."""
    return resolve_cohort(spec, run_cohort_sql(spec, run_sql))


def _target(spec: ValidationSpec, target: pd.Series) -> pd.Series:
    """The target as int 0/1 (binary) or float (regression), after checking it."""
    name = f"field 'target': {spec.target!r}"
    if target.isna().any():
        raise SpecError(
            f"{name} is missing in some rows; give every unit an outcome "
            "(e.g. COALESCE(..., 0)) or leave those units out"
        )
    folds = spec.evaluation.folds
    if spec.task == "regression":
        if is_bool_dtype(target) or not is_numeric_dtype(target):
            raise SpecError(f"{name} is {target.dtype}, not numeric; a regression needs numbers")
        if target.nunique() < 2:
            raise SpecError(f"{name} has a single value in the cohort; nothing to predict")
        if len(target) < folds:
            raise SpecError(
                f"{name}: too few rows for {folds} folds; widen the cohort or lower "
                "evaluation.folds"
            )
        return target.astype(float)
    values = set(pd.unique(target))
    if not (is_bool_dtype(target) or is_numeric_dtype(target)) or not values <= {0, 1}:
        raise SpecError(
            f"{name} must be 0/1 or true/false for binary_classification (it has "
            f"{len(values)} distinct values of type {target.dtype}); recode it in the cohort SQL"
        )
    y = target.astype("int64")
    if y.nunique() < 2:
        raise SpecError(
            f"{name} is always {int(y.iloc[0])} in the cohort; a binary target needs both "
            "0 and 1: check the outcome's definition or widen the cohort"
        )
    # Counts stay out of the message: below the disclosure threshold they would describe
    # a handful of persons in the lake.
    if min(y.sum(), len(y) - y.sum()) < folds:
        raise SpecError(
            f"{name}: the smaller class has fewer rows than the {folds} cross-validation "
            "folds; widen the cohort or lower evaluation.folds"
        )
    return y

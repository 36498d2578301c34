"""Checking an extract's rows against a table plan: the core of ingestion, no disk, no lake.

:func:`check_rows` takes the file's rows (all text) and a :class:`TablePlan`, and
splits them into the rows that go into the lake (typed, CPR numbers replaced by
pseudonyms) and the rows that go to quarantine (as text, each with its source row
number and every reason it failed). Every row ends up in exactly one of the two.

Reasons name a column and a problem, never a value, e.g.
``"diag_kode: not an ICD-10 code with the D prefix (like DI50)"``, so they can be
counted, shown and logged safely.

Where CPR numbers can turn up, and what happens to them:

- In a CPR column: replaced by the keyed pseudonym (a value that already is a
  pseudonym, as the simulator writes them, is kept). Not a valid CPR number: the
  row is quarantined and the value masked.
- In any other column (bar opaque identifiers such as ``dw_ek_kontakt``): the row
  is quarantined (``"looks like a CPR number"``) and the value masked, so a CPR
  number typed into the wrong column does not slip through.
- In any column of a quarantined row: masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from generators.registers.geography import KOM_TO_REG
from testbench.lake.contracts import CodeFormat, ColumnRule, ForeignKey
from testbench.lake.pseudonym import (
    CPR_MASK,
    cpr_digits,
    is_pseudonym,
    looks_like_cpr,
    pseudonymise,
)
from testbench.lake.values import ColumnType, by_unique, parse

SOURCE_ROW = "tb_source_row"  # quarantine column: the row's 1-based data-row number in the file
REASON = "tb_reason"  # quarantine column: every reason the row failed, "; "-separated
EARLIEST = pd.Timestamp("1900-01-01")  # contract dates before this are implausible

_TYPE_PROBLEM = {
    ColumnType.INT: "not a whole number",
    ColumnType.FLOAT: "not a number",
    ColumnType.DATE: "not a date (like 2020-12-31 or 31-12-2020)",
    ColumnType.TIMESTAMP: "not a date and time (like 2020-12-31 08:30)",
    ColumnType.BOOL: "not true or false",
}


@dataclass(frozen=True)
class TablePlan:
    """How to check and store one extract: a rule per column and the table's keys."""

    rules: tuple[ColumnRule, ...]  # one per file column, in file order, under its lake name
    primary_key: str | None = None  # unique column (its rule must not be nullable)
    foreign_keys: tuple[ForeignKey, ...] = ()  # references checked against the parent
    intervals: tuple[tuple[str, str], ...] = ()  # (start, end) columns: end >= start
    municipality_region: tuple[str, str] | None = None  # (kom, reg) columns that must agree
    contract_columns: frozenset[str] = frozenset()  # columns with contract rules (dates checked)

    @property
    def cpr_columns(self) -> list[str]:
        """The columns whose values are replaced by pseudonyms."""
        return [r.name for r in self.rules if r.kind is ColumnType.CPR]


@dataclass(frozen=True)
class CheckedRows:
    """An extract split into lake rows and quarantine rows."""

    table: pd.DataFrame  # rows for the lake, typed, pseudonymised; in file order
    quarantine: pd.DataFrame  # SOURCE_ROW, REASON, then the file's columns as masked text
    reasons: dict[str, int]  # reason -> rows failing it (a row may fail several)


class _Problems:
    """Reasons collected per row, in the order the checks ran."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.masks: dict[str, np.ndarray] = {}

    def add(self, reason: str, mask: pd.Series | np.ndarray) -> None:
        hit = np.asarray(mask, dtype=bool)
        if hit.any():
            self.masks[reason] = self.masks.get(reason, np.zeros(self.size, bool)) | hit

    def failed(self) -> np.ndarray:
        out = np.zeros(self.size, bool)
        for mask in self.masks.values():
            out |= mask
        return out

    def reasons_of(self, positions: np.ndarray) -> list[str]:
        lists: dict[int, list[str]] = {int(p): [] for p in positions}
        for reason, mask in self.masks.items():
            for p in np.flatnonzero(mask):
                lists[int(p)].append(reason)
        return ["; ".join(lists[int(p)]) for p in positions]


def _code_problem(code: CodeFormat) -> str:
    return f"not a valid {code.name} (like {code.example})"


def _fits(text: pd.Series, code: CodeFormat) -> pd.Series:
    """Which present values are codes of ``code`` (missing values count as fitting)."""

    def fits(uniques: pd.Series) -> pd.Series:
        if code.allowed is not None:
            return uniques.isin(list(code.allowed))
        return uniques.astype(str).str.fullmatch(code.pattern or ".*").astype(bool)

    return by_unique(text, fits, True).astype(bool)


def _as_string(values: pd.Series) -> pd.Series:
    """Text for the lake: pandas' string dtype, so an all-empty column is still VARCHAR."""
    return values.astype(object).where(values.notna(), None).astype("string")


def _isin(child: pd.Series, parent: pd.Series) -> pd.Series:
    """Membership that survives a type mismatch (an int key read as text, or the reverse)."""
    numeric = pd.api.types.is_numeric_dtype
    if (numeric(child) and numeric(parent)) or child.dtype == parent.dtype:
        return child.isin(parent.dropna())
    keys = list(set(parent.dropna().astype(str)))
    return by_unique(child, lambda uniques: uniques.astype(str).isin(keys), False).astype(bool)


def _check_column(
    rule: ColumnRule,
    values: pd.Series,
    key: str,
    problems: _Problems,
    plausible: bool,
    today: date,
) -> tuple[pd.Series, pd.Series]:
    """Check one column; return its lake values and the values a quarantine row may show."""
    name = rule.name
    present = values.notna()
    if not rule.nullable:
        problems.add(f"{name}: missing", ~present)
    shown = values.astype(object)

    if rule.kind is ColumnType.CPR:
        digits = cpr_digits(values, today)
        already = is_pseudonym(values)
        problems.add(
            f"{name}: not a valid CPR number (DDMMYY-SSSS with a real date of birth)",
            present & digits.isna() & ~already,
        )
        lake = pseudonymise(digits, key).where(~already, values)
        shown = lake.where(lake.notna() | ~present, CPR_MASK)
        return _as_string(lake), shown

    if not rule.identifier:
        problems.add(
            f"{name}: looks like a CPR number (declare the column as CPR, or remove it)",
            looks_like_cpr(values, today),
        )
    if rule.kind in (ColumnType.TEXT, ColumnType.CODE):
        lake = values
        if rule.kind is ColumnType.CODE:
            lake = by_unique(values, lambda u: u.astype(str).str.strip(), None)
        if rule.code is not None:
            problems.add(f"{name}: {_code_problem(rule.code)}", ~_fits(lake, rule.code))
        return _as_string(lake), shown

    parsed = parse(values, rule.kind)
    problems.add(f"{name}: {_TYPE_PROBLEM[rule.kind]}", parsed.bad)
    lake = parsed.values
    if rule.code is not None:
        text = lake.astype("string")
        problems.add(f"{name}: {_code_problem(rule.code)}", ~_fits(text, rule.code))
    if plausible and rule.kind in (ColumnType.DATE, ColumnType.TIMESTAMP):
        tomorrow = pd.Timestamp(today) + pd.Timedelta(days=1)
        problems.add(f"{name}: in the future", lake >= tomorrow)
        problems.add(f"{name}: before 1900", lake < EARLIEST)
    return lake, shown


def check_rows(
    frame: pd.DataFrame,
    plan: TablePlan,
    pseudonym_key: str,
    parent_keys: dict[str, pd.Series] | None = None,
    field_counts: pd.Series | None = None,
    today: date | None = None,
) -> CheckedRows:
    """Split an extract's rows into lake rows and quarantine rows.

    Args:
        frame: the file's rows as text (``str`` or ``None``), one column per plan rule,
            indexed by 1-based source row number.
        plan: rules, keys and cross-column checks.
        pseudonym_key: the tenant's pseudonym key.
        parent_keys: for each foreign-key column, the parent column's values in the lake.
        field_counts: source row -> fields found, for rows whose field count is wrong.
        today: the day that counts as today (dates after it are in the future).

    Returns:
        The split. The first row with a primary key is kept, later ones quarantined;
        rows failing another check do not count as "first".
    """
    today = today or date.today()
    parent_keys = parent_keys or {}
    size = len(frame)
    problems = _Problems(size)
    if field_counts is not None and len(field_counts):
        ragged = frame.index.isin(field_counts.index)
        problems.add(f"row: wrong number of fields (the header has {frame.shape[1]})", ragged)

    lake: dict[str, pd.Series] = {}
    shown: dict[str, pd.Series] = {}
    for rule in plan.rules:
        plausible = rule.name in plan.contract_columns
        values = frame[rule.name]
        lake[rule.name], shown[rule.name] = _check_column(
            rule, values, pseudonym_key, problems, plausible, today
        )

    for start, end in plan.intervals:
        if start in lake and end in lake:
            problems.add(f"{end}: before {start}", lake[end] < lake[start])
    if plan.municipality_region is not None:
        kom, reg = plan.municipality_region
        if kom in lake and reg in lake:
            expected = lake[kom].map(KOM_TO_REG, na_action="ignore")
            clash = expected.notna() & lake[reg].notna() & (expected != lake[reg]).fillna(False)
            problems.add(f"{kom}: municipality not in the region given in {reg}", clash)

    for fk in plan.foreign_keys:
        if fk.column in parent_keys:
            child = lake[fk.column]
            orphan = child.notna() & ~_isin(child, parent_keys[fk.column])
            problems.add(f"{fk.column}: no matching {fk.parent_table}.{fk.parent_column}", orphan)

    if plan.primary_key is not None:
        pk = lake[plan.primary_key]  # its rule is not nullable: missing keys are caught
        candidates = ~problems.failed()
        duplicate = np.zeros(size, bool)
        duplicate[candidates] = pk[candidates].duplicated(keep="first").to_numpy()
        problems.add(
            f"{plan.primary_key}: duplicate primary key (an earlier row has it)", duplicate
        )

    return _split(frame, plan, lake, shown, problems, today)


def _split(
    frame: pd.DataFrame,
    plan: TablePlan,
    lake: dict[str, pd.Series],
    shown: dict[str, pd.Series],
    problems: _Problems,
    today: date,
) -> CheckedRows:
    failed = problems.failed()
    table = pd.DataFrame({name: values[~failed] for name, values in lake.items()})
    table = table.reset_index(drop=True)

    positions = np.flatnonzero(failed)
    quarantine = pd.DataFrame(
        {
            SOURCE_ROW: pd.Series(frame.index[positions], dtype="int64"),
            REASON: pd.Series(problems.reasons_of(positions), dtype="string"),
        }
    )
    cpr = set(plan.cpr_columns)
    for name, values in shown.items():
        values = values.iloc[positions]
        if name not in cpr:  # a CPR number anywhere else in a refused row is masked too
            values = values.where(~looks_like_cpr(values, today), CPR_MASK)
        quarantine[name] = _as_string(values).reset_index(drop=True)
    reasons = {reason: int(mask.sum()) for reason, mask in problems.masks.items()}
    return CheckedRows(table=table, quarantine=quarantine, reasons=reasons)

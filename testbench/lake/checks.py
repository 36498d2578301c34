"""Checking an extract's rows against a table plan: the core of ingestion, no disk, no lake.

:func:`check_coded` takes the file's rows (all text, coded, see
:mod:`testbench.lake.coded`) and a :class:`TablePlan`, and splits them into the
rows that go into the lake (typed, CPR numbers replaced by pseudonyms) and the
rows that go to quarantine (as text, each with its source row number and every
reason it failed). Every row ends up in exactly one of the two.

Checks of single values run once per distinct value
(:func:`~testbench.lake.verdicts.check_column`); the checks here combine values
of a row: missing values, wrong field counts, intervals (end before start),
municipality against region, foreign keys and duplicate primary keys.
:func:`check_rows` is the same for a small frame, returning frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from generators.registers.geography import KOM_TO_REG
from testbench.lake.coded import CodedColumn, CodedTable
from testbench.lake.contracts import ColumnRule, ForeignKey
from testbench.lake.values import ColumnType
from testbench.lake.verdicts import TEXT_KINDS, ColumnVerdict, check_column

SOURCE_ROW = "tb_source_row"  # quarantine column: the row's 1-based data-row number in the file
REASON = "tb_reason"  # quarantine column: every reason the row failed, "; "-separated


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
    """An extract split into lake rows and quarantine rows, as frames."""

    table: pd.DataFrame  # rows for the lake, typed, pseudonymised; in file order
    quarantine: pd.DataFrame  # SOURCE_ROW, REASON, then the file's columns as masked text
    reasons: dict[str, int]  # reason -> rows failing it (a row may fail several)


class _Problems:
    """Reasons collected per row, in the order the checks ran."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.masks: dict[str, np.ndarray] = {}

    def add(self, reason: str, mask: np.ndarray) -> None:
        hit = np.asarray(mask, dtype=bool)
        if hit.any():
            self.masks[reason] = self.masks.get(reason, np.zeros(self.size, bool)) | hit

    def failed(self) -> np.ndarray:
        out = np.zeros(self.size, bool)
        for mask in self.masks.values():
            out |= mask
        return out

    def reason_patterns(self, positions: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The reasons of the rows at ``positions``: an index per row into the distinct
        "; "-joined reason texts (few, however many rows), and those texts."""
        if not len(positions) or not self.masks:
            return np.zeros(len(positions), np.int32), [""]
        names = np.array(list(self.masks), dtype=object)
        matrix = np.stack([self.masks[n][positions] for n in names], axis=1)
        if len(names) < 63:  # each row's reasons as the bits of one integer: a 1-D unique
            keys = matrix.astype(np.int64) @ (np.int64(1) << np.arange(len(names), dtype=np.int64))
            patterns, inverse = np.unique(keys, return_inverse=True)
            bits = (patterns[:, None] >> np.arange(len(names))) & 1 == 1
        else:
            packed, inverse = np.unique(np.packbits(matrix, axis=1), axis=0, return_inverse=True)
            bits = np.unpackbits(packed, axis=1)[:, : len(names)].astype(bool)
        texts = ["; ".join(names[row]) for row in bits]
        return np.asarray(inverse, dtype=np.int32).reshape(-1), texts


def _dictionary(codes: np.ndarray, values: pd.Series | list[str]) -> pa.DictionaryArray:
    """Per-row codes (-1: missing) into ``values`` as an Arrow dictionary column of text."""
    text = pd.Series(values, dtype=object)
    text = text.where(text.notna(), None)
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(text.to_numpy(), pa.string()))


@dataclass(frozen=True)
class Checked:
    """The verdict on every row of an extract; builds the lake table and the quarantine."""

    table: CodedTable  # the rows, under their lake column names
    plan: TablePlan
    verdicts: dict[str, ColumnVerdict]  # column -> verdict on its distinct values
    problems: _Problems  # reason -> rows

    @cached_property
    def failed(self) -> np.ndarray:
        """Bool per row: quarantined."""
        return self.problems.failed()

    def reasons(self) -> dict[str, int]:
        """Reason -> rows failing it (a row may fail several), in the order checks ran."""
        return {reason: int(mask.sum()) for reason, mask in self.problems.masks.items()}

    def lake_arrow(self) -> pa.Table:
        """The rows that passed, typed, as an Arrow table (text columns dictionary-coded)."""
        keep = ~self.failed
        arrays = {}
        for rule in self.plan.rules:
            column, verdict = self.table.columns[rule.name], self.verdicts[rule.name]
            codes = column.codes[keep]
            if rule.kind in TEXT_KINDS:
                arrays[rule.name] = _dictionary(codes, verdict.lake)
            else:
                kept = CodedColumn(codes, column.uniques)
                arrays[rule.name] = pa.array(pd.Series(kept.spread(verdict.lake, None)))
        return pa.table(arrays) if arrays else pa.table({})

    def lake_frame(self) -> pd.DataFrame:
        """The rows that passed, typed, as a frame (text columns of pandas' string dtype)."""
        keep = ~self.failed
        out = {}
        for rule in self.plan.rules:
            column = self.table.columns[rule.name]
            kept = CodedColumn(column.codes[keep], column.uniques)
            out[rule.name] = pd.Series(kept.spread(self.verdicts[rule.name].lake, None))
        return pd.DataFrame(out, columns=[r.name for r in self.plan.rules])

    def quarantine_arrow(self) -> pa.Table:
        """The refused rows: source row, reasons, then every column as masked text."""
        positions = np.flatnonzero(self.failed)
        reasons, texts = self.problems.reason_patterns(positions)
        arrays = {
            SOURCE_ROW: pa.array(self.table.source_rows[positions], pa.int64()),
            REASON: _dictionary(reasons, texts),
        }
        for rule in self.plan.rules:
            codes = self.table.columns[rule.name].codes[positions]
            arrays[rule.name] = _dictionary(codes, self.verdicts[rule.name].shown)
        return pa.table(arrays)

    def quarantine_frame(self) -> pd.DataFrame:
        """:meth:`quarantine_arrow` as a frame (text columns of pandas' string dtype)."""
        table = self.quarantine_arrow()
        out = {SOURCE_ROW: pd.Series(table.column(SOURCE_ROW).to_numpy(), dtype="int64")}
        for name in table.column_names[1:]:
            out[name] = pd.Series(table.column(name).to_pylist(), dtype="string")
        return pd.DataFrame(out, columns=table.column_names)


def _canonical(verdict: ColumnVerdict) -> np.ndarray:
    """Per distinct value, a code shared by all values with the same lake value (-1: none)."""
    codes, _ = pd.factorize(verdict.lake, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def _isin(child: pd.Series, parent: pd.Series) -> np.ndarray:
    """Membership that survives a type mismatch (an int key read as text, or the reverse)."""
    numeric = pd.api.types.is_numeric_dtype
    if (numeric(child) and numeric(parent)) or child.dtype == parent.dtype:
        return child.isin(parent.dropna()).to_numpy(dtype=bool)
    keys = set(parent.dropna().astype(str))
    return child.astype(str).isin(keys).to_numpy(dtype=bool)


def _region_clash(
    table: CodedTable, verdicts: Mapping[str, ColumnVerdict], kom: str, reg: str
) -> np.ndarray:
    """Rows whose municipality lies in another region than the one given."""
    reg_codes = _canonical(verdicts[reg])
    known = {value: int(code) for value, code in zip(verdicts[reg].lake, reg_codes, strict=True)}
    expected = verdicts[kom].lake.map(KOM_TO_REG, na_action="ignore")
    # Per municipality value: the region's code (-2: a region no row gives; -1: unknown kom).
    wanted = np.array([known.get(e, -2) if isinstance(e, str) else -1 for e in expected])
    row_wanted = table.columns[kom].spread(wanted.astype(np.int64), -1)
    row_reg = table.columns[reg].spread(reg_codes, -1)
    return (row_wanted != -1) & (row_reg >= 0) & (row_wanted != row_reg)


def check_coded(
    table: CodedTable,
    plan: TablePlan,
    pseudonym_key: str,
    parent_keys: Mapping[str, pd.Series] | None = None,
    today: date | None = None,
) -> Checked:
    """Check every row of an extract.

    Args:
        table: the file's rows as text, one column per plan rule (under its lake name).
        plan: rules, keys and cross-column checks.
        pseudonym_key: the tenant's pseudonym key.
        parent_keys: for each foreign-key column, the parent column's values in the lake.
        today: the day that counts as today (dates after it are in the future).

    Returns:
        The verdict. The first row with a primary key is kept, later ones quarantined;
        rows failing another check do not count as "first".
    """
    today = today or date.today()
    parent_keys = parent_keys or {}
    problems = _Problems(table.rows)
    problems.add(f"row: wrong number of fields (the header has {len(table.columns)})", table.ragged)

    verdicts: dict[str, ColumnVerdict] = {}
    for rule in plan.rules:
        column = table.columns[rule.name]
        plausible = rule.name in plan.contract_columns
        verdict = check_column(rule, column.uniques, pseudonym_key, plausible, today)
        verdicts[rule.name] = verdict
        if not rule.nullable:
            problems.add(f"{rule.name}: missing", ~column.present)
        for reason, hit in verdict.problems.items():
            problems.add(reason, column.spread(hit, False))

    def row_values(name: str) -> np.ndarray:
        return np.asarray(table.columns[name].spread(verdicts[name].lake, None))

    for start, end in plan.intervals:
        if start in verdicts and end in verdicts:
            ends = pd.Series(row_values(end))
            problems.add(f"{end}: before {start}", (ends < pd.Series(row_values(start))).to_numpy())
    if plan.municipality_region is not None:
        kom, reg = plan.municipality_region
        if kom in verdicts and reg in verdicts:
            clash = _region_clash(table, verdicts, kom, reg)
            problems.add(f"{kom}: municipality not in the region given in {reg}", clash)

    for fk in plan.foreign_keys:
        if fk.column in parent_keys:
            lake = verdicts[fk.column].lake
            orphan = lake.notna().to_numpy() & ~_isin(lake, parent_keys[fk.column])
            reason = f"{fk.column}: no matching {fk.parent_table}.{fk.parent_column}"
            problems.add(reason, table.columns[fk.column].spread(orphan, False))

    if plan.primary_key is not None:
        key = table.columns[plan.primary_key].spread(_canonical(verdicts[plan.primary_key]), -1)
        candidates = np.flatnonzero(~problems.failed() & (key >= 0))
        _, first = np.unique(key[candidates], return_index=True)
        duplicate = np.zeros(table.rows, bool)
        duplicate[candidates] = True
        duplicate[candidates[first]] = False
        problems.add(
            f"{plan.primary_key}: duplicate primary key (an earlier row has it)", duplicate
        )

    return Checked(table, plan, verdicts, problems)


def check_rows(
    frame: pd.DataFrame,
    plan: TablePlan,
    pseudonym_key: str,
    parent_keys: dict[str, pd.Series] | None = None,
    field_counts: pd.Series | None = None,
    today: date | None = None,
) -> CheckedRows:
    """Split an extract's rows (a frame of text) into lake rows and quarantine rows.

    Args:
        frame: the file's rows as text (``str`` or ``None``), one column per plan rule,
            indexed by 1-based source row number.
        plan: rules, keys and cross-column checks.
        pseudonym_key: the tenant's pseudonym key.
        parent_keys: for each foreign-key column, the parent column's values in the lake.
        field_counts: source row -> fields found, for rows whose field count is wrong.
        today: the day that counts as today (dates after it are in the future).

    Returns:
        The split, as :func:`check_coded` makes it.
    """
    checked = check_coded(
        CodedTable.from_frame(frame, field_counts), plan, pseudonym_key, parent_keys, today
    )
    return CheckedRows(checked.lake_frame(), checked.quarantine_frame(), checked.reasons())

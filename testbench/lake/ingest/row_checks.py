"""Checking an extract's rows against a table plan: the core of ingestion, no disk, no lake.

:func:`check_coded` takes the file's rows (all text, coded, see
:mod:`testbench.lake.ingest.coded_columns`) and a :class:`TablePlan`, and splits them into the
rows that go into the lake (typed, CPR numbers replaced by pseudonyms) and the
rows that go to quarantine (as text, each with its source row number and every
reason it failed). Every row ends up in exactly one of the two.

Checks of single values run once per distinct value
(:func:`~testbench.lake.ingest.value_checks.check_column`); the checks here combine values
of a row: missing values, wrong field counts, intervals (end before start),
municipality against region, foreign keys and duplicate primary keys.
:class:`TableChecker` does the same batch by batch for a large file, checking each
distinct value once however many batches hold it; :func:`check_rows` is the same
for a small frame, returning frames.
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
from testbench.lake.ingest.coded_columns import CodedColumn, CodedTable
from testbench.lake.ingest.column_types import ColumnType
from testbench.lake.ingest.contracts import ColumnRule, ForeignKey
from testbench.lake.ingest.key_checks import ParentKeys, TakenKeys
from testbench.lake.ingest.value_checks import ColumnVerdict, check_column

SOURCE_ROW = "tb_source_row"  # quarantine column: the row's 1-based data-row number in the file
REASON = "tb_reason"  # quarantine column: every reason the row failed, "; "-separated
# A text column with at most one distinct value per this many rows goes to DuckDB as a
# dictionary; one with more (a CPR pseudonym) as plain text, which DuckDB scans faster.
FEW = 4


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
        self.masks: dict[str, np.ndarray] = {}  # reason -> rows failing it (hit reasons only)
        self.checked: dict[str, None] = {}  # every reason checked, hit or not, in order

    def add(self, reason: str, mask: np.ndarray | None) -> None:
        """Rows failing ``reason`` (None: the check ran and no row fails it)."""
        self.checked.setdefault(reason)
        hit = None if mask is None else np.asarray(mask, dtype=bool)
        if hit is not None and hit.any():
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


def _indices(codes: np.ndarray, kind: pa.DataType) -> pa.Array:
    """``codes`` as Arrow integers, -1 as null."""
    missing = codes < 0
    return pa.array(codes, kind, mask=missing if missing.any() else None)


def _take(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """``values`` at ``codes`` (per row; -1: missing, null)."""
    return values.take(_indices(codes, pa.int64()))


def _lake_column(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """``values`` at ``codes``, as DuckDB writes it fastest: text with few distinct values
    as a dictionary column (no text copied), anything else as plain values."""
    if pa.types.is_string(values.type) and len(values) * FEW <= len(codes):
        return pa.DictionaryArray.from_arrays(_indices(codes, pa.int32()), values)
    return _take(values, codes)


@dataclass(frozen=True)
class Checked:
    """The verdict on every row of an extract (or of one batch of its rows); builds the
    lake rows and the quarantine rows."""

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

    @property
    def checked_reasons(self) -> list[str]:
        """Every reason checked, failed by a row or not, in the order checks ran."""
        return list(self.problems.checked)

    def lake_arrow(self) -> pa.Table:
        """The rows that passed, typed, as an Arrow table (see :func:`_lake_column`)."""
        failed = self.failed
        keep = ~failed if failed.any() else slice(None)
        arrays = {
            rule.name: _lake_column(
                self.verdicts[rule.name].lake_arrow, self.table.columns[rule.name].codes[keep]
            )
            for rule in self.plan.rules
        }
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
            REASON: pa.array(texts, pa.string()).take(pa.array(reasons, pa.int32())),
        }
        for rule in self.plan.rules:
            codes = self.table.columns[rule.name].codes[positions]
            arrays[rule.name] = _take(self.verdicts[rule.name].shown_arrow, codes)
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


class TableChecker:
    """Checks an extract's rows, all at once or batch by batch.

    Batches must come from one coding of the file (:meth:`LoadedExtract.batches
    <testbench.lake.ingest.readers.LoadedExtract.batches>`, :meth:`CodedTable.slice`), so that a
    later batch's uniques extend an earlier one's; each is checked once, in file order.
    The checker keeps its verdict on every distinct value met (each is checked once,
    however many batches hold it) and the primary keys already taken, so checking a file
    in batches refuses exactly the rows that checking it whole refuses.

    Args:
        plan: rules, keys and cross-column checks.
        pseudonym_key: the tenant's pseudonym key.
        parent_keys: for each foreign-key column, the parent column's values in the lake
            (or them prepared, :class:`~testbench.lake.ingest.key_checks.ParentKeys`), looked
            at when the first batch is checked against them, not before.
        today: the day that counts as today (dates after it are in the future).
    """

    def __init__(
        self,
        plan: TablePlan,
        pseudonym_key: str,
        parent_keys: Mapping[str, pd.Series | ParentKeys] | None = None,
        today: date | None = None,
    ) -> None:
        self.plan = plan
        self.pseudonym_key = pseudonym_key
        self._parent_keys = {} if parent_keys is None else parent_keys
        self._parents: dict[str, ParentKeys] | None = None
        self.today = today or date.today()
        self._verdicts: dict[str, ColumnVerdict] = {}
        self._orphans: dict[str, np.ndarray] = {}  # foreign-key column -> per distinct value
        self._keys = TakenKeys()

    @property
    def parents(self) -> dict[str, ParentKeys]:
        """Each foreign-key column's parent values, prepared on first use."""
        if self._parents is None:
            self._parents = {
                name: v if isinstance(v, ParentKeys) else ParentKeys(v)
                for name, v in self._parent_keys.items()
            }
        return self._parents

    def _verdict(self, rule: ColumnRule, uniques: pd.Series) -> ColumnVerdict:
        """The verdict on ``uniques``, checking only the values not met before."""
        have = self._verdicts.get(rule.name)
        done = 0 if have is None else len(have.lake)
        if have is None or len(uniques) > done:
            plausible = rule.name in self.plan.contract_columns
            fresh = check_column(
                rule, uniques.iloc[done:], self.pseudonym_key, plausible, self.today
            )
            self._verdicts[rule.name] = fresh if have is None else have.extended(fresh)
        return self._verdicts[rule.name]

    def _orphan(self, fk: ForeignKey, verdict: ColumnVerdict) -> np.ndarray:
        """Per distinct value of ``fk.column``: present, but not in the parent."""
        have = self._orphans.get(fk.column, np.zeros(0, bool))
        if len(verdict.lake) > len(have):
            lake = verdict.lake.iloc[len(have) :]
            fresh = lake.notna().to_numpy() & ~self.parents[fk.column].contains(lake)
            self._orphans[fk.column] = have = np.concatenate([have, fresh])
        return have

    def check(self, table: CodedTable) -> Checked:
        """Check the next batch of rows (or the whole file).

        Args:
            table: the rows as text, one column per plan rule (under its lake name).

        Returns:
            The verdict. The first row with a primary key is kept, later ones (in this
            batch or a later one) quarantined; rows failing another check do not count
            as "first".
        """
        problems = _Problems(table.rows)
        problems.add(
            f"row: wrong number of fields (the header has {len(table.columns)})", table.ragged
        )
        verdicts: dict[str, ColumnVerdict] = {}
        for rule in self.plan.rules:
            column = table.columns[rule.name]
            verdict = verdicts[rule.name] = self._verdict(rule, column.uniques)
            if not rule.nullable:
                problems.add(f"{rule.name}: missing", ~column.present)
            for reason, hit in verdict.problems.items():
                problems.add(reason, column.spread(hit, False) if hit.any() else None)

        def row_values(name: str) -> np.ndarray:
            return np.asarray(table.columns[name].spread(verdicts[name].lake, None))

        for start, end in self.plan.intervals:
            if start in verdicts and end in verdicts:
                ends = pd.Series(row_values(end))
                before = (ends < pd.Series(row_values(start))).to_numpy()
                problems.add(f"{end}: before {start}", before)
        if self.plan.municipality_region is not None:
            kom, reg = self.plan.municipality_region
            if kom in verdicts and reg in verdicts:
                clash = _region_clash(table, verdicts, kom, reg)
                problems.add(f"{kom}: municipality not in the region given in {reg}", clash)

        for fk in self.plan.foreign_keys:
            if fk.column in self.parents:
                orphan = self._orphan(fk, verdicts[fk.column])
                reason = f"{fk.column}: no matching {fk.parent_table}.{fk.parent_column}"
                problems.add(reason, table.columns[fk.column].spread(orphan, False))

        if self.plan.primary_key is not None:
            ids = self._keys.ids(verdicts[self.plan.primary_key])
            key = table.columns[self.plan.primary_key].spread(ids, -1)
            candidates = np.flatnonzero(~problems.failed() & (key >= 0))
            problems.add(
                f"{self.plan.primary_key}: duplicate primary key (an earlier row has it)",
                self._keys.duplicates(key, candidates),
            )

        return Checked(table, self.plan, verdicts, problems)


def check_coded(
    table: CodedTable,
    plan: TablePlan,
    pseudonym_key: str,
    parent_keys: Mapping[str, pd.Series] | None = None,
    today: date | None = None,
) -> Checked:
    """Check every row of an extract at once (see :class:`TableChecker`).

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
    return TableChecker(plan, pseudonym_key, parent_keys, today).check(table)


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

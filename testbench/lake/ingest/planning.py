"""From a file's columns, a contract (or none) and declared keys to a :class:`TablePlan`.

With a contract, the file's columns are matched to the contract's by name (case
and surrounding blanks ignored) and renamed to the contract's spelling; columns
the contract does not name are kept with inferred types. Without one, every
column's type is inferred (see :func:`testbench.lake.ingest.column_types.infer_type`).

Either way a column is treated as holding CPR numbers, and pseudonymised, when
the contract says so, when its name says so (``pnr``, ``cpr``, ``patient_cpr``,
``cpr_nr``, ``personnummer``, ...) and it holds any, or when at least half of its
values are valid CPR numbers, so an SME's own table cannot carry CPR numbers
into the lake by accident. Declared key columns are opaque identifiers: unlike
every other column, they are not searched for stray CPR numbers (a 10-digit key
can look like one by chance).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from testbench.lake.ingest.coded_columns import CodedTable, ColumnSample
from testbench.lake.ingest.column_types import ColumnType, infer_type
from testbench.lake.ingest.contracts import ColumnRule, Contract, ForeignKey
from testbench.lake.ingest.errors import IngestError, MissingColumn
from testbench.lake.ingest.pseudonyms import cpr_digits, is_pseudonym
from testbench.lake.ingest.row_checks import REASON, SOURCE_ROW, TablePlan

CPR_NAMES = frozenset({"pnr", "personnummer", "personnr"})  # name tokens that mean a CPR column
CPR_SHARE = 0.5  # a column at least this share valid CPR numbers is a CPR column


def is_cpr_name(name: str) -> bool:
    """Does the column name say it holds CPR numbers (``pnr``, ``patient_cpr``, ``CPR-nr``)?"""
    tokens = re.split(r"[^0-9a-zæøå]+", name.casefold())
    return any(t in CPR_NAMES or "cpr" in t for t in tokens)


def is_cpr_column(
    name: str, values: pd.Series, today: date | None = None, counts: np.ndarray | None = None
) -> bool:
    """Is this a CPR column?

    Yes when at least half its values are valid CPR numbers, or when its name says
    so and it holds at least one CPR number or pseudonym (a ``pnr`` column of the
    SME's own study ids is not one).

    Args:
        name: the column name.
        values: its values (or its distinct values, with ``counts``).
        today: the day that counts as today.
        counts: rows holding each of ``values``, when they are distinct values.
    """
    present = values.notna().to_numpy()
    weights = np.ones(len(values)) if counts is None else np.asarray(counts, dtype=float)
    if not present.any() or weights[present].sum() == 0:
        return False
    valid = cpr_digits(values[present], today).notna().to_numpy()
    if weights[present][valid].sum() / weights[present].sum() >= CPR_SHARE:
        return True
    return is_cpr_name(name) and bool(valid.any() or is_pseudonym(values[present]).any())


def inferred_rule(
    name: str, values: pd.Series, today: date | None = None, counts: np.ndarray | None = None
) -> ColumnRule:
    """A rule for a column no contract describes: CPR if it holds them, else its inferred type."""
    if is_cpr_column(name, values, today, counts):
        return ColumnRule(name, ColumnType.CPR, required=False)
    return ColumnRule(name, infer_type(values), required=False)


def resolve_column(name: str, columns: Sequence[str]) -> str | None:
    """The column called ``name``: exactly, else the only one equal without regard to case."""
    if name in columns:
        return name
    matches = [c for c in columns if c.strip().casefold() == name.strip().casefold()]
    return matches[0] if len(matches) == 1 else None


def parse_foreign_key(spec: str, columns: Sequence[str], tables: Sequence[str]) -> ForeignKey:
    """Read ``COLUMN:PARENT_TABLE.PARENT_COLUMN``.

    Column names may hold dots and colons, so every split is tried and the one whose
    column is in the file and whose parent table is in the lake wins.

    Raises:
        IngestError: ``spec`` has no ``:`` followed by a ``.``.
    """
    candidates = []
    for i, char in enumerate(spec):
        if char != ":":
            continue
        child, rest = spec[:i], spec[i + 1 :]
        for j, dot in enumerate(rest):
            if dot == "." and child and rest[:j] and rest[j + 1 :]:
                candidates.append(ForeignKey(child, rest[:j], rest[j + 1 :]))
    if not candidates:
        raise IngestError(
            f"cannot read the foreign key {spec!r}; write it as COLUMN:PARENT_TABLE.PARENT_COLUMN, "
            "e.g. pnr:bef.pnr"
        )
    fitting = [
        c for c in candidates if resolve_column(c.column, columns) and c.parent_table in tables
    ]
    return (fitting or candidates)[0]


def _match_contract(columns: Sequence[str], contract: Contract, file_name: str) -> dict[str, str]:
    """File column -> contract column, for the contract's columns the file has."""
    renames: dict[str, str] = {}
    for rule in contract.columns:
        matches = [c for c in columns if c.strip().casefold() == rule.name.casefold()]
        if len(matches) > 1:
            raise IngestError(
                f"{file_name} has {len(matches)} columns that match {rule.name!r} "
                f"({', '.join(map(repr, matches))}); keep one and ingest again"
            )
        if matches:
            renames[matches[0]] = rule.name
        elif rule.required:
            raise MissingColumn(
                f"{file_name} has no column {rule.name!r}, which contract {contract.source!r} "
                f"requires; its columns are: {', '.join(map(repr, columns))}. Rename the column "
                "in the extract (case does not matter), or check that this is the right contract"
            )
    return renames


def _key_column(name: str, columns: Sequence[str], what: str, file_name: str) -> str:
    found = resolve_column(name, columns)
    if found is None:
        raise MissingColumn(
            f"{what} column {name!r} is not in {file_name}; its columns are: "
            f"{', '.join(map(repr, columns))}"
        )
    return found


def plan_table(
    frame: pd.DataFrame,
    contract: Contract | None,
    primary_key: str | None,
    foreign_keys: Sequence[ForeignKey],
    file_name: str,
    today: date | None = None,
    ragged_rows: Sequence[int] = (),
) -> tuple[TablePlan, pd.DataFrame, tuple[ForeignKey, ...]]:
    """Plan the checks for one extract held as a frame of text.

    Args:
        frame: the file's rows as text.
        contract: the source's contract, or None to infer types.
        primary_key: a declared primary key column (with a contract: only where the
            contract declares none, or the same one).
        foreign_keys: declared foreign keys (on top of the contract's).
        file_name: for messages.
        today: the day that counts as today.
        ragged_rows: rows with the wrong number of fields; types are inferred without
            them, since their values may sit under the wrong column.

    Returns:
        The plan, the frame with columns renamed to the contract's spelling, and the
        declared foreign keys with their columns resolved to those names.

    Raises:
        MissingColumn: a required or declared key column is not in the file.
        IngestError: columns clash, or the primary key contradicts the contract.
    """
    table = CodedTable.from_frame(frame.drop(index=list(ragged_rows), errors="ignore"))
    plan, renames, declared = plan_columns(
        [str(c) for c in frame.columns], table.sample, contract, primary_key, foreign_keys,
        file_name, today,
    )  # fmt: skip
    return plan, frame.rename(columns=renames), declared


def plan_columns(
    columns: Sequence[str],
    sample: Callable[[str], ColumnSample],
    contract: Contract | None,
    primary_key: str | None,
    foreign_keys: Sequence[ForeignKey],
    file_name: str,
    today: date | None = None,
) -> tuple[TablePlan, dict[str, str], tuple[ForeignKey, ...]]:
    """Plan the checks for one extract from its column names and their distinct values.

    Args:
        columns: the file's column names, in order.
        sample: a column's distinct values and row counts, by file column name (only
            asked for the columns whose type is inferred).
        contract, primary_key, foreign_keys, file_name, today: as for :func:`plan_table`.

    Returns:
        The plan, the renames (file name -> contract spelling), and the declared
        foreign keys with their columns resolved to the lake names.

    Raises:
        MissingColumn: a required or declared key column is not in the file.
        IngestError: columns clash, or the primary key contradicts the contract.
    """
    for reserved in (SOURCE_ROW, REASON):
        if reserved in columns:
            raise IngestError(
                f"{file_name} has a column named {reserved!r}, which quarantine tables use; "
                "rename it and ingest again"
            )
    renames = _match_contract(list(columns), contract, file_name) if contract else {}
    original = {renames.get(c, c): c for c in columns}
    columns = [renames.get(c, c) for c in columns]
    rules = []
    for name in columns:
        rule = contract.rule(name) if contract and name in renames.values() else None
        if rule is None:
            held = sample(original[name])
            rule = inferred_rule(name, held.values, today, held.counts)
        rules.append(rule)

    key = contract.primary_key if contract and contract.primary_key in columns else None
    if primary_key is not None:
        declared = _key_column(primary_key, columns, "primary key", file_name)
        if contract is not None and key is not None and declared != key:
            raise IngestError(
                f"contract {contract.source!r} declares the primary key "
                f"{key!r}; leave out the primary key or use that one"
            )
        key = declared

    declared_fks = tuple(
        ForeignKey(
            _key_column(fk.column, columns, "foreign key", file_name),
            fk.parent_table,
            fk.parent_column,
        )
        for fk in foreign_keys
    )
    keys = {key, *(fk.column for fk in declared_fks)}
    rules = [
        replace(r, identifier=True) if r.name in keys and r.kind is not ColumnType.CPR else r
        for r in rules
    ]
    rules = [replace(r, nullable=False) if r.name == key else r for r in rules]
    contract_fks = (
        tuple(fk for fk in contract.foreign_keys if fk.column in columns) if contract else ()
    )
    all_fks = tuple(dict.fromkeys(contract_fks + declared_fks))  # in order, once each
    plan = TablePlan(
        rules=tuple(rules),
        primary_key=key,
        foreign_keys=all_fks,
        intervals=tuple(p for p in contract.intervals if set(p) <= set(columns))
        if contract
        else (),
        municipality_region=contract.municipality_region if contract else None,
        contract_columns=frozenset(renames.values()),
    )
    return plan, renames, declared_fks

"""Primary- and foreign-key checks, whose memory spans an extract's batches.

:func:`parents_present` sorts an extract's foreign keys into those checked now (the
parent table is in the lake) and those left for later; :func:`parent_keys` reads the
parents' key values, and :class:`ParentKeys` holds them, prepared once for every
batch's foreign-key check. :class:`TakenKeys` remembers the primary keys that kept
rows hold, so a key met again in a later batch is a duplicate, as it would be in
the same batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from testbench.lake.hashing import quote_ident, table_columns
from testbench.lake.ingest.contracts import ForeignKey
from testbench.lake.ingest.errors import IngestError, UnknownParentTable
from testbench.lake.ingest.value_checks import ColumnVerdict
from testbench.lake.lake import Lake


class ParentKeys:
    """A parent column's values, for membership tests that survive a type mismatch (an
    int key read as text, or the reverse); prepared once for all batches."""

    def __init__(self, values: pd.Series) -> None:
        self.values = values.dropna()
        self._text: pd.Index | None = None

    def contains(self, child: pd.Series) -> np.ndarray:
        """Bool per value of ``child`` (lake values): it is among the parent's values."""
        numeric = pd.api.types.is_numeric_dtype
        if (numeric(child) and numeric(self.values)) or child.dtype == self.values.dtype:
            return child.isin(self.values).to_numpy(dtype=bool)
        return np.asarray(self._text_index().get_indexer(child.astype(str)) >= 0)

    def _text_index(self) -> pd.Index:
        if self._text is None:
            self._text = pd.Index(self.values.astype(str).unique())
        return self._text

    def prepared(self) -> ParentKeys:
        """These keys, ready for text lake values (as pseudonyms are) where the parent's are
        text too: its lookup is built now, not when the first batch is checked."""
        if self.values.dtype == object:
            self._text_index().get_indexer([])  # builds the index's hash table
        return self


class TakenKeys:
    """Primary-key values already held by a kept row, across batches."""

    def __init__(self) -> None:
        self._ids: dict[object, int] = {}  # lake value -> id
        self._of_unique = np.zeros(0, np.int64)  # per distinct file value: its id (-1: none)
        self._taken = np.zeros(0, bool)  # per id: a kept row has it

    def ids(self, verdict: ColumnVerdict) -> np.ndarray:
        """Per distinct file value, the id of its lake value (-1: missing); file values
        with the same lake value (``0102031234``, ``010203-1234``) share one."""
        done = len(self._of_unique)
        if len(verdict.lake) > done:
            codes, distinct = pd.factorize(verdict.lake.iloc[done:], use_na_sentinel=True)
            ids = np.array([self._ids.setdefault(v, len(self._ids)) for v in distinct], np.int64)
            fresh = np.full(len(codes), -1, np.int64)
            fresh[codes >= 0] = ids[codes[codes >= 0]]
            self._of_unique = np.concatenate([self._of_unique, fresh])
            self._taken = np.concatenate(
                [self._taken, np.zeros(len(self._ids) - len(self._taken), bool)]
            )
        return self._of_unique

    def duplicates(self, key: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Of the rows at ``candidates`` (their ids in ``key``), the ones whose key an
        earlier row holds: in an earlier batch, or earlier in this one. Marks the rest's
        keys as taken."""
        duplicate = np.zeros(len(key), bool)
        _, first = np.unique(key[candidates], return_index=True)
        firsts = candidates[first]
        fresh = firsts[~self._taken[key[firsts]]]
        duplicate[candidates] = True
        duplicate[fresh] = False
        self._taken[key[fresh]] = True
        return duplicate


def parents_present(
    fks: Sequence[ForeignKey], declared: set[ForeignKey], tables: Sequence[str], table: str
) -> tuple[list[ForeignKey], list[ForeignKey], list[ForeignKey]]:
    """Foreign keys whose parent is in the lake, contract ones whose parent is not yet, and
    those that point at the table being ingested (checked once it is written, see
    :func:`dangling_self_references`).

    Raises:
        UnknownParentTable: a declared foreign key's parent table is not in the lake.
    """
    checked, unchecked, own = [], [], []
    for fk in fks:
        if fk.parent_table == table:
            own.append(fk)  # an earlier visit, a referral's predecessor: the rows decide
            continue
        if fk.parent_table in tables:
            checked.append(fk)
        elif fk in declared:
            raise UnknownParentTable(
                f"foreign key {fk}: no table {fk.parent_table!r} in the lake "
                f"(tables: {', '.join(tables) or 'none'}); ingest {fk.parent_table!r} first"
            )
        else:  # a contract's reference: checked once the parent has been ingested
            unchecked.append(fk)
    return checked, unchecked, own


def dangling_self_references(
    con: duckdb.DuckDBPyConnection, table: str, fks: Sequence[ForeignKey]
) -> list[ForeignKey]:
    """Of ``table``'s foreign keys into itself, those with a value that no row of the
    written table holds in the referenced column (missing values refer to nothing).

    Raises:
        IngestError: the referenced column is not in the table.
    """
    columns = {column for column, _ in table_columns(con, table)}
    dangling = []
    for fk in fks:
        if fk.parent_column not in columns:
            raise IngestError(
                f"foreign key {fk}: table {table!r} has no column {fk.parent_column!r}"
            )
        child, parent, name = (
            quote_ident(fk.column),
            quote_ident(fk.parent_column),
            f"lake.{quote_ident(table)}",
        )
        missing = con.execute(
            f"SELECT count(*) FROM {name} WHERE {child} IS NOT NULL AND {child} NOT IN "
            f"(SELECT {parent} FROM {name} WHERE {parent} IS NOT NULL)"
        ).fetchone()
        if missing and missing[0]:
            dangling.append(fk)
    return dangling


def parent_keys(lake: Lake, fks: Sequence[ForeignKey]) -> dict[str, pd.Series]:
    """Each foreign-key column's parent values, read in one connection.

    Raises:
        UnknownParentTable: the parent table has no such column.
    """
    if not fks:
        return {}
    with lake.connect(read_only=True) as con:
        return parent_keys_in(con, fks)


def parent_keys_in(
    con: duckdb.DuckDBPyConnection, fks: Sequence[ForeignKey]
) -> dict[str, pd.Series]:
    """:func:`parent_keys` on an open connection to the lake."""
    out = {}
    for fk in fks:
        columns = [column for column, _ in table_columns(con, fk.parent_table)]
        if fk.parent_column not in columns:
            raise UnknownParentTable(
                f"foreign key {fk}: table {fk.parent_table!r} has no column "
                f"{fk.parent_column!r}; its columns are: {', '.join(map(repr, columns))}"
            )
        out[fk.column] = con.execute(
            f"SELECT DISTINCT {quote_ident(fk.parent_column)} "
            f"FROM lake.{quote_ident(fk.parent_table)}"
        ).df()[fk.parent_column]
    return out

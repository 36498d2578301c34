"""Writing to a lake inside one transaction: all of it lands, or none of it.

:meth:`Lake.transaction <testbench.lake.lake.Lake.transaction>` hands out a
:class:`LakeWriter` on one connection with a transaction open; leaving the block
commits, an exception rolls everything back. An ingestion writes its table, keys,
relations, quarantine and ingest-log row this way, so a failure half-way leaves
the lake as it was.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa

from generators.relations import Relation
from testbench.lake.hashing import quote_ident, table_hash

INTERNAL_PREFIX = "_tb_"  # catalogue and quarantine tables; never part of a twin or cohort
PRIMARY_KEYS = INTERNAL_PREFIX + "primary_keys"  # table -> its primary key column
RELATIONS = INTERNAL_PREFIX + "relations"  # declared foreign keys

Data: TypeAlias = pd.DataFrame | pa.Table  # rows to write: a frame or an Arrow table
FLUSH_S = 0.25  # seconds between flushes of the lake file while a table is written


def _plain_index(data: Data) -> Data:
    """``data`` with a 0..n-1 index (DuckDB cannot scan a frame with some others, e.g. reversed)."""
    if isinstance(data, pd.DataFrame):
        index = data.index
        if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
            return data.reset_index(drop=True)
    return data


@contextmanager
def _flushing(path: Path | None, every: float = FLUSH_S) -> Iterator[None]:
    """While the block runs, have the kernel write the lake file's changed pages to disk
    every ``every`` seconds, instead of all at the commit's sync (with memory to spare, it
    holds them until then): the commit of a large write then waits for little."""
    if path is None:
        yield
        return
    stop = threading.Event()
    sync = getattr(os, "fdatasync", os.fsync)

    def flush() -> None:
        while not stop.wait(every):
            try:
                handle = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                sync(handle)
            except OSError:  # not on this platform or file system: the commit syncs all
                return
            finally:
                os.close(handle)

    thread = threading.Thread(target=flush, name="lake-flush", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class LakeWriter:
    """Writes to the lake on a connection whose transaction the caller owns.

    Args:
        con: a connection with the lake attached as ``lake`` and a transaction open.
        path: the lake's database file, when known (large writes flush it as they go).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
        self.con = con
        self.path = path
        self.abandoned = False  # set by abandon(): the transaction is to be rolled back

    def abandon(self) -> None:
        """Roll the transaction back when its block ends (see :meth:`Lake.transaction
        <testbench.lake.lake.Lake.transaction>`), as an error would, without one."""
        self.abandoned = True

    def execute(self, sql: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run one statement in the transaction (for catalogue upkeep)."""
        return self.con.execute(sql, params or [])

    def has_table(self, name: str) -> bool:
        """Is there a table ``name`` (tenant or catalogue) in the lake?"""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = 'lake' AND table_name = ?",
            [name],
        ).fetchone()
        return bool(row and row[0])

    def columns(self, name: str) -> list[str]:
        """Column names of table ``name``, in order."""
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = 'lake' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        return [str(r[0]) for r in rows]

    @contextmanager
    def _one_thread(self) -> Iterator[None]:
        # One thread keeps the rows in order at half the cost of DuckDB's ordered parallel
        # insert (5M rows: 3.6 s against 7.6 s on 2 cores, and a file twice the size);
        # ingestion checks the next batch on the other core meanwhile.
        threads = self.con.execute("SELECT current_setting('threads')").fetchone()
        self.con.execute("SET threads = 1")
        try:
            yield
        finally:
            self.con.execute(f"SET threads = {int(threads[0]) if threads else 1}")

    def _from_incoming(self, sql: str, data: Data) -> None:
        self.con.register("_incoming", _plain_index(data))
        try:
            self.con.execute(sql)
        finally:
            self.con.unregister("_incoming")

    def _create_from(self, name: str, data: Data, replace: bool = True) -> None:
        verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
        limit = "" if replace else " LIMIT 0"
        with self._one_thread():
            sql = f"{verb} lake.{quote_ident(name)} AS SELECT * FROM _incoming{limit}"
            self._from_incoming(sql, data)

    def replace_table(self, name: str, data: Data, primary_key: str | None = None) -> None:
        """Create or replace tenant table ``name`` with ``data`` and record its primary key."""
        self.replace_table_batches(name, [data], primary_key)

    def replace_table_batches(
        self,
        name: str,
        batches: Iterable[Data],
        primary_key: str | None = None,
        uncompressed: Collection[str] = (),
    ) -> int:
        """Create or replace tenant table ``name`` with the rows of ``batches``, in order.

        The first batch gives the columns and their types; the others must match it.
        Each batch is written as it comes, so an iterator that computes the next batch
        on another thread (see :func:`testbench.lake.ingest.batch_checking.prefetched`) overlaps
        with the writing. (An empty ``batches`` writes no table; ingestion always has a batch.)

        When the first batch is an Arrow table, columns named in ``uncompressed`` are
        stored as they are and the others compressed as :meth:`_create_like` says; frames
        leave every choice to DuckDB. Ingestion names its CPR pseudonym columns: 16 random
        hex characters each, which DuckDB 1.5's one text compression for new data
        (``dict_fsst``) only halves, at a fifth of the time the whole write takes (5M lab
        rows: 0.8 s of 3.7 s; the lake is 180 MB, not 135 MB).

        Returns:
            The rows written.
        """
        target = f"lake.{quote_ident(name)}"
        rows = 0
        with self._one_thread(), _flushing(self.path):
            for i, data in enumerate(batches):
                if i == 0 and isinstance(data, pa.Table):  # ingestion's: compression per column
                    self._create_like(target, data, uncompressed)
                if i == 0 and not isinstance(data, pa.Table):
                    sql = f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming"
                else:
                    sql = f"INSERT INTO {target} SELECT * FROM _incoming"
                self._from_incoming(sql, data)
                rows += len(data) if isinstance(data, pd.DataFrame) else data.num_rows
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS lake.{PRIMARY_KEYS} "
            "(table_name VARCHAR PRIMARY KEY, column_name VARCHAR)"
        )
        self.con.execute(f"DELETE FROM lake.{PRIMARY_KEYS} WHERE table_name = ?", [name])
        if primary_key is not None:
            self.con.execute(f"INSERT INTO lake.{PRIMARY_KEYS} VALUES (?, ?)", [name, primary_key])
        return rows

    def _create_like(self, target: str, data: pa.Table, uncompressed: Collection[str]) -> None:
        """Create (or replace) table ``target`` with the columns and types DuckDB gives
        ``data``. The ``uncompressed`` columns are stored as they are; the ones ``data``
        holds as Arrow dictionaries (text with few distinct values) with DuckDB's dictionary
        compression, without DuckDB weighing the others first (5M lab rows: 0.4 s less of
        the write); the rest as DuckDB chooses."""
        self.con.register("_incoming", data)
        try:
            described = self.con.execute("DESCRIBE SELECT * FROM _incoming").fetchall()
        finally:
            self.con.unregister("_incoming")
        coded = [f.name for f in data.schema if pa.types.is_dictionary(f.type)]
        methods = dict.fromkeys(coded, "dict_fsst") | dict.fromkeys(uncompressed, "uncompressed")
        columns = ", ".join(
            f"{quote_ident(str(column))} {kind}"
            + (f" USING COMPRESSION {methods[column]}" if column in methods else "")
            for column, kind, *_ in described
        )
        self.con.execute(f"CREATE OR REPLACE TABLE {target} ({columns})")

    def _relations_table(self) -> None:
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS lake.{RELATIONS} (child_table VARCHAR, "
            "child_column VARCHAR, parent_table VARCHAR, parent_column VARCHAR, "
            "PRIMARY KEY (child_table, child_column))"
        )

    def add_relations(self, relations: list[Relation]) -> None:
        """Declare foreign keys (a relation declared twice is stored once)."""
        if not relations:
            return
        self._relations_table()
        for rel in relations:
            self.con.execute(
                f"INSERT OR REPLACE INTO lake.{RELATIONS} VALUES (?, ?, ?, ?)",
                [rel.child_table, rel.child_column, rel.parent_table, rel.parent_column],
            )

    def drop_relations(self, child_table: str) -> None:
        """Forget the foreign keys that table ``child_table`` declares."""
        if self.has_table(RELATIONS):
            self.con.execute(f"DELETE FROM lake.{RELATIONS} WHERE child_table = ?", [child_table])

    def append_internal(self, name: str, frame: Data) -> None:
        """Append rows to catalogue table ``_tb_<name>`` (created on first use).

        Columns the table does not have yet are added (as text), so the catalogue of an
        older lake grows new columns instead of failing.
        """
        if (
            isinstance(frame, pd.DataFrame)
            and frame.empty
            and self.has_table(INTERNAL_PREFIX + name)
        ):
            return
        target = INTERNAL_PREFIX + name
        self._create_from(target, frame, replace=False)
        have = set(self.columns(target))
        names = frame.columns if isinstance(frame, pd.DataFrame) else frame.column_names
        for column in names:
            if column not in have:
                self.con.execute(
                    f"ALTER TABLE lake.{quote_ident(target)} "
                    f"ADD COLUMN {quote_ident(column)} VARCHAR"
                )
        self.con.register("_incoming", _plain_index(frame))
        try:
            self.con.execute(
                f"INSERT INTO lake.{quote_ident(target)} BY NAME SELECT * FROM _incoming"
            )
        finally:
            self.con.unregister("_incoming")

    def read_internal(self, name: str) -> pd.DataFrame | None:
        """Catalogue table ``_tb_<name>``, or None when it does not exist."""
        if not self.has_table(INTERNAL_PREFIX + name):
            return None
        return self.con.execute(f"SELECT * FROM lake.{quote_ident(INTERNAL_PREFIX + name)}").df()

    def table_hash(self, name: str) -> str:
        """Content hash of table ``name`` as this transaction sees it."""
        return table_hash(self.con, name)

"""One tenant's lake: an encrypted DuckDB database file.

All lake access goes through :class:`Lake`. It holds the tenant's tables, a
catalogue of their keys (``_tb_relations``, ``_tb_primary_keys``) and runs
cohort SQL in a locked-down connection that can read the tenant's own tables
and nothing else on disk. Writes go through :meth:`Lake.transaction`, so each
write lands whole or not at all.

With an audit log attached (:meth:`Lake.with_audit`, or :func:`tenant_lake`),
every read of tenant data (:meth:`Lake.query`, :meth:`Lake.read_table`,
:meth:`Lake.read_tables`) appends an entry naming who read what, with content
hashes of the tables (:mod:`testbench.lake.hashing`) and never a value.

Encryption: DuckDB encrypts a database attached with ``ENCRYPTION_KEY``; writing
one needs the httpfs extension, which cannot be downloaded here, so it is loaded
from the ``duckdb-extension-httpfs`` wheel that matches the DuckDB version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from generators.relations import Relation
from testbench.lake.cohort import run_locked
from testbench.lake.errors import LakeEmpty, LakeError, QueryRefused
from testbench.lake.hashing import (
    HASH_METHOD,
    combined_hash,
    quote_ident,
    table_columns,
    table_hash,
)
from testbench.lake.writer import INTERNAL_PREFIX, LakeWriter

if TYPE_CHECKING:
    from testbench.audit import AuditLog
    from testbench.tenants import Tenant

__all__ = ["INTERNAL_PREFIX", "Lake", "LakeStatus", "TableStatus", "quote_ident", "tenant_lake"]

DATE_TYPES = ("DATE", "TIMESTAMP")  # column types (prefixes) whose range the catalogue shows


def _literal(text: str) -> str:
    """``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def _httpfs_extension() -> Path:
    import duckdb_extension_httpfs

    root = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    matches = sorted(root.glob(f"v{duckdb.__version__}/httpfs.duckdb_extension"))
    if not matches:
        raise LakeError(
            f"no httpfs extension for duckdb {duckdb.__version__} under {root}; "
            "reinstall the project (`make demo` or `pip install -e .`) so the versions match"
        )
    return matches[0]


@dataclass(frozen=True)
class TableStatus:
    """Size, columns and keys of one lake table."""

    name: str  # table name
    rows: int  # rows ingested
    columns: int  # number of columns
    primary_key: str | None  # declared primary key, if any
    quarantined: int = 0  # rows refused at its latest ingestion (kept in a quarantine table)
    column_types: dict[str, str] = field(default_factory=dict)  # column -> DuckDB type, in order
    # Date and timestamp columns: (earliest, latest, values present), dates as YYYY-MM-DD.
    date_ranges: dict[str, tuple[str | None, str | None, int]] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)  # reason -> rows, latest


@dataclass(frozen=True)
class LakeStatus:
    """What ``testbench lake status`` reports: tables, sizes and key relations."""

    tables: list[TableStatus]  # one entry per tenant table
    relations: list[Relation] = field(default_factory=list)  # declared foreign keys


class Lake:
    """An encrypted DuckDB lake file.

    Args:
        path: the database file (created on first write).
        encryption_key: key derived from the tenant secret; never logged.
        audit: the tenant's audit log; when given, reads of tenant data are logged.
        actor: who reads, for the audit log (default: the operating-system user).
    """

    def __init__(
        self,
        path: Path,
        encryption_key: str,
        audit: AuditLog | None = None,
        actor: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._key = encryption_key
        self.audit = audit
        self.actor = actor

    def __repr__(self) -> str:  # never show the key
        return f"Lake({str(self.path)!r})"

    def with_audit(self, audit: AuditLog | None, actor: str | None = None) -> Lake:
        """The same lake, logging reads (and :meth:`log` entries) to ``audit``."""
        return Lake(self.path, self._key, audit, actor or self.actor)

    def log(self, action: str, **details: Any) -> None:
        """Append an entry to the attached audit log (nothing when none is attached)."""
        if self.audit is not None:
            self.audit.append(action, actor=self.actor, **details)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the lake attached as the default catalogue ``lake``."""
        if read_only and not self.path.exists():
            raise LakeEmpty(
                f"lake {self.path} does not exist yet; fill it with "
                "`testbench lake simulate` or `testbench lake ingest`"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        try:
            if not read_only:  # writing encrypted needs OpenSSL from httpfs; reading does not
                con.execute(f"LOAD '{_httpfs_extension()}'")
            # Spill files would hold lake data in clear: encrypt them, next to the lake.
            spill = _literal(str(self.path.parent / ".duckdb-tmp"))
            con.execute(f"SET temp_directory = {spill}")
            con.execute("SET temp_file_encryption = true")
            mode = ", READ_ONLY" if read_only else ""
            path, key = _literal(str(self.path)), _literal(self._key)
            try:
                con.execute(f"ATTACH {path} AS lake (ENCRYPTION_KEY {key}{mode})")
            except duckdb.Error as exc:
                raise LakeError(
                    f"cannot open lake {self.path}: {str(exc).replace(self._key, '***')}; "
                    "check the tenant key (TESTBENCH_KEY_<TENANT> or its key file)"
                ) from None
            con.execute("USE lake")
            yield con
        finally:
            con.close()

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[LakeWriter]:
        """A writer whose writes land together when the block ends, or not at all.

        An exception inside the block rolls every write back (a lake file created for
        the block is removed again) and is raised on; so does
        :meth:`~testbench.lake.writer.LakeWriter.abandon`, without an exception.
        """
        created = not self.path.exists()
        try:
            with self.connect() as con:
                con.execute("BEGIN TRANSACTION")
                writer = LakeWriter(con, self.path)
                try:
                    yield writer
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("ROLLBACK" if writer.abandoned else "COMMIT")
        except BaseException:
            if created:
                self._remove_files()
            raise
        if created and writer.abandoned:
            self._remove_files()

    def _remove_files(self) -> None:
        """Remove the lake's file (and its write-ahead log), left by a rolled-back write."""
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def _write_table(self, name: str, frame: pd.DataFrame, primary_key: str | None = None) -> None:
        """Create or replace table ``name`` with the rows of ``frame`` (tests' fixture lakes).

        Private: it neither checks nor pseudonymises the rows and is not in the audit log.
        Data enters a lake through :func:`~testbench.lake.ingest.ingest_file` or
        :func:`~testbench.lake.simulated.fill_simulated`.
        """
        with self.transaction() as tx:
            tx.replace_table(name, frame, primary_key)

    def _write_tables(
        self,
        tables: dict[str, pd.DataFrame],
        primary_keys: dict[str, str] | None = None,
        relations: list[Relation] | None = None,
    ) -> None:
        """Write several tables and declare their keys, in one transaction (as
        :meth:`_write_table`: for tests' fixture lakes, unchecked and not audited)."""
        with self.transaction() as tx:
            for name, frame in tables.items():
                tx.replace_table(name, frame, (primary_keys or {}).get(name))
            tx.add_relations(relations or [])

    def append_internal(self, name: str, frame: pd.DataFrame) -> None:
        """Append rows to catalogue table ``_tb_<name>`` (created on first use)."""
        with self.transaction() as tx:
            tx.append_internal(name, frame)

    def read_internal(self, name: str) -> pd.DataFrame | None:
        """Catalogue table ``_tb_<name>``, or None when it does not exist."""
        if not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            return LakeWriter(con).read_internal(name)

    # -- reading -----------------------------------------------------------------------------

    def _all_tables(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return sorted(str(row[0]) for row in con.execute("SHOW TABLES").fetchall())

    def tables(self) -> list[str]:
        """Tenant table names (catalogue tables excluded), sorted."""
        if not self.path.exists():
            return []
        with self.connect(read_only=True) as con:
            names = self._all_tables(con)
        return [n for n in names if not n.startswith(INTERNAL_PREFIX)]

    def read_table(self, name: str) -> pd.DataFrame:
        """All rows of one table (stays inside the lake boundary: callers must not publish it).

        Public API: a notebook's or a script's way to read one table; logged like
        :meth:`read_tables`.
        """
        return self.read_tables([name])[name]

    def read_tables(self, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Several tables at once (all tenant tables by default), logged as one read."""
        known = self.require_tables()
        names = names or known
        for name in names:
            if name not in known:
                raise LakeError(f"no table {name!r} in the lake; tables: {', '.join(known)}")
        with self.connect(read_only=True) as con:
            out = {name: con.execute(f"SELECT * FROM {quote_ident(name)}").df() for name in names}
            if self.audit is not None:
                hashes = {name: table_hash(con, name) for name in names}
                self.log("lake.read", tables=hashes, hash_method=HASH_METHOD)
        return out

    def table_hashes(self, names: list[str] | None = None) -> dict[str, str]:
        """Content hash of each tenant table (see :mod:`testbench.lake.hashing`)."""
        if not self.path.exists():
            return {}
        with self.connect(read_only=True) as con:
            return {name: table_hash(con, name) for name in (names or self.tables())}

    def snapshot_hash(self) -> str:
        """One hash of all tenant tables' contents: what a job read, for its evidence."""
        return combined_hash(self.table_hashes())

    def relations(self) -> list[Relation]:
        """Declared foreign keys."""
        frame = self.read_internal("relations")
        if frame is None:
            return []
        frame = frame.sort_values(list(frame.columns))
        return [Relation(*row) for row in frame.itertuples(index=False)]

    def primary_keys(self) -> dict[str, str]:
        """Declared primary keys, table -> column."""
        frame = self.read_internal("primary_keys")
        if frame is None:
            return {}
        return dict(zip(frame["table_name"], frame["column_name"], strict=True))

    def status(self) -> LakeStatus:
        """Tables with row counts, column types and date ranges, and declared relations."""
        keys = self.primary_keys()
        tables = []
        if self.path.exists():
            with self.connect(read_only=True) as con:
                for name in self.tables():
                    tables.append(_table_status(con, name, keys.get(name)))
        return LakeStatus(tables=tables, relations=self.relations())

    def require_tables(self) -> list[str]:
        """Tenant table names; raises :class:`LakeEmpty` (with what to do) when there are none."""
        known = self.tables()
        if not known:
            raise LakeEmpty(
                f"lake {self.path} has no tables; fill it with `testbench lake simulate` "
                "or `testbench lake ingest`"
            )
        return known

    # -- cohort SQL --------------------------------------------------------------------------

    def query(self, sql: str) -> pd.DataFrame:
        """Run cohort SQL on this lake, locked down (see :func:`run_locked`).

        With an audit log attached, the read is logged: the SQL's SHA-256 (never its
        text, which may hold values), the result's size and the tables' hashes; so is
        a refused query.
        """
        self.require_tables()
        sql_sha256 = hashlib.sha256(sql.encode()).hexdigest()
        with self.connect(read_only=True) as con:
            names = [n for n in self._all_tables(con) if not n.startswith(INTERNAL_PREFIX)]
            hashes = {n: table_hash(con, n) for n in names} if self.audit else {}
            try:
                result = run_locked(con, sql)
            except QueryRefused:  # an attempt to reach outside the lake is on record too
                self.log("lake.query.refused", sql_sha256=sql_sha256)
                raise
        self.log(
            "lake.query",
            sql_sha256=sql_sha256,
            result_rows=len(result),
            result_columns=len(result.columns),
            snapshot=combined_hash(hashes),
            hash_method=HASH_METHOD,
        )
        return result


def _table_status(con: duckdb.DuckDBPyConnection, name: str, key: str | None) -> TableStatus:
    """Rows, column types and date ranges of one table, in one scan."""
    columns = table_columns(con, name)
    dated = [c for c, kind in columns if kind.upper().startswith(DATE_TYPES)]
    parts = ["count(*)"]
    for column in dated:
        q = quote_ident(column)
        parts += [f"min({q})::DATE::VARCHAR", f"max({q})::DATE::VARCHAR", f"count({q})"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {quote_ident(name)}").fetchone() or (0,)
    ranges = {c: (row[1 + 3 * i], row[2 + 3 * i], int(row[3 + 3 * i])) for i, c in enumerate(dated)}
    return TableStatus(
        name=name,
        rows=int(row[0]),
        columns=len(columns),
        primary_key=key,
        column_types=dict(columns),
        date_ranges=ranges,
    )


def tenant_lake(tenant: Tenant, actor: str | None = None) -> Lake:
    """The lake of ``tenant``, logging reads to the tenant's audit log.

    Jobs should open lakes this way, so every read of tenant data is on record.
    """
    from testbench.audit import AuditLog

    key = tenant.derived_key("lake-encryption")
    return Lake(tenant.lake_path, key, AuditLog(tenant.audit_path), actor)

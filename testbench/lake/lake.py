"""One tenant's lake: an encrypted DuckDB database file.

All lake access goes through :class:`Lake`. It holds the tenant's tables, a
catalogue of their keys (``_tb_relations``, ``_tb_primary_keys``) and runs
cohort SQL in a locked-down connection that can read the tenant's own tables
and nothing else on disk.

Encryption: DuckDB encrypts a database attached with ``ENCRYPTION_KEY``; writing
one needs the httpfs extension, which cannot be downloaded here, so it is loaded
from the ``duckdb-extension-httpfs`` wheel that matches the DuckDB version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from generators.relations import Relation
from testbench.errors import LakeEmpty, LakeError
from testbench.lake.cohort import run_locked

INTERNAL_PREFIX = "_tb_"  # catalogue and quarantine tables; never part of a twin or cohort


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


def quote_ident(name: str) -> str:
    """Quote a table or column name for DuckDB (any name: dots, spaces, quotes)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableStatus:
    """Size and keys of one lake table."""

    name: str  # table name
    rows: int  # rows ingested
    columns: int  # number of columns
    primary_key: str | None  # declared primary key, if any
    quarantined: int = 0  # rows refused at ingestion (kept in a quarantine table)


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
    """

    def __init__(self, path: Path, encryption_key: str) -> None:
        self.path = Path(path)
        self._key = encryption_key

    def __repr__(self) -> str:  # never show the key
        return f"Lake({str(self.path)!r})"

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
            con.execute(f"LOAD '{_httpfs_extension()}'")
            mode = ", READ_ONLY" if read_only else ""
            key = self._key.replace("'", "''")
            try:
                con.execute(f"ATTACH '{self.path}' AS lake (ENCRYPTION_KEY '{key}'{mode})")
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

    def write_table(self, name: str, frame: pd.DataFrame, primary_key: str | None = None) -> None:
        """Create or replace table ``name`` with the rows of ``frame``."""
        with self.connect() as con:
            con.register("_incoming", frame)
            con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM _incoming")
            con.unregister("_incoming")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {INTERNAL_PREFIX}primary_keys "
                "(table_name VARCHAR PRIMARY KEY, column_name VARCHAR)"
            )
            con.execute(f"DELETE FROM {INTERNAL_PREFIX}primary_keys WHERE table_name = ?", [name])
            if primary_key is not None:
                con.execute(
                    f"INSERT INTO {INTERNAL_PREFIX}primary_keys VALUES (?, ?)", [name, primary_key]
                )

    def write_tables(
        self,
        tables: dict[str, pd.DataFrame],
        primary_keys: dict[str, str] | None = None,
        relations: list[Relation] | None = None,
    ) -> None:
        """Write several tables and declare their keys."""
        for name, frame in tables.items():
            self.write_table(name, frame, (primary_keys or {}).get(name))
        self.add_relations(relations or [])

    def add_relations(self, relations: list[Relation]) -> None:
        """Declare foreign keys (idempotent: a relation declared twice is stored once)."""
        with self.connect() as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {INTERNAL_PREFIX}relations (child_table VARCHAR, "
                "child_column VARCHAR, parent_table VARCHAR, parent_column VARCHAR, "
                "PRIMARY KEY (child_table, child_column))"
            )
            for rel in relations:
                con.execute(
                    f"INSERT OR REPLACE INTO {INTERNAL_PREFIX}relations VALUES (?, ?, ?, ?)",
                    [rel.child_table, rel.child_column, rel.parent_table, rel.parent_column],
                )

    def write_internal(self, name: str, frame: pd.DataFrame) -> None:
        """Replace catalogue table ``_tb_<name>`` (never part of a twin, cohort or status)."""
        with self.connect() as con:
            con.register("_incoming", frame)
            con.execute(
                f"CREATE OR REPLACE TABLE {quote_ident(INTERNAL_PREFIX + name)} "
                "AS SELECT * FROM _incoming"
            )
            con.unregister("_incoming")

    def read_internal(self, name: str) -> pd.DataFrame | None:
        """Catalogue table ``_tb_<name>``, or None when it does not exist."""
        if not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            present = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
            if INTERNAL_PREFIX + name not in present:
                return None
            return con.execute(f"SELECT * FROM {quote_ident(INTERNAL_PREFIX + name)}").df()

    # -- reading -----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        """Tenant table names (catalogue tables excluded), sorted."""
        if not self.path.exists():
            return []
        with self.connect(read_only=True) as con:
            names = [row[0] for row in con.execute("SHOW TABLES").fetchall()]
        return sorted(n for n in names if not n.startswith(INTERNAL_PREFIX))

    def read_table(self, name: str) -> pd.DataFrame:
        """All rows of one table (stays inside the lake boundary: callers must not publish it)."""
        self._require_table(name)
        with self.connect(read_only=True) as con:
            return con.execute(f"SELECT * FROM {quote_ident(name)}").df()

    def read_tables(self, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """Several tables at once (all tenant tables by default)."""
        return {name: self.read_table(name) for name in (names or self.tables())}

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
        """Tables with row and column counts, and declared relations."""
        keys = self.primary_keys()
        tables = []
        if self.path.exists():
            with self.connect(read_only=True) as con:
                for name in self.tables():
                    rows = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()
                    cols = con.execute(
                        "SELECT count(*) FROM information_schema.columns WHERE table_name = ?",
                        [name],
                    ).fetchone()
                    tables.append(
                        TableStatus(
                            name=name,
                            rows=int(rows[0]) if rows else 0,
                            columns=int(cols[0]) if cols else 0,
                            primary_key=keys.get(name),
                        )
                    )
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

    def _require_table(self, name: str) -> None:
        known = self.require_tables()
        if name not in known:
            raise LakeError(f"no table {name!r} in the lake; tables: {', '.join(known)}")

    # -- cohort SQL --------------------------------------------------------------------------

    def query(self, sql: str) -> pd.DataFrame:
        """Run cohort SQL on this lake, locked down (see :func:`run_locked`)."""
        self.require_tables()
        with self.connect(read_only=True) as con:
            return run_locked(con, sql)

"""Cohort SQL in a locked-down DuckDB connection.

The same lock-down serves the real lake and a twin (or a bundle on an SME's
laptop), so a spec's SQL behaves the same everywhere: it reads the tables it is
given and nothing else on disk.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from testbench.lake.errors import LakeError, QueryRefused


def run_locked(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """Lock ``con`` down, then run ``sql`` on it.

    External access is disabled and the configuration locked first, so the
    SQL cannot read files (``read_csv``), ``ATTACH`` databases, ``COPY ... TO``
    or change a setting.

    Raises:
        QueryRefused: the SQL tried to reach outside the tables it was given.
        LakeError: any other SQL error, with DuckDB's message (and line).
    """
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    try:
        return con.execute(sql).df()
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise QueryRefused(
            f"cohort SQL refused: {first}; cohort SQL may only read the lake's tables"
        ) from None
    except duckdb.Error as exc:
        raise LakeError(f"cohort SQL failed: {exc}") from None


def query_frames(tables: dict[str, pd.DataFrame], sql: str) -> pd.DataFrame:
    """Run cohort SQL over in-memory tables (a twin or a bundle), locked down like the lake."""
    con = duckdb.connect()
    try:
        for name, frame in tables.items():
            con.register(name, frame)
        return run_locked(con, sql)
    finally:
        con.close()

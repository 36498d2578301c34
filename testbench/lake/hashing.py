"""Content hashes of lake tables, for the audit log: which data a write left, a job read.

A table's hash covers its name, its columns with their types, its row count and
the sum (modulo 2^64) of DuckDB's ``hash()`` of every row. It is computed inside
DuckDB in one scan (about as fast as ``count(*)``), does not depend on row order,
and changes when any value, row or column changes. It holds nothing that could be
turned back into data. DuckDB's ``hash()`` may change between DuckDB versions, so
compare hashes taken with the same version (the audit entry names it).
"""

from __future__ import annotations

import hashlib
import json

import duckdb

HASH_METHOD = f"sha256(schema, rows, sum of duckdb {duckdb.__version__} hash(row))"


def quote_ident(name: str) -> str:
    """Quote a table or column name for DuckDB (any name: dots, spaces, quotes)."""
    return '"' + name.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a lake table, in order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = 'lake' AND table_name = ? ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [(str(column), str(kind)) for column, kind in rows]


def table_hash(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The content hash of lake table ``name`` (hex SHA-256)."""
    row = con.execute(
        "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) % 18446744073709551616 "
        f"FROM lake.{quote_ident(name)} AS t"
    ).fetchone()
    rows, total = (int(row[0]), int(row[1])) if row else (0, 0)
    body = {"table": name, "columns": table_columns(con, name), "rows": rows, "sum": str(total)}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def combined_hash(hashes: dict[str, str]) -> str:
    """One hash over several tables' hashes (names included, order ignored)."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()

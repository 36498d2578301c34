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


def row_hashes(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """Rows of ``relation`` (a table, or a parenthesised query) and the sum of DuckDB's
    ``hash()`` of each row, modulo 2^64."""
    row = con.execute(
        "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) % 18446744073709551616 "
        f"FROM {relation} AS t"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def hash_of(name: str, columns: list[tuple[str, str]], rows: int, total: int) -> str:
    """The content hash of a table from its parts: name, (column, type)s, rows and the
    sum of its row hashes (see :func:`row_hashes`; sums of parts add up modulo 2^64)."""
    body = {"table": name, "columns": columns, "rows": rows, "sum": str(total % 2**64)}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def table_hash(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The content hash of lake table ``name`` (hex SHA-256)."""
    rows, total = row_hashes(con, f"lake.{quote_ident(name)}")
    return hash_of(name, table_columns(con, name), rows, total)


def combined_hash(hashes: dict[str, str]) -> str:
    """One hash over several tables' hashes (names included, order ignored)."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()

"""The lake's record of its ingestions (catalogue table ``_tb_ingests``) and quarantines.

One row per ingestion that wrote: which file (name and SHA-256), into which table,
with which result (counts and reasons, never a value), and the table's content
hash right after. The record is what makes re-ingesting a file a no-op
(:func:`unchanged_report`) and what ``lake status`` reports quarantines from
(:func:`latest_ingests`). Refused rows live in ``_tb_quarantine_<table>``, each
marked with the ingestion that refused it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from testbench.lake.hashing import quote_ident
from testbench.lake.lake import Lake
from testbench.lake.writer import INTERNAL_PREFIX, LakeWriter

QUARANTINE_PREFIX = "quarantine_"  # quarantine of table T: internal table _tb_quarantine_T
INGEST_LOG = "ingests"  # internal table _tb_ingests: one row per ingestion
INGEST_ID = "tb_ingest_id"  # quarantine column: which ingestion refused the row
INGESTED_AT = "tb_ingested_at"  # quarantine column: when (UTC)
SOURCE_FILE = "tb_source_file"  # quarantine column: the file's name (not its path)


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion did. Holds counts and names only, never a value."""

    table: str  # the lake table written
    rows_in_file: int  # data rows in the file (blank lines not counted)
    ingested: int  # rows now in the table
    quarantined: int  # rows refused, appended to the table's quarantine
    reasons: dict[str, int]  # reason -> rows failing it; a row may fail several checks
    pseudonymised_columns: list[str]  # columns whose CPR numbers were replaced by pseudonyms
    contract: str | None = None  # the contract checked, if any
    primary_key: str | None = None  # the table's primary key, if any
    relations: list[str] = field(default_factory=list)  # foreign keys checked and declared
    # Contract foreign keys not checked because the parent is not in the lake yet: ingest
    # the parent, then this table again.
    unchecked_foreign_keys: list[str] = field(default_factory=list)
    ingest_id: str = ""  # identifies this ingestion in the quarantine and the ingest log
    file_sha256: str = ""  # SHA-256 of the file's bytes
    table_hash: str = ""  # content hash of the table after the write (testbench.lake.hashing)
    # True when the same file had been ingested the same way into the same table and
    # nothing it depends on had changed: the lake was left alone, this is the earlier report.
    unchanged: bool = False


def log_row(
    report: IngestReport, file_name: str, file_format: str, at: datetime, content_key: str
) -> pd.DataFrame:
    """The ingest-log row of one ingestion."""
    body = {k: v for k, v in report.__dict__.items() if k != "unchanged"}
    return pd.DataFrame(
        {
            "ingest_id": [report.ingest_id],
            "table_name": [report.table],
            "source_file": [file_name],
            "file_format": [file_format],
            "contract": pd.Series([report.contract], dtype="string"),
            "rows_in_file": [report.rows_in_file],
            "ingested": [report.ingested],
            "quarantined": [report.quarantined],
            "ingested_at": [pd.Timestamp(at)],
            "file_sha256": [report.file_sha256],
            "content_key": [content_key],
            "table_hash": [report.table_hash],
            "report": [json.dumps(body, sort_keys=True)],
        }
    )


def _latest(log: pd.DataFrame) -> pd.DataFrame:
    return log.sort_values("ingested_at", kind="stable").groupby("table_name").tail(1)


def unchanged_report(
    lake: Lake,
    table: str,
    content_key: str,
    con: duckdb.DuckDBPyConnection | None = None,
    before_hashing: Callable[[], None] | None = None,
) -> IngestReport | None:
    """The report of the ingestion that left ``table`` as it is, if it had ``content_key``.

    None unless the table's latest ingestion had the same content key and the table
    still has the content hash that ingestion left (nothing replaced it since).

    Args:
        lake: the lake.
        table: the table ingested into.
        content_key: what decides the ingestion's result this time.
        con: an open connection to the lake, to read it on (else one is opened).
        before_hashing: called when the content key matches, before the table is hashed
            (the slow part) to make sure: the ingestion is most likely a no-op.
    """
    if con is None:
        if not lake.path.exists():
            return None
        with lake.connect(read_only=True) as own:
            return unchanged_report(lake, table, content_key, own, before_hashing)
    reader = LakeWriter(con)
    log = reader.read_internal(INGEST_LOG)
    if log is None or "content_key" not in log.columns or not reader.has_table(table):
        return None
    mine = log[log["table_name"] == table]
    if mine.empty:
        return None
    latest = _latest(mine).iloc[0]
    if latest["content_key"] != content_key or pd.isna(latest["report"]):
        return None
    if before_hashing is not None:
        before_hashing()
    if reader.table_hash(table) != latest["table_hash"]:
        return None
    return IngestReport(**json.loads(latest["report"]), unchanged=True)


def forget_same_file(tx: LakeWriter, table: str, file_sha256: str) -> None:
    """Drop the quarantined rows that earlier ingestions of this file into ``table`` left,
    so ingesting a file again never doubles its quarantine."""
    log = INTERNAL_PREFIX + INGEST_LOG
    quarantine = INTERNAL_PREFIX + QUARANTINE_PREFIX + table
    if not (tx.has_table(quarantine) and tx.has_table(log)) or "file_sha256" not in tx.columns(log):
        return
    tx.execute(
        f"DELETE FROM lake.{quote_ident(quarantine)} WHERE {INGEST_ID} IN "
        f"(SELECT ingest_id FROM lake.{log} WHERE table_name = ? AND file_sha256 = ?)",
        [table, file_sha256],
    )


def latest_ingests(lake: Lake) -> dict[str, dict[str, Any]]:
    """Per table, its latest ingestion: ``quarantined`` rows and ``reasons`` (reason -> rows)."""
    log = lake.read_internal(INGEST_LOG)
    if log is None or log.empty:
        return {}
    out = {}
    for row in _latest(log).itertuples(index=False):
        report = getattr(row, "report", None)
        reasons = json.loads(report)["reasons"] if isinstance(report, str) else {}
        out[str(row.table_name)] = {"quarantined": int(row.quarantined), "reasons": reasons}
    return out


def quarantined_rows(lake: Lake) -> dict[str, int]:
    """Rows refused by the latest ingestion of each table (for ``lake status``)."""
    return {table: int(v["quarantined"]) for table, v in latest_ingests(lake).items()}


def forget_ingests(target: Lake | LakeWriter, tables: Sequence[str]) -> None:
    """Drop the ingest-log entries of tables that were replaced by other means (simulation),
    so ``lake status`` does not report an old quarantine count for them.

    Args:
        target: the lake (its own transaction), or a writer inside a transaction.
        tables: the tables replaced.
    """
    if isinstance(target, Lake):
        if not target.path.exists():
            return
        with target.transaction() as tx:
            forget_ingests(tx, tables)
        return
    if target.has_table(INTERNAL_PREFIX + INGEST_LOG) and tables:
        marks = ", ".join("?" for _ in tables)
        target.execute(
            f"DELETE FROM lake.{INTERNAL_PREFIX}{INGEST_LOG} WHERE table_name IN ({marks})",
            list(tables),
        )


def stamped(quarantine: pa.Table, ingest_id: str, at: datetime, file_name: str) -> pa.Table:
    """Refused rows marked with the ingestion that refused them: its id, time and file."""
    rows = quarantine.num_rows
    quarantine = quarantine.add_column(0, SOURCE_FILE, pa.repeat(file_name, rows))
    stamp = np.full(rows, np.datetime64(at, "ns"))
    quarantine = quarantine.add_column(0, INGESTED_AT, pa.array(stamp, pa.timestamp("ns")))
    return quarantine.add_column(0, INGEST_ID, pa.repeat(ingest_id, rows))

"""The public names of the lake and of its ingestion: adding or removing one is a decision."""

from __future__ import annotations

import testbench.lake
import testbench.lake.ingest


def test_ingestion_exports_exactly_its_public_names() -> None:
    assert sorted(testbench.lake.ingest.__all__) == [
        "CONTRACTS",
        "ColumnRule",
        "ColumnType",
        "Contract",
        "ForeignKey",
        "IngestError",
        "IngestReport",
        "MissingColumn",
        "REASON",
        "SOURCE_ROW",
        "UnknownContract",
        "UnknownParentTable",
        "UnreadableFile",
        "forget_ingests",
        "get_contract",
        "ingest_file",
        "quarantined_rows",
    ]
    assert all(hasattr(testbench.lake.ingest, name) for name in testbench.lake.ingest.__all__)


def test_the_lake_exports_exactly_its_public_names() -> None:
    assert sorted(testbench.lake.__all__) == [
        "Lake",
        "LakeStatus",
        "TableStatus",
        "ingest_file",
        "tenant_lake",
    ]
    assert testbench.lake.ingest_file is testbench.lake.ingest.ingest_file

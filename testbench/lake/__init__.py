"""Tenant lakes: encrypted DuckDB files, their ingestion (:mod:`.ingest`), catalogue and
cohort SQL."""

from testbench.lake.ingest import ingest_file
from testbench.lake.lake import Lake, LakeStatus, TableStatus, tenant_lake

__all__ = ["Lake", "LakeStatus", "TableStatus", "ingest_file", "tenant_lake"]

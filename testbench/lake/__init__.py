"""Tenant lakes: encrypted DuckDB files, their ingestion, catalogue and cohort SQL."""

from testbench.lake.lake import Lake, LakeStatus, TableStatus, tenant_lake

__all__ = ["Lake", "LakeStatus", "TableStatus", "tenant_lake"]

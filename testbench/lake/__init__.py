"""The tenant lake: one encrypted DuckDB file per tenant, reached only through :class:`Lake`."""

from testbench.lake.lake import Lake, LakeStatus, TableStatus

__all__ = ["Lake", "LakeStatus", "TableStatus"]

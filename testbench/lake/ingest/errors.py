"""Errors of lake ingestion. Each message says what to do next and never shows a value."""

from __future__ import annotations

from testbench.lake.errors import LakeError


class IngestError(LakeError):
    """An extract could not be ingested as asked (bad arguments, keys or table name)."""


class UnreadableFile(IngestError):
    """The file is missing, of an unknown type, empty or not valid CSV/Parquet."""


class UnknownContract(IngestError):
    """No contract of that name; the message lists the known ones."""


class MissingColumn(IngestError):
    """A column the contract requires, or a declared key column, is not in the file."""


class UnknownParentTable(IngestError):
    """A foreign key names a parent table (or column) that is not in the lake."""

"""Errors of the lake: opening it, reading its tables and running cohort SQL on it.

Ingestion's own errors (:class:`~testbench.lake.ingest.errors.IngestError` and below) derive
from :class:`LakeError` and live in ``testbench/lake/ingest/errors.py``.
"""

from __future__ import annotations

from testbench.errors import TestbenchError


class LakeError(TestbenchError):
    """The lake could not be opened or a query on it failed."""


class LakeEmpty(LakeError):
    """The lake has no tables yet."""


class QueryRefused(LakeError):
    """Cohort SQL tried to reach outside the tenant's own tables."""

"""Errors of the evidence store and its airlock."""

from __future__ import annotations

from testbench.errors import TestbenchError


class ApprovalRefused(TestbenchError):
    """The run cannot be published (same person, not finished, already published)."""


class EvidenceError(TestbenchError):
    """Evidence could not be written to or read from the MLflow store."""

"""Errors of the fidelity metrics."""

from __future__ import annotations


class FidelityInputError(ValueError):
    """The real tables, the synthetic tables and the metadata do not describe the same lake.

    The message names the table and columns at fault; rebuild the synthetic data from the same
    lake, or build the metadata from the real tables (``generators.twin.metadata.build_metadata``).
    """


class DriftReportMissing(LookupError):
    """No drift report exists for the table asked for."""

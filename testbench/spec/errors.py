"""Errors of validation specs, their model files and cohorts."""

from __future__ import annotations

from testbench.errors import TestbenchError


class SpecError(TestbenchError):
    """A validation spec, its model file or its cohort is invalid; the message names the field."""

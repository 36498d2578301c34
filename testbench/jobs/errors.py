"""Errors of validation jobs: submitting them and running them."""

from __future__ import annotations

from testbench.errors import TestbenchError


class SubmitError(TestbenchError):
    """The Ray cluster refused the job or could not be reached."""


class JobError(TestbenchError):
    """A validation job cannot run on this data; the message says what to change."""

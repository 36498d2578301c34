"""Errors of disclosure control."""

from __future__ import annotations

from testbench.errors import TestbenchError


class DisclosureViolation(TestbenchError):
    """Output from a lake breaks the disclosure policy; the message names where and which rule."""

"""Errors of the privacy metrics and attacks."""

from __future__ import annotations


class AttackInputError(ValueError):
    """The tables cannot be attacked as given (columns or sizes); the message says what to fix."""

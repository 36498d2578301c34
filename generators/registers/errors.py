"""Errors of the register simulator."""

from __future__ import annotations


class InvalidSimulationSettings(ValueError):
    """The requested population size or seed cannot be simulated."""

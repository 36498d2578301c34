"""Fidelity of a synthetic twin: how closely it reproduces the real tables."""

from validation.fidelity.quality import FidelityResult, quality_report

__all__ = ["FidelityResult", "quality_report"]

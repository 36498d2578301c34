"""Fidelity of a synthetic twin: how closely it reproduces the real tables."""

from validation.fidelity.diagnostic import DiagnosticResult, diagnostic_report
from validation.fidelity.quality import FidelityResult, quality_report

__all__ = ["DiagnosticResult", "FidelityResult", "diagnostic_report", "quality_report"]

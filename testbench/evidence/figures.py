"""Figures logged with a validation run: PNG (for reports) and plotly JSON (interactive).

Drawn only from the disclosure-checked evidence (curves on fixed grids, merged calibration
bins), so a figure never shows more than the evidence does. Colours are Okabe-Ito
(colour-blind safe), one per regime.
"""

from __future__ import annotations

import io
from typing import Any

# One colour per regime (Okabe-Ito), shared with the dashboard's figures.
COLOURS = {"TRTR": "#0072B2", "TSTR": "#E69F00", "TSTS": "#009E73"}
GREY = "#999999"


def validation_figures(evidence: dict[str, Any]) -> dict[str, str | bytes]:
    """Artifact path -> content: ``figures/<name>.png`` and ``figures/<name>.json``."""
    regimes: dict[str, Any] = evidence.get("regimes", {})
    if not any("roc" in block for block in regimes.values()):
        return {}
    curves = {
        "roc": ("False positive rate", "True positive rate", _roc),
        "calibration": ("Predicted risk", "Observed rate", _calibration),
        "decision_curve": ("Threshold probability", "Net benefit", _decision),
    }
    out: dict[str, str | bytes] = {}
    for name, (xlabel, ylabel, series) in curves.items():
        lines = [(regime, *series(block)) for regime, block in regimes.items() if name in block]
        out[f"figures/{name}.png"] = _png(lines, xlabel, ylabel)
        out[f"figures/{name}.json"] = _plotly(lines, xlabel, ylabel)
    return out


def _roc(block: dict[str, Any]) -> tuple[list[float], list[float]]:
    return block["roc"]["fpr"], block["roc"]["tpr"]


def _calibration(block: dict[str, Any]) -> tuple[list[float], list[float]]:
    bins = block["calibration"]["bins"]
    return [b["predicted"] for b in bins], [b["observed"] for b in bins]


def _decision(block: dict[str, Any]) -> tuple[list[float], list[float]]:
    curve = block["decision_curve"]
    return curve["thresholds"], curve["model"]


def _png(lines: list[tuple[str, list[float], list[float]]], xlabel: str, ylabel: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 5), dpi=100)
    try:
        for regime, x, y in lines:
            axes.plot(x, y, label=regime, color=COLOURS.get(regime, GREY), linewidth=2)
        axes.set_xlabel(xlabel, fontsize=14)
        axes.set_ylabel(ylabel, fontsize=14)
        axes.legend(fontsize=12)
        axes.grid(alpha=0.3)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _plotly(lines: list[tuple[str, list[float], list[float]]], xlabel: str, ylabel: str) -> str:
    import plotly.graph_objects as go

    figure = go.Figure(
        [
            go.Scatter(x=x, y=y, name=regime, line={"color": COLOURS.get(regime, GREY)})
            for regime, x, y in lines
        ]
    )
    figure.update_layout(xaxis_title=xlabel, yaxis_title=ylabel, font={"size": 18})
    return str(figure.to_json())

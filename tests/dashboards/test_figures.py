"""Figures for a projector: large type, a colour-blind-safe palette, the locale's numbers."""

from __future__ import annotations

from typing import Any

from dashboards.figures import (
    FONT_SIZE,
    OKABE_ITO,
    REGIME_STYLE,
    calibration_figure,
    column_figure,
    decision_figure,
    forest_figure,
    pr_figure,
    roc_figure,
)
from dashboards.i18n import t
from testkit.evidence_factory import EvidenceStore


def _traces(fig: Any) -> dict[str, Any]:
    return {trace.name: trace for trace in fig.data if trace.name}


def test_curves_use_large_type_the_palette_and_one_style_per_regime(
    store: EvidenceStore,
) -> None:
    regimes = store.evidence.validation["regimes"]
    for lang in ("da", "en"):
        for build in (roc_figure, pr_figure, calibration_figure, decision_figure):
            fig = build(regimes, lang)
            assert fig.layout.template.layout.font.size == FONT_SIZE >= 18
            assert list(fig.layout.template.layout.colorway) == list(OKABE_ITO)
            assert fig.layout.separators == {"da": ",.", "en": ".,"}[lang]
            lines = _traces(fig)
            for regime, (colour, dash) in REGIME_STYLE.items():
                trace = lines[t(f"regime.{regime}", lang)]
                assert (trace.line.color, trace.line.dash) == (colour, dash)
    assert len({dash for _, dash in REGIME_STYLE.values()}) == len(REGIME_STYLE)


def test_curves_carry_the_evidence_not_made_up_points(store: EvidenceStore) -> None:
    trtr = store.evidence.validation["regimes"]["TRTR"]
    roc = _traces(roc_figure({"TRTR": trtr}, "da"))[t("regime.TRTR", "da")]
    assert list(roc.x) == trtr["roc"]["fpr"] and list(roc.y) == trtr["roc"]["tpr"]
    decision = _traces(decision_figure({"TRTR": trtr}, "en"))
    assert list(decision[t("figure.treat_all", "en")].y) == trtr["decision_curve"]["treat_all"]
    assert set(decision[t("figure.treat_none", "en")].y) == {0.0}


def test_forest_plot_skips_suppressed_subgroups_and_shows_counts(store: EvidenceStore) -> None:
    trtr = store.evidence.validation["regimes"]["TRTR"]
    rows, overall = trtr["subgroups"], trtr["metrics"]["auroc"]
    fig = forest_figure(rows, "auroc", "da", overall)
    assert fig.layout.shapes[0].x0 == overall["value"]  # the all-persons reference line
    labels = list(fig.data[0].y)
    shown = [r for r in rows if not r["suppressed"]]
    assert len(labels) == len(shown) < len(rows)
    assert labels[0] == f"{shown[0]['variable']} = {shown[0]['level']} (n = {shown[0]['n']})"


def test_column_comparison_has_real_and_twin_bars(store: EvidenceStore) -> None:
    column = store.evidence.twin_evaluation["columns"][1]
    fig = column_figure(column, "en")
    bars = _traces(fig)
    assert list(bars[t("figure.column.real", "en")].y) == column["real"]
    assert list(bars[t("figure.column.twin", "en")].y) == column["twin"]

"""Plotly figures for a projector: large fonts, the Okabe-Ito colour-blind-safe palette.

Every builder takes evidence parts (docs/evidence.md) and the language, and returns a
figure whose texts come from the catalogue and whose numbers the locale formats (Danish
decimal comma). Regimes keep one colour and one line style each on every page, so a
reader who cannot tell the colours apart still can by the dashes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from dashboards.i18n import t
from dashboards.labels import METRIC_KEYS, metric_name, regime_name
from testbench.evidence.figures import COLOURS as REGIME_COLOURS

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
# vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
REGIME_STYLE = {  # colour and dash per regime, the same on every page and in logged figures
    "TRTR": (REGIME_COLOURS["TRTR"], "solid"),
    "TSTR": (REGIME_COLOURS["TSTR"], "dash"),
    "TSTS": (REGIME_COLOURS["TSTS"], "dot"),
}
REFERENCE = "#555555"  # chance lines, treat-all/treat-none, perfect calibration
FONT_SIZE = 20  # readable from the back of a meeting room
SOURCE_KEYS = {"real": "figure.column.real", "twin": "figure.column.twin"}
SEPARATORS = {"da": ",.", "en": ".,"}  # plotly: decimal mark, then thousands separator


def template() -> go.layout.Template:
    """The shared look: white background, large type, Okabe-Ito colour order."""
    return go.layout.Template(
        layout=go.Layout(
            font={"size": FONT_SIZE, "family": "DejaVu Sans, Arial, sans-serif"},
            title={"font": {"size": FONT_SIZE + 4}},
            colorway=list(OKABE_ITO),
            paper_bgcolor="white",
            plot_bgcolor="white",
            xaxis={"gridcolor": "#dddddd", "zeroline": False, "title": {"font": {"size": 20}}},
            yaxis={"gridcolor": "#dddddd", "zeroline": False, "title": {"font": {"size": 20}}},
            legend={"font": {"size": FONT_SIZE - 2}},
            hoverlabel={"font": {"size": FONT_SIZE - 2}},
            margin={"l": 80, "r": 30, "t": 70, "b": 70},
        )
    )


def roc_figure(regimes: Mapping[str, Mapping[str, Any]], lang: str) -> go.Figure:
    """ROC curves of each regime, with the chance diagonal."""
    fig = _figure(lang, "figure.roc.title", "figure.roc.x", "figure.roc.y")
    _reference(fig, [0, 1], [0, 1], t("figure.chance", lang))
    for regime, block in regimes.items():
        roc = block.get("roc") or {}
        _line(fig, regime, roc.get("fpr", []), roc.get("tpr", []), lang)
    return _unit_axes(fig)


def pr_figure(regimes: Mapping[str, Mapping[str, Any]], lang: str) -> go.Figure:
    """Precision-recall curves of each regime."""
    fig = _figure(lang, "figure.pr.title", "figure.pr.x", "figure.pr.y")
    for regime, block in regimes.items():
        pr = block.get("pr") or {}
        _line(fig, regime, pr.get("recall", []), pr.get("precision", []), lang)
    return _unit_axes(fig)


def calibration_figure(regimes: Mapping[str, Mapping[str, Any]], lang: str) -> go.Figure:
    """Observed against predicted risk per bin, with each bin's 95% interval as a band."""
    fig = _figure(lang, "figure.calibration.title", "figure.calibration.x", "figure.calibration.y")
    _reference(fig, [0, 1], [0, 1], t("figure.perfect", lang))
    for regime, block in regimes.items():
        bins = (block.get("calibration") or {}).get("bins", [])
        x = [b["predicted"] for b in bins]
        if all(b.get("low") is not None and b.get("high") is not None for b in bins):
            _band(fig, regime, x, [b["low"] for b in bins], [b["high"] for b in bins], lang)
        _line(fig, regime, x, [b["observed"] for b in bins], lang, markers=True)
    return _unit_axes(fig)


def decision_figure(regimes: Mapping[str, Mapping[str, Any]], lang: str) -> go.Figure:
    """Net benefit against threshold probability, with treat-all and treat-none."""
    fig = _figure(lang, "figure.decision.title", "figure.decision.x", "figure.decision.y")
    first = next(iter(regimes.values()), {}).get("decision_curve") or {}
    pts = first.get("thresholds", [])
    if pts:
        _reference(fig, pts, first.get("treat_all", []), t("figure.treat_all", lang), "dot")
        _reference(fig, pts, [0.0] * len(pts), t("figure.treat_none", lang), "solid")
    for regime, block in regimes.items():
        curve = block.get("decision_curve") or {}
        x = curve.get("thresholds", [])
        if curve.get("low") and curve.get("high"):
            _band(fig, regime, x, curve["low"], curve["high"], lang)
        _line(fig, regime, x, curve.get("model", []), lang)
    model = [v for b in regimes.values() for v in (b.get("decision_curve") or {}).get("model", [])]
    top = max([v for v in model if v is not None] or [0.1])
    # Treat-all plunges below zero at high thresholds; clip so the model's curve stays readable.
    fig.update_yaxes(range=[-0.05, top * 1.15 + 0.01])
    fig.update_xaxes(tickformat=".0%")
    return fig


def forest_figure(
    rows: Sequence[Mapping[str, Any]],
    metric: str,
    lang: str,
    overall: Mapping[str, Any] | None = None,
) -> go.Figure:
    """Estimate and 95% interval per published subgroup (a forest plot).

    Args:
        rows: subgroup rows of one regime (docs/evidence.md); suppressed ones are skipped.
        metric: e.g. "auroc".
        lang: language.
        overall: the metric on all test persons, drawn as a dashed reference line.
    """
    from dashboards.i18n import count

    shown = [r for r in rows if not r.get("suppressed") and (r.get("metrics") or {}).get(metric)]
    labels = [f"{r['variable']} = {r['level']} (n = {count(r.get('n'), lang)})" for r in shown]
    values = [r["metrics"][metric]["value"] for r in shown]
    lows = [r["metrics"][metric].get("low") for r in shown]
    highs = [r["metrics"][metric].get("high") for r in shown]
    fig = _figure(
        lang, "figure.forest.title", METRIC_KEYS.get(metric, "common.metric"), "figure.forest.y"
    )
    fig.add_trace(
        go.Scatter(
            x=values,
            y=labels,
            mode="markers",
            marker={"size": 14, "color": OKABE_ITO[0], "symbol": "square"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [
                    (h - v) if h is not None else 0 for v, h in zip(values, highs, strict=True)
                ],
                "arrayminus": [
                    (v - lo) if lo is not None else 0 for v, lo in zip(values, lows, strict=True)
                ],
                "thickness": 3,
                "color": OKABE_ITO[0],
            },
            name=metric_name(metric, lang),
            showlegend=False,
        )
    )
    if overall and overall.get("value") is not None:
        fig.add_vline(
            x=overall["value"],
            line={"color": REFERENCE, "dash": "dash", "width": 2},
            annotation_text=t("figure.forest.overall", lang),
            annotation_position="top",
        )
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    # Room for the longest label at the template's font size (plotly's automargin alone
    # may clip long labels on the first draw).
    left = int(0.62 * FONT_SIZE * max((len(label) for label in labels), default=10)) + 20
    fig.update_layout(height=max(360, 70 * len(shown) + 160), margin={"l": left})
    return fig


def column_figure(column: Mapping[str, Any], lang: str) -> go.Figure:
    """Shares per bin of one column in the real data and in the twin, side by side.

    A mapping without ``twin`` (a catalogue's distribution) draws the real shares alone.
    """
    fig = _figure(lang, "figure.column.title", "figure.column.x", "figure.column.y")
    fig.update_layout(title={"text": f"{column['table']}.{column['column']}"}, barmode="group")
    for source, colour, pattern in (("real", OKABE_ITO[0], ""), ("twin", OKABE_ITO[1], "/")):
        if source not in column:
            continue
        fig.add_trace(
            go.Bar(
                x=[str(label) for label in column.get("labels", [])],
                y=column.get(source, []),
                name=t(SOURCE_KEYS[source], lang),
                marker={"color": colour, "pattern": {"shape": pattern}},
            )
        )
    fig.update_yaxes(tickformat=".0%")
    return fig


def _figure(lang: str, title: str, x_title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=template(),
        separators=SEPARATORS[lang],
        title={"text": t(title, lang)},
        xaxis_title=t(x_title, lang),
        yaxis_title=t(y_title, lang),
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0},
        height=520,
    )
    return fig


def _line(
    fig: go.Figure,
    regime: str,
    x: Sequence[Any],
    y: Sequence[Any],
    lang: str,
    markers: bool = False,
) -> None:
    colour, dash = REGIME_STYLE.get(regime, (OKABE_ITO[3], "dashdot"))
    fig.add_trace(
        go.Scatter(
            x=list(x),
            y=list(y),
            mode="lines+markers" if markers else "lines",
            name=regime_name(regime, lang),
            line={"color": colour, "dash": dash, "width": 4},
            marker={"size": 11},
            legendgroup=regime,
        )
    )


def _band(
    fig: go.Figure,
    regime: str,
    x: Sequence[Any],
    low: Sequence[Any],
    high: Sequence[Any],
    lang: str,
) -> None:
    """A shaded 95% interval: the upper edge, then the lower edge filled up to it."""
    colour, _ = REGIME_STYLE.get(regime, (OKABE_ITO[3], "dashdot"))
    fill = _rgba(colour, 0.18)
    common = {"mode": "lines", "line": {"width": 0}, "legendgroup": regime, "hoverinfo": "skip"}
    fig.add_trace(go.Scatter(x=list(x), y=list(high), showlegend=False, **common))
    fig.add_trace(
        go.Scatter(
            x=list(x),
            y=list(low),
            fill="tonexty",
            fillcolor=fill,
            name=t("figure.interval", lang),
            showlegend=False,
            **common,
        )
    )


def _reference(
    fig: go.Figure, x: Sequence[Any], y: Sequence[Any], name: str, dash: str = "dot"
) -> None:
    fig.add_trace(
        go.Scatter(
            x=list(x),
            y=list(y),
            mode="lines",
            name=name,
            line={"color": REFERENCE, "dash": dash, "width": 2},
        )
    )


def _unit_axes(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(range=[0, 1], constrain="domain")
    fig.update_yaxes(range=[0, 1.02])
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"

"""Synthetic twin: how faithful the twin this run used is, overall and column by column.

Shows the twin's published twin-evaluation run (same tenant, same twin id), or says that it
is not published.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.figures import column_figure
from dashboards.i18n import estimate, number, percent, t, tf
from dashboards.labels import regime_name
from dashboards.view import View, require_view
from dashboards.widgets import chart, header, published_twin, table

# SDMetrics property names -> catalogue keys (unknown names are shown as they are).
PROPERTY_KEYS = {
    "Column Shapes": "twin.property.column_shapes",
    "Column Pair Trends": "twin.property.pair_trends",
    "Cardinality": "twin.property.cardinality",
    "Intertable Trends": "twin.property.intertable",
    "Data Validity": "twin.property.validity",
    "Data Structure": "twin.property.structure",
    "Relationship Validity": "twin.property.relationships",
}


def render(view: View) -> None:
    """Fidelity scores, per-table drift, detection, TSTR against TRTR (the SME's model and
    the tasks derived from the lake), and per-column shares."""
    lang = view.lang
    header(view, "twin.title", "twin.intro")
    twin = published_twin(view)
    if twin is None:
        return
    fidelity = twin.get("fidelity") or {}
    st.caption(tf("twin.which", lang, twin=twin.get("twin", "–")))

    columns = st.columns(4)
    columns[0].metric(t("twin.quality", lang), estimate({"value": fidelity.get("quality")}, lang))
    columns[1].metric(
        t("twin.diagnostic", lang), estimate({"value": fidelity.get("diagnostic")}, lang)
    )
    # What the twin is for: a model trained on it does nearly as well on real persons as one
    # trained on the real data.
    regimes = view.regimes("TRTR", "TSTR").items()
    for column, (regime, block) in zip(columns[2:], regimes, strict=False):
        column.metric(
            f"AUROC, {regime_name(regime, lang)}",
            estimate((block.get("metrics") or {}).get("auroc"), lang),
        )

    properties = {
        **(fidelity.get("properties") or {}),
        **(fidelity.get("diagnostic_properties") or {}),
    }
    table(
        pd.DataFrame(
            {
                t("twin.property", lang): [
                    t(PROPERTY_KEYS[p], lang) if p in PROPERTY_KEYS else p for p in properties
                ],
                t("twin.score", lang): [estimate({"value": v}, lang) for v in properties.values()],
            }
        )
    )
    drift = fidelity.get("drift") or {}
    tables = fidelity.get("tables") or {}
    if tables or drift:
        names = sorted(set(tables) | set(drift))
        table(
            pd.DataFrame(
                {
                    t("twin.table", lang): names,
                    t("twin.shape_score", lang): [
                        estimate({"value": tables.get(n)}, lang) for n in names
                    ],
                    t("twin.drifted", lang): [_drift(drift.get(n), lang) for n in names],
                }
            )
        )
    _detection(fidelity.get("detection") or {}, lang)
    _utility(twin.get("utility") or {}, lang)
    _columns(twin.get("columns") or [], lang)


def _detection(detection: dict, lang: str) -> None:
    """Whether a classifier tells twin rows from real ones: persons, then each table."""
    persons = detection.get("person_view")
    parts = [(t("twin.detection_persons", lang), persons)] if persons else []
    parts += list((detection.get("tables") or {}).items())
    if not parts:
        return
    st.markdown(f"### {t('twin.detection', lang)}")
    if persons:
        st.metric(t("twin.detection_auc", lang), estimate(persons.get("auc"), lang))
    table(
        pd.DataFrame(
            {
                t("twin.detection_rows", lang): [name for name, _ in parts],
                "AUC": [estimate(result.get("auc"), lang) for _, result in parts],
                t("twin.detection_features", lang): [
                    ", ".join(f["feature"] for f in (result.get("top_features") or [])[:3])
                    for _, result in parts
                ],
            }
        )
    )
    st.caption(t("twin.detection_explain", lang))


def _utility(utility: dict, lang: str) -> None:
    """TSTR against TRTR on the tasks the evaluation derived from the lake."""
    tasks = utility.get("tasks") or []
    if not tasks:
        return
    st.markdown(f"### {t('twin.utility', lang)}")
    table(
        pd.DataFrame(
            {
                t("twin.utility_task", lang): [task["name"] for task in tasks],
                t("twin.utility_trtr", lang): [
                    estimate({"value": task.get("trtr_auroc")}, lang) for task in tasks
                ],
                t("twin.utility_tstr", lang): [
                    estimate({"value": task.get("tstr_auroc")}, lang) for task in tasks
                ],
                t("twin.utility_ratio", lang): [
                    estimate({"value": task.get("above_chance")}, lang) for task in tasks
                ],
                t("twin.utility_slope", lang): [
                    estimate({"value": task.get("tstr_calibration_slope")}, lang) for task in tasks
                ],
            }
        )
    )
    st.caption(t("twin.utility_explain", lang))


def _drift(entry: dict | None, lang: str) -> str:
    if not entry or entry.get("columns") is None:
        return "–"
    share = entry.get("share")
    text = f"{number(entry.get('drifted', 0), lang, 0)} / {number(entry['columns'], lang, 0)}"
    return text + (f" ({percent(share, lang, 0)})" if share is not None else "")


def _columns(comparisons: list[dict], lang: str) -> None:
    """Real against twin shares for one column the viewer picks."""
    if not comparisons:
        return
    st.markdown(f"### {t('twin.columns', lang)}")
    labels = [f"{c['table']}.{c['column']}" for c in comparisons]
    picked = st.selectbox(t("twin.pick_column", lang), labels, key="twin_column")
    chart(column_figure(comparisons[labels.index(str(picked))], lang))
    st.caption(t("twin.columns_explain", lang))


if __name__ == "__main__":
    render(require_view())

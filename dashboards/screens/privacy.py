"""Privacy: every check of the privacy gate on the twin, with value, threshold and decision."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.i18n import MISSING, number, t
from dashboards.view import View, require_view
from dashboards.widgets import header, published_twin, table

# Gate check names -> catalogue keys (testbench.twins.gate.DEFAULT_RULES); others shown as named.
CHECK_KEYS = {
    "quality": "privacy.check.quality",
    "diagnostic": "privacy.check.diagnostic",
    "dcr_baseline_protection": "privacy.check.dcr_baseline_protection",
    "dcr_overfitting_protection": "privacy.check.dcr_overfitting_protection",
    "dcr_holdout_ratio": "privacy.check.dcr_holdout_ratio",
    "exact_copies": "privacy.check.exact_copies",
    "rare_leakage": "privacy.check.rare_leakage",
    "singling_out": "privacy.check.singling_out",
    "linkability": "privacy.check.linkability",
    "inference": "privacy.check.inference",
    "membership_auc": "privacy.check.membership_auc",
    "membership_tpr_at_fpr_01": "privacy.check.membership_tpr_at_fpr_01",
    "membership_tpr_at_fpr_10": "privacy.check.membership_tpr_at_fpr_10",
    "near_copies": "privacy.check.near_copies",
    "detection_auc": "privacy.check.detection_auc",
    "utility_above_chance": "privacy.check.utility_above_chance",
}


def render(view: View) -> None:
    """The gate's decision and its checks, from the twin's published evaluation."""
    lang = view.lang
    header(view, "privacy.title", "privacy.intro")
    twin = published_twin(view)
    if twin is None:
        return
    gate = twin.get("gate") or {}
    if gate.get("passed"):
        st.success(t("privacy.gate_passed", lang))
    else:
        st.error(t("privacy.gate_failed", lang))
    checks = gate.get("checks") or []
    table(
        pd.DataFrame(
            {
                t("privacy.check", lang): [_name(c.get("name"), lang) for c in checks],
                t("privacy.value", lang): [_num(c.get("value"), lang) for c in checks],
                t("privacy.threshold", lang): [_threshold(c, lang) for c in checks],
                t("privacy.interval", lang): [_interval(c, lang) for c in checks],
                t("privacy.decision", lang): [
                    t("privacy.passed" if c.get("passed") else "privacy.failed", lang)
                    for c in checks
                ],
            }
        )
    )
    st.caption(t("privacy.explain", lang))
    st.caption(t("privacy.membership_explain", lang))


def _name(name: object, lang: str) -> str:
    key = CHECK_KEYS.get(str(name))
    return t(key, lang) if key else str(name)


def _threshold(check: dict, lang: str) -> str:
    if check.get("threshold") is None:  # a report-only check: shown, never fails
        return t("privacy.report_only", lang)
    return ("≥ " if check.get("direction") == "min" else "≤ ") + _num(check["threshold"], lang)


def _num(value: object, lang: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, lang, 3)
    return MISSING


def _interval(check: dict, lang: str) -> str:
    low, high = check.get("low"), check.get("high")
    if low is None or high is None:
        return MISSING
    return f"{_num(low, lang)}–{_num(high, lang)}"


if __name__ == "__main__":
    render(require_view())

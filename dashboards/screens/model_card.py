"""Model card: the run's card (Mitchell et al. sections), to read and to download."""

from __future__ import annotations

import re

import streamlit as st

from dashboards import data
from dashboards.i18n import t
from dashboards.view import View, require_validation
from dashboards.widgets import header


def file_stem(name: str) -> str:
    """A safe file name from a spec name: 'model-card-home-care'."""
    return "model-card-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "run")


def render(view: View) -> None:
    """The card as Markdown, with Markdown and PDF downloads."""
    lang = view.lang
    header(view, "card.title", "card.intro")
    card = str(view.evidence.get("model_card") or "")
    if not card.strip():
        st.info(t("card.missing", lang))
        return
    stem = file_stem(view.run.name)
    left, right = st.columns(2)
    left.download_button(
        t("card.download_md", lang),
        card.encode("utf-8"),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key="card_md",
    )
    right.download_button(
        t("card.download_pdf", lang),
        data.model_card_pdf(card),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key="card_pdf",
    )
    with st.container(border=True):
        st.markdown(card)


if __name__ == "__main__":
    render(require_validation())

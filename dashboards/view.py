"""What every page renders: the language, the chosen run and its evidence.

``app.py`` builds a :class:`View` on each rerun, before the page runs, and keeps it in the
session; a page calls :func:`require_view` and gets it, or a message saying why there is
nothing to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboards.i18n import t
from testbench.evidence.reader import EvidenceRun

VIEW_KEY = "_view"  # session key of the current View
REASON_KEY = "_no_view"  # session key of the catalogue key that says why there is none
REGIMES = ("TRTR", "TSTR", "TSTS")  # display order


@dataclass(frozen=True)
class View:
    """The run a page shows and how to show it."""

    lang: str  # "da" or "en"
    tracking_uri: str  # the MLflow store (read only)
    run: EvidenceRun  # the published validation run chosen in the sidebar
    evidence: dict[str, Any]  # its evidence.json (docs/evidence.md)

    @property
    def binary(self) -> bool:
        """Whether the run is a binary classification (curves exist only then)."""
        return self.evidence.get("task") == "binary_classification"

    def regimes(self, *names: str) -> dict[str, dict[str, Any]]:
        """The run's regime blocks in display order, optionally only ``names``."""
        blocks = self.evidence.get("regimes") or {}
        wanted = names or REGIMES
        return {r: blocks[r] for r in REGIMES if r in blocks and r in wanted}

    @property
    def twin_only(self) -> bool:
        """Whether the view is a published twin evaluation with no validation run: a small
        lake's demo, or a twin no SME model has been validated on yet."""
        return self.run.kind == "twin-evaluation"

    def twin_evaluation(self) -> tuple[EvidenceRun, dict[str, Any]] | None:
        """The published evaluation of the twin this run used, from the same tenant."""
        from dashboards import data

        if self.twin_only:
            return self.run, self.evidence

        twin_id = self.evidence.get("twin_id")
        if not twin_id:
            return None
        return data.twin_evaluation(self.tracking_uri, self.run.tenant, str(twin_id))


def lang() -> str:
    """The session's language."""
    return str(st.session_state.get("lang", "da"))


def require_view() -> View:
    """The current view; without one, say why on the page and stop the script."""
    view = st.session_state.get(VIEW_KEY)
    if isinstance(view, View):
        return view
    st.info(t(str(st.session_state.get(REASON_KEY, "access.no_runs")), lang()))
    st.stop()


def require_validation() -> View:
    """The current view if it is a validation run; for a twin evaluation alone, say that
    no model has been validated on the twin (its own pages show it) and stop the script."""
    view = require_view()
    if view.twin_only:
        st.info(t("twin.only", view.lang).format(twin=view.evidence.get("twin") or "–"))
        st.stop()
    return view

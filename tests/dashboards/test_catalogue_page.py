"""The Catalogue page in AppTest: published catalogues for anyone, and a request's status by id."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.i18n import LANGUAGES, count, day, estimate, t
from dashboards.screens.catalogue import REQUEST_KEY, TENANT_KEY, request_status
from testkit.evidence_factory import EvidenceStore as Store

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
PAGE = "screens/catalogue.py"


def _catalogue(store: Store, monkeypatch: pytest.MonkeyPatch, lang: str = "da") -> AppTest:
    """The Catalogue page as a visitor without a viewer token and outside demo mode sees it."""
    monkeypatch.setenv("TESTBENCH_HOME", str(store.home))
    monkeypatch.setenv("TESTBENCH_DEMO_MODE", "0")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    if lang != "da":
        at.sidebar.radio[0].set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> str:
    """Everything the page shows as text: tables, metrics, texts, charts."""
    parts = [frame.value.to_string() for frame in at.table]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for kind in (
        "markdown",
        "caption",
        "info",
        "warning",
        "success",
        "error",
        "title",
        "subheader",
    ):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    return "\n".join(parts)


def _pairs(frame: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    return dict(zip(frame[key], frame[value], strict=True))


def _selectbox(at: AppTest, label_key: str, lang: str = "da") -> Any:
    return next(s for s in at.selectbox if s.label == t(label_key, lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_anyone_browses_every_published_catalogue_and_no_draft(
    lang: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _catalogue(store, monkeypatch, lang)
    assert at.selectbox(key=TENANT_KEY).options == ["demo", "lonely"]  # acme's is a draft
    described = store.catalogues.description
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("catalogue.persons", lang)] == count(described["persons"], lang)
    assert metrics[t("catalogue.rows", lang)] == count(described["rows"], lang)
    assert metrics[t("catalogue.period", lang)] == (
        f"{described['period']['start'][:4]}–{described['period']['end'][:4]}"
    )
    tables = at.table[0].value
    rows = _pairs(tables, t("catalogue.table", lang), t("catalogue.rows", lang))
    assert rows["egen_maaling"] == "<5"  # the checker's "<5", shown as such
    assert rows["bef"] == count(
        next(x for x in described["tables"] if x["name"] == "bef")["rows"], lang
    )
    assert described["title"][lang] in _shown(at)


def test_a_table_shows_its_columns_code_systems_and_the_twin_reports_bins(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _catalogue(store, monkeypatch)
    _selectbox(at, "catalogue.pick_table").set_value("lpr_a_diagnose").run()
    columns = at.table[1].value
    systems = _pairs(columns, t("catalogue.column", "da"), t("catalogue.code_system", "da"))
    icd = next(s for s in store.catalogues.description["code_systems"] if s["key"] == "icd10-d")
    assert systems["diag_kode"] == icd["da"]
    keys = _pairs(columns, t("catalogue.column", "da"), t("catalogue.key", "da"))
    assert keys["dw_ek_kontakt"] == t("common.yes", "da")

    diagnose = next(
        x for x in store.catalogues.description["tables"] if x["name"] == "lpr_a_diagnose"
    )
    first = diagnose["distributions"][0]
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in figure["data"]] == [t("figure.column.real", "da")]
    assert figure["data"][0]["y"] == pytest.approx(first["shares"])
    assert figure["layout"]["title"]["text"] == f"lpr_a_diagnose.{first['column']}"


def test_the_twin_summary_comes_from_its_published_evaluation_or_else_the_catalogue(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = store.evidence.twin_evaluation
    at = _catalogue(store, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("twin.quality", "da")] == estimate(
        {"value": twin["fidelity"]["quality"]}, "da"
    )
    assert t("catalogue.twin_published", "da").format(twin=twin["twin"]) in _shown(at)
    checks = at.table[-1].value
    assert len(checks) == len(twin["gate"]["checks"])
    assert at.error[0].value == t("privacy.gate_failed", "da")  # as the published run says

    at.selectbox(key=TENANT_KEY).set_value("lonely").run()  # its twin evaluation is a draft
    assert not at.exception
    shown = _shown(at)
    assert t("catalogue.twin_from_catalogue", "da").format(twin=twin["twin"]) in shown
    assert at.success[0].value == t("privacy.gate_passed", "da")  # the catalogue's own block


def test_a_request_id_shows_status_decision_day_and_deadline_and_nothing_personal(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = store.catalogues
    at = _catalogue(store, monkeypatch)
    at.text_input(key=REQUEST_KEY).input(cat.approved).run()
    assert not at.exception
    found = at.table[-1].value
    assert list(found[t("catalogue.request.status", "da")]) == [
        t("catalogue.status.approved", "da")
    ]
    assert list(found[t("catalogue.tenant", "da")]) == ["demo"]
    today = datetime.now(UTC).date()  # decided today; deleted by a year on (the default)
    assert list(found[t("catalogue.request.decided", "da")]) == [day(today, "da")]
    deadline = list(found[t("catalogue.request.delete_by", "da")])
    assert deadline == [day(today + timedelta(days=365), "da")]
    shown = _shown(at)
    for secret in (cat.requester, cat.purpose, "reviewer-a", "Covered by the DPIA"):
        assert secret not in shown

    at.text_input(key=REQUEST_KEY).input(cat.rejected).run()
    found = at.table[-1].value
    assert list(found[t("catalogue.request.status", "da")]) == [
        t("catalogue.status.rejected", "da")
    ]
    assert cat.reason not in _shown(at) and "reviewer-b" not in _shown(at)

    for unknown in ("AR-20200101-00000000", "' or 1=1 --"):
        at.text_input(key=REQUEST_KEY).input(unknown).run()
        assert not at.exception
        assert at.warning[0].value == t("catalogue.request.not_found", "da")


def test_no_person_key_reaches_the_page(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from testbench.config import Settings
    from testbench.lake.lake import tenant_lake
    from testbench.tenants import TenantRegistry

    settings = Settings(home=store.home)
    pseudonyms = tenant_lake(TenantRegistry(settings).get("demo")).read_table("bef")["pnr"]
    at = _catalogue(store, monkeypatch)
    shown = [_shown(at)]
    for name in _selectbox(at, "catalogue.pick_table").options:
        _selectbox(at, "catalogue.pick_table").set_value(name).run()
        shown.append(_shown(at))
    text = "\n".join(shown)
    assert "pnr" in text  # the column is listed, as a key ...
    assert not any(p in text for p in pseudonyms.astype(str))  # ... its values never


def test_the_overview_names_the_access_request_a_published_run_rests_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBENCH_HOME", str(store.home))
    monkeypatch.setenv("TESTBENCH_DEMO_MODE", "1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.session_state["run_id"] == store.demo_run
    provenance = "\n".join(m.value for m in at.markdown)
    assert f"`{store.catalogues.approved}` ({t('catalogue.status.approved', 'da')})" in provenance


def test_an_approved_request_past_its_deadline_reads_as_expired() -> None:
    tags = {"access_status": "approved", "access_delete_by": "2027-01-31"}
    assert request_status(tags, "en", today=date(2027, 1, 31)) == t(
        "catalogue.status.approved", "en"
    )
    assert request_status(tags, "en", today=date(2027, 2, 1)) == t("catalogue.status.expired", "en")
    assert request_status({"access_status": "pending"}, "da") == t("catalogue.status.pending", "da")

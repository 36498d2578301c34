"""The dashboard in Streamlit's AppTest: every page in both languages, access and catalogues."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.i18n import LANGUAGES, catalogue, count, day, estimate, number, t, timestamp
from testkit.evidence_factory import EvidenceStore as Store

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
APP = str(DASHBOARDS / "app.py")
PAGES = ("overview", "discrimination", "calibration", "clinical_utility", "subgroups",
         "synthetic_twin", "privacy", "data", "model_card", "catalogue")  # fmt: skip


def test_catalogues_have_the_same_keys() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["da"] == keys["en"], keys["da"] ^ keys["en"]
    assert all(catalogue(lang)[k].strip() for lang in LANGUAGES for k in keys[lang])


def test_danish_number_and_date_formats() -> None:
    assert number(0.8312, "da") == "0,83"
    assert number(0.8312, "en") == "0.83"
    assert number(12345, "da", 0) == "12.345"
    assert "nov." in timestamp(datetime(2026, 11, 22, 10, 15, tzinfo=UTC), "da")
    assert day("2026-11-22", "da") == "22. nov. 2026"
    assert day("2026-11-22", "en") == "22 Nov 2026"
    assert estimate({"value": 0.81, "low": 0.78, "high": 0.84}, "da") == "0,81 (0,78–0,84)"
    assert estimate({"value": None, "low": None, "high": None}, "da") == "–"
    assert estimate({"value": -0.12, "low": -0.3, "high": -0.01}, "da") == "-0,12 (-0,30 til -0,01)"
    assert (count("<5", "da"), count(None, "da"), count(1234, "da")) == ("<5", "–", "1.234")


def _catalogue_keys_in_source() -> tuple[set[str], list[str]]:
    """Catalogue-shaped string constants in the dashboard source, and assembled keys."""
    prefixes = {key.split(".")[0] for key in catalogue("da")}
    keys, assembled = set(), []
    for path in DASHBOARDS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_]+)+", node.value) and (
                    node.value.split(".")[0] in prefixes
                ):
                    keys.add(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"t", "tf"}
                and node.args
                and isinstance(node.args[0], ast.BinOp | ast.JoinedStr)
            ):
                assembled.append(f"{path.name}:{node.lineno}")
    return keys, assembled


def test_every_key_the_source_uses_is_in_both_catalogues() -> None:
    keys, assembled = _catalogue_keys_in_source()
    assert len(keys) > 100  # the scan found the dashboard's keys
    assert not assembled, f"catalogue keys built from pieces cannot be checked: {assembled}"
    for lang in LANGUAGES:
        missing = sorted(keys - set(catalogue(lang)))
        assert not missing, f"missing in {lang}.json: {missing}"


def test_every_gate_check_has_a_name_in_both_languages() -> None:
    from dashboards.screens.privacy import CHECK_KEYS
    from testbench.twins.gate import DEFAULT_RULES

    assert set(DEFAULT_RULES) <= set(CHECK_KEYS), "name the new gate check in the catalogues"


def _app(
    store: Store, monkeypatch: pytest.MonkeyPatch, demo_mode: bool = True, token: str = ""
) -> AppTest:
    monkeypatch.setenv("TESTBENCH_HOME", str(store.home))
    monkeypatch.setenv("TESTBENCH_DEMO_MODE", "1" if demo_mode else "0")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    if token:
        at.query_params["token"] = token
    return at.run()


def _run_names(at: AppTest) -> list[str]:
    """Spec names of the runs the sidebar offers (options read 'name · date')."""
    options = at.sidebar.selectbox[0].options if at.sidebar.selectbox else []
    return [option.split(" · ")[0] for option in options]


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _page_checks(at: AppTest, page: str, lang: str, store: Store) -> None:
    """Key content of one page, computed from the evidence that was logged."""
    ev, twin = store.evidence.validation, store.evidence.twin_evaluation
    trtr = ev["regimes"]["TRTR"]["metrics"]
    metrics = {m.label: m.value for m in at.metric}
    tables = [frame.value for frame in at.table]
    charts = _charts(at)
    for chart in charts:  # projector look: large type, the locale's decimal mark
        assert chart["layout"]["template"]["layout"]["font"]["size"] >= 18
        assert chart["layout"]["separators"] == {"da": ",.", "en": ".,"}[lang]
    if page == "overview":
        label = f"{t('metric.auroc', lang)}, {t('regime.TRTR', lang)}"
        assert metrics[label] == estimate(trtr["auroc"], lang)
        assert f"{t('metric.auroc', lang)}, {t('regime.TSTR', lang)}" in metrics
    elif page == "discrimination":
        titles = [c["layout"]["title"]["text"] for c in charts]
        assert titles == [t("figure.roc.title", lang), t("figure.pr.title", lang)]
        assert estimate(trtr["auroc"], lang) in tables[0].to_string()
    elif page == "calibration":
        label = f"{t('metric.calibration_slope', lang)}, {t('regime.TRTR', lang)}"
        assert metrics[label] == estimate(trtr["calibration_slope"], lang)
        assert len(charts) == 1
    elif page == "clinical_utility":
        names = {trace.get("name") for trace in charts[0]["data"]}
        assert {t("figure.treat_all", lang), t("figure.treat_none", lang)} <= names
    elif page == "subgroups":
        frame = tables[0]
        levels, persons = frame[t("subgroups.level", lang)], frame[t("subgroups.n", lang)]
        persons = dict(zip(levels, persons, strict=True))
        assert persons["85"] == "<5"  # region Sjælland is under the minimum
        assert len(charts) == 1
    elif page == "synthetic_twin":
        assert metrics[t("twin.quality", lang)] == estimate(
            {"value": twin["fidelity"]["quality"]}, lang
        )
        assert len(charts) == 1
        assert t("twin.detection_explain", lang) in [c.value for c in at.caption]
    elif page == "privacy":
        frame = tables[0]
        assert len(frame) == len(twin["gate"]["checks"])
        assert t("privacy.check.singling_out", lang) in set(frame[t("privacy.check", lang)])
        failed = [c for c in twin["gate"]["checks"] if not c["passed"]]
        decisions = list(frame[t("privacy.decision", lang)])
        assert decisions.count(t("privacy.failed", lang)) == len(failed)
    elif page == "data":
        first = ev["sources"][0]["first"]
        assert day(first, lang) in tables[0].to_string()
    elif page == "model_card":
        assert len(at.get("download_button")) == 2
        assert any("Model card" in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_renders_the_published_run(
    lang: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(store, monkeypatch)
    assert not at.exception
    assert at.sidebar.radio[0].value == "da"  # Danish by default
    if lang != "da":
        at.sidebar.radio[0].set_value(lang).run()
    for page in PAGES:
        at.switch_page(f"screens/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.sidebar.radio[0].value == lang
        _page_checks(at, page, lang, store)


def test_only_published_runs_of_visible_tenants_are_listed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(store, monkeypatch)
    assert _run_names(at) == ["home-care-after-hip-fracture"]  # not "draft-only-model"
    assert at.session_state["run_id"] == store.demo_run


def test_a_viewer_token_shows_its_tenant_and_no_other(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(store, monkeypatch, demo_mode=True, token=store.acme_token)
    assert _run_names(at) == ["acme-readmission"]  # not the demo's, although demo mode is on
    assert at.session_state["run_id"] == store.acme_run
    assert "token" not in at.query_params  # gone from the address bar, kept in the session
    at.switch_page("screens/privacy.py").run()
    assert not at.exception
    assert at.table  # acme's own twin evaluation is found
    assert store.acme_token not in json.dumps([m.value for m in at.markdown])


def test_without_a_token_nothing_is_shown_outside_demo_mode(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(store, monkeypatch, demo_mode=False)
    assert _run_names(at) == []
    assert at.info[0].value == t("access.no_access", "da")

    at = _app(store, monkeypatch, demo_mode=False, token="not-a-token")
    assert _run_names(at) == []
    assert at.sidebar.error[0].value == t("access.rejected", "da")


def test_an_empty_store_says_there_is_nothing_published_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TESTBENCH_DEMO_MODE", "1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.info[0].value == t("access.no_runs", "da")


def test_an_unpublished_twin_evaluation_is_said_to_be_unpublished(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(store, monkeypatch, token=store.lonely_token)
    assert at.session_state["run_id"] == store.lonely_run
    twin_id = store.evidence.validation["twin_id"]
    for page in ("synthetic_twin", "privacy"):
        at.switch_page(f"screens/{page}.py").run()
        assert not at.exception
        assert at.info[0].value == t("twin.not_published", "da").format(twin=twin_id)
        assert not at.table  # no other tenant's evaluation of the same twin id


def test_a_regression_run_renders_every_page(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from testbench.evidence.reader import load_evidence

    at = _app(store, monkeypatch, token=store.numbers_token)
    assert at.session_state["run_id"] == store.regression_run
    trtr = load_evidence(store.tracking_uri, store.regression_run)["regimes"]["TRTR"]
    for page in PAGES:
        at.switch_page(f"screens/{page}.py").run()
        assert not at.exception, (page, at.exception)
        if page == "overview":
            label = f"{t('metric.rmse', 'da')}, {t('regime.TRTR', 'da')}"
            assert {m.label: m.value for m in at.metric}[label] == estimate(
                trtr["metrics"]["rmse"], "da"
            )
        if page in ("discrimination", "calibration", "clinical_utility"):
            assert at.info[0].value == t("common.binary_only", "da")  # no curves for regression


def test_a_twin_evaluation_without_a_validation_is_shown_on_the_twins_pages(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small demo publishes only its twin's evaluation: the twin's pages show it, the
    model pages say no model has been validated on it (they used to show nothing at all)."""
    from mlflow.tracking import MlflowClient

    from testbench.config import Settings
    from testbench.evidence.writer import TAG_STATUS
    from testbench.viewers import create_token
    from testkit.evidence_factory import for_tenant, log_runs

    settings = Settings(home=store.home)
    uri, artifacts = settings.tracking_uri, settings.artifact_root
    runs = log_runs(uri, artifacts, for_tenant(store.evidence, "small", "small-model"))
    MlflowClient(uri).set_tag(runs.validation, TAG_STATUS, "draft")  # not validated yet
    token = create_token(uri, "small", "kommune-lille", artifacts)
    at = _app(store, monkeypatch, demo_mode=False, token=token)
    assert at.session_state["run_id"] == runs.twin_evaluation
    twin = store.evidence.twin_evaluation
    for page in ("synthetic_twin", "privacy"):
        at.switch_page(f"screens/{page}.py").run()
        assert not at.exception
        _page_checks(at, page, "da", store)  # the same content as beside a validation
    for page in ("overview", "discrimination", "calibration", "model_card"):
        at.switch_page(f"screens/{page}.py").run()
        assert not at.exception
        assert at.info[0].value == t("twin.only", "da").format(twin=twin["twin"])

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.i18n import LANGUAGES, catalogue, number, timestamp

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


def test_catalogues_have_the_same_keys() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["da"] == keys["en"], keys["da"] ^ keys["en"]
    assert all(catalogue(lang)[k].strip() for lang in LANGUAGES for k in keys[lang])


def test_danish_number_and_date_formats() -> None:
    assert number(0.8312, "da") == "0,83"
    assert number(0.8312, "en") == "0.83"
    assert number(12345, "da", 0) == "12.345"
    assert "nov." in timestamp(datetime(2026, 11, 22, 10, 15, tzinfo=UTC), "da")


def _app(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TESTBENCH_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return AppTest.from_file(APP, default_timeout=60)


def test_dashboard_shows_the_demo_run_in_danish_then_english(
    demo_home: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, result = demo_home
    at = _app(home, monkeypatch).run()
    assert not at.exception
    assert at.title[0].value == "Valideringsevidens"
    labels = {m.label: m.value for m in at.metric}
    assert "AUROC, trænet på rigtige data" in labels
    assert "," in labels["AUROC, trænet på rigtige data"]  # Danish decimal comma
    table = at.dataframe[0].value
    assert result["run_id"] in table.iloc[:, -1].tolist()

    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == "Validation evidence"
    labels = {m.label: m.value for m in at.metric}
    assert "." in labels["AUROC, trained on real data"]


def test_empty_store_says_how_to_make_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(tmp_path / "home", monkeypatch).run()
    assert not at.exception
    assert "testbench demo" in at.info[0].value
    assert json.dumps(catalogue("da"))  # catalogue is valid JSON for the app

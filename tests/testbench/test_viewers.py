"""Viewer tokens: hashed in MLflow, one tenant each, revocable; and `testbench viewer ...`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from testbench.cli.viewer import viewer_app
from testbench.config import Settings
from testbench.errors import InvalidTenantName, TenantNotFound
from testbench.evidence.writer import experiment_name
from testbench.tenants import TenantRegistry
from testbench.viewers import (
    TAG_VIEWER_PREFIX,
    InvalidViewerName,
    ViewerExists,
    ViewerNotFound,
    create_token,
    list_viewers,
    revoke,
    verify,
)

pytestmark = pytest.mark.mlflow  # tokens live in MLflow experiment tags


def test_a_token_opens_its_own_tenant_only_and_is_stored_hashed(settings: Settings) -> None:
    uri = settings.tracking_uri
    acme = create_token(uri, "acme", "region-sjaelland", settings.artifact_root)
    other = create_token(uri, "other-sme", "region-sjaelland", settings.artifact_root)
    assert acme != other and len(acme) >= 40  # 32 random bytes, URL-safe
    assert verify(uri, acme) == "acme"
    assert verify(uri, other) == "other-sme"
    assert verify(uri, acme[:-1] + ("A" if acme[-1] != "A" else "B")) is None
    assert verify(uri, "") is None

    tags = MlflowClient(uri).get_experiment_by_name(experiment_name("acme")).tags
    stored = tags[TAG_VIEWER_PREFIX + "region-sjaelland"]
    assert stored == hashlib.sha256(acme.encode()).hexdigest()
    assert acme not in json.dumps(tags)  # the token itself is nowhere in the store


def test_viewers_are_listed_by_name_and_revoked(settings: Settings) -> None:
    uri = settings.tracking_uri
    first = create_token(uri, "acme", "kommune-a", settings.artifact_root)
    second = create_token(uri, "acme", "hospital-b", settings.artifact_root)
    assert list_viewers(uri, "acme") == ["hospital-b", "kommune-a"]
    revoke(uri, "acme", "kommune-a")
    assert verify(uri, first) is None
    assert verify(uri, second) == "acme"
    assert list_viewers(uri, "acme") == ["hospital-b"]
    with pytest.raises(ViewerNotFound, match="testbench viewer list acme"):
        revoke(uri, "acme", "kommune-a")
    assert list_viewers(uri, "nobody") == []


def test_bad_names_and_duplicates_are_refused(settings: Settings) -> None:
    uri = settings.tracking_uri
    create_token(uri, "acme", "buyer", settings.artifact_root)
    with pytest.raises(ViewerExists, match="revoke acme buyer"):
        create_token(uri, "acme", "buyer", settings.artifact_root)
    with pytest.raises(InvalidViewerName):
        create_token(uri, "acme", "Region Sjælland", settings.artifact_root)
    with pytest.raises(InvalidTenantName):
        create_token(uri, "ACME", "buyer", settings.artifact_root)


def _cli_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TESTBENCH_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return Settings(home=home)


def test_cli_prints_the_token_once_and_lists_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _cli_env(tmp_path / "home", monkeypatch)
    TenantRegistry(settings).create("acme")
    runner = CliRunner()

    added = runner.invoke(viewer_app, ["add", "acme", "--name", "region-nord"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token.splitlines()) == 1  # stdout holds the token and nothing else
    assert verify(settings.tracking_uri, token) == "acme"
    assert "shown once" in added.stderr

    listed = runner.invoke(viewer_app, ["list", "acme", "--json"])
    assert json.loads(listed.stdout) == {"tenant": "acme", "viewers": ["region-nord"]}
    assert token not in listed.output

    revoked = runner.invoke(viewer_app, ["revoke", "acme", "region-nord"])
    assert revoked.exit_code == 0, revoked.output
    assert verify(settings.tracking_uri, token) is None
    audit = (settings.tenants_dir / "acme" / "audit.jsonl").read_text()
    assert "viewer.add" in audit and "viewer.revoke" in audit and token not in audit


def test_cli_refuses_a_tenant_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_env(tmp_path / "home", monkeypatch)
    result = CliRunner().invoke(viewer_app, ["add", "ghost"])
    assert isinstance(result.exception, TenantNotFound)
    assert result.stdout == ""  # no token printed

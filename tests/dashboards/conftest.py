"""One MLflow store of factory evidence for the dashboard tests, built once per session."""

from __future__ import annotations

import pytest

from testkit.evidence_factory import EvidenceStore, build_store


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> EvidenceStore:
    """Published, draft and token-scoped runs (see ``evidence_factory.build_store``)."""
    return build_store(tmp_path_factory.mktemp("dashboard") / "home")

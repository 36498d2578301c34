import stat

import pytest

from testbench.config import Settings
from testbench.errors import InvalidTenantName, KeyMissing, TenantExists, TenantNotFound
from testbench.tenants import TenantRegistry


@pytest.mark.parametrize("name", ["", "../x", "a/b", "Acme", "-acme", "acme-", "a" * 41, "a b"])
def test_bad_names_are_refused_with_a_hint(settings: Settings, name: str) -> None:
    with pytest.raises(InvalidTenantName, match="lowercase letters, digits and hyphens"):
        TenantRegistry(settings).create(name)
    assert not settings.tenants_dir.exists() or not any(settings.tenants_dir.iterdir())


@pytest.mark.parametrize("name", ["a", "acme-health", "sme-42", "a" * 40])
def test_good_names_are_accepted(settings: Settings, name: str) -> None:
    assert TenantRegistry(settings).create(name).name == name


def test_key_file_is_private_and_secret_is_stable(settings: Settings) -> None:
    tenant = TenantRegistry(settings).create("acme")
    assert stat.S_IMODE(tenant.key_file.stat().st_mode) == 0o600
    assert len(tenant.secret()) == 64
    assert tenant.derived_key("lake-encryption") == tenant.derived_key("lake-encryption")
    assert tenant.derived_key("lake-encryption") != tenant.derived_key("pseudonym")


def test_keys_differ_between_tenants(settings: Settings) -> None:
    registry = TenantRegistry(settings)
    assert registry.create("a").secret() != registry.create("b").secret()


def test_environment_key_replaces_the_key_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBENCH_KEY_ACME_HEALTH", "from-a-vault")
    tenant = TenantRegistry(settings).create("acme-health")
    assert not tenant.key_file.exists()
    assert tenant.secret() == b"from-a-vault"
    monkeypatch.delenv("TESTBENCH_KEY_ACME_HEALTH")
    with pytest.raises(KeyMissing, match="TESTBENCH_KEY_ACME_HEALTH"):
        tenant.secret()


def test_create_twice_and_get_missing(settings: Settings) -> None:
    registry = TenantRegistry(settings)
    registry.create("acme")
    with pytest.raises(TenantExists):
        registry.create("acme")
    assert registry.create("acme", exist_ok=True).name == "acme"
    with pytest.raises(TenantNotFound, match="testbench tenant create nope"):
        registry.get("nope")
    assert [t.name for t in registry.list()] == ["acme"]

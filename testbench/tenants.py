"""Tenants: one SME each, with its own lake, key and audit log.

A tenant's secret never appears in logs or output. Keys used for specific
purposes (lake encryption, CPR pseudonyms) are derived from it with HMAC, so
one secret per tenant is all an operator has to keep.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from testbench.config import Settings, tenant_key_env_var, tenant_key_from_env
from testbench.errors import InvalidTenantName, KeyMissing, TenantExists, TenantNotFound

TENANT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def validate_tenant_name(name: str) -> str:
    """Return ``name`` if it is a valid tenant name.

    Raises:
        InvalidTenantName: unless it is 1-40 lowercase letters, digits and
            hyphens, not starting or ending with a hyphen.
    """
    if not TENANT_NAME.fullmatch(name or ""):
        raise InvalidTenantName(
            f"invalid tenant name {name!r}: use 1-40 lowercase letters, digits and hyphens "
            "(not at the start or end), e.g. 'acme-health'"
        )
    return name


@dataclass(frozen=True)
class Tenant:
    """One SME's isolated corner of the test-bench."""

    name: str  # validated tenant name, also its directory name
    root: Path  # TESTBENCH_HOME/tenants/<name>
    key_file: Path  # TESTBENCH_HOME/keys/<name>.key (0600); env var may replace it

    @property
    def lake_path(self) -> Path:
        return self.root / "lake.duckdb"

    @property
    def audit_path(self) -> Path:
        return self.root / "audit.jsonl"

    def secret(self) -> bytes:
        """The tenant secret: from ``TESTBENCH_KEY_<TENANT>`` if set, else from its key file.

        Raises:
            KeyMissing: neither source has it.
        """
        from_env = tenant_key_from_env(self.name)
        if from_env:
            return from_env.encode()
        try:
            return self.key_file.read_bytes().strip()
        except FileNotFoundError:
            raise KeyMissing(
                f"no key for tenant {self.name!r}: expected {self.key_file} "
                f"or the environment variable {tenant_key_env_var(self.name)}"
            ) from None

    def derived_key(self, purpose: str) -> str:
        """A key for one purpose (e.g. "lake-encryption", "pseudonym"), derived from the secret."""
        return hmac.new(self.secret(), purpose.encode(), hashlib.sha256).hexdigest()


class TenantRegistry:
    """Creates, lists and looks up tenants under ``settings.home``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _tenant(self, name: str) -> Tenant:
        name = validate_tenant_name(name)
        return Tenant(
            name=name,
            root=self.settings.tenants_dir / name,
            key_file=self.settings.keys_dir / f"{name}.key",
        )

    def create(self, name: str, exist_ok: bool = False) -> Tenant:
        """Create a tenant with a fresh secret key (unless the environment supplies one).

        Raises:
            InvalidTenantName: see :func:`validate_tenant_name`.
            TenantExists: it exists and ``exist_ok`` is false.
        """
        tenant = self._tenant(name)
        if tenant.root.exists():
            if exist_ok:
                return tenant
            raise TenantExists(f"tenant {name!r} already exists; `testbench tenant list` shows all")
        tenant.root.mkdir(parents=True)
        self.settings.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.settings.keys_dir, 0o700)
        if tenant_key_from_env(name) is None and not tenant.key_file.exists():
            # O_EXCL + 0600 at creation: the secret is never readable by others, not even briefly.
            fd = os.open(tenant.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return tenant

    def get(self, name: str) -> Tenant:
        """The existing tenant ``name``.

        Raises:
            TenantNotFound: no such tenant; the message says how to create it.
        """
        tenant = self._tenant(name)
        if not tenant.root.is_dir():
            raise TenantNotFound(
                f"no tenant {name!r} under {self.settings.home}; "
                f"create it with `testbench tenant create {name}`"
            )
        return tenant

    def list(self) -> list[Tenant]:
        """All tenants, sorted by name."""
        if not self.settings.tenants_dir.is_dir():
            return []
        return [
            self._tenant(p.name)
            for p in sorted(self.settings.tenants_dir.iterdir())
            if p.is_dir() and TENANT_NAME.fullmatch(p.name)
        ]

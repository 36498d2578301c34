"""Viewer tokens: a buyer's key to one tenant's published evidence on the dashboard.

A token is a random 32-byte URL-safe string, shown once when it is made. Only its SHA-256
digest is kept, as the tag ``testbench.viewer.<name>`` on the tenant's MLflow experiment,
so the dashboard (which reads MLflow only) can check a token and learn its tenant, and a
copy of the store reveals no usable token. Revoking a viewer deletes the tag.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Any

from testbench.errors import InvalidViewerName, ViewerExists, ViewerNotFound
from testbench.evidence.writer import EXPERIMENT_PREFIX, EvidenceWriter, experiment_name
from testbench.tenants import validate_tenant_name

TAG_VIEWER_PREFIX = "testbench.viewer."  # + viewer name; value: hex SHA-256 of the token
VIEWER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?")


def token_digest(token: str) -> str:
    """The hex SHA-256 digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    tracking_uri: str, tenant: str, name: str, artifact_root: Path | None = None
) -> str:
    """Make a viewer token for ``tenant`` and store its digest; return the token.

    The token is returned once and never stored; give it to the buyer (e.g. as the
    dashboard URL ``?token=...``).

    Args:
        tracking_uri: the MLflow store the dashboard reads.
        tenant: the tenant whose published evidence the token opens.
        name: the viewer's name, e.g. ``region-sjaelland``.
        artifact_root: where a local store keeps artifacts, used when the tenant's
            experiment has to be created.

    Raises:
        InvalidTenantName: see :func:`testbench.tenants.validate_tenant_name`.
        InvalidViewerName: see :data:`VIEWER_NAME`.
        ViewerExists: revoke the old viewer first, or pick another name.
    """
    validate_tenant_name(tenant)
    _check_name(name)
    writer = EvidenceWriter(tracking_uri, artifact_root)
    experiment_id = writer._experiment_id(tenant)  # creates the tenant's experiment if needed
    tags = writer.client.get_experiment(experiment_id).tags
    if TAG_VIEWER_PREFIX + name in tags:
        raise ViewerExists(
            f"tenant {tenant!r} already has a viewer {name!r}; "
            f"`testbench viewer revoke {tenant} {name}` first, or choose another --name"
        )
    token = secrets.token_urlsafe(32)
    writer.client.set_experiment_tag(experiment_id, TAG_VIEWER_PREFIX + name, token_digest(token))
    return token


def verify(tracking_uri: str, token: str) -> str | None:
    """The tenant a token opens, or None for an unknown or revoked token."""
    return tenant_for_digest(tracking_uri, token_digest(token)) if token else None


def tenant_for_digest(tracking_uri: str, digest: str) -> str | None:
    """The tenant holding a viewer with this token digest, or None.

    Every stored digest is compared in constant time, so the time taken does not tell how
    much of a guessed token was right.
    """
    found = None
    for tenant, viewers in _all_viewers(tracking_uri).items():
        for stored in viewers.values():
            if hmac.compare_digest(stored, digest):
                found = tenant
    return found


def list_viewers(tracking_uri: str, tenant: str) -> list[str]:
    """Names of the tenant's viewers, sorted (their digests are never shown)."""
    return sorted(_all_viewers(tracking_uri).get(tenant, {}))


def revoke(tracking_uri: str, tenant: str, name: str) -> None:
    """Delete a viewer: its token stops working at once (the dashboard caches for 30 s).

    Raises:
        ViewerNotFound: the tenant has no such viewer; `testbench viewer list` shows them.
    """
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name(tenant))
    if experiment is None or TAG_VIEWER_PREFIX + name not in experiment.tags:
        raise ViewerNotFound(
            f"tenant {tenant!r} has no viewer {name!r}; `testbench viewer list {tenant}` shows them"
        )
    client.delete_experiment_tag(experiment.experiment_id, TAG_VIEWER_PREFIX + name)


def _all_viewers(tracking_uri: str) -> dict[str, dict[str, str]]:
    """Tenant -> viewer name -> token digest, from every tenant experiment."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    out: dict[str, dict[str, str]] = {}
    for experiment in client.search_experiments(filter_string=f"name LIKE '{EXPERIMENT_PREFIX}%'"):
        tags: dict[str, Any] = experiment.tags or {}
        out[experiment.name[len(EXPERIMENT_PREFIX) :]] = {
            key[len(TAG_VIEWER_PREFIX) :]: str(value)
            for key, value in tags.items()
            if key.startswith(TAG_VIEWER_PREFIX)
        }
    return out


def _check_name(name: str) -> None:
    if not VIEWER_NAME.fullmatch(name or ""):
        raise InvalidViewerName(
            f"invalid viewer name {name!r}: use 1-40 lowercase letters, digits, '-' and '_', "
            "e.g. 'region-sjaelland'"
        )

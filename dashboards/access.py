"""Who sees what: a viewer token opens one tenant; demo mode opens the demo tenant.

Rules (issue 7): without a valid token only the ``demo`` tenant is visible, and only when
demo mode is on; a token for tenant A shows A's published evidence and no one else's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEMO_TENANT = "demo"


@dataclass(frozen=True)
class Access:
    """The tenants one dashboard session may see."""

    tenants: tuple[str, ...]  # whose published runs are listed; empty: none
    viewer_of: str | None  # the tenant a valid token opened, if any
    token_rejected: bool  # a token was given but is unknown or revoked


def resolve_access(token: str, demo_mode: bool, lookup: Callable[[str], str | None]) -> Access:
    """The access a session has.

    Args:
        token: the viewer token from the URL or the sidebar ("" when none).
        demo_mode: the demo tenant is open to everyone (``TESTBENCH_DEMO_MODE``).
        lookup: token -> tenant, or None for an unknown or revoked token.
    """
    demo = (DEMO_TENANT,) if demo_mode else ()
    token = token.strip()
    if not token:
        return Access(demo, None, False)
    tenant = lookup(token)
    if tenant is None:
        return Access(demo, None, True)
    return Access((tenant,), tenant, False)

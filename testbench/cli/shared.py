"""Shared pieces of the command line: output conventions, settings, lake access.

Conventions (DESIGN.md): ``--json`` prints one JSON object on stdout and nothing else
there; progress goes to stderr; an error is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from testbench.config import Settings, load_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def say(message: str) -> None:
    """Progress and notes, on stderr (never mixed into --json output)."""
    err.print(message, markup=False)


def emit(obj: Any) -> None:
    """The one JSON object of a --json command, on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def cli_settings() -> Settings:
    """Settings from the environment."""
    return load_settings()


def lake_of(name: str) -> Any:
    """The tenant and its lake; every read of the lake goes to the tenant's audit log."""
    from testbench.lake.lake import tenant_lake
    from testbench.tenants import TenantRegistry

    tenant = TenantRegistry(cli_settings()).get(name)
    return tenant, tenant_lake(tenant)

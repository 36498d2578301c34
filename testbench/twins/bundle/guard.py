"""What must never leave the lake in a twin bundle, and the checks that make sure of it.

:func:`verify_bundle` runs on the staged bundle before it is published: no file may hold a
secret key (in raw bytes, or inside a Parquet value, which compression would hide from a
byte search), and no value may be a pseudonym of a real person in the lake. Errors name
the file or column, never the secret or the pseudonym.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from testbench.lake import Lake
from testbench.lake.hashing import quote_ident
from testbench.lake.ingest.pseudonyms import PSEUDONYM_LENGTH
from testbench.tenants import Tenant
from testbench.twins.errors import BundleLeak

# A pseudonym standing alone in text (not part of a longer hex string such as a hash).
PSEUDONYM_IN_TEXT = re.compile(rf"(?<![0-9a-f])[0-9a-f]{{{PSEUDONYM_LENGTH}}}(?![0-9a-f])")
TEXT_SUFFIXES = (".json", ".csv", ".md", ".html")
# Purposes the tenant secret is derived for (Tenant.derived_key): lake encryption and the
# CPR pseudonyms. Add a purpose here when a new derived key is introduced.
KEY_PURPOSES = ("lake-encryption", "pseudonym")


def tenant_secrets(tenant: Tenant) -> list[bytes]:
    """The tenant secret and every key derived from it, as stored (for ``secrets=``).

    Args:
        tenant: the twin's owner.

    Returns:
        Byte strings no bundle file may contain. Never log or show them.
    """
    return [tenant.secret(), *(tenant.derived_key(p).encode() for p in KEY_PURPOSES)]


def pseudonyms_in_lake(lake: Lake) -> set[str]:
    """Every pseudonym-shaped value in the lake's text columns (one audited query).

    Pass ``lambda: pseudonyms_in_lake(lake)`` as ``lake_pseudonyms`` to
    :func:`export_bundle`. Never log or show the result.

    Args:
        lake: the tenant's lake.

    Returns:
        The set of 16-character hex values found.
    """
    parts = []
    for table in lake.status().tables:
        for column, kind in table.column_types.items():
            if kind.upper().startswith("VARCHAR"):
                parts.append(f"SELECT {quote_ident(column)} AS v FROM {quote_ident(table.name)}")
    if not parts:
        return set()
    sql = (
        f"SELECT DISTINCT v FROM ({' UNION ALL '.join(parts)}) "
        f"WHERE regexp_full_match(v, '[0-9a-f]{{{PSEUDONYM_LENGTH}}}')"
    )
    return set(lake.query(sql)["v"])


def verify_bundle(
    folder: Path,
    tables: Mapping[str, pd.DataFrame],
    secrets: list[bytes],
    pseudonyms: set[str] | None,
) -> None:
    """Fail closed: no file holds a secret, no value is a lake pseudonym. Never shows either.

    Args:
        folder: the staged bundle.
        tables: the twin tables written into it.
        secrets: byte strings no file may contain.
        pseudonyms: pseudonyms in the lake; None skips that check.

    Raises:
        BundleLeak: naming the file or column (not the secret or pseudonym).
    """
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        name = path.relative_to(folder).as_posix()
        for number, secret in enumerate(secrets, start=1):
            if secret in data:
                raise BundleLeak(f"{name} contains secret number {number}; nothing was exported")
        if pseudonyms and path.suffix in TEXT_SUFFIXES:
            text = data.decode("utf-8", errors="replace")
            if any(m in pseudonyms for m in PSEUDONYM_IN_TEXT.findall(text)):
                raise BundleLeak(
                    f"{name} contains a pseudonym of a real person in the lake; nothing was "
                    "exported. Remove row-level values from the evaluation or report"
                )
    texts = [s.decode("utf-8") for s in secrets if _is_text(s)]
    for table, frame in tables.items():  # Parquet compresses: check the values themselves
        for column in frame.columns:
            values = pd.Series(pd.unique(frame[column].dropna())).astype(str)
            if pseudonyms and values.isin(pseudonyms).any():
                raise BundleLeak(
                    f"twin column {table}.{column} holds pseudonyms of real persons in the lake; "
                    "nothing was exported. This is a twin-builder bug: report it"
                )
            for number, text in enumerate(texts, start=1):
                if text in str(column) or values.str.contains(text, regex=False).any():
                    raise BundleLeak(
                        f"twin column {table}.{column} contains secret number {number}; "
                        "nothing was exported"
                    )


def _is_text(secret: bytes) -> bool:
    try:
        secret.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


__all__ = ["KEY_PURPOSES", "BundleLeak", "pseudonyms_in_lake", "tenant_secrets", "verify_bundle"]

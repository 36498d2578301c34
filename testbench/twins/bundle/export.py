"""Twin bundles: the one way a twin leaves the lake, and how it is read back outside.

:func:`export_bundle` writes a folder an SME can download::

    bundle.json            manifest: twin, tenant, tables and rows, keys, gate, file hashes
    tables/<table>.parquet the twin's tables
    metadata.json          SDV metadata (``Metadata.load_from_dict``)
    data_dictionary.csv    table, column, type, key, meaning, code system
    data_dictionary.md     the same, readable
    evaluation.json        the twin-evaluation evidence (docs/evidence.md)
    report.html            the evaluation report
    README.md              what the twin is and is not, how to develop against it

It refuses unless the privacy gate passed, and checks before publishing that no file
holds a secret key and no value is a pseudonym of a real person in the lake. Everything
is written to a staging folder beside the target and renamed into place only when every
check passed, so a refused export leaves nothing behind and a replaced bundle is never
half old, half new. The fitted builder (``builder.pkl``) never leaves: it was fitted on
real rows.

:func:`load_bundle` reads a bundle back (``testbench validate --bundle DIR`` on a laptop,
with no lake and no key).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import secrets as token
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from generators.relations import Relation
from generators.twin.metadata import build_metadata
from testbench.twins.bundle.docs import bundle_readme, data_dictionary, dictionary_markdown
from testbench.twins.bundle.guard import (
    BundleLeak,
    pseudonyms_in_lake,
    tenant_secrets,
    verify_bundle,
)
from testbench.twins.errors import BundleError, GateFailed, NotABundle
from testbench.twins.store import TwinStore

SCHEMA = 1  # bundle.json layout version
MANIFEST = "bundle.json"
KIND = "twin-bundle"


@dataclass(frozen=True)
class TwinBundle:
    """A twin bundle read back from disk."""

    tables: dict[str, pd.DataFrame]  # table name -> twin rows
    relations: list[Relation]  # foreign keys between the tables
    primary_keys: dict[str, str]  # table -> primary key column
    manifest: dict[str, Any]  # bundle.json as written by export_bundle
    path: Path  # the bundle folder


def twin_schema(store: TwinStore, twin_id: str) -> tuple[list[Relation], dict[str, str]]:
    """Relations and primary keys of a stored twin, as its fitted builder recorded them.

    The builder keeps the relations it was fitted with and, per table, the key columns it
    generates fresh (a declared primary key or a column other tables reference). A table's
    primary key is the column other tables reference, else its single generated column,
    provided the twin's values there are unique and present.

    Args:
        store: the tenant's twins.
        twin_id: an existing twin.

    Returns:
        (relations, table -> primary key column).
    """
    with (store.path(twin_id) / "builder.pkl").open("rb") as handle:
        builder = pickle.load(handle)  # our own file, inside the lake boundary
    relations: list[Relation] = builder.lake_relations()
    tables = store.tables(twin_id)
    keys: dict[str, str] = {}
    for name, plan in builder.plans_.items():
        referenced = [
            r.parent_column for r in relations if r.parent_table == name and r.child_table != name
        ]
        candidates = referenced or list(plan.generated)
        if not candidates or name not in tables:
            continue
        column = candidates[0]
        values = tables[name][column]
        if values.notna().all() and values.is_unique:
            keys[name] = column
    return relations, keys


def _require_gate(evaluation: Mapping[str, Any], twin_id: str, tenant: str) -> dict[str, Any]:
    """The evaluation's gate decision, when it passed this twin; raises otherwise."""
    gate = evaluation.get("gate")
    if not isinstance(gate, Mapping):
        raise GateFailed(
            f"the evaluation of twin {twin_id} holds no privacy-gate decision; "
            f"run `testbench twin evaluate {tenant} --twin {twin_id}` first"
        )
    checks = list(gate.get("checks") or [])
    failing = [c for c in checks if c.get("passed") is not True]
    if gate.get("passed") is not True or failing or not checks:
        listed = ", ".join(
            f"{c.get('name')} (value {c.get('value')}, {c.get('direction')} {c.get('threshold')})"
            for c in failing
        )
        raise GateFailed(
            f"the privacy gate did not pass twin {twin_id}, so it may not leave the lake; "
            f"failing checks: {listed or 'none listed in the decision'}. "
            "Rebuild the twin (another synthesizer or seed) and evaluate it again"
        )
    if evaluation.get("twin") != twin_id or evaluation.get("tenant") != tenant:
        raise BundleError(
            f"the evaluation is of twin {evaluation.get('twin')!r} of tenant "
            f"{evaluation.get('tenant')!r}, not of twin {twin_id!r} of {tenant!r}; "
            "export with that twin's own evaluation"
        )
    return dict(gate)


def _check_target(out: Path, twin_id: str, tenant: str) -> None:
    """Refuse a target in use, unless it holds an earlier bundle of the same twin."""
    if not out.exists():
        return
    if not out.is_dir():
        raise BundleError(f"{out} exists and is not a folder; choose another --out")
    if not any(out.iterdir()):
        return
    try:
        previous = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    if (
        not isinstance(previous, dict)
        or previous.get("twin_id") != twin_id
        or previous.get("tenant") != tenant
    ):
        raise BundleError(
            f"{out} is not empty and holds no earlier bundle of twin {twin_id}; "
            "choose an empty or new folder for --out"
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(
    folder: Path,
    manifest: dict[str, Any],
    tables: Mapping[str, pd.DataFrame],
    relations: list[Relation],
    keys: Mapping[str, str],
    evaluation: Mapping[str, Any],
    report_html: str,
) -> None:
    """Write every bundle file into ``folder`` (the staging folder)."""
    (folder / "tables").mkdir()
    for name, frame in tables.items():
        frame.to_parquet(folder / "tables" / f"{name}.parquet", index=False)
    metadata = build_metadata(dict(tables), relations, dict(keys))
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    dictionary = data_dictionary(tables, relations, keys)
    dictionary.to_csv(folder / "data_dictionary.csv", index=False)
    (folder / "data_dictionary.md").write_text(
        dictionary_markdown(dictionary, tables), encoding="utf-8"
    )
    (folder / "evaluation.json").write_text(
        json.dumps(evaluation, indent=2, default=str), encoding="utf-8"
    )
    (folder / "report.html").write_text(report_html, encoding="utf-8")
    (folder / "README.md").write_text(bundle_readme(manifest), encoding="utf-8")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    manifest["files"] = {p.relative_to(folder).as_posix(): _sha256(p) for p in files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _publish(staging: Path, out: Path) -> None:
    """Move the staged bundle to ``out``, replacing an earlier one only now."""
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if out.exists():
        old = out.with_name(f".{out.name}.old-{token.token_hex(4)}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old)
    else:
        staging.rename(out)


def export_bundle(
    store: TwinStore,
    twin_id: str,
    out_dir: Path | str,
    evaluation: Mapping[str, Any],
    report_html: str,
    lake_pseudonyms: Callable[[], set[str]] | None = None,
    secrets: Iterable[bytes] = (),
) -> Path:
    """Write a twin bundle to ``out_dir``, if the privacy gate passed the twin.

    Args:
        store: the tenant's twins.
        twin_id: the twin to export.
        out_dir: target folder: new, empty, or an earlier bundle of the same twin
            (which is replaced).
        evaluation: the twin's twin-evaluation evidence, with its ``gate`` decision.
        report_html: the evaluation report, as HTML.
        lake_pseudonyms: returns the pseudonyms present in the lake (see
            :func:`pseudonyms_in_lake`); no value in the bundle may be one. None skips
            this check (recorded in ``bundle.json``), for callers without a lake.
        secrets: byte strings no file may contain: the tenant key and derived keys in
            every form they are stored in (:func:`tenant_secrets` gives them).

    Returns:
        The bundle folder.

    Raises:
        TwinNotFound: no such twin.
        GateFailed: the gate did not pass the twin (the message lists the failing checks).
        BundleError: the evaluation is of another twin, or ``out_dir`` is in use.
        BundleLeak: a file would hold a secret or a lake pseudonym; nothing was written.
    """
    twin_id = store.resolve(twin_id)
    tenant = store.tenant.name
    gate = _require_gate(evaluation, twin_id, tenant)
    out = Path(out_dir).absolute()
    _check_target(out, twin_id, tenant)
    twin = store.manifest(twin_id)
    tables = store.tables(twin_id)
    relations, keys = twin_schema(store, twin_id)
    secret_list = [bytes(s) for s in secrets if s]
    pseudonyms = lake_pseudonyms() if lake_pseudonyms is not None else None
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": KIND,
        "twin_id": twin_id,
        "tenant": tenant,
        "created": twin.created,
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "synthesizer": twin.synthesizer,
        "tables": {
            name: {
                "rows": len(frame),
                "file": f"tables/{name}.parquet",
                "primary_key": keys.get(name),
            }
            for name, frame in tables.items()
        },
        "relations": [asdict(r) for r in relations],
        "primary_keys": keys,
        # The score the gate saw (twin vs real rows), else the one taken at build time.
        "fidelity": {"quality": (evaluation.get("fidelity") or {}).get("quality", twin.quality)},
        "gate": gate,
        "checked": {"secrets": len(secret_list), "lake_pseudonyms": pseudonyms is not None},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        _write(staging, manifest, tables, relations, keys, evaluation, report_html)
        verify_bundle(staging, tables, secret_list, pseudonyms)
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def load_bundle(path: Path | str) -> TwinBundle:
    """Read a twin bundle written by :func:`export_bundle`.

    Args:
        path: the bundle folder.

    Returns:
        Its tables, relations, primary keys and manifest.

    Raises:
        NotABundle: no ``bundle.json``, another kind or version, or a table file that is
            missing or changed since export.
    """
    folder = Path(path)
    hint = "export one with `testbench twin export <tenant> --out DIR`"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotABundle(f"{folder} is not a twin bundle (no {MANIFEST}); {hint}") from None
    except (OSError, ValueError) as exc:
        raise NotABundle(f"{folder}/{MANIFEST} cannot be read ({exc}); {hint}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise NotABundle(f"{folder} is not a twin bundle ({MANIFEST} is not one); {hint}")
    if manifest.get("schema") != SCHEMA:
        raise NotABundle(
            f"{folder} is a version {manifest.get('schema')} bundle; this test-bench reads "
            f"version {SCHEMA}: export it again"
        )
    tables: dict[str, pd.DataFrame] = {}
    for name, info in manifest["tables"].items():
        file = folder / info["file"]
        if not file.is_file() or _sha256(file) != manifest["files"].get(info["file"]):
            raise NotABundle(
                f"bundle {folder}: {info['file']} is missing or changed since export; "
                "export the bundle again"
            )
        tables[name] = pd.read_parquet(file)
    relations = [Relation(**r) for r in manifest["relations"]]
    return TwinBundle(tables, relations, dict(manifest["primary_keys"]), manifest, folder)


__all__ = [
    "BundleError",
    "BundleLeak",
    "NotABundle",
    "TwinBundle",
    "export_bundle",
    "load_bundle",
    "pseudonyms_in_lake",
    "tenant_secrets",
    "twin_schema",
]

"""Twin bundles, exported from a real twin of a small simulated lake and read back."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sdv.metadata import Metadata

from generators.relations import Relation
from testbench.config import Settings
from testbench.lake import Lake, tenant_lake
from testbench.lake.simulated import fill_simulated
from testbench.tenants import Tenant, TenantRegistry
from testbench.twins.bundle.export import (
    BundleError,
    BundleLeak,
    NotABundle,
    export_bundle,
    load_bundle,
    pseudonyms_in_lake,
    tenant_secrets,
)
from testbench.twins.errors import GateFailed
from testbench.twins.gate import PrivacyGate
from testbench.twins.store import TwinStore, build_twin
from testkit.gate_inputs import PASSING

FILES = {
    "bundle.json",
    "metadata.json",
    "data_dictionary.csv",
    "data_dictionary.md",
    "evaluation.json",
    "report.html",
    "README.md",
    "tables/bef.parquet",
    "tables/lpr_a_kontakt.parquet",
    "tables/app_sessions.parquet",
}


@dataclass(frozen=True)
class Fixture:
    tenant: Tenant
    lake: Lake
    store: TwinStore
    twin_id: str


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """A real twin: simulated registers (two of them) plus an SME table, 100 persons."""
    settings = Settings(home=tmp_path_factory.mktemp("bundle") / "home")
    tenant = TenantRegistry(settings).create("acme")
    lake = tenant_lake(tenant)
    fill_simulated(lake, persons=100, seed=1)
    persons = lake.read_table("bef")["pnr"]
    rng = np.random.default_rng(0)
    sessions = pd.DataFrame(
        {
            "session_id": np.arange(250),
            "pnr": rng.choice(persons, 250),
            "minutes": rng.gamma(2.0, 10.0, 250).round(1),
            "device": rng.choice(["ios", "android"], 250),
        }
    )
    lake._write_tables(
        {"app_sessions": sessions},
        {"app_sessions": "session_id"},
        [Relation("app_sessions", "pnr", "bef", "pnr")],
    )
    manifest = build_twin(
        settings, tenant, lake, seed=1, tables=["bef", "lpr_a_kontakt", "app_sessions"]
    )
    return Fixture(tenant, lake, TwinStore(settings, tenant), manifest.twin_id)


def _evaluation(twin: Fixture, twin_id: str | None = None, **changes: object) -> dict:
    values = {**PASSING, **changes}
    return {
        "schema": 1,
        "kind": "twin-evaluation",
        "tenant": twin.tenant.name,
        "twin": twin_id or twin.twin_id,
        "fidelity": {"quality": values["quality"], "diagnostic": values["diagnostic"]},
        "gate": PrivacyGate().decide(values).to_dict(),
    }


def _copy_twin(twin: Fixture, new_id: str) -> str:
    """A second stored twin, same content, under ``new_id`` (to tamper with)."""
    shutil.copytree(twin.store.path(twin.twin_id), twin.store.path(new_id))
    meta = twin.store.path(new_id) / "twin.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "twin_id": new_id}))
    return new_id


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_export_refuses_a_failed_gate(twin: Fixture, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    bad = _evaluation(twin, quality=0.5, inference={"value": 0.6, "low": 0.55, "high": 0.65})
    with pytest.raises(GateFailed) as info:
        export_bundle(twin.store, twin.twin_id, out, bad, "<html></html>")
    message = str(info.value)
    assert "quality (value 0.5, min 0.8)" in message and "inference" in message
    assert "diagnostic" not in message  # only the failing checks are listed
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_export_refuses_without_a_gate_or_for_another_twin(twin: Fixture, tmp_path: Path) -> None:
    no_gate = {k: v for k, v in _evaluation(twin).items() if k != "gate"}
    with pytest.raises(GateFailed, match="no privacy-gate decision"):
        export_bundle(twin.store, twin.twin_id, tmp_path / "a", no_gate, "")
    other = _evaluation(twin, twin_id="20200101T000000-000000")
    with pytest.raises(BundleError, match="export with that twin's own evaluation"):
        export_bundle(twin.store, twin.twin_id, tmp_path / "b", other, "")
    assert list(tmp_path.iterdir()) == []


def test_export_writes_a_safe_bundle_that_loads_back(twin: Fixture, tmp_path: Path) -> None:
    pseudonyms = pseudonyms_in_lake(twin.lake)
    real_persons = set(twin.lake.read_table("bef")["pnr"])
    assert real_persons <= pseudonyms  # the check below has real pseudonyms to look for
    secrets = tenant_secrets(twin.tenant)
    out = export_bundle(
        twin.store,
        twin.twin_id,
        tmp_path / "bundle",
        _evaluation(twin),
        "<html><body>report</body></html>",
        lake_pseudonyms=lambda: pseudonyms,
        secrets=secrets,
    )
    assert _files(out) == FILES
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging folder left

    # What the test itself checks, independently of export_bundle's own checks.
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s in data for s in secrets), path.name
    bundle = load_bundle(out)
    for name, frame in bundle.tables.items():
        for column in frame.columns:
            values = set(frame[column].dropna().astype(str))
            assert not values & pseudonyms, f"{name}.{column} holds a lake pseudonym"
            assert not any(s.decode() in v for s in secrets for v in values)

    stored = twin.store.tables(twin.twin_id)
    assert set(bundle.tables) == set(stored)
    for name, frame in stored.items():
        pd.testing.assert_frame_equal(bundle.tables[name], frame)
    assert set(bundle.relations) == {
        Relation("lpr_a_kontakt", "pnr", "bef", "pnr"),
        Relation("app_sessions", "pnr", "bef", "pnr"),
    }
    assert bundle.primary_keys == {
        "bef": "pnr",
        "lpr_a_kontakt": "dw_ek_kontakt",
        "app_sessions": "session_id",
    }
    manifest = bundle.manifest
    assert manifest["twin_id"] == twin.twin_id and manifest["tenant"] == "acme"
    assert manifest["tables"]["bef"]["rows"] == len(stored["bef"])
    assert manifest["gate"]["passed"] is True
    assert manifest["checked"] == {"secrets": 3, "lake_pseudonyms": True}
    assert manifest["fidelity"] == {"quality": 0.9}  # the score the gate saw

    # SDV accepts the metadata and the tables fit it (keys unique, references resolve).
    metadata = Metadata.load_from_dict(json.loads((out / "metadata.json").read_text()))
    metadata.validate_data(bundle.tables)

    dictionary = pd.read_csv(out / "data_dictionary.csv", keep_default_na=False)
    koen = dictionary[(dictionary["table"] == "bef") & (dictionary["column"] == "koen")].iloc[0]
    assert koen["meaning"] == "sex" and koen["code_system"].startswith("sex code")
    pnr = dictionary[(dictionary["table"] == "lpr_a_kontakt") & (dictionary["column"] == "pnr")]
    assert pnr.iloc[0]["key"] == "references bef.pnr"
    own = dictionary[dictionary["table"] == "app_sessions"]
    assert set(own["meaning"]) == {"SME's own data"} and len(own) == 4
    assert "## `lpr_a_kontakt`" in (out / "data_dictionary.md").read_text()
    readme = (out / "README.md").read_text()
    for text in ("synthetic", "testbench validate spec.yaml --bundle", "testbench submit"):
        assert text in readme
    assert "BUSL-1.1" in readme and "Rare categories" in readme and "**0.90**" in readme
    assert json.loads((out / "evaluation.json").read_text()) == _evaluation(twin)


def test_second_export_replaces_the_first(twin: Fixture, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export_bundle(twin.store, twin.twin_id, out, _evaluation(twin), "first")
    (out / "notes.txt").write_text("left over")
    export_bundle(twin.store, twin.twin_id, out, _evaluation(twin), "second")
    assert (out / "report.html").read_text() == "second"
    assert _files(out) == FILES  # the leftover went with the old bundle
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_refused_replacement_keeps_the_previous_bundle(twin: Fixture, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    export_bundle(twin.store, twin.twin_id, out, _evaluation(twin), "first")
    secret = twin.tenant.secret()
    with pytest.raises(BundleLeak) as info:
        export_bundle(
            twin.store,
            twin.twin_id,
            out,
            _evaluation(twin),
            f"<p>{secret.decode()}</p>",
            secrets=[secret],
        )
    assert "report.html contains secret number 1" in str(info.value)
    assert secret.decode() not in str(info.value)
    assert (out / "report.html").read_text() == "first"
    load_bundle(out)  # still whole
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_real_pseudonym_in_a_twin_table_refuses_export(twin: Fixture, tmp_path: Path) -> None:
    twin_id = _copy_twin(twin, "20200101T000000-aaaaaa")
    table = twin.store.path(twin_id) / "tables" / "app_sessions.parquet"
    frame = pd.read_parquet(table)
    real = twin.lake.read_table("bef")["pnr"].iloc[0]
    frame.loc[0, "pnr"] = real  # a real person slipped into the twin
    frame.to_parquet(table, index=False)
    out = tmp_path / "bundle"
    with pytest.raises(BundleLeak, match=r"app_sessions\.pnr holds pseudonyms") as info:
        export_bundle(
            twin.store,
            twin_id,
            out,
            _evaluation(twin, twin_id=twin_id),
            "",
            lake_pseudonyms=lambda: pseudonyms_in_lake(twin.lake),
        )
    assert real not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_secret_inside_a_twin_value_refuses_export(twin: Fixture, tmp_path: Path) -> None:
    twin_id = _copy_twin(twin, "20200101T000000-bbbbbb")
    table = twin.store.path(twin_id) / "tables" / "app_sessions.parquet"
    frame = pd.read_parquet(table)
    key = twin.tenant.derived_key("pseudonym")
    frame.loc[3, "device"] = f"ios {key}"
    frame.to_parquet(table, index=False)
    with pytest.raises(BundleLeak, match="secret number 2"):
        export_bundle(
            twin.store,
            twin_id,
            tmp_path / "bundle",
            _evaluation(twin, twin_id=twin_id),
            "",
            secrets=[twin.tenant.secret(), key.encode()],
        )
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_folder_in_use(twin: Fixture, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.docx").write_text("mine")
    with pytest.raises(BundleError, match="choose an empty or new folder"):
        export_bundle(twin.store, twin.twin_id, busy, _evaluation(twin), "")
    assert _files(busy) == {"thesis.docx"}
    other_id = _copy_twin(twin, "20200101T000000-cccccc")
    other = tmp_path / "other"
    export_bundle(twin.store, other_id, other, _evaluation(twin, twin_id=other_id), "")
    with pytest.raises(BundleError, match="no earlier bundle of twin"):
        export_bundle(twin.store, twin.twin_id, other, _evaluation(twin), "")
    assert load_bundle(other).manifest["twin_id"] == other_id
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_bundle(twin.store, twin.twin_id, empty, _evaluation(twin), "") == empty


def test_load_bundle_refuses_what_is_not_a_bundle(twin: Fixture, tmp_path: Path) -> None:
    with pytest.raises(NotABundle, match=r"is not a twin bundle \(no bundle\.json\)"):
        load_bundle(tmp_path)
    (tmp_path / "bundle.json").write_text('{"kind": "something-else"}')
    with pytest.raises(NotABundle, match="is not a twin bundle"):
        load_bundle(tmp_path)
    out = export_bundle(twin.store, twin.twin_id, tmp_path / "b", _evaluation(twin), "")
    table = out / "tables" / "bef.parquet"
    frame = pd.read_parquet(table)
    frame.iloc[:5].to_parquet(table, index=False)
    with pytest.raises(NotABundle, match=r"tables/bef\.parquet is missing or changed"):
        load_bundle(out)

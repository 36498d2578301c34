"""One tenant's cohort SQL cannot reach another tenant's lake, files or key; reads are logged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from testbench.audit import AuditLog
from testbench.config import Settings
from testbench.lake import Lake, tenant_lake
from testbench.lake.errors import LakeError, QueryRefused
from testbench.lake.simulated import fill_simulated
from testbench.tenants import Tenant, TenantRegistry


@pytest.fixture
def two_tenants(settings: Settings) -> tuple[Tenant, Tenant]:
    registry = TenantRegistry(settings)
    acme, beta = registry.create("acme"), registry.create("beta")
    for tenant in (acme, beta):
        tenant_lake(tenant)._write_table("t", pd.DataFrame({"code": ["DI50", "DE11"]}))
    pd.DataFrame({"code": ["DJ44"]}).to_parquet(beta.root / "export.parquet")
    (beta.root / "export.csv").write_text("code\nDJ44\n")
    return acme, beta


def test_cohort_sql_cannot_read_another_tenants_lake_or_files(
    two_tenants: tuple[Tenant, Tenant],
) -> None:
    acme, beta = two_tenants
    lake = tenant_lake(acme)
    for sql in [
        f"SELECT * FROM read_parquet('{beta.root / 'export.parquet'}')",
        f"SELECT * FROM '{beta.root / 'export.parquet'}'",
        f"SELECT * FROM read_csv('{beta.root / 'export.csv'}')",
        f"SELECT * FROM read_csv('{beta.lake_path}')",
        f"SELECT * FROM read_text('{beta.key_file}')",
        f"SELECT * FROM glob('{beta.root}/*')",
        f"ATTACH '{beta.lake_path}' AS other",
        f"ATTACH '{beta.lake_path}' AS other (ENCRYPTION_KEY '{'x' * 64}')",
        "LOAD httpfs",
    ]:
        with pytest.raises(QueryRefused, match="may only read the lake's tables"):
            lake.query(sql)
    refused = [e for e in AuditLog(acme.audit_path).entries() if e["action"].endswith("refused")]
    assert len(refused) == 9


def test_another_tenants_key_does_not_open_a_lake(two_tenants: tuple[Tenant, Tenant]) -> None:
    acme, beta = two_tenants
    wrong = Lake(beta.lake_path, acme.derived_key("lake-encryption"))
    with pytest.raises(LakeError, match="check the tenant key") as err:
        wrong.tables()
    assert acme.derived_key("lake-encryption") not in str(err.value)
    with pytest.raises(LakeError, match="check the tenant key"):
        wrong._write_table("t", pd.DataFrame({"x": [1]}))
    assert tenant_lake(beta).read_table("t")["code"].tolist() == ["DI50", "DE11"]


def test_every_read_and_write_is_logged_with_hashes_never_data(settings: Settings) -> None:
    tenant = TenantRegistry(settings).create("acme")
    lake = tenant_lake(tenant, actor="job-17")
    rows = fill_simulated(lake, persons=40, seed=3)
    lake.query("SELECT count(*) AS n FROM bef")
    lake.read_tables(["bef", "lpr_a_kontakt"])

    entries = AuditLog(tenant.audit_path).entries()
    assert [e["action"] for e in entries] == ["lake.simulate", "lake.query", "lake.read"]
    simulate, query, read = entries
    assert simulate["details"]["rows"] == rows
    assert simulate["details"]["tables"] == lake.table_hashes()
    assert query["details"]["snapshot"] == lake.snapshot_hash()
    assert query["details"]["result_rows"] == 1
    assert set(read["details"]["tables"]) == {"bef", "lpr_a_kontakt"}
    assert {e["actor"] for e in entries[1:]} == {"job-17"}
    text = tenant.audit_path.read_text()
    bef = lake.read_table("bef")
    assert not any(pnr in text for pnr in bef["pnr"])  # no person's pseudonym, let alone data
    assert "SELECT" not in text  # cohort SQL by hash only


def test_table_hash_follows_content_not_row_order(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake.duckdb", "k" * 64)
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    lake._write_table("t", frame)
    first = lake.table_hashes()["t"]
    lake._write_table("t", frame.iloc[::-1])
    assert lake.table_hashes()["t"] == first
    lake._write_table("t", frame.assign(b=["x", "y", "Z"]))
    assert lake.table_hashes()["t"] != first
    lake._write_table("t", pd.concat([frame, frame.tail(1)]))
    assert lake.table_hashes()["t"] != first
    lake._write_table("t", frame.rename(columns={"b": "c"}))
    assert lake.table_hashes()["t"] != first

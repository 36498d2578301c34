"""A lake's HealthDCAT-AP catalogue: what it says, that it conforms, and that it leaks nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rdflib import URIRef
from rdflib.namespace import DCTERMS

from testbench.catalogue import build_graph, describe_lake, serialize, validate_catalogue
from testbench.catalogue.dcat import HDCAT
from testbench.catalogue.vocabulary import ACCESS_RIGHT
from testbench.config import Settings
from testbench.lake.lake import Lake, tenant_lake
from testbench.lake.simulated import fill_simulated
from testbench.tenants import TenantRegistry


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Lake]:
    settings = Settings(home=tmp_path_factory.mktemp("catalogue") / "home")
    tenant = TenantRegistry(settings).create("cat")
    lake = tenant_lake(tenant)
    fill_simulated(lake, 300, 3, lambda _m: None)
    return settings, lake


@pytest.fixture(scope="module")
def description(simulated: tuple[Settings, Lake]) -> dict[str, Any]:
    settings, lake = simulated
    return describe_lake(settings, "cat", lake)


class PassedTwin:
    """A twin store holding one twin whose evaluation passed its gate."""

    def __init__(self, root: Path) -> None:
        self.root = root
        folder = root / "20260101T000000-abc123" / "evaluation"
        folder.mkdir(parents=True)
        evaluation = {
            "fidelity": {"quality": 0.91, "diagnostic": 1.0},
            "privacy": {"exact_copies": 0.0},
            "gate": {"passed": True, "checks": [{"name": "quality", "value": 0.91,
                                                 "threshold": 0.8, "passed": True}]},
        }  # fmt: skip
        (folder / "evaluation.json").write_text(json.dumps(evaluation))
        (folder / "report.html").write_text("<html></html>")

    def ids(self) -> list[str]:
        return ["20260101T000000-abc123"]

    def path(self, twin_id: str) -> Path:
        return self.root / twin_id


def test_the_export_of_a_simulated_lake_conforms_to_the_healthdcat_ap_shapes(
    description: dict[str, Any],
) -> None:
    result = validate_catalogue(build_graph(description))
    assert result.conforms, result.report
    assert result.violations == 0


def test_the_shapes_catch_a_dataset_without_its_access_rights(description: dict[str, Any]) -> None:
    graph = build_graph(description)
    graph.remove((None, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + "NON_PUBLIC")))
    result = validate_catalogue(graph)
    assert not result.conforms
    assert "NON_PUBLIC" in result.report


def test_one_dataset_with_a_distribution_per_table_and_the_columns_code_systems(
    description: dict[str, Any], simulated: tuple[Settings, Lake]
) -> None:
    text = serialize(build_graph(description), "turtle")
    for table in simulated[1].tables():
        assert f"/table/{table}>" in text
    for system in ("icd10-d", "atc", "npu", "fsiii", "dk-municipality", "dk-region"):
        assert f"coding-system/{system}>" in text
    assert '"2025/327' not in text and "eli/reg/2025/327/oj" in text
    assert "@da" in text and "@en" in text
    diag = next(t for t in description["tables"] if t["name"] == "lpr_a_diagnose")
    codes = {c["name"]: c["code_system"] for c in diag["columns"]}
    assert codes["diag_kode"] == "icd10-d"


def test_counts_pass_the_checker_and_ages_are_on_five_year_bounds(
    description: dict[str, Any],
) -> None:
    assert isinstance(description["persons"], int) and description["persons"] >= 5
    ages = description["typical_age"]
    assert ages["min"] % 5 == 0 and ages["max"] % 5 == 0 and ages["min"] < ages["max"]
    assert description["disclosure"]["checked"] > 0
    for table in description["tables"]:
        for dist in table["distributions"]:
            assert abs(sum(dist["shares"]) - 1) < 1e-6


def test_a_table_of_three_rows_shows_its_count_as_under_five_and_the_rdf_leaves_it_out(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home")
    lake = tenant_lake(TenantRegistry(settings).create("tiny"))
    with lake.transaction() as tx:
        tx.replace_table("own", pd.DataFrame({"score": [1.0, 2.0, 3.0]}), None)
    described = describe_lake(settings, "tiny", lake)
    assert described["tables"][0]["rows"] == "<5"
    assert described["rows"] == "<5"
    graph = build_graph(described)
    assert not list(graph.objects(None, HDCAT.numberOfRecords))
    assert validate_catalogue(graph).conforms


def test_no_person_key_reaches_the_catalogue(
    description: dict[str, Any], simulated: tuple[Settings, Lake]
) -> None:
    text = serialize(build_graph(description), "jsonld") + json.dumps(description)
    pseudonyms = simulated[1].read_table("bef")["pnr"].astype(str).tolist()
    assert not any(p in text for p in pseudonyms)
    bef = next(t for t in description["tables"] if t["name"] == "bef")
    assert "pnr" not in {d["column"] for d in bef["distributions"]}


def test_a_twin_that_passed_its_gate_is_a_public_distribution(
    simulated: tuple[Settings, Lake], tmp_path: Path
) -> None:
    settings, lake = simulated
    described = describe_lake(settings, "cat", lake, PassedTwin(tmp_path))  # type: ignore[arg-type]
    assert described["twin"]["quality"] == 0.91
    graph = build_graph(described)
    twin = URIRef("https://catalogue.oscar-host.example/dataset/cat/twin/20260101T000000-abc123")
    assert (twin, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + "PUBLIC")) in graph
    assert validate_catalogue(graph).conforms

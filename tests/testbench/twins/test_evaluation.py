"""`twin evaluate` on a small real lake: the gate refuses copies, with or without noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.executor import SerialExecutor
from testbench.config import Settings
from testbench.errors import TestbenchError
from testbench.lake.lake import tenant_lake
from testbench.lake.simulated import fill_simulated
from testbench.tenants import TenantRegistry
from testbench.twins.evaluation import evaluate_twin, load_evaluation
from testbench.twins.store import TwinStore, build_twin, holdout_units
from testkit.specs import TABLES

pytestmark = pytest.mark.mlflow  # evaluate_twin logs its evidence run


@pytest.fixture(scope="module")
def lake_with_twin(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path_factory.mktemp("eval") / "home")
    tenant = TenantRegistry(settings).create("acme")
    lake = tenant_lake(tenant)
    fill_simulated(lake, 1200, 5, None)
    manifest = build_twin(settings, tenant, lake, tables=list(TABLES), executor=SerialExecutor())
    return settings, tenant, lake, manifest.twin_id


def _training_rows(lake, twin_id: str) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    held = holdout_units(lake, twin_id)
    real = lake.read_tables(list(TABLES))
    return {
        "bef": real["bef"][~real["bef"]["pnr"].astype(str).isin(held)],
        "lpr_a_kontakt": real["lpr_a_kontakt"][
            ~real["lpr_a_kontakt"]["pnr"].astype(str).isin(held)
        ],
    }


def _write(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def test_the_twin_gets_every_check_and_reports_inside_the_lake(lake_with_twin) -> None:
    settings, tenant, lake, twin_id = lake_with_twin
    result = evaluate_twin(settings, tenant, lake, twin_id)
    names = [c["name"] for c in result.evidence["gate"]["checks"]]
    assert names[:2] == ["quality", "diagnostic"] and "inference" in names
    assert result.evidence["fidelity"]["quality"] > 0.7
    assert result.evidence["privacy"]["exact_copies"] < 0.01
    assert result.evidence["privacy"]["dcr_holdout_ratio"] > 0.8  # as far as unseen persons
    detection = result.evidence["fidelity"]["detection"]
    assert 0.5 <= detection["person_view"]["auc"]["value"] <= 1.0
    assert set(detection["tables"]) == set(TABLES)
    assert {"detection_auc", "utility_above_chance"} <= set(names)  # shown, report only
    assert "tasks" in result.evidence["utility"] and "Detection" in result.report_html
    stored = load_evaluation(TwinStore(settings, tenant), twin_id)
    assert stored is not None and stored[0]["gate"] == result.evidence["gate"]
    assert (result.folder / "drift" / "bef.html").exists()  # kept inside the lake boundary
    json.dumps(result.evidence, allow_nan=False)


def test_a_candidate_that_copies_real_rows_fails(lake_with_twin, tmp_path: Path) -> None:
    settings, tenant, lake, twin_id = lake_with_twin
    copied = _write(tmp_path / "copy", _training_rows(lake, twin_id))
    result = evaluate_twin(settings, tenant, lake, candidate=copied)
    failed = {c["name"] for c in result.evidence["gate"]["checks"] if not c["passed"]}
    assert not result.decision.passed
    assert {"exact_copies", "dcr_baseline_protection", "dcr_holdout_ratio"} <= failed


def test_a_candidate_of_real_rows_with_small_noise_fails(lake_with_twin, tmp_path: Path) -> None:
    settings, tenant, lake, twin_id = lake_with_twin
    rng = np.random.default_rng(0)
    tables = _training_rows(lake, twin_id)
    noisy = {name: frame.copy() for name, frame in tables.items()}
    noisy["bef"]["foed_dag"] = noisy["bef"]["foed_dag"] + pd.to_timedelta(
        rng.integers(-3, 4, len(noisy["bef"])), unit="D"
    )
    start = noisy["lpr_a_kontakt"]["kont_starttidspunkt"]
    shift = pd.to_timedelta(rng.integers(-120, 121, len(start)), unit="m")
    noisy["lpr_a_kontakt"]["kont_starttidspunkt"] = start + shift
    noisy["lpr_a_kontakt"]["kont_sluttidspunkt"] = (
        noisy["lpr_a_kontakt"]["kont_sluttidspunkt"] + shift
    )
    result = evaluate_twin(settings, tenant, lake, candidate=_write(tmp_path / "noisy", noisy))
    failed = {c["name"] for c in result.evidence["gate"]["checks"] if not c["passed"]}
    assert not result.decision.passed
    assert {"dcr_baseline_protection", "dcr_holdout_ratio"} <= failed


def test_a_candidate_must_name_lake_tables(lake_with_twin, tmp_path: Path) -> None:
    settings, tenant, lake, _ = lake_with_twin
    with pytest.raises(TestbenchError, match="not a directory"):
        evaluate_twin(settings, tenant, lake, candidate=tmp_path / "missing")
    odd = _write(tmp_path / "odd", {"patients": pd.DataFrame({"a": [1]})})
    with pytest.raises(TestbenchError, match="not in the lake"):
        evaluate_twin(settings, tenant, lake, candidate=odd)

"""The twin of the full simulated register lake: ten tables, diagnoses three levels deep."""

from __future__ import annotations

import pandas as pd
import pytest

from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from generators.twin import TwinBuilder
from generators.twin.metadata import build_metadata
from validation.fidelity import diagnostic_report

pytestmark = pytest.mark.heavy  # simulates and twins a full register lake


@pytest.fixture(scope="module")
def lake_and_twin() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    real = simulate_registers(persons=1500, seed=5)
    builder = TwinBuilder(seed=2).fit(real, REGISTER_RELATIONS, REGISTER_PRIMARY_KEYS)
    return real, builder.sample(seed=2)


def test_every_table_and_relation(lake_and_twin) -> None:
    real, twin = lake_and_twin
    assert set(twin) == set(real)
    for rel in REGISTER_RELATIONS:
        refs = twin[rel.child_table][rel.child_column]
        assert refs.isin(twin[rel.parent_table][rel.parent_column]).all(), str(rel)
    assert "pnr" not in twin["lpr_a_diagnose"].columns  # still three levels from the person


def test_structurally_valid_by_sdmetrics(lake_and_twin) -> None:
    real, twin = lake_and_twin
    metadata = build_metadata(real, REGISTER_RELATIONS, REGISTER_PRIMARY_KEYS)
    assert diagnostic_report(real, twin, metadata).overall == pytest.approx(1.0, abs=1e-4)


def test_events_fall_between_birth_and_death(lake_and_twin) -> None:
    _, twin = lake_and_twin
    persons = twin["bef"].set_index("pnr")
    death = twin["dod"].set_index("pnr")["doddato"]
    contacts = twin["lpr_a_kontakt"]
    born = contacts["pnr"].map(persons["foed_dag"])
    died = contacts["pnr"].map(death)
    # Booleans first, so a failure never prints the rows (or keys) behind it.
    after_birth = bool((contacts["kont_starttidspunkt"] >= born).all())
    end_after_start = bool(
        (contacts["kont_sluttidspunkt"] >= contacts["kont_starttidspunkt"]).all()
    )
    before_death = bool(
        (died.isna() | (contacts["kont_starttidspunkt"].dt.normalize() <= died)).all()
    )
    death_after_birth = bool(
        (twin["dod"]["doddato"] >= twin["dod"]["pnr"].map(persons["foed_dag"])).all()
    )
    assert after_birth and end_after_start and before_death and death_after_birth, (
        after_birth, end_after_start, before_death, death_after_birth)  # fmt: skip


def test_municipality_always_inside_its_region(lake_and_twin) -> None:
    real, twin = lake_and_twin
    regions = dict(zip(real["bef"]["kom"], real["bef"]["reg"], strict=False))
    assert (twin["bef"]["reg"] == twin["bef"]["kom"].map(regions)).all()


def test_laboratory_rows_come_in_samples_and_prescriptions_in_refills(lake_and_twin) -> None:
    # Each row drawn on its own gave a person twenty laboratory days where a real person
    # has five samples of four analyses, and most of the drugs where a real one has a few;
    # a classifier told twin persons from real ones by that alone (detection AUC 0.9998).
    real, twin = lake_and_twin

    def per_sample(lake: dict[str, pd.DataFrame]) -> float:
        return float(lake["lab"].groupby(["patient_cpr", "samplingdate"]).size().mean())

    def drugs(lake: dict[str, pd.DataFrame]) -> float:
        return float(lake["lmdb"].groupby("pnr")["atc"].nunique().mean())

    assert per_sample(twin) == pytest.approx(per_sample(real), rel=0.25)
    assert drugs(twin) == pytest.approx(drugs(real), rel=0.25)

"""The simulator's contract: tables, keys, relations, types, determinism, pseudonyms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import generators
from generators.registers import (
    REGISTER_PRIMARY_KEYS,
    REGISTER_RELATIONS,
    REGISTER_TABLES,
    InvalidSimulationSettings,
    simulate_registers,
)


def test_returns_every_table_in_parent_before_child_order(lake):
    assert tuple(lake) == REGISTER_TABLES
    position = {name: i for i, name in enumerate(REGISTER_TABLES)}
    for rel in REGISTER_RELATIONS:
        assert position[rel.parent_table] < position[rel.child_table], str(rel)
    empty = [name for name, table in lake.items() if table.empty]
    assert empty == []


def test_same_seed_gives_identical_tables():
    first = simulate_registers(persons=300, seed=3)
    second = simulate_registers(persons=300, seed=3)
    differing = [name for name in REGISTER_TABLES if not first[name].equals(second[name])]
    assert differing == []


def test_another_seed_gives_other_people():
    first = simulate_registers(persons=300, seed=3)["bef"]
    other = simulate_registers(persons=300, seed=4)["bef"]
    shared = len(set(first["pnr"]) & set(other["pnr"]))
    same_births = bool(first["foed_dag"].equals(other["foed_dag"]))
    assert shared == 0
    assert not same_births


def test_primary_keys_are_unique_and_present(lake):
    for table, column in REGISTER_PRIMARY_KEYS.items():
        key = lake[table][column]
        missing, duplicated = int(key.isna().sum()), int(key.duplicated().sum())
        assert (missing, duplicated) == (0, 0), f"{table}.{column}"


def test_every_child_key_is_found_in_its_parent(lake):
    for rel in REGISTER_RELATIONS:
        child = lake[rel.child_table][rel.child_column]
        parent = lake[rel.parent_table][rel.parent_column]
        orphans = int((~child.isin(parent)).sum())
        missing = int(child.isna().sum())
        assert (orphans, missing) == (0, 0), str(rel)


def test_diagnoses_and_procedures_carry_no_person(lake):
    assert "pnr" not in lake["lpr_a_diagnose"].columns
    assert "pnr" not in lake["lpr_a_procregistrering"].columns
    assert "patient_cpr" in lake["lab"].columns
    assert "pnr" not in lake["lab"].columns


def test_column_types_are_as_documented(lake):
    date_columns = {
        "bef": ["foed_dag"],
        "dod": ["doddato"],
        "lpr_a_kontakt": ["kont_starttidspunkt", "kont_sluttidspunkt"],
        "lpr_a_procregistrering": ["proc_starttidspunkt"],
        "epj_observation": ["observation_tidspunkt"],
        "lmdb": ["eksd"],
        "lab": ["samplingdate"],
        "fsiii_tilstand": ["vurderingsdato"],
        "fsiii_indsats": ["startdato", "slutdato"],
    }
    for table, columns in date_columns.items():
        for column in columns:
            assert str(lake[table][column].dtype) == "datetime64[ns]", f"{table}.{column}"
    for table, column in REGISTER_PRIMARY_KEYS.items():
        if column != "pnr":
            assert str(lake[table][column].dtype) == "int64", f"{table}.{column}"
    assert str(lake["bef"]["koen"].dtype) == "int64"
    assert str(lake["fsiii_indsats"]["timer_pr_uge"].dtype) == "float64"
    text = [("bef", "pnr"), ("bef", "kom"), ("bef", "reg"), ("lmdb", "vnr"), ("lab", "value")]
    for table, column in text:
        all_text = bool(lake[table][column].map(type).eq(str).all())
        assert all_text, f"{table}.{column} is not text"


def test_pnr_are_hex_pseudonyms_never_cpr_numbers(lake):
    pnr = lake["bef"]["pnr"]
    duplicated = int(pnr.duplicated().sum())
    not_hex = int((~pnr.str.fullmatch(r"[0-9a-f]{16}")).sum())
    cpr_like = int(pnr.str.fullmatch(r"\d{6}-?\d{4}").sum())
    assert (duplicated, not_hex, cpr_like) == (0, 0, 0)


def test_progress_reports_each_table_with_its_row_count():
    messages: list[str] = []
    tables = simulate_registers(persons=200, seed=1, progress=messages.append)
    expected = [f"{name}: {len(table):,} rows" for name, table in tables.items()]
    assert messages == expected


@pytest.mark.parametrize(
    ("persons", "seed"), [(0, 1), (-5, 1), (2.5, 1), (True, 1), (10, -1), (10, "7"), (10, 2**64)]
)
def test_invalid_settings_are_refused_with_a_clear_error(persons, seed):
    with pytest.raises(InvalidSimulationSettings, match="must be"):
        simulate_registers(persons=persons, seed=seed)


def test_generators_do_not_depend_on_testbench_or_validation():
    root = Path(generators.__file__).parent / "registers"
    pattern = re.compile(r"^\s*(from|import)\s+(testbench|validation)\b", re.MULTILINE)
    offenders = [p.name for p in root.glob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []

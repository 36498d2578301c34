"""person_summary: one row per person from a person table and its children and grandchildren."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.registers import REGISTER_RELATIONS, simulate_registers
from generators.relations import Relation
from validation.privacy import person_summary


def _small_lake() -> dict[str, pd.DataFrame]:
    persons = pd.DataFrame({"pnr": ["a", "b", "c"], "koen": [1, 2, 1]})
    contacts = pd.DataFrame(
        {
            "dw_ek_kontakt": [10, 11, 12, 13],
            "dw_ek_forloeb": [100, 101, 102, 103],  # undeclared surrogate key
            "pnr": ["a", "a", "b", "a"],
            "kont_type": ["ALCA00", "ALCA10", "ALCA10", "ALCA00"],
        }
    )
    diagnoses = pd.DataFrame(
        {
            "dw_ek_diagnose": [1, 2, 3, 4, 5],
            "dw_ek_kontakt": [10, 10, 11, 12, 12],
            "diag_kode": ["DI500", "DE110", "DI501", "DS720", None],
        }
    )
    prescriptions = pd.DataFrame(
        {"pnr": ["b", "b", "b"], "atc": ["A10BA02", "C07AB02", "C07AB02"], "apk": [1, 1, 4]}
    )
    return {
        "bef": persons,
        "lpr_a_kontakt": contacts,
        "lpr_a_diagnose": diagnoses,
        "lmdb": prescriptions,
    }


RELATIONS = [
    Relation("lpr_a_kontakt", "pnr", "bef", "pnr"),
    Relation("lpr_a_diagnose", "dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt"),
    ("lmdb", "pnr", "bef", "pnr"),  # a plain tuple works as well
]


def test_one_row_per_person_with_zero_counts_for_persons_without_children() -> None:
    summary = person_summary(_small_lake(), "bef", "pnr", RELATIONS)

    assert list(summary["pnr"]) == ["a", "b", "c"]
    assert list(summary["lpr_a_kontakt__n"]) == [3, 1, 0]
    # Diagnoses reach persons through their contact: a has 3 (contacts 10, 11), b has 2.
    assert list(summary["lpr_a_diagnose__n"]) == [3, 2, 0]
    assert list(summary["lmdb__n"]) == [0, 3, 0]
    assert summary["lmdb__n"].dtype == np.int64


def test_modes_and_means_per_person() -> None:
    summary = person_summary(_small_lake(), "bef", "pnr", RELATIONS).set_index("pnr")

    # a: ALCA00 twice, ALCA10 once.
    assert summary.loc["a", "lpr_a_kontakt__kont_type__mode"] == "ALCA00"
    # b: one diagnosis and one missing; the missing one is not a value.
    assert summary.loc["b", "lpr_a_diagnose__diag_kode__mode"] == "DS720"
    # a: three different codes once each; the tie goes to the smallest.
    assert summary.loc["a", "lpr_a_diagnose__diag_kode__mode"] == "DE110"
    assert summary.loc["b", "lmdb__atc__mode"] == "C07AB02"
    assert summary.loc["b", "lmdb__apk__mean"] == pytest.approx(2.0)
    assert pd.isna(summary.loc["c", "lmdb__apk__mean"])
    assert pd.isna(summary.loc["c", "lpr_a_kontakt__kont_type__mode"])
    # dw_ek_forloeb is a key in all but name: no mean of it.
    assert "lpr_a_kontakt__dw_ek_forloeb__mean" not in summary.columns


def test_chosen_columns_and_code_prefix() -> None:
    summary = person_summary(
        _small_lake(),
        "bef",
        "pnr",
        RELATIONS,
        code_columns={"lmdb": None},
        numeric_columns={"lpr_a_kontakt": "dw_ek_forloeb"},
        code_prefix={"lpr_a_diagnose": 2},
    ).set_index("pnr")

    # ICD-10 chapter letters: a has DI, DE, DI.
    assert summary.loc["a", "lpr_a_diagnose__diag_kode__mode"] == "DI"
    assert "lmdb__atc__mode" not in summary.columns
    assert summary.loc["a", "lpr_a_kontakt__dw_ek_forloeb__mean"] == pytest.approx(
        (100 + 101 + 103) / 3
    )


def test_repeated_unit_keys_are_refused() -> None:
    lake = _small_lake()
    lake["bef"] = pd.concat([lake["bef"], lake["bef"].iloc[:1]])
    with pytest.raises(ValueError, match="one row per unit"):
        person_summary(lake, "bef", "pnr", RELATIONS)


def test_register_lake_counts_match_the_tables() -> None:
    tables = simulate_registers(persons=300, seed=11)

    summary = person_summary(tables, "bef", "pnr", REGISTER_RELATIONS)

    assert len(summary) == len(tables["bef"])
    assert summary["pnr"].is_unique
    assert summary["lpr_a_kontakt__n"].sum() == len(tables["lpr_a_kontakt"])
    assert summary["lpr_a_diagnose__n"].sum() == len(tables["lpr_a_diagnose"])
    assert summary["lab__n"].sum() == len(tables["lab"])  # lab joins on patient_cpr
    assert "lpr_a_diagnose__diag_kode__mode" in summary.columns
    assert "epj_observation__vaerdi__mean" in summary.columns

"""Exact copies and rare-category leakage on hand-made and generated tables."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from validation.privacy import RareLeakage, exact_copies, rare_category_leakage


def test_exact_copies_counts_identical_rows_with_missing_values_equal() -> None:
    real = pd.DataFrame({"pnr": [1, 2, 3], "alder": [40, 50, np.nan], "reg": ["84", None, "81"]})
    syn = pd.DataFrame(
        {
            "pnr": [9, 8, 7, 6],  # fresh keys: ignored below
            "alder": [40.0, 50.0, None, 41.0],  # float against int, None against NaN
            "reg": ["84", np.nan, "81", "84"],
        }
    )

    assert exact_copies(real, syn, ignore=["pnr"]) == pytest.approx(3 / 4)
    # Keys compared: no synthetic row has a real key.
    assert exact_copies(real, syn) == 0.0
    # Only one column compared: 40, 50 and NaN all occur among the real ages.
    assert exact_copies(real, syn, columns=["alder"]) == pytest.approx(3 / 4)


def test_exact_copies_of_a_twin_that_copies_half_its_rows(mixed_table) -> None:
    real = mixed_table(2_000, 1)
    honest = mixed_table(2_000, 2)
    leaky = pd.concat([real.sample(1_000, random_state=0), honest.iloc[:1_000]])
    keys = ["pnr", "email"]

    assert exact_copies(real, leaky, ignore=keys) == pytest.approx(0.5)
    assert exact_copies(real, honest, ignore=keys) < 0.01


def test_exact_copies_refuses_when_nothing_is_compared() -> None:
    table = pd.DataFrame({"pnr": [1, 2]})
    with pytest.raises(ValueError, match="No column left"):
        exact_copies(table, table, ignore=["pnr"])
    with pytest.raises(ValueError, match="not in the syn table"):
        exact_copies(table, pd.DataFrame({"x": [1]}), columns=["pnr"])


@pytest.mark.slow
def test_exact_copies_on_two_million_rows_is_fast() -> None:
    rng = np.random.default_rng(3)
    rows = 2_000_000
    real = pd.DataFrame(
        {
            "alder": rng.integers(0, 100, rows),
            "kom": rng.choice([f"{k:03d}" for k in range(101, 861)], rows),
            "bmi": rng.normal(26, 4, rows).round(1),
        }
    )
    syn = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    syn.loc[: rows // 2 - 1, "bmi"] = 99.9  # never a real value

    start = time.perf_counter()
    share = exact_copies(real, syn)
    assert time.perf_counter() - start < 30
    assert share == pytest.approx(0.5)


def test_rare_category_leakage_counts_a_hand_made_case() -> None:
    real = pd.DataFrame(
        {
            # "DE11" in 6 rows, "DI50" in 2, "DS72" in 1, one missing.
            "diag_kode": ["DE11"] * 6 + ["DI50"] * 2 + ["DS72", None],
            "koen": [1, 2] * 5,  # numeric: not checked by default
            "reg": ["84"] * 9 + ["85"],  # "85" in 1 row
        }
    )
    syn = pd.DataFrame(
        {
            "diag_kode": ["DE11", "DI50", "DS72", "DX99", None],  # DX99 invented, not leaked
            "koen": [1, 1, 2, 2, 1],
            "reg": ["84", "84", "84", "85", "85"],
        }
    )

    leak = rare_category_leakage(real, syn, min_count=5)

    assert isinstance(leak, RareLeakage)
    assert dict(leak.per_column) == {"diag_kode": pytest.approx(2 / 5), "reg": pytest.approx(2 / 5)}
    assert dict(leak.rare_categories) == {"diag_kode": 2, "reg": 1}
    # Rows 1 and 2 leak a diagnosis, rows 3 and 4 a region: 4 of 5 rows.
    assert leak.share == pytest.approx(4 / 5)
    assert leak.n_synthetic == 5
    # With threshold 2 only the single-row values count.
    strict = rare_category_leakage(real, syn, min_count=2)
    assert strict.per_column["diag_kode"] == pytest.approx(1 / 5)
    assert strict.share == pytest.approx(3 / 5)


def test_rare_category_leakage_checks_named_columns_and_validates() -> None:
    real = pd.DataFrame({"koen": [1, 1, 1, 2]})
    syn = pd.DataFrame({"koen": [2, 1]})
    assert rare_category_leakage(real, syn, min_count=2, columns=["koen"]).share == 0.5
    with pytest.raises(ValueError, match="min_count"):
        rare_category_leakage(real, syn, min_count=0)

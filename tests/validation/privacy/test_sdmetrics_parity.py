"""Our DCR metrics give SDMetrics 0.32's numbers (run without subsampling) on mixed data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection
from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

from validation.privacy import (
    dcr,
    dcr_baseline_protection,
    dcr_overfitting_protection,
    random_baseline_data,
)


def sdmetrics_dcr(reference: pd.DataFrame, query: pd.DataFrame, metadata: dict) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDMetrics warns about columns outside its metadata
        return calculate_dcr(query, reference, metadata).to_numpy()


def flat(breakdown: dict) -> dict[str, float]:
    """SDMetrics' nested breakdown dict as flat {"a.b": value} (pytest.approx needs flat)."""
    out = {}
    for key, value in breakdown.items():
        if isinstance(value, dict):
            out.update({f"{key}.{inner}": number for inner, number in value.items()})
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_per_row_dcr_equals_sdmetrics(mixed_table, mixed_metadata, engine):
    real, synthetic = mixed_table(300, 1), mixed_table(240, 2)
    # Some synthetic rows copy real rows; one lies far outside every real range.
    synthetic.iloc[:5] = real.iloc[10:15].to_numpy()
    synthetic.loc[5, ["alder", "bmi"]] = [500, -80.0]

    ours = dcr(real, synthetic, mixed_metadata, engine=engine)

    np.testing.assert_allclose(ours, sdmetrics_dcr(real, synthetic, mixed_metadata), atol=1e-9)
    assert (ours[:5] == 0).all()


def test_dcr_equals_sdmetrics_on_edge_columns():
    """Constant, all-missing and boolean-with-missing columns, missing in both tables."""
    rng = np.random.default_rng(5)

    def table(rows: int, constant: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "x": rng.normal(size=rows),
                "constant": np.full(rows, constant),
                "empty": np.full(rows, np.nan),
                # Object dtype: SDMetrics crashes on pandas' nullable "boolean" with NA
                # (its ``(~equal).astype(int)`` meets NA); ours treats both alike.
                "flag": rng.choice(np.array([True, False, None], dtype=object), rows),
                "kind": rng.choice(np.array(["a", "b", None], dtype=object), rows),
                "t": pd.to_datetime(
                    rng.choice(np.array(["2021-01-01", "2021-06-30", None], dtype=object), rows)
                ),
            }
        )

    metadata = {
        "columns": {
            "x": {"sdtype": "numerical"},
            "constant": {"sdtype": "numerical"},
            "empty": {"sdtype": "numerical"},
            "flag": {"sdtype": "boolean"},
            "kind": {"sdtype": "categorical"},
            "t": {"sdtype": "datetime"},
        }
    }
    real = table(80, 3.0)
    synthetic = table(60, 3.0)
    synthetic.loc[:9, "constant"] = [3.0, 4.0, 2.5, np.nan, 3.0, 3.0, 7.0, 3.0, 3.0, 3.0]
    synthetic.loc[:4, "empty"] = 1.0

    np.testing.assert_allclose(
        dcr(real, synthetic, metadata), sdmetrics_dcr(real, synthetic, metadata), atol=1e-9
    )


def test_random_baseline_is_sdmetrics_table(mixed_table, monkeypatch):
    real = mixed_table(200, 3)
    monkeypatch.setattr(DCRBaselineProtection, "_seed", 11)
    np.random.seed(11)
    theirs = DCRBaselineProtection._generate_random_data(real, 150)

    ours = random_baseline_data(real, 150, seed=11)

    assert list(ours.columns) == list(theirs.columns)
    for column in ours.columns:
        assert ours[column].isna().tolist() == theirs[column].isna().tolist(), column
        present = ours[column].notna()
        assert ours[column][present].tolist() == theirs[column][present].tolist(), column


def test_baseline_protection_equals_sdmetrics(mixed_table, mixed_metadata, monkeypatch):
    real, synthetic = mixed_table(250, 4), mixed_table(200, 5)
    synthetic.iloc[:40] = real.iloc[:40].to_numpy()  # a leaky synthesizer
    monkeypatch.setattr(DCRBaselineProtection, "_seed", 3)
    np.random.seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = DCRBaselineProtection.compute_breakdown(real, synthetic, mixed_metadata, "t")

    ours = dcr_baseline_protection(real, synthetic, mixed_metadata, seed=3)

    assert flat(ours.as_sdmetrics_breakdown()) == pytest.approx(flat(theirs), abs=1e-12)
    assert 0 < ours.score < 1


def test_overfitting_protection_equals_sdmetrics(mixed_table, mixed_metadata):
    train, holdout = mixed_table(220, 6), mixed_table(180, 7)
    synthetic = mixed_table(200, 8)
    synthetic.iloc[:60] = train.iloc[:60].to_numpy()  # memorised training rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = DCROverfittingProtection.compute_breakdown(
            train, synthetic, holdout, mixed_metadata, "t"
        )

    ours = dcr_overfitting_protection(train, holdout, synthetic, mixed_metadata)

    assert flat(ours.as_sdmetrics_breakdown()) == pytest.approx(flat(theirs), abs=1e-12)
    assert ours.synthetic_closer_to_training_share > 0.3


@pytest.mark.slow
def test_per_row_dcr_equals_sdmetrics_on_5000_rows(mixed_table, mixed_metadata):
    real, synthetic = mixed_table(5000, 9), mixed_table(3000, 10)

    np.testing.assert_allclose(
        dcr(real, synthetic, mixed_metadata),
        sdmetrics_dcr(real, synthetic, mixed_metadata),
        atol=1e-9,
    )

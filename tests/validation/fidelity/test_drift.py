import numpy as np
import pandas as pd
import pytest

from validation.fidelity import drift_report, table_drift

METADATA = {
    "tables": {
        "t": {
            "primary_key": "id",
            "columns": {
                "id": {"sdtype": "id"},
                "x": {"sdtype": "numerical"},
                "y": {"sdtype": "numerical"},
                "c": {"sdtype": "categorical"},
                "d": {"sdtype": "categorical"},
                "when": {"sdtype": "datetime"},
            },
        }
    },
    "relationships": [],
}


def _table(rng: np.random.Generator, n: int, shift: float = 0.0, p: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "x": rng.normal(shift, 1, n),
            "y": rng.normal(0, 1, n),
            "c": np.where(rng.random(n) < p, "a", "b"),
            "d": rng.choice(["u", "v", "w"], n),
            "when": pd.Timestamp("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 3000, n) + int(shift * 1000), "D"),
        }
    )


def test_shifted_columns_drift_and_unshifted_do_not() -> None:
    rng = np.random.default_rng(0)
    real, twin = _table(rng, 3000), _table(rng, 3000, shift=1.0, p=0.8)
    result = table_drift(real, twin, METADATA, "t", html=False)
    assert set(result.column_drift) == {"x", "y", "c", "d", "when"}  # the key is not tested
    drifted = {col for col, d in result.column_drift.items() if d.drifted}
    assert drifted == {"x", "c", "when"}
    assert (result.columns, result.drifted) == (5, 3)
    assert result.share == pytest.approx(0.6)
    # Over 1,000 rows, Evidently tests numbers by Wasserstein, categories by Jensen-Shannon.
    assert result.column_drift["x"].method == "Wasserstein distance (normed)"
    assert result.column_drift["c"].method == "Jensen-Shannon distance"
    assert result.column_drift["x"].score > 0.5 > result.column_drift["y"].score
    assert not result.sampled and result.html == ""


def test_a_shuffled_copy_does_not_drift_and_small_tables_use_p_values() -> None:
    rng = np.random.default_rng(1)
    real = _table(rng, 400)
    result = table_drift(real, real.sample(frac=1, random_state=0), METADATA, "t", html=False)
    assert result.drifted == 0 and result.columns == 5
    # Under 1,000 rows Evidently switches to p-value tests (drift when p < 0.05).
    assert result.column_drift["x"].method == "K-S p_value"
    assert result.column_drift["x"].score == pytest.approx(1.0)
    shifted = table_drift(real, _table(rng, 400, shift=1.0), METADATA, "t", html=False)
    assert shifted.column_drift["x"].drifted and shifted.column_drift["x"].score < 0.05


def test_long_tables_are_sampled_to_the_cap_and_empty_columns_skipped() -> None:
    rng = np.random.default_rng(2)
    real, twin = _table(rng, 5000), _table(rng, 1000)
    twin["y"] = np.nan
    result = table_drift(real, twin, METADATA, "t", max_rows=2000, html=False)
    assert (result.rows_real, result.rows_synthetic, result.sampled) == (2000, 1000, True)
    assert result.skipped == ("y",) and "y" not in result.column_drift
    again = table_drift(real, twin, METADATA, "t", max_rows=2000, html=False)
    assert again.column_drift == result.column_drift  # seeded sample


def test_scores_match_evidentlys_own_preset_and_html_is_rendered() -> None:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    rng = np.random.default_rng(3)
    real, twin = _table(rng, 1500), _table(rng, 1500, shift=0.3, p=0.6)
    ours = drift_report({"t": real}, {"t": twin}, METADATA)["t"]
    columns = ["x", "y", "c", "d"]
    definition = DataDefinition(numerical_columns=["x", "y"], categorical_columns=["c", "d"])
    snapshot = Report([DataDriftPreset(columns=columns)]).run(
        Dataset.from_pandas(twin[columns], data_definition=definition),
        Dataset.from_pandas(real[columns], data_definition=definition),
    )
    theirs = {
        m["config"]["column"]: m["value"]
        for m in snapshot.dict()["metrics"]
        if m["config"]["type"].endswith("ValueDrift")
    }
    for col in columns:
        assert ours.column_drift[col].score == pytest.approx(theirs[col], rel=1e-9)
    assert ours.html.lstrip().startswith("<") and "x" in ours.html and len(ours.html) > 10_000

"""Detection: a classifier cannot tell a copy from the real lake, and names what gives a
distorted twin away."""

from __future__ import annotations

import json

import numpy as np
import pytest

from validation.fidelity.detection import lake_detection, table_detection

pytestmark = pytest.mark.heavy  # gradient boosting with cross-validation, a few seconds each


def _copy(lake):  # type: ignore[no-untyped-def]
    return {name: frame.copy() for name, frame in lake.items()}


def test_a_twin_that_copies_the_real_rows_cannot_be_told_apart(toy_lake, toy_metadata) -> None:
    real = toy_lake(1500, 1, 0)
    result = lake_detection(real, _copy(real), toy_metadata, seed=0)
    assert result.unit_table == "persons"
    assert result.persons is not None
    assert abs(result.persons.auc - 0.5) < 0.05
    assert all(abs(d.auc - 0.5) < 0.05 for d in result.tables.values())
    assert set(result.tables) == {"persons", "events"}


def test_a_shifted_column_gives_the_twin_away_and_is_named(toy_lake, toy_metadata) -> None:
    real = toy_lake(1500, 1, 0)
    twin = _copy(real)
    twin["events"]["value"] += 5.0  # five standard deviations
    result = lake_detection(real, twin, toy_metadata, seed=0)
    assert result.tables["events"].auc > 0.95
    assert result.tables["events"].top_features[0].feature == "value"
    assert result.persons is not None and result.persons.auc > 0.95
    assert result.persons.top_features[0].feature == "events__value__mean"
    assert abs(result.tables["persons"].auc - 0.5) < 0.05  # the person table itself is intact


def test_broken_child_counts_give_the_persons_away(toy_lake, toy_metadata) -> None:
    real = toy_lake(1500, 1, 0)
    twin = _copy(real)
    # Every twin person gets three events, whatever their age and sex.
    events = twin["events"]
    rows = np.random.default_rng(0).choice(len(events), 3 * len(twin["persons"]))
    twin["events"] = events.iloc[rows].assign(pid=np.repeat(twin["persons"]["pid"], 3).to_numpy())
    result = lake_detection(real, twin, toy_metadata, seed=0)
    assert result.persons is not None and result.persons.auc > 0.9
    named = [f.feature for f in result.persons.top_features[:3]]
    assert any(name.startswith("events__") for name in named)
    assert result.tables["events"].auc < 0.6  # each row alone looks real


def test_the_same_seed_gives_the_same_result(toy_lake) -> None:
    real = toy_lake(600, 1, 0)["persons"].drop(columns="pid")
    twin = toy_lake(600, 2, 0)["persons"].drop(columns="pid")
    twin["age"] = twin["age"] + 10
    first = table_detection(real, twin, seed=3).to_dict()
    again = table_detection(real, twin, seed=3).to_dict()
    first.pop("seconds"), again.pop("seconds")
    assert first == again
    assert 0.5 < first["auc"]["value"] < 1.0
    assert first["auc"]["low"] <= first["auc"]["value"] <= first["auc"]["high"]
    json.dumps(first, allow_nan=False)


def test_rows_are_capped_to_equal_samples(toy_lake) -> None:
    real = toy_lake(900, 1, 0)["persons"].drop(columns="pid")
    twin = toy_lake(400, 2, 0)["persons"].drop(columns="pid")
    assert table_detection(real, twin, max_rows=300).rows == 300
    assert table_detection(real, twin).rows == 400


def test_an_empty_column_is_left_out(toy_lake) -> None:
    real = toy_lake(300, 1, 0)["persons"].drop(columns="pid").assign(note=None)
    twin = toy_lake(300, 2, 0)["persons"].drop(columns="pid").assign(note=None)
    result = table_detection(real, twin, seed=0)
    assert result.features == 3  # age, sex, region
    assert abs(result.auc - 0.5) < 0.15


def test_a_table_of_few_distinct_rows_is_refused_not_crashed() -> None:
    import pandas as pd

    from validation.fidelity.errors import FidelityInputError

    # One yes/no column: two kinds of rows, so two folds of equal rows for three folds.
    real = pd.DataFrame({"flag": [True, False] * 25})
    with pytest.raises(FidelityInputError, match="more distinct rows"):
        table_detection(real, real.copy(), seed=0)

"""Utility without a spec: tasks derived from the lake, TSTR against TRTR on held-out persons."""

from __future__ import annotations

import json

import numpy as np
import pytest

from validation.fidelity.utility import derived_utility

pytestmark = pytest.mark.heavy  # a few gradient-boosting fits per task


@pytest.fixture(scope="module")
def lake(toy_lake):  # type: ignore[no-untyped-def]
    return toy_lake(3000, 1, 0), toy_lake(1500, 2, 100_000)


def test_a_copy_is_as_useful_as_the_real_data(lake, toy_metadata) -> None:
    real, test = lake
    copy = {name: frame.copy() for name, frame in real.items()}
    result = derived_utility(real, copy, test, toy_metadata, seed=0)
    kinds = {t.kind: t for t in result.tasks}
    assert set(kinds) == {"event", "category"}
    event = kinds["event"]
    assert event.table == "events" and event.baseline == "2022-12-01"  # a year before the end
    assert event.trtr_auroc > 0.6 and event.tstr_auroc == pytest.approx(event.trtr_auroc)
    assert all(t.above_chance == pytest.approx(1.0) for t in result.tasks)
    assert result.worst_above_chance == pytest.approx(1.0)
    # The region is noise in this lake: the real data cannot predict it, so no ratio.
    assert any("no better than chance" in why for why in result.skipped.values())
    json.dumps(result.to_dict(), allow_nan=False)


def test_noise_is_no_more_useful_than_chance(lake, toy_metadata) -> None:
    real, test = lake
    rng = np.random.default_rng(0)
    noise = {name: frame.copy() for name, frame in real.items()}
    for column in ("age", "sex", "region"):
        noise["persons"][column] = rng.permutation(noise["persons"][column].to_numpy())
    noise["events"]["pid"] = rng.choice(noise["persons"]["pid"], len(noise["events"]))
    result = derived_utility(real, noise, test, toy_metadata, seed=0)
    assert result.tasks
    assert all(abs(t.above_chance) < 0.3 for t in result.tasks)


def test_a_lake_without_dates_or_categories_is_skipped_with_a_reason(lake, toy_metadata) -> None:
    real, test = lake
    numbers_only = {
        "persons": real["persons"][["pid", "age"]],
        "events": real["events"][["eid", "pid", "value"]],
    }
    held = {
        "persons": test["persons"][["pid", "age"]],
        "events": test["events"][["eid", "pid", "value"]],
    }
    meta = {
        "tables": {
            "persons": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "age": {"sdtype": "numerical"}},
            },
            "events": {
                "primary_key": "eid",
                "columns": {
                    "eid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "value": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": toy_metadata["relationships"],
    }
    result = derived_utility(numbers_only, numbers_only, held, meta, seed=0)
    assert result.tasks == ()
    assert result.skipped["events: event"] == "no date column of its own"
    assert "lake" in result.skipped

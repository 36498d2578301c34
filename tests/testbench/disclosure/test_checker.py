"""Single counts, tables and magnitude cells through the checker; the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from testbench.disclosure import DisclosureChecker, DisclosurePolicy, DisclosureViolation


def test_count_suppresses_small_counts_and_records_them(checker: DisclosureChecker) -> None:
    assert checker.count(3, "cohort.events") == "<5"
    assert checker.count(5, "cohort.n") == 5
    assert checker.count(0, "cohort.deaths") == 0  # no one is not a person to protect
    assert checker.count(np.int64(4), "tables.x") == "<5"
    manifest = checker.manifest()
    assert manifest["suppressed"] == [
        {"where": "cohort.events", "rule": "min_count"},
        {"where": "tables.x", "rule": "min_count"},
    ]
    assert manifest["checked"] == 4
    json.dumps(manifest)


def test_count_refuses_negative(checker: DisclosureChecker) -> None:
    with pytest.raises(DisclosureViolation, match="count_type"):
        checker.count(-2, "cohort.n")


def _region_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"n": [3, 7, 50], "events": [1, 5, 20], "mean_age": [71.0, 80.5, 77.2]},
        index=pd.Index(["81", "82", "84"], name="reg"),
    )


def test_frame_counts_suppressed_and_threshold_flagged(checker: DisclosureChecker) -> None:
    table = _region_table()
    checked = checker.check_frame(table, "tables.by_region")
    assert checked["n"].tolist() == ["<5", 7, 50]
    assert checked["events"].tolist() == ["<5", 5, 20]
    assert table["n"].tolist() == [3, 7, 50]  # input unchanged
    manifest = checker.manifest()
    assert {"where": "tables.by_region[81].n", "rule": "min_count"} in manifest["suppressed"]
    # 7 and 5 are publishable counts but under ACRO's threshold of 10: a reviewer looks.
    assert manifest["flagged"] == [
        {"where": "tables.by_region[82].n", "rule": "threshold"},
        {"where": "tables.by_region[82].events", "rule": "threshold"},
    ]


def test_frame_with_pnr_column_is_refused(checker: DisclosureChecker) -> None:
    table = pd.DataFrame({"pnr": ["a1", "b2"], "n": [10, 12]})
    with pytest.raises(DisclosureViolation, match="identifier") as error:
        checker.check_frame(table, "tables.by_person")
    assert "tables.by_person.pnr" in str(error.value)


def test_frame_indexed_by_person_is_refused(checker: DisclosureChecker) -> None:
    table = pd.DataFrame({"score": [0.2, 0.4]}, index=pd.Index([1, 2], name="person_id"))
    with pytest.raises(DisclosureViolation, match="identifier"):
        checker.check_frame(table, "tables.scores")


def test_frame_with_as_many_rows_as_the_cohort_is_refused() -> None:
    checker = DisclosureChecker(DisclosurePolicy(), cohort_size=40)
    table = pd.DataFrame({"age": np.arange(40), "p": np.linspace(0, 1, 40)})
    with pytest.raises(DisclosureViolation, match=r"row_level.*tables\.predictions"):
        checker.check_frame(table, "tables.predictions")
    half = table.head(20)  # max_row_share 0.5 of 40
    with pytest.raises(DisclosureViolation, match="row_level"):
        checker.check_frame(half, "tables.predictions")
    checker.check_frame(table.head(19), "tables.predictions")


def test_frame_with_cpr_cell_is_refused_without_echo(
    checker: DisclosureChecker, fake_cpr: Callable[[bool], str]
) -> None:
    number = fake_cpr(False)
    table = pd.DataFrame({"label": ["K", number], "n": [40, 50]})
    with pytest.raises(DisclosureViolation, match="'cpr'") as error:
        checker.check_frame(table, "tables.by_label")
    assert number not in str(error.value)


def test_magnitude_cells_breaking_acro_rules_are_suppressed(checker: DisclosureChecker) -> None:
    table = pd.DataFrame(
        {"n": [12, 12], "total_cost": [1011.0, 240.0]}, index=pd.Index(["a", "b"], name="unit")
    )
    contributions = {"a": [1000.0] + [1.0] * 11, "b": [20.0] * 12}
    checked = checker.check_frame(
        table, "tables.cost", magnitude_columns=["total_cost"], contributions=contributions
    )
    assert checked["total_cost"].tolist() == [None, 240.0]
    assert checked["n"].tolist() == [12, 12]
    assert checker.manifest()["suppressed"] == [
        {"where": "tables.cost[a]", "rule": "p_ratio"},
        {"where": "tables.cost[a]", "rule": "nk"},
    ]


def test_magnitude_columns_need_contributions(checker: DisclosureChecker) -> None:
    with pytest.raises(ValueError, match="contributions"):
        checker.check_frame(_region_table(), "t", magnitude_columns=["mean_age"])
    with pytest.raises(ValueError, match="no values for row 84"):
        checker.check_frame(
            _region_table(),
            "t",
            magnitude_columns=["mean_age"],
            contributions={"81": [1.0] * 12, "82": [1.0] * 12},
        )


def test_check_magnitude_flags_unsafe_cells(checker: DisclosureChecker) -> None:
    verdicts = checker.check_magnitude(
        {"safe": [20.0] * 12, "dominated": [60.0, 35.0, 5.0] + [0.0] * 9}, where="costs"
    )
    # 60 + 35 of 100 is 0.95 > 0.9 (nk); (100 - 60 - 35) / 60 = 0.083 < 0.10 (p-ratio).
    assert verdicts == {"safe": (), "dominated": ("p_ratio", "nk")}
    assert checker.manifest()["flagged"] == [
        {"where": "costs[dominated]", "rule": "p_ratio"},
        {"where": "costs[dominated]", "rule": "nk"},
    ]


def test_cohort_size_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="cohort_size"):
        DisclosureChecker(DisclosurePolicy(), cohort_size=-1)

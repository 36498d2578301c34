"""The checker's rules for counts that are missing, whole floats or zero, and for names that
look like count fields (issue 16: a lake table called ``persons`` or ``events``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from testbench.disclosure import DisclosureChecker, DisclosurePolicy, DisclosureViolation


@pytest.fixture
def checker() -> DisclosureChecker:
    return DisclosureChecker(DisclosurePolicy(), cohort_size=1000)


@pytest.mark.parametrize("missing", [None, math.nan, np.float64("nan"), pd.NA, pd.NaT])
def test_a_missing_count_is_published_as_null(checker: DisclosureChecker, missing: object) -> None:
    assert checker.count(missing, "cohort.events") is None
    checked = checker.check_evidence({"cohort": {"n": 40, "events": missing}})
    assert checked["cohort"]["events"] is None
    assert checked["disclosure"]["suppressed"] == []


@pytest.mark.parametrize("whole", [130.0, np.float64(130.0), np.int64(130), np.float32(130)])
def test_a_whole_float_is_that_count(checker: DisclosureChecker, whole: object) -> None:
    value = checker.count(whole, "cohort.n")
    assert value == 130 and isinstance(value, int)


def test_a_small_whole_float_is_hidden(checker: DisclosureChecker) -> None:
    assert checker.count(3.0, "cohort.events") == "<5"


@pytest.mark.parametrize("bad", [2.5, -1.0, math.inf, np.bool_(True), "3"])
def test_fractional_infinite_boolean_and_text_counts_are_refused(
    checker: DisclosureChecker, bad: object
) -> None:
    with pytest.raises(DisclosureViolation, match="count_type"):
        checker.count(bad, "cohort.n")


def test_an_empty_table_is_published_as_zero_and_is_not_row_level() -> None:
    checker = DisclosureChecker(DisclosurePolicy(), cohort_size=0)
    empty = pd.DataFrame({"n": pd.Series([], dtype="float64")})
    assert checker.check_frame(empty, "tables.empty").empty
    assert checker.count(0, "cohort.n") == 0
    assert checker.check_evidence({"cohort": {"n": 0.0}})["cohort"]["n"] == 0


def test_a_count_column_with_a_missing_cell_keeps_the_others(checker: DisclosureChecker) -> None:
    frame = pd.DataFrame({"n": [120.0, np.nan, 3.0]}, index=pd.Index(["a", "b", "c"], name="g"))
    out = checker.check_frame(frame, "tables.g")
    assert out["n"].tolist() == [120, None, "<5"]


@pytest.mark.parametrize("table", ["persons", "events", "n", "rows", "count", "pnr", "person_id"])
def test_a_table_named_like_a_count_or_identifier_is_a_name(
    checker: DisclosureChecker, table: str
) -> None:
    evidence = {
        "fidelity": {
            "tables": {table: 0.95},
            "drift": {table: {"columns": 6, "drifted": 0, "share": 0.0}},
            "detection": {"skipped": {table: "fewer than 50 rows"}},
        },
        "privacy": {"tables": {table: {"exact_copies": 0.0, "rare_leakage": 0.0}}},
    }
    checked = checker.check_evidence(evidence)
    assert checked["fidelity"]["tables"] == {table: 0.95}
    assert checked["fidelity"]["detection"]["skipped"] == {table: "fewer than 50 rows"}


def test_counts_inside_a_named_table_are_still_checked(checker: DisclosureChecker) -> None:
    checked = checker.check_evidence({"tables": {"persons": {"rows": 3}}})
    assert checked["tables"]["persons"]["rows"] == "<5"
    with pytest.raises(DisclosureViolation, match="count_type"):
        checker.check_evidence({"tables": {"persons": {"rows": 2.5}}})


def test_a_pseudonym_as_a_table_name_is_refused(checker: DisclosureChecker) -> None:
    with pytest.raises(DisclosureViolation):
        checker.check_evidence({"fidelity": {"tables": {"0123456789abcdef": 0.9}}})

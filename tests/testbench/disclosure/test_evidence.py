"""check_evidence on documents shaped as in docs/evidence.md."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from testbench.disclosure import DisclosureChecker, DisclosurePolicy, DisclosureViolation
from testbench.errors import TestbenchError

Evidence = dict[str, Any]


def _without_disclosure(document: Evidence) -> Evidence:
    return {k: v for k, v in document.items() if k != "disclosure"}


def _subgroup(checked: Evidence, regime: str, variable: str, level: str) -> dict[str, Any]:
    entries = checked["regimes"][regime]["subgroups"]
    return next(e for e in entries if e["variable"] == variable and e["level"] == level)


def test_full_example_passes_unchanged(checker: DisclosureChecker, evidence: Evidence) -> None:
    original = copy.deepcopy(evidence)
    checked = checker.check_evidence(evidence)
    assert evidence == original  # input not mutated
    assert _without_disclosure(checked) == original  # nothing small: same numbers
    assert checked["disclosure"]["suppressed"] == []
    assert checked["disclosure"]["policy"]["min_count"] == 5
    # Every leaf is inspected: 101-point curves alone are 4 x 101 per regime.
    assert checked["disclosure"]["checked"] > 8 * 101
    json.dumps(checked)  # still JSON


def test_small_counts_become_marker_and_are_listed(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["cohort"]["events"] = 3
    evidence["sources"][0]["rows"] = 4
    checked = checker.check_evidence(evidence)
    assert checked["cohort"]["events"] == "<5"
    assert checked["cohort"]["n"] == 1234
    assert checked["sources"][0]["rows"] == "<5"
    assert checked["disclosure"]["suppressed"] == [
        {"where": "cohort.events", "rule": "min_count"},
        {"where": "sources[0].rows", "rule": "min_count"},
    ]
    assert checker.manifest()["suppressed"] == checked["disclosure"]["suppressed"]


def test_small_subgroup_is_suppressed_with_secondary_suppression(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    region_81 = evidence["regimes"]["TRTR"]["subgroups"][2]
    region_81.update(n=3, events=1)  # producer forgot to suppress it
    checked = checker.check_evidence(evidence)

    small = _subgroup(checked, "TRTR", "region", "81")
    assert small == {
        "variable": "region",
        "level": "81",
        "n": "<5",
        "events": "<5",
        "suppressed": True,
        "metrics": {},
    }
    # Region 84 is the only other level: with the total published, 81 would follow by
    # subtraction, so 84 is withheld too (its counts are not small: None, not "<5").
    other = _subgroup(checked, "TRTR", "region", "84")
    assert other["suppressed"] is True
    assert (other["n"], other["events"], other["metrics"]) == (None, None, {})
    assert _subgroup(checked, "TRTR", "sex", "K")["n"] == 130  # other variable untouched
    assert checked["disclosure"]["suppressed"] == [
        {"where": "regimes.TRTR.subgroups[region=81]", "rule": "min_count"},
        {"where": "regimes.TRTR.subgroups[region=84]", "rule": "secondary"},
    ]


def test_subgroup_with_few_events_hides_events_not_size(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["regimes"]["TRTR"]["subgroups"][1].update(n=117, events=113)  # 4 non-events
    checked = checker.check_evidence(evidence)
    entry = _subgroup(checked, "TRTR", "sex", "M")
    # n and events together would give 4 non-events; both go, neither claims to be "<5".
    assert (entry["suppressed"], entry["n"], entry["events"]) == (True, None, None)


def test_producer_suppressed_subgroup_is_kept_and_listed(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    subgroups = evidence["regimes"]["TRTR"]["subgroups"]
    subgroups.append(
        {"variable": "region", "level": "85", "n": "<5", "events": "<5", "suppressed": True,
         "metrics": {}}
    )  # fmt: skip
    checked = checker.check_evidence(evidence)
    wheres = [e["where"] for e in checked["disclosure"]["suppressed"]]
    assert "regimes.TRTR.subgroups[region=85]" in wheres
    # The smallest published region (81, n=47) is withheld as well.
    assert _subgroup(checked, "TRTR", "region", "81")["suppressed"] is True
    assert _subgroup(checked, "TRTR", "region", "84")["n"] == 200


def test_checking_twice_gives_the_same_document(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["regimes"]["TRTR"]["subgroups"][2].update(n=3, events=1)
    evidence["cohort"]["events"] = 2
    once = checker.check_evidence(evidence)
    twice = checker.check_evidence(once)
    assert twice == once


def test_min_count_from_policy_changes_marker(evidence: Evidence) -> None:
    checker = DisclosureChecker(DisclosurePolicy(min_count=10), cohort_size=1234)
    for regime in evidence["regimes"].values():
        del regime["calibration"]  # its first bin has 7 events: refused under this policy
    evidence["cohort"]["events"] = 7
    evidence["cohort"]["n_test"] = "<5"  # finer than this policy allows: coarsened
    checked = checker.check_evidence(evidence)
    assert checked["cohort"]["events"] == "<10"
    assert checked["cohort"]["n_test"] == "<10"


def test_calibration_bin_with_three_events_is_refused(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["regimes"]["TSTR"]["calibration"]["bins"][0]["events"] = 3
    with pytest.raises(DisclosureViolation) as error:
        checker.check_evidence(evidence)
    message = str(error.value)
    assert "regimes.TSTR.calibration.bins[0]" in message
    assert "calibration_min_count" in message
    assert "calibration_curve" in message  # tells the producer what to do
    assert checker.manifest()["checked"] == 0  # a refused document records nothing


def test_calibration_bin_with_few_non_events_is_refused(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["regimes"]["TRTR"]["calibration"]["bins"][2].update(n=66, events=63)
    with pytest.raises(DisclosureViolation, match=r"bins\[2\]"):
        checker.check_evidence(evidence)


@pytest.mark.parametrize("dash", [True, False])
def test_cpr_number_is_refused_and_not_echoed(
    checker: DisclosureChecker, evidence: Evidence, fake_cpr: Callable[[bool], str], dash: bool
) -> None:
    number = fake_cpr(dash)
    evidence["regimes"]["TRTR"]["subgroups"][0]["level"] = number
    with pytest.raises(DisclosureViolation) as error:
        checker.check_evidence(evidence)
    assert "'cpr'" in str(error.value)
    assert number not in str(error.value)
    assert "regimes.TRTR.subgroups[0]" in str(error.value)  # the label is not used as path


def test_cpr_number_inside_model_card_text_is_refused(
    checker: DisclosureChecker, evidence: Evidence, fake_cpr: Callable[[bool], str]
) -> None:
    number = fake_cpr(True)
    evidence["model_card"] += f"\n\nChecked against pt. {number}."
    with pytest.raises(DisclosureViolation, match="model_card") as error:
        checker.check_evidence(evidence)
    assert number not in str(error.value)


def test_pseudonym_is_refused_and_not_echoed(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    pseudonym = "0f" * 8  # 16 hex, the shape ingestion gives a pseudonym
    evidence["fidelity"]["worst_row"] = pseudonym
    with pytest.raises(DisclosureViolation, match="pseudonym") as error:
        checker.check_evidence(evidence)
    assert pseudonym not in str(error.value)
    assert "fidelity.worst_row" in str(error.value)


def test_hashes_run_ids_and_twin_ids_are_not_mistaken_for_personal_numbers(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["twin_id"] = "20261122T101500-1234ab"  # dash and four digits, yet a twin id
    evidence["notes"] = "lake 0123456789abcdef0123456789abcdef, twin 20261122T101500-3f9a1c"
    checked = checker.check_evidence(evidence)
    assert checked["twin_id"] == evidence["twin_id"]


def test_identifier_field_with_values_is_refused(
    checker: DisclosureChecker, evidence: Evidence
) -> None:
    evidence["regimes"]["TRTR"]["worst_cases"] = {"pnr": ["a", "b"], "p": [0.9, 0.8]}
    with pytest.raises(DisclosureViolation, match="identifier") as error:
        checker.check_evidence(evidence)
    assert "regimes.TRTR.worst_cases.pnr" in str(error.value)
    evidence["regimes"]["TRTR"]["worst_cases"] = {"pnr": None}  # carries nothing: fine
    checker.check_evidence(evidence)


def test_spec_id_column_counts_as_identifier(evidence: Evidence) -> None:
    checker = DisclosureChecker(DisclosurePolicy(), cohort_size=1234, id_columns=("borger_nr",))
    evidence["extra"] = {"borger_nr": [1, 2, 3]}
    with pytest.raises(DisclosureViolation, match=r"extra\.borger_nr"):
        checker.check_evidence(evidence)


def test_per_person_list_is_refused_as_row_level(evidence: Evidence) -> None:
    checker = DisclosureChecker(DisclosurePolicy(), cohort_size=400)  # limit max(200, 200)
    evidence["regimes"]["TRTR"]["predictions"] = [0.5] * 201
    with pytest.raises(DisclosureViolation, match="row_level") as error:
        checker.check_evidence(evidence)
    assert "regimes.TRTR.predictions" in str(error.value)
    evidence["regimes"]["TRTR"]["predictions"] = [0.5] * 200  # a 200-point grid is fine
    checker.check_evidence(evidence)


def test_row_level_limit_grows_with_the_cohort(evidence: Evidence) -> None:
    evidence["regimes"]["TRTR"]["grid"] = [0.1] * 600
    DisclosureChecker(DisclosurePolicy(), cohort_size=2000).check_evidence(evidence)
    with pytest.raises(DisclosureViolation):
        DisclosureChecker(DisclosurePolicy(), cohort_size=1000).check_evidence(evidence)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "five", "<"])
def test_malformed_count_is_refused(
    checker: DisclosureChecker, evidence: Evidence, bad: object
) -> None:
    evidence["cohort"]["n_test"] = bad
    with pytest.raises(DisclosureViolation, match=r"count_type.*cohort\.n_test"):
        checker.check_evidence(evidence)


def test_non_json_value_is_a_type_error(checker: DisclosureChecker, evidence: Evidence) -> None:
    evidence["fidelity"]["tables"] = {"bef", "lpr"}
    with pytest.raises(TypeError, match=r"fidelity\.tables"):
        checker.check_evidence(evidence)


def test_violation_is_a_testbench_error() -> None:
    assert issubclass(DisclosureViolation, TestbenchError)

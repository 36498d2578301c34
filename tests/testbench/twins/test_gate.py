"""The privacy gate: every check can fail it, a missing value fails it, policies load from YAML."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from testbench.twins.errors import GateFailed
from testbench.twins.gate import (
    DEFAULT_RULES,
    CheckRule,
    Compare,
    Direction,
    GatePolicy,
    GatePolicyInvalid,
    PrivacyGate,
    gate_values,
)
from testkit.gate_inputs import PASSING

# One value per check that breaks the default policy.
BAD: dict[str, object] = {
    "quality": 0.79,
    "diagnostic": 0.98,
    "dcr_baseline_protection": 0.19,
    "dcr_overfitting_protection": 0.49,
    "dcr_holdout_ratio": 0.5,
    "exact_copies": 0.05,
    "rare_leakage": 0.002,
    "singling_out": {"value": 0.2, "low": 0.15, "high": 0.25},
    "linkability": {"value": 0.3, "low": 0.2, "high": 0.4},
    "inference": {"value": 0.64, "low": 0.6, "high": 0.68},
}


def test_good_twin_passes_every_check() -> None:
    decision = PrivacyGate().decide(PASSING)
    assert decision.passed
    assert [c.name for c in decision.checks] == list(DEFAULT_RULES)
    assert all(c.passed for c in decision.checks)
    assert decision.reasons == []
    decision.raise_if_failed()  # no error


@pytest.mark.parametrize("name", list(BAD))
def test_each_check_can_fail_the_gate(name: str) -> None:
    decision = PrivacyGate().decide({**PASSING, name: BAD[name]})
    assert not decision.passed
    assert [c.name for c in decision.checks if not c.passed] == [name]
    assert len(decision.reasons) == 1 and decision.reasons[0].startswith(f"{name}:")
    with pytest.raises(GateFailed, match=name):
        decision.raise_if_failed()


GATED = [name for name, rule in DEFAULT_RULES.items() if rule.threshold is not None]


@pytest.mark.parametrize("name", GATED)
def test_missing_value_fails_its_check(name: str) -> None:
    values = {k: v for k, v in PASSING.items() if k != name}
    decision = PrivacyGate().decide(values)
    assert not decision.passed
    failed = next(c for c in decision.checks if c.name == name)
    assert not failed.passed and failed.value is None
    assert decision.reasons == [
        f"{name}: no value (the evaluation must compute it; "
        f"{DEFAULT_RULES[name].direction.value} {DEFAULT_RULES[name].threshold:g})"
    ]


@pytest.mark.parametrize("bad", [math.nan, {"value": math.nan, "low": 0.0, "high": 0.01}, "0.9"])
def test_nan_or_non_number_fails(bad: object) -> None:
    for name in ("quality", "inference"):
        decision = PrivacyGate().decide({**PASSING, name: bad})
        assert not decision.passed
        assert "not a number" in decision.reasons[0]


def test_empty_attack_result_fails() -> None:
    decision = PrivacyGate().decide({**PASSING, "linkability": {}})
    assert not decision.passed and "linkability: no value" in decision.reasons[0]


def test_an_attack_that_cannot_be_made_on_the_lake_does_not_fail_it() -> None:
    # A person view of one column: nothing to link, nothing to infer it from. The evaluation
    # says so; only a value of None with that reason passes (a bare None still fails).
    reason = "the person view has one column"
    none = {"value": None, "low": None, "high": None, "not_applicable": reason}
    decision = PrivacyGate().decide({**PASSING, "linkability": none, "inference": none})
    assert decision.passed
    check = next(c for c in decision.checks if c.name == "linkability")
    assert check.passed and check.value is None
    sneaky = {"value": 0.5, "low": 0.4, "high": 0.6, "not_applicable": reason}
    assert not PrivacyGate().decide({**PASSING, "linkability": sneaky}).passed


def test_limits_are_inclusive() -> None:
    at_limit = {**PASSING, "quality": 0.8, "exact_copies": 0.01}
    at_limit["singling_out"] = {"value": 0.05, "low": 0.0, "high": 0.10}
    assert PrivacyGate().decide(at_limit).passed


def test_attack_risk_is_judged_by_its_upper_bound() -> None:
    # The point estimate is under 0.10, but the interval does not rule out 0.14.
    wide = {"value": 0.06, "low": 0.0, "high": 0.14}
    decision = PrivacyGate().decide({**PASSING, "singling_out": wide})
    assert not decision.passed
    assert decision.reasons == ["singling_out: upper bound 0.14 is not <= 0.1"]
    check = next(c for c in decision.checks if c.name == "singling_out")
    assert (check.value, check.low, check.high) == (0.06, 0.0, 0.14)


def test_attack_risk_without_interval_fails_closed() -> None:
    decision = PrivacyGate().decide({**PASSING, "inference": 0.0})
    assert not decision.passed
    assert "no confidence interval" in decision.reasons[0]


def test_decision_in_evidence_shape_is_strict_json() -> None:
    decision = PrivacyGate().decide({**PASSING, "quality": math.nan})
    out = decision.to_dict()
    assert set(out) == {"passed", "checks"} and out["passed"] is False
    first = out["checks"][0]
    assert first == {
        "name": "quality",
        "value": None,
        "threshold": 0.8,
        "direction": "min",
        "passed": False,
        "low": None,
        "high": None,
    }
    json.dumps(out, allow_nan=False)  # no NaN reaches the evidence


def test_gate_values_from_twin_evaluation_evidence() -> None:
    evidence = {
        "fidelity": {"quality": 0.9, "diagnostic": 1.0},
        "privacy": {
            "dcr_baseline_protection": 0.98,
            "dcr_overfitting_protection": 0.97,
            "dcr_holdout_ratio": 1.0,
            "exact_copies": 0.0,
            "rare_leakage": 0.0,
            "anonymeter": {"singling_out": PASSING["singling_out"], "linkability": {}},
            "membership": {
                name: PASSING[f"membership_{name}"]
                for name in ("auc", "tpr_at_fpr_01", "tpr_at_fpr_10")
            },
            "near_copies": {"share": 0.0},
        },
    }
    values = gate_values(evidence)
    assert values["quality"] == 0.9 and values["singling_out"] == PASSING["singling_out"]
    assert "inference" not in values
    decision = PrivacyGate().decide(values)
    assert [c.name for c in decision.checks if not c.passed] == ["linkability", "inference"]


def test_shipped_policy_file_is_the_code_defaults() -> None:
    shipped = Path(__file__).parents[3] / "testbench" / "twins" / "gate_policy.yaml"
    assert dict(GatePolicy.from_yaml(shipped).rules) == DEFAULT_RULES


def test_yaml_overrides_some_checks(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("quality: 0.95\nsingling_out: {threshold: 0.2, compare: value}\n")
    policy = GatePolicy.from_yaml(path)
    assert policy.rules["quality"] == CheckRule(0.95, Direction.MIN)
    assert policy.rules["singling_out"] == CheckRule(0.2, Direction.MAX, Compare.VALUE)
    assert policy.rules["inference"] == DEFAULT_RULES["inference"]
    gate = PrivacyGate(policy)
    assert not gate.decide(PASSING).passed  # quality 0.9 < 0.95
    wide = {"value": 0.15, "low": 0.1, "high": 0.3}
    decision = gate.decide({**PASSING, "quality": 0.96, "singling_out": wide})
    assert decision.passed  # point estimate 0.15 <= 0.2 now


def test_empty_yaml_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing changed\n")
    assert dict(GatePolicy.from_yaml(path).rules) == DEFAULT_RULES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qualty: 0.9\n", "unknown check 'qualty'; known checks: quality, diagnostic"),
        ("quality: {threshold: 0.9, limit: 1}\n", "unknown key(s) ['limit']"),
        ("quality: high\n", "threshold of 'quality' must be a number, not 'high'"),
        ("quality: true\n", "must be a number"),
        ("exact_copies: 5\n", "must be between 0 and 1, not 5"),
        ("exact_copies: .nan\n", "must be between 0 and 1"),
        ("quality: {threshold: 0.9, direction: max}\n", "direction of 'quality' is fixed"),
        ("inference: {compare: mean}\n", "must be 'value' or 'bound', not 'mean'"),
        ("- quality\n", "must map check names to thresholds"),
        ("quality: [0.9\n", "cannot read gate policy"),
    ],
)
def test_yaml_errors_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(GatePolicyInvalid) as info:
        GatePolicy.from_yaml(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(GatePolicyInvalid, match="cannot read gate policy"):
        GatePolicy.from_yaml(tmp_path / "absent.yaml")


def test_policy_in_code_must_cover_every_check() -> None:
    partial = {k: v for k, v in DEFAULT_RULES.items() if k != "inference"}
    with pytest.raises(GatePolicyInvalid, match="missing: \\['inference'\\]"):
        GatePolicy(partial)
    flipped = {**DEFAULT_RULES, "quality": CheckRule(0.8, Direction.MAX)}
    with pytest.raises(GatePolicyInvalid, match="fixed"):
        GatePolicy(flipped)


def test_a_report_only_check_is_shown_but_never_fails(tmp_path: Path) -> None:
    assert DEFAULT_RULES["detection_auc"].threshold is None  # report only by default
    decision = PrivacyGate().decide(
        {**PASSING, "detection_auc": {"value": 0.99, "low": 0.98, "high": 1.0}}
    )
    assert decision.passed
    shown = next(c for c in decision.checks if c.name == "detection_auc")
    assert shown.passed and shown.value == 0.99 and shown.threshold is None
    assert PrivacyGate().decide(PASSING).passed  # missing: still never fails
    path = tmp_path / "policy.yaml"
    path.write_text("detection_auc: 0.75\nutility_above_chance: {threshold: 0.9}\n")
    operator = PrivacyGate(GatePolicy.from_yaml(path))
    decision = operator.decide({**PASSING, "detection_auc": 0.99, "utility_above_chance": 0.95})
    assert not decision.passed
    assert decision.reasons == ["detection_auc: value 0.99 is not <= 0.75"]
    path.write_text("detection_auc: {threshold: null}\n")
    assert GatePolicy.from_yaml(path).rules["detection_auc"].threshold is None

"""The policy's defaults and ACRO's rules on hand-computed magnitude cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from testbench.config import Settings
from testbench.disclosure import (
    DisclosurePolicy,
    magnitude_rules,
    nk_unsafe,
    p_ratio_unsafe,
    threshold_unsafe,
)


def test_policy_defaults_follow_dhda_and_acro() -> None:
    policy = DisclosurePolicy()
    assert (policy.min_count, policy.acro_threshold) == (5, 10)
    assert (policy.p_ratio, policy.nk_n, policy.nk_k, policy.max_row_share) == (0.1, 2, 0.9, 0.5)
    assert policy.marker == "<5"


def test_policy_from_settings_takes_min_cell_count(tmp_path: Path) -> None:
    policy = DisclosurePolicy.from_settings(Settings(home=tmp_path, min_cell_count=7))
    assert policy.min_count == 7
    assert policy.marker == "<7"
    assert policy.to_dict()["min_count"] == 7


@pytest.mark.parametrize(
    "field", [{"min_count": 0}, {"p_ratio": 1.5}, {"nk_k": 0.0}, {"max_row_share": 0.0}]
)
def test_policy_refuses_out_of_range_thresholds(field: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(field))):
        DisclosurePolicy(**field)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "unsafe"),
    [
        ([100, 5, 3, 1], True),  # (109 - 100 - 5) / 100 = 0.04 < 0.10
        ([50, 30, 10, 10], False),  # (100 - 50 - 30) / 50 = 0.40
        ([100, 50, 10], False),  # (160 - 100 - 50) / 100 = 0.10, not below 0.10
        ([100, 50, 9], True),  # 9 / 100 = 0.09
        ([42], True),  # one contributor: its value is the cell
        ([0, 0, 0], True),  # zero total (ACRO: zeros are disclosive)
        ([1, 3, 100, 5], True),  # order does not matter
    ],
)
def test_p_ratio_rule(values: list[float], unsafe: bool) -> None:
    assert p_ratio_unsafe(values, 0.10) is unsafe


@pytest.mark.parametrize(
    ("values", "unsafe"),
    [
        ([60, 35, 5], True),  # top 2 hold 95 / 100 = 0.95 > 0.9
        ([40, 30, 30], False),  # 70 / 100
        ([50, 40, 10], False),  # exactly 0.9 is not more than 0.9
        ([0, 0], False),  # zero total: ACRO calls nk safe
        ([91, 9], True),  # two contributors hold everything
    ],
)
def test_nk_rule(values: list[float], unsafe: bool) -> None:
    assert nk_unsafe(values, 2, 0.9) is unsafe


def test_threshold_counts_contributors_not_missing_values() -> None:
    assert threshold_unsafe([1.0] * 9, 10)
    assert not threshold_unsafe([1.0] * 10, 10)
    assert threshold_unsafe([1.0] * 9 + [np.nan], 10)


def test_magnitude_rules_name_every_rule_broken() -> None:
    policy = DisclosurePolicy()
    assert magnitude_rules([20.0] * 12, policy) == ()
    # 12 contributors, one dominant: (1011 - 1000 - 1) / 1000 = 0.01; 1001 / 1011 = 0.99.
    assert magnitude_rules([1000.0] + [1.0] * 11, policy) == ("p_ratio", "nk")
    assert magnitude_rules([5.0, 5.0, 5.0], policy) == ("threshold",)
    assert magnitude_rules([10.0] * 11 + [-3.0], policy) == ("negative",)

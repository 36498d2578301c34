"""Gate power: the project's own twin passes, the same twin with 1% planted near-copies fails."""

from __future__ import annotations

import warnings

import pytest

from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from generators.twin import TwinBuilder
from generators.twin.holdout import split_holdout
from testkit.gate_power import NEW_CHECKS, OLD_CHECKS, plant_near_copies, privacy_gate

pytestmark = [pytest.mark.heavy, pytest.mark.slow]  # a 1,500-person lake and twin: minutes


@pytest.fixture(scope="module")
def lake_and_twin():  # type: ignore[no-untyped-def]
    real = simulate_registers(persons=1500, seed=7)
    # Every table: a person view of one table and its contacts has too few columns for a
    # jittered copy to stand out from a real person's natural neighbours.
    relations, keys = list(REGISTER_RELATIONS), dict(REGISTER_PRIMARY_KEYS)
    training, holdout = split_holdout(real, relations, "bef", 0.2, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDV's and RDT's own warnings while fitting
        builder = TwinBuilder(seed=7, unit_table="bef").fit(training, relations, keys)
        twin = builder.sample(scale=1.0, seed=7)
    return training, holdout, twin, relations, keys


def _gate(lake_and_twin, share: float) -> tuple[dict[str, bool], dict]:  # type: ignore[no-untyped-def,type-arg]
    training, holdout, twin, relations, keys = lake_and_twin
    planted = plant_near_copies(training, twin, relations, keys, "bef", "pnr", share, seed=1)
    return privacy_gate(training, holdout, planted, relations, keys, "bef", "pnr", seed=1)


def test_the_projects_own_twin_passes_the_membership_and_near_copy_checks(lake_and_twin) -> None:
    # At 1,500 persons Anonymeter's inference interval (300 control persons) is too wide for
    # its own check; the new checks must pass the clean twin at this size too.
    passed, privacy = _gate(lake_and_twin, 0.0)
    assert all(passed[name] for name in NEW_CHECKS), passed
    assert privacy["membership"]["auc"]["high"] < 0.6  # the attacker does little better than chance


def test_one_percent_planted_near_copies_fail_the_gate(lake_and_twin) -> None:
    passed, privacy = _gate(lake_and_twin, 0.01)
    assert not passed["near_copies"]
    assert privacy["near_copies"]["share"] >= 0.01  # every planted copy is seen
    assert set(passed) == set(OLD_CHECKS + NEW_CHECKS)


def test_planted_copies_keep_the_twins_size_and_get_fresh_keys(lake_and_twin) -> None:
    training, _holdout, twin, relations, keys = lake_and_twin
    planted = plant_near_copies(training, twin, relations, keys, "bef", "pnr", 0.05, seed=2)
    assert len(planted["bef"]) == len(twin["bef"])
    assert planted["bef"]["pnr"].is_unique
    assert not set(planted["bef"]["pnr"]) & set(training["bef"]["pnr"])
    persons = set(planted["bef"]["pnr"])
    assert planted["lpr_a_kontakt"]["pnr"].isin(persons).all()  # no orphan child rows

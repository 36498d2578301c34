"""Black-box membership attacks on a twin, and the near-copy share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validation.privacy.errors import AttackInputError
from validation.privacy.twin_membership import membership_attack, near_copies


def _persons(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 15, n)
    labs = {f"lab_{k}": rng.normal(age / 10 + k, 1 + k / 4, n) for k in range(6)}
    return pd.DataFrame(
        {
            "age": age,
            "contacts": rng.poisson(np.clip(age / 20, 0.1, None)).astype(float),
            "weight": np.where(rng.random(n) < 0.2, np.nan, rng.normal(75, 12, n)),
            **labs,  # a person view carries many summaries of child rows
            "sex": rng.choice(["F", "M"], n),
            "region": rng.choice(["81", "82", "83", "84", "85"], n),
        }
    )


@pytest.fixture(scope="module")
def population() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _persons(1600, 1), _persons(400, 2)  # training persons, held-out persons


@pytest.mark.parametrize("method", ["density_ratio", "distance"])
def test_a_twin_drawn_fresh_from_the_population_gives_the_attacker_nothing(
    population, method: str
) -> None:
    training, holdout = population
    result = membership_attack(training, _persons(1600, 3), holdout, method, seed=0)
    assert result.auc.low < 0.5 < result.auc.high
    assert result.auc.high < 0.6
    assert result.tpr_at_fpr_01.value < 0.05
    assert result.n_members == result.n_non_members == 400


def test_a_twin_that_copies_its_training_persons_is_caught_by_the_distance_attack(
    population,
) -> None:
    training, holdout = population
    result = membership_attack(
        training, training.sample(frac=1.0, random_state=0), holdout, "distance"
    )
    assert result.auc.low > 0.95
    assert result.tpr_at_fpr_10.low > 0.9


def test_near_copies_count_planted_copies_and_few_honest_persons(population) -> None:
    training, holdout = population
    honest = _persons(1600, 4)
    assert near_copies(training, honest, holdout).share < 0.005
    rng = np.random.default_rng(5)
    copies = training.sample(32, random_state=5).copy()
    for column in copies.columns.drop(["sex", "region"]):
        copies[column] += rng.normal(0, 0.02 * training[column].std(), len(copies))
    planted = pd.concat([honest.iloc[32:], copies], ignore_index=True)  # 2% near-copies
    result = near_copies(training, planted, holdout)
    assert result.share >= 0.02
    assert result.holdout_share <= 0.01  # by design: half the holdout's 1st percentile


def test_a_holdout_too_small_to_attack_is_refused_with_what_to_do(population) -> None:
    training, holdout = population
    with pytest.raises(AttackInputError, match="larger lake"):
        membership_attack(training, training, holdout.head(5))
    with pytest.raises(AttackInputError, match="choose one of"):
        membership_attack(training, training, holdout, method="shadow")

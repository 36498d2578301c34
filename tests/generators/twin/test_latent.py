"""Latent copula correlations, empirical marginals and code-dependent columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from generators.twin.constraints import learn_rules
from generators.twin.latent import EmpiricalMarginal, latent_correlation, truncated_normal
from generators.twin.synthesizers import SDVTableSynthesizer


def test_truncated_normal_stays_inside_and_has_the_right_mean() -> None:
    rng = np.random.default_rng(0)
    n = 40_000
    for lo, hi in [(-np.inf, 0.0), (0.5, 1.5), (2.0, np.inf), (-1.0, 1.0)]:
        draws = truncated_normal(np.zeros(n), 1.0, np.full(n, lo), np.full(n, hi), rng)
        assert np.all((draws >= lo) & (draws <= hi))
        assert draws.mean() == pytest.approx(stats.truncnorm(lo, hi).mean(), abs=0.02)


def test_truncated_normal_far_in_the_tail_is_finite_and_inside() -> None:
    rng = np.random.default_rng(0)
    draws = truncated_normal(np.zeros(3), 1.0, np.array([9.0, 40.0, -np.inf]),
                             np.array([np.inf, 41.0, -45.0]), rng)  # fmt: skip
    assert np.all(np.isfinite(draws))
    assert draws[0] >= 9.0 and 40.0 <= draws[1] <= 41.0 and draws[2] <= -45.0


def _binarised(rho: float, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """A normal pair, the second cut into a 80/20 flag spread uniformly inside its interval."""
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], n)
    cut = stats.norm.ppf(0.8)
    flag = x[:, 1] > cut
    lower = np.column_stack([np.zeros(n), np.where(flag, cut, -np.inf)])
    upper = np.column_stack([np.zeros(n), np.where(flag, np.inf, cut)])
    u = np.where(flag, 0.8 + 0.2 * rng.random(n), 0.8 * rng.random(n))
    z = np.column_stack([x[:, 0], stats.norm.ppf(u)])  # what a copula fitted on noise sees
    return z, lower, upper


def test_latent_correlation_undoes_the_shrinkage_of_a_flag() -> None:
    z, lower, upper = _binarised(0.6, 20_000, seed=1)
    noisy = np.corrcoef(z, rowvar=False)[0, 1]
    latent = latent_correlation(z, lower, upper, np.array([False, True]), np.random.default_rng(2))
    assert noisy < 0.45  # the copula's own estimate: shrunk by Var(E[z | flag])
    assert latent[0, 1] == pytest.approx(0.6, abs=0.05)
    assert np.allclose(np.diag(latent), 1.0) and np.allclose(latent, latent.T)


def test_latent_correlation_without_interval_columns_is_the_plain_one() -> None:
    z, lower, upper = _binarised(0.3, 2_000, seed=3)
    plain = latent_correlation(z, lower, upper, np.array([False, False]), np.random.default_rng(0))
    assert np.allclose(plain, np.corrcoef(z, rowvar=False))


def test_empirical_marginal_follows_the_data_and_keeps_point_masses() -> None:
    rng = np.random.default_rng(0)
    values = np.where(rng.random(10_000) < 0.3, 5.0, rng.lognormal(1.0, 0.5, 10_000))
    marginal = EmpiricalMarginal(values)
    assert set(marginal.masses) == {5.0}
    lo, hi = marginal.masses[5.0]
    assert hi - lo == pytest.approx(np.mean(values == 5.0), abs=1e-9)
    assert marginal.cdf(np.array([5.0]))[0] == pytest.approx((lo + hi) / 2)
    drawn = marginal.percent_point(rng.random(10_000))
    assert np.mean(drawn == 5.0) == pytest.approx(0.3, abs=0.02)
    assert stats.ks_2samp(drawn[drawn != 5.0], values[values != 5.0]).statistic < 0.05
    assert drawn.min() >= values.min() and drawn.max() <= values.max()
    uniform = EmpiricalMarginal(values, uniform=True)
    assert np.allclose(uniform.cdf(np.array([0.0, 0.25, 1.0])), [0.0, 0.25, 1.0])


def _deaths(n: int = 8_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    age = rng.uniform(0, 100, n)
    died = (rng.random(n) < 1 / (1 + np.exp(-(age - 80) / 4))).astype(int)
    sex = rng.choice(["M", "F", "X"], n, p=[0.49, 0.49, 0.02])
    lab = np.where(rng.random(n) < 0.3, 5.0, rng.lognormal(1.0, 0.5, n))
    return pd.DataFrame({"age": age, "died": died, "sex": sex, "lab": lab})


def _died_over_90(frame: pd.DataFrame) -> float:
    return float(frame.loc[frame.age >= 90, "died"].mean())


def test_twin_of_a_death_flag_follows_age_only_with_latent_correlations() -> None:
    real = _deaths()
    latent = SDVTableSynthesizer(latent=True).fit(real, {"died", "sex"}).sample(len(real), seed=1)
    noisy = SDVTableSynthesizer(latent=False).fit(real, {"died", "sex"}).sample(len(real), seed=1)
    assert _died_over_90(real) > 0.9
    assert _died_over_90(latent) == pytest.approx(_died_over_90(real), abs=0.1)
    assert _died_over_90(noisy) < 0.6  # SDV's own fit: the very old mostly live on
    assert latent.died.mean() == pytest.approx(real.died.mean(), abs=0.03)
    assert (latent.sex == "X").mean() == pytest.approx(0.02, abs=0.01)
    assert (latent.lab == 5.0).mean() == pytest.approx(0.3, abs=0.03)  # the point mass kept
    assert (noisy.lab == 5.0).mean() < 0.01


def test_conditional_draws_use_the_latent_link() -> None:
    real = _deaths()
    model = SDVTableSynthesizer(latent=True).fit(real, {"died", "sex"})
    old = pd.DataFrame({"age": np.full(2_000, 95.0), "sex": "F"})
    young = pd.DataFrame({"age": np.full(2_000, 30.0), "sex": "F"})
    assert model.sample_conditional(old, seed=0).died.mean() > 0.8
    assert model.sample_conditional(young, seed=0).died.mean() < 0.05
    again = model.sample_conditional(old, seed=0)
    assert again.equals(model.sample_conditional(old, seed=0))


def test_a_column_mostly_decided_by_a_code_is_drawn_given_the_code() -> None:
    rng = np.random.default_rng(0)
    codes = [f"D{i:02d}" for i in range(30)]
    code = rng.choice(codes, 6_000)
    primary_share = {c: (1.0 if i % 3 == 0 else 0.05) for i, c in enumerate(codes)}
    kind = np.where(rng.random(6_000) < pd.Series(code).map(primary_share), "A", "B")
    frame = pd.DataFrame({"code": code, "kind": kind, "x": rng.normal(size=6_000)})
    rules = learn_rules(frame)
    assert rules.dependent["kind"][0] == "code"
    assert "kind" not in rules.encode(frame, None).columns
    sampled = pd.DataFrame({"code": ["D00"] * 500 + ["D01"] * 500, "x": 0.0})
    decoded = rules.decode(sampled, None, seed=4)
    assert (decoded.kind[:500] == "A").all()
    assert (decoded.kind[500:] == "A").mean() < 0.15
    assert decoded.kind.equals(rules.decode(sampled, None, seed=4).kind)

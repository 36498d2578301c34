"""Bootstrap: chunk invariance, stratification and interval sanity."""

import math

import numpy as np
import pytest

from validation.performance import (
    UndefinedMetricError,
    auroc,
    bootstrap_ci,
    bootstrap_cis,
    brier,
    combine_bootstrap,
    resample_indices,
    rmse,
)
from validation.performance import bootstrap as bootstrap_module


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    score = rng.normal(size=400)
    y = (rng.random(400) < 1 / (1 + np.exp(1.5 - score))).astype(int)
    p = 1 / (1 + np.exp(1.2 - 0.9 * score))
    return y, p


def test_chunks_combine_to_exactly_the_full_run(sample) -> None:
    y, p = sample
    full = bootstrap_ci(auroc, y, p, n_boot=300, seed=42)
    ranges = [range(0, 130), range(130, 131), range(131, 300)]
    chunks = [bootstrap_ci(auroc, y, p, n_boot=300, seed=42, replicates=r) for r in ranges]
    assert chunks[0].values == full.values[:130]
    assert chunks[2].values == full.values[131:]
    assert combine_bootstrap(reversed(chunks)) == full


def test_replicate_depends_only_on_seed_and_index(sample, monkeypatch) -> None:
    y, _ = sample
    whole = resample_indices(y, seed=3, replicates=range(10))
    assert np.array_equal(resample_indices(y, seed=3, replicates=range(5, 8)), whole[5:8])
    # Documented contract for other implementations: replicate r is child r of the seed.
    child = np.random.SeedSequence(3).spawn(10)[9]
    expected = np.random.default_rng(child).integers(0, y.size, size=y.size)
    unstratified = resample_indices(y, seed=3, replicates=range(9, 10), strata=False)
    assert np.array_equal(unstratified[0], expected)
    # The same values come back however the index matrix is split into memory blocks.
    monkeypatch.setattr(bootstrap_module, "_BLOCK_ELEMENTS", 3 * y.size)
    small_blocks = bootstrap_ci(brier, y, sample[1], n_boot=20, seed=3)
    monkeypatch.undo()
    assert small_blocks == bootstrap_ci(brier, y, sample[1], n_boot=20, seed=3)


def test_stratified_resamples_keep_the_event_count(sample) -> None:
    y, _ = sample
    indices = resample_indices(y, seed=0, replicates=range(50))
    assert (y[indices].sum(axis=1) == y.sum()).all()
    unstratified = resample_indices(y, seed=0, replicates=range(50), strata=False)
    assert len(set(y[unstratified].sum(axis=1))) > 1


def test_interval_contains_the_estimate_and_is_reproducible(sample) -> None:
    y, p = sample
    result = bootstrap_ci(auroc, y, p, n_boot=200, seed=1)
    assert result.lower < result.estimate < result.upper
    assert result.estimate == auroc(y, p)
    assert (result.n_boot, result.n_valid) == (200, 200)
    assert bootstrap_ci(auroc, y, p, n_boot=200, seed=1) == result
    assert bootstrap_ci(auroc, y, p, n_boot=200, seed=2).values != result.values


def test_narrower_confidence_level_gives_a_narrower_interval(sample) -> None:
    y, p = sample
    wide = bootstrap_ci(brier, y, p, n_boot=200, alpha=0.05)
    narrow = bootstrap_ci(brier, y, p, n_boot=200, alpha=0.5)
    assert wide.lower < narrow.lower < narrow.upper < wide.upper


def test_shared_resamples_match_single_metric_runs(sample) -> None:
    y, p = sample
    both = bootstrap_cis({"auroc": auroc, "brier": brier}, y, p, n_boot=50, seed=9)
    assert both["auroc"] == bootstrap_ci(auroc, y, p, n_boot=50, seed=9)
    assert both["brier"] == bootstrap_ci(brier, y, p, n_boot=50, seed=9)


def test_undefined_replicates_are_nan_and_left_out_of_the_interval() -> None:
    # One event in six: unstratified resamples often have no event, where AUROC is undefined.
    y = [0, 0, 0, 0, 0, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    result = bootstrap_ci(auroc, y, p, n_boot=100, seed=0, strata=False)
    assert 0 < result.n_valid < result.n_boot
    assert sum(math.isnan(v) for v in result.values) == result.n_boot - result.n_valid
    assert math.isfinite(result.lower) and math.isfinite(result.upper)


def test_metric_undefined_on_the_full_sample_raises() -> None:
    with pytest.raises(UndefinedMetricError):
        bootstrap_ci(auroc, [1, 1, 1], [0.2, 0.4, 0.6], n_boot=10)


def test_continuous_outcome_needs_unstratified_resampling() -> None:
    y = [1.5, 2.0, 3.2, 4.1]
    pred = [1.0, 2.5, 3.0, 4.0]
    with pytest.raises(ValueError, match="strata=False"):
        bootstrap_ci(rmse, y, pred, n_boot=10)
    assert bootstrap_ci(rmse, y, pred, n_boot=10, strata=False).n_valid == 10


@pytest.mark.parametrize("replicates", [range(0, 600), range(5, 5), range(0, 10, 2), [1, 2]])
def test_bad_replicate_ranges_are_rejected(sample, replicates) -> None:
    y, p = sample
    with pytest.raises(ValueError, match="replicates"):
        bootstrap_ci(brier, y, p, n_boot=500, replicates=replicates)


def test_chunks_with_gaps_or_from_other_runs_do_not_combine(sample) -> None:
    y, p = sample
    a = bootstrap_ci(brier, y, p, n_boot=30, seed=1, replicates=range(0, 10))
    c = bootstrap_ci(brier, y, p, n_boot=30, seed=1, replicates=range(20, 30))
    other = bootstrap_ci(brier, y, p, n_boot=30, seed=2, replicates=range(10, 20))
    with pytest.raises(ValueError, match="contiguous"):
        combine_bootstrap([a, c])
    with pytest.raises(ValueError, match="different runs"):
        combine_bootstrap([a, other])

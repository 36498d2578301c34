"""Calibration curve: bin statistics and the min_events merging rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validation.performance import TooFewEventsError, calibration_curve


def test_uniform_bins_hand_computed() -> None:
    y = [0, 1, 0, 1, 1, 1]
    p = [0.1, 0.2, 0.6, 0.7, 0.8, 1.0]
    curve = calibration_curve(y, p, n_bins=2, strategy="uniform", min_events=0)
    low, high = curve.bins
    assert (low.lower, low.upper, high.lower, high.upper) == (0.0, 0.5, 0.5, 1.0)
    assert (low.n, low.events, low.non_events) == (2, 1, 1)
    assert low.mean_predicted == pytest.approx(0.15)
    assert low.observed_rate == pytest.approx(0.5)
    # p == 1.0 falls in the last bin, not past it.
    assert (high.n, high.events, high.non_events) == (4, 3, 1)
    assert high.mean_predicted == pytest.approx(0.775)


def test_quantile_bins_have_equal_size_without_merging() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    curve = calibration_curve(y, p, n_bins=10, min_events=0)
    assert [b.n for b in curve.bins] == [100] * 10


def test_well_calibrated_model_tracks_the_diagonal() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(20_000)
    y = (rng.random(p.size) < p).astype(int)
    frame = calibration_curve(y, p).to_frame()
    assert np.allclose(frame["observed_rate"], frame["mean_predicted"], atol=0.03)
    assert list(frame.columns) == [
        "lower",
        "upper",
        "mean_predicted",
        "observed_rate",
        "n",
        "events",
        "non_events",
    ]


def test_rare_events_merge_bins_until_each_has_five_events() -> None:
    rng = np.random.default_rng(2)
    p = rng.uniform(0.0, 0.1, size=400)
    y = (rng.random(400) < p).astype(int)
    assert 5 <= y.sum() < 50  # ten bins of 40 cannot each hold 5 events
    curve = calibration_curve(y, p, n_bins=10, min_events=5)
    assert 1 <= len(curve.bins) < 10
    assert all(b.events >= 5 and b.non_events >= 5 for b in curve.bins)
    assert sum(b.n for b in curve.bins) == 400


def test_too_few_events_for_any_bin_is_refused() -> None:
    y = [1, 1, 1, 1] + [0] * 50
    p = np.linspace(0.01, 0.9, 54)
    with pytest.raises(TooFewEventsError, match="4 events"):
        calibration_curve(y, p, min_events=5)


def test_all_predictions_equal_give_one_bin() -> None:
    curve = calibration_curve([0, 1] * 10, [0.4] * 20, n_bins=5, min_events=5)
    assert len(curve.bins) == 1
    assert curve.bins[0].lower == curve.bins[0].upper == 0.4


@st.composite
def _binned_samples(draw):
    n = draw(st.integers(min_value=1, max_value=150))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    # A small pool of values forces ties and empty bins; a continuous draw does not.
    values = st.sampled_from([0.0, 0.05, 0.3, 0.31, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0)
    p = draw(st.lists(values, min_size=n, max_size=n))
    n_bins = draw(st.integers(min_value=1, max_value=20))
    min_events = draw(st.integers(min_value=0, max_value=10))
    strategy = draw(st.sampled_from(["quantile", "uniform"]))
    return np.array(y), np.array(p), n_bins, min_events, strategy


@settings(max_examples=150, deadline=None, database=None)
@given(_binned_samples())
def test_every_published_bin_meets_min_events(sample) -> None:
    y, p, n_bins, min_events, strategy = sample
    events = int(y.sum())
    if min(events, y.size - events) < min_events:
        with pytest.raises(TooFewEventsError):
            calibration_curve(y, p, n_bins, strategy, min_events)
        return
    curve = calibration_curve(y, p, n_bins, strategy, min_events)
    assert 1 <= len(curve.bins) <= n_bins
    for b in curve.bins:
        assert b.events >= min_events
        assert b.non_events >= min_events
        assert b.n == b.events + b.non_events > 0
        assert b.lower - 1e-12 <= b.mean_predicted <= b.upper + 1e-12
    # Nothing lost or counted twice, and bins run from low to high risk.
    assert sum(b.n for b in curve.bins) == y.size
    assert sum(b.events for b in curve.bins) == events
    assert all(a.upper <= b.lower for a, b in zip(curve.bins, curve.bins[1:], strict=False))

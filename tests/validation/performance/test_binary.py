"""Binary metrics: agreement with scikit-learn and hand-computed cases."""

import numpy as np
import pytest
from sklearn import metrics as skm

from validation.performance import (
    UndefinedMetricError,
    auprc,
    auroc,
    brier,
    log_loss,
    sensitivity_specificity,
)


def _sample(seed: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 300
    score = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-score))).astype(int)
    p = 1 / (1 + np.exp(-score * 0.8 + 0.3))
    if ties:
        p = np.round(p, 1)  # few distinct values: exercises tie handling
    return y, p


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_metrics_match_scikit_learn(seed: int, ties: bool) -> None:
    y, p = _sample(seed, ties)
    assert auroc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert auprc(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert brier(y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    assert log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-12)


def test_log_loss_clips_certain_wrong_predictions_like_scikit_learn() -> None:
    y = np.array([1, 0, 1, 0])
    p = np.array([0.0, 1.0, 1.0, 0.0])
    assert np.isfinite(log_loss(y, p))
    assert log_loss(y, p) == pytest.approx(skm.log_loss(y, p), rel=1e-12)


def test_auroc_hand_computed() -> None:
    # Pairs (event, non-event): (0.8, 0.3) win, (0.8, 0.5) win, (0.4, 0.3) win,
    # (0.4, 0.5) loss -> 3 of 4 concordant.
    assert auroc([1, 1, 0, 0], [0.8, 0.4, 0.3, 0.5]) == pytest.approx(0.75)


def test_sensitivity_specificity_hand_computed_with_threshold_inclusive() -> None:
    y = [1, 1, 1, 0, 0, 0, 0]
    p = [0.9, 0.6, 0.2, 0.7, 0.4, 0.1, 0.5]
    # Positive when p >= 0.5: events 0.9, 0.6 (2 of 3); non-events 0.7 and 0.5 (p == threshold)
    # are false positives, so 2 of 4 non-events are correctly negative.
    result = sensitivity_specificity(y, p, threshold=0.5)
    assert result.sensitivity == pytest.approx(2 / 3)
    assert result.specificity == pytest.approx(0.5)
    sens, spec = sensitivity_specificity(y, p, threshold=0.95)
    assert (sens, spec) == (0.0, 1.0)


@pytest.mark.parametrize("metric", [auroc, sensitivity_specificity])
def test_single_class_is_undefined(metric) -> None:
    with pytest.raises(UndefinedMetricError, match="both outcome classes"):
        metric([1, 1, 1], [0.2, 0.5, 0.9])


def test_auprc_without_events_is_undefined() -> None:
    with pytest.raises(UndefinedMetricError):
        auprc([0, 0, 0], [0.2, 0.5, 0.9])


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([0, 1], [0.5], "must match"),
        ([0, 2], [0.5, 0.5], "only 0 and 1"),
        ([0, 1], [0.5, 1.5], r"\[0, 1\]"),
        ([0, 1], [0.5, np.nan], "NaN"),
        ([], [], "empty"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(y, p, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        brier(y, p)

"""Net benefit: hand-computed decision curve."""

import pytest

from validation.performance import net_benefit

Y = [1, 1, 0, 0, 0]
P = [0.8, 0.4, 0.6, 0.2, 0.1]


def test_net_benefit_hand_computed() -> None:
    curve = net_benefit(Y, P, thresholds=[0.5, 0.25, 0.4, 0.9])
    assert curve.thresholds == (0.25, 0.4, 0.5, 0.9)  # sorted
    # pt 0.25, odds 1/3: treat 0.8, 0.6, 0.4 -> TP 2, FP 1 -> 2/5 - 1/5 * 1/3.
    # pt 0.4, odds 2/3: p == pt is treated -> same persons -> 2/5 - 1/5 * 2/3.
    # pt 0.5, odds 1: treat 0.8, 0.6 -> TP 1, FP 1 -> 1/5 - 1/5.
    # pt 0.9: treat no one -> 0.
    assert curve.model == pytest.approx((0.4 - 0.2 / 3, 0.4 - 0.4 / 3, 0.0, 0.0))
    # Treat all: prevalence 0.4 - 0.6 * odds.
    assert curve.treat_all == pytest.approx((0.4 - 0.2, 0.4 - 0.4, 0.4 - 0.6, 0.4 - 0.6 * 9))
    assert curve.treat_none == (0.0, 0.0, 0.0, 0.0)
    assert curve.model_lower is None


def test_threshold_zero_treats_everyone() -> None:
    curve = net_benefit(Y, P, thresholds=[0.0])
    assert curve.model == curve.treat_all == (pytest.approx(0.4),)


def test_default_thresholds_span_the_unit_interval() -> None:
    curve = net_benefit(Y, P)
    assert curve.thresholds[0] == 0.01
    assert curve.thresholds[-1] == 0.99
    assert len(curve.model) == len(curve.treat_all) == 99


@pytest.mark.parametrize("thresholds", [[1.0], [-0.1], [], [float("nan")]])
def test_thresholds_outside_zero_one_are_rejected(thresholds) -> None:
    with pytest.raises(ValueError, match="threshold"):
        net_benefit(Y, P, thresholds=thresholds)

"""Bootstrap chunks computed apart (as Ray tasks do) give the same report as one pass."""

from __future__ import annotations

import numpy as np
import pytest

from validation.performance import (
    binary_replicates,
    binary_report,
    regression_replicates,
    regression_report,
)


def _binary(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(x - 0.5)))
    y = (rng.random(n) < p).astype(int)
    return y, p


def test_binary_chunks_equal_one_pass() -> None:
    y, p = _binary()
    parts = [binary_replicates(y, p, range(a, a + 25), seed=4, threshold=0.3) for a in (0, 25)]
    chunked = binary_report(
        y, p, threshold=0.3, n_boot=50, seed=4, replicate_values=np.vstack(parts)
    )
    serial = binary_report(y, p, threshold=0.3, n_boot=50, seed=4)
    assert chunked == serial


def test_regression_chunks_equal_one_pass() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=300)
    pred = y + rng.normal(scale=0.5, size=300)
    parts = [regression_replicates(y, pred, range(a, a + 10), seed=2) for a in (0, 10, 20)]
    chunked = regression_report(y, pred, n_boot=30, seed=2, replicate_values=np.vstack(parts))
    assert chunked == regression_report(y, pred, n_boot=30, seed=2)


def test_wrong_shape_of_given_replicates_is_refused() -> None:
    y, p = _binary()
    with pytest.raises(ValueError, match="shape"):
        binary_report(y, p, n_boot=50, replicate_values=np.zeros((10, 3)))

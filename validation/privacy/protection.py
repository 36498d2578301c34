"""DCR-based protection scores: SDMetrics' DCRBaselineProtection and DCROverfittingProtection.

Same definitions as SDMetrics 0.32 ``compute_breakdown`` run without subsampling
(``num_rows_subsample=None``), with exact DCRs from :mod:`validation.privacy.dcr`:

- Baseline protection: median DCR of the synthetic rows to the real rows, divided by the median
  DCR of random rows (drawn within the real ranges, see random_baseline.py) to the real rows,
  capped at 1; NaN when the random median is 0. 1 means the synthetic rows are no closer to
  real rows than random ones.
- Overfitting protection: the share of synthetic rows strictly closer to the real rows the
  synthesizer was trained on than to the holdout rows; score ``min(2 * (1 - share), 1)``. Each
  DCR is scaled by the ranges of the table it is measured to (real or holdout), as in
  SDMetrics. 1 means no more closeness to the training rows than to unseen real rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from validation.privacy.dcr import closest_distances
from validation.privacy.encoding import infer_metadata
from validation.privacy.nearest import Engine
from validation.privacy.random_baseline import random_baseline_data


@dataclass(frozen=True)
class DCRBaselineResult:
    """Outcome of :func:`dcr_baseline_protection`."""

    # min(median_dcr_synthetic / median_dcr_random, 1); NaN if median_dcr_random is 0.
    score: float
    # Median DCR of the synthetic rows to the real rows.
    median_dcr_synthetic: float
    # Median DCR of the random baseline rows to the real rows.
    median_dcr_random: float
    # Per-row DCRs behind the medians, in row order (for histograms).
    dcr_synthetic: np.ndarray = field(repr=False, compare=False)
    dcr_random: np.ndarray = field(repr=False, compare=False)

    def as_sdmetrics_breakdown(self) -> dict[str, Any]:
        """The same numbers in the shape of SDMetrics' ``compute_breakdown`` dict."""
        return {
            "score": self.score,
            "median_DCR_to_real_data": {
                "synthetic_data": self.median_dcr_synthetic,
                "random_data_baseline": self.median_dcr_random,
            },
        }


@dataclass(frozen=True)
class DCROverfittingResult:
    """Outcome of :func:`dcr_overfitting_protection`."""

    # min(2 * synthetic_closer_to_holdout_share, 1).
    score: float
    # Share of synthetic rows whose training DCR is strictly below their holdout DCR.
    synthetic_closer_to_training_share: float
    # 1 - synthetic_closer_to_training_share (ties count here, as in SDMetrics).
    synthetic_closer_to_holdout_share: float
    # Per-row DCRs of the synthetic rows to the training and to the holdout rows.
    dcr_training: np.ndarray = field(repr=False, compare=False)
    dcr_holdout: np.ndarray = field(repr=False, compare=False)

    def as_sdmetrics_breakdown(self) -> dict[str, Any]:
        """The same numbers in the shape of SDMetrics' ``compute_breakdown`` dict."""
        return {
            "score": self.score,
            "synthetic_data_percentages": {
                "closer_to_training": self.synthetic_closer_to_training_share,
                "closer_to_holdout": self.synthetic_closer_to_holdout_share,
            },
        }


def dcr_baseline_protection(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    random_data: pd.DataFrame | None = None,
    chunk_rows: int | None = None,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> DCRBaselineResult:
    """SDMetrics' DCRBaselineProtection, exact and without subsampling.

    Args:
        real: the real table the synthesizer was trained on.
        synthetic: the synthetic table.
        metadata: SDMetrics single-table metadata dict; None infers it from ``real``.
        seed: seed of the random baseline; with ``DCRBaselineProtection._seed = seed`` and
            ``np.random.seed(seed)`` SDMetrics draws the same baseline. None is not repeatable.
        random_data: a baseline table to use instead of drawing one.
        chunk_rows, n_jobs, engine: passed to :func:`validation.privacy.dcr.dcr`.

    Returns:
        The score, both medians and the per-row DCRs.

    Raises:
        ValueError: empty tables or tables with no comparable columns.
    """
    if len(synthetic) == 0:
        raise ValueError("The synthetic table has no rows to score.")
    if metadata is None:
        metadata = infer_metadata(real)
    if random_data is None:
        random_data = random_baseline_data(real, len(synthetic), seed)
    options: dict[str, Any] = {"chunk_rows": chunk_rows, "n_jobs": n_jobs, "engine": engine}
    # Two separate searches, as in SDMetrics: if the synthetic table lacks a column, its DCRs
    # use fewer columns than the random baseline's (which has every real column).
    (dcr_synthetic,) = closest_distances(real, [synthetic], metadata, **options)
    (dcr_random,) = closest_distances(real, [random_data], metadata, **options)
    median_synthetic = float(np.median(dcr_synthetic))
    median_random = float(np.median(dcr_random))
    score = min(median_synthetic / median_random, 1.0) if median_random != 0.0 else np.nan
    return DCRBaselineResult(
        score=score,
        median_dcr_synthetic=median_synthetic,
        median_dcr_random=median_random,
        dcr_synthetic=dcr_synthetic,
        dcr_random=dcr_random,
    )


def dcr_overfitting_protection(
    real: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    *,
    chunk_rows: int | None = None,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> DCROverfittingResult:
    """SDMetrics' DCROverfittingProtection, exact and without subsampling.

    SDMetrics warns when the holdout has fewer than half as many rows as the training table
    (the comparison gets noisy); check ``len(holdout) >= len(real) / 2`` before trusting it.

    Args:
        real: the real rows the synthesizer was trained on (SDMetrics' training data).
        holdout: real rows it never saw.
        synthetic: the synthetic table.
        metadata: SDMetrics single-table metadata dict; None infers it from ``real``.
        chunk_rows, n_jobs, engine: passed to :func:`validation.privacy.dcr.dcr`.

    Returns:
        The score, the closer-to-training/holdout shares and the per-row DCRs.

    Raises:
        ValueError: empty tables or tables with no comparable columns.
    """
    if len(synthetic) == 0:
        raise ValueError("The synthetic table has no rows to score.")
    if metadata is None:
        metadata = infer_metadata(real)
    options: dict[str, Any] = {"chunk_rows": chunk_rows, "n_jobs": n_jobs, "engine": engine}
    (dcr_training,) = closest_distances(real, [synthetic], metadata, **options)
    (dcr_holdout,) = closest_distances(holdout, [synthetic], metadata, **options)
    closer_to_training = float(np.mean(dcr_training < dcr_holdout))
    return DCROverfittingResult(
        score=min((1.0 - closer_to_training) * 2, 1.0),
        synthetic_closer_to_training_share=closer_to_training,
        synthetic_closer_to_holdout_share=1.0 - closer_to_training,
        dcr_training=dcr_training,
        dcr_holdout=dcr_holdout,
    )

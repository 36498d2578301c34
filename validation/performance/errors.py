"""Error types raised by the model-performance metrics."""

from __future__ import annotations


class UndefinedMetricError(ValueError):
    """A metric has no value for these data.

    Examples: AUROC when only one outcome class is present, a calibration slope when every
    predicted probability is the same, R² when the outcome is constant. Bootstrap and
    subgroup code catch this error and record the value as NaN instead of failing the run.
    """


class TooFewEventsError(ValueError):
    """Too few events or non-events to publish a result under the disclosure rule.

    Raised, for example, when a calibration curve cannot be built so that every bin holds at
    least ``min_events`` events and ``min_events`` non-events. The fix is a larger cohort, not
    a smaller threshold: results below the threshold may not leave the lake.
    """

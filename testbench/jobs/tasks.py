"""The units of work of a validation job: pure, picklable, idempotent Ray tasks.

A validation job is batches of fits (folds x regimes), then bootstrap chunks and subgroup
reports per regime. Each task is a pure function of its argument, so Ray may run it on any
worker and retry it after a worker dies with the same result. Results hold predictions for
the test rows: they stay inside the job (inside the lake boundary); only aggregates built
from them leave.

The SME's model code runs only inside :func:`fit_batch`, and there in the sandbox
(:mod:`testbench.jobs.sandbox`) unless the batch says otherwise (a twin bundle on the SME's
own machine, or an operator's explicit ``--unsandboxed``). It sees features and target, never
unit ids; what comes back is plain data: predictions, importances, attack scores and, for the
model that may be released, a skops file that is inspected here but never loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from testbench.jobs.estimators import BINARY, REGRESSION
from testbench.jobs.sandbox import (
    FitOutcome,
    FitRequest,
    ImportanceRequest,
    MembershipRequest,
    ModelCode,
    SandboxLimits,
    run_sandboxed_batch,
    run_unsandboxed,
)
from validation.performance import (
    DEFAULT_THRESHOLDS,
    auprc,
    auroc,
    binary_replicates,
    brier,
    mae,
    r2,
    regression_replicates,
    rmse,
)
from validation.performance.errors import UndefinedMetricError

__all__ = ["BINARY", "REGRESSION"]  # the task names, re-exported for the job's modules

# Metrics reported per cross-validation fold (the bootstrap covers the test set).
CV_METRICS: dict[str, dict[str, Callable[[Any, Any], float]]] = {
    BINARY: {"auroc": auroc, "auprc": auprc, "brier": brier},
    REGRESSION: {"rmse": rmse, "mae": mae, "r2": r2},
}


@dataclass(frozen=True)
class Containment:
    """Where the SME's model code runs: in the sandbox, or (never silently) in this process."""

    # Limits of the sandbox; None runs the code in this process (a twin bundle on the SME's
    # machine, or an operator's explicit --unsandboxed, which the run records).
    limits: SandboxLimits | None
    log_path: str | None = None  # the operator's job log: what the model code printed or raised
    scratch: str | None = None  # where the sandbox's inputs are written (inside the lake)


@dataclass(frozen=True)
class FitTask:
    """Fit one model on one training set and predict one test set."""

    regime: str  # "TRTR", "TSTR" or "TSTS"
    fold: int | None  # cross-validation fold number; None for the final fit on all training rows
    task: str  # BINARY or REGRESSION
    train: pd.DataFrame  # features and target of the training rows (no unit ids)
    test: pd.DataFrame  # features and target of the rows to predict
    features: tuple[str, ...]  # model inputs
    target: str  # outcome column
    model: ModelCode  # the SME's model file
    seed: int = 0  # seeds the final fit's permutation importance and membership attack
    release: bool = False  # final TRTR fit: membership attack, and the model as a skops file


@dataclass(frozen=True)
class FitResult:
    """What one fit returns to the job (predictions stay inside the job)."""

    regime: str  # as in FitTask
    fold: int | None  # as in FitTask
    prediction: np.ndarray  # probability of 1 (binary) or predicted value, per test row
    cv_metrics: dict[str, float]  # CV_METRICS on this task's test rows (NaN when undefined)
    estimator: str = ""  # class name of the fitted model (its last step for a pipeline)
    instance_based: bool = False  # k-NN / SVM: never released
    importance: list[dict[str, float | str]] | None = None  # final fit: permutation importance
    membership: dict[str, float] | None = None  # release candidate: attack AUC and advantage
    model_file: bytes | None = None  # release candidate: skops file (never loaded here)
    seconds: float = 0.0  # time of the fit and what it computed


@dataclass(frozen=True)
class FitBatch:
    """Fits that run one after another in one place: one sandbox start serves them all."""

    tasks: tuple[FitTask, ...]  # the fits, in order
    containment: Containment  # where the model code runs


def fit_batch(batch: FitBatch) -> list[FitResult]:
    """Fit every task of ``batch`` and predict its test rows; the final fits also compute
    permutation importance, and the release candidate the membership attack and its file.

    Idempotent: the same batch gives the same results (the SME's estimator is expected to
    fix its own random_state).

    Raises:
        ValueError: the training rows of a binary task hold only one outcome class.
        SandboxError: the model code failed (its type and line only), ran past a limit, or
            handed back something other than plain data.
    """
    for task in batch.tasks:
        if task.task == BINARY and task.train[task.target].nunique() < 2:
            raise ValueError(
                f"{task.regime}: the training rows hold only one outcome class; use more persons"
            )
    requests = [_request(task) for task in batch.tasks]
    where = batch.containment
    if where.limits is None:
        outcomes = [run_unsandboxed(request) for request in requests]
    else:
        log = Path(where.log_path) if where.log_path else Path("/dev/null")
        scratch = Path(where.scratch) if where.scratch else None
        outcomes = run_sandboxed_batch(requests, where.limits, log, scratch)
    return [_result(task, outcome) for task, outcome in zip(batch.tasks, outcomes, strict=True)]


def _request(task: FitTask) -> FitRequest:
    final = task.fold is None
    y_test = task.test[task.target].to_numpy(dtype=float)
    return FitRequest(
        code=task.model,
        task=task.task,
        train_x=task.train[list(task.features)],
        train_y=task.train[task.target].to_numpy(),
        predict={"test": task.test[list(task.features)]},
        importance=ImportanceRequest("test", y_test, task.seed) if final else None,
        membership=MembershipRequest("test", y_test, task.seed) if task.release else None,
        export_model=task.release,
    )


def _result(task: FitTask, outcome: FitOutcome) -> FitResult:
    prediction = outcome.predictions["test"]
    y_test = task.test[task.target].to_numpy(dtype=float)
    return FitResult(
        regime=task.regime,
        fold=task.fold,
        prediction=prediction,
        cv_metrics={
            name: _metric_or_nan(fn, y_test, prediction)
            for name, fn in CV_METRICS[task.task].items()
        },
        estimator=outcome.estimator,
        instance_based=outcome.instance_based,
        importance=outcome.importance,
        membership=outcome.membership,
        model_file=outcome.model_file,
        seconds=outcome.seconds,
    )


@dataclass(frozen=True)
class BootTask:
    """Compute some bootstrap replicates of one regime's test-set metrics."""

    regime: str  # as in FitTask
    task: str  # BINARY or REGRESSION
    y: np.ndarray  # observed outcome of the test rows
    prediction: np.ndarray  # the final model's prediction for them
    replicates: range  # which replicates (chunks stack in order to one serial pass)
    seed: int  # bootstrap seed of the whole run
    threshold: float  # sensitivity/specificity cut-off (binary)


def boot_task(task: BootTask) -> np.ndarray:
    """The bootstrap statistics of ``task.replicates`` (idempotent: seeded per replicate)."""
    if task.task == BINARY:
        return binary_replicates(
            task.y,
            task.prediction,
            task.replicates,
            seed=task.seed,
            threshold=task.threshold,
            thresholds=DEFAULT_THRESHOLDS,
        )
    return regression_replicates(task.y, task.prediction, task.replicates, seed=task.seed)


def chunks(n_boot: int, size: int) -> list[range]:
    """Replicate indices ``0..n_boot-1`` cut into consecutive ranges of at most ``size``."""
    return [range(a, min(a + size, n_boot)) for a in range(0, n_boot, size)]


def _metric_or_nan(fn: Callable[[Any, Any], float], y: np.ndarray, p: np.ndarray) -> float:
    try:
        return float(fn(y, p))
    except (UndefinedMetricError, ValueError):
        return float("nan")

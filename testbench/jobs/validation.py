"""A validation job: the SME's model trained and tested in three regimes, on any executor.

Regimes (DESIGN.md, "Metrics"):

- **TRTR**: train on real persons, test on real held-out persons.
- **TSTR**: train on the twin, test on the same real held-out persons.
- **TSTS**: train on part of the twin, test on the rest of the twin (what the SME saw).

The real test set is the twin's held-out persons when a twin is used, so no person in it
ever entered the twin's fit; without a twin it is a stratified ``test_share`` split. Within
each regime's training rows a stratified k-fold cross-validation gives per-fold metrics;
the final fit on all training rows is scored on the test rows with bootstrap intervals.

Work runs in two waves of independent tasks (``executor.map``): batches of fits (as many
batches as the executor runs at once when the model code is sandboxed, so each sandbox start
serves several fits; one fit per task otherwise), then bootstrap chunks and subgroup reports.
The final fits compute permutation importance, and the real-trained one the membership
attack, where the model is (it never comes back as an object). The core never imports Ray:
a :class:`~common.executor.SerialExecutor` and a :class:`~common.executor.RayExecutor` give
identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from common.executor import Executor
from testbench.jobs.errors import JobError
from testbench.jobs.sandbox import ModelCode
from testbench.jobs.tasks import (
    BINARY,
    BootTask,
    Containment,
    FitBatch,
    FitResult,
    FitTask,
    boot_task,
    chunks,
    fit_batch,
)
from validation.performance import (
    BINARY_METRICS,
    REGRESSION_METRICS,
    BinaryReport,
    RegressionReport,
    SubgroupReport,
    binary_report,
    regression_report,
    subgroup_report,
)

Progress = Callable[[str], None]
REGIMES = ("TRTR", "TSTR", "TSTS")
# Where each regime trains and tests.
REGIME_SOURCES = {"TRTR": ("real", "real"), "TSTR": ("twin", "real"), "TSTS": ("twin", "twin")}
BOOT_CHUNK = 100  # bootstrap replicates per task


@dataclass(frozen=True)
class ValidationJob:
    """What a job needs from a spec, in plain values (picklable, shipped to workers)."""

    name: str  # spec name
    task: str  # "binary_classification" or "regression"
    target: str  # outcome column of the cohort
    features: tuple[str, ...]  # model inputs
    subgroups: tuple[str, ...]  # columns to report performance by
    id_column: str  # one row per unit (person)
    model: ModelCode  # the SME's model file (run only where containment says)
    containment: Containment  # the sandbox and its limits, or in-process (never silently)
    folds: int = 5  # cross-validation folds
    bootstrap: int = 500  # bootstrap replicates for the test-set intervals
    seed: int = 7  # splits, folds, bootstrap, importance
    test_share: float = 0.2  # real test share when no twin holdout defines it
    threshold: float = 0.5  # sensitivity/specificity cut-off
    min_count: int = 5  # smallest published subgroup and calibration bin


@dataclass(frozen=True)
class RegimeResult:
    """Everything one regime produced; aggregates plus the test predictions (job-internal)."""

    regime: str  # "TRTR", "TSTR" or "TSTS"
    n_train: int  # training rows
    n_test: int  # test rows
    y_test: np.ndarray  # observed outcome of the test rows (job-internal)
    prediction: np.ndarray  # final model's prediction for them (job-internal)
    report: BinaryReport | RegressionReport  # test-set metrics with bootstrap intervals
    cv: dict[str, list[float]]  # metric -> value per fold
    subgroups: SubgroupReport | None  # per subgroup, small ones suppressed
    importance: list[dict[str, float | str]]  # permutation importance on the test rows
    estimator: str  # fitted model's class name
    instance_based: bool  # k-NN / SVM (never released)
    membership: dict[str, float] | None  # membership attack on the final model (TRTR only)
    model_file: bytes | None  # the TRTR model as a skops file, release candidate (job-internal)
    n_features: int  # model inputs (the release check weighs the model's size against them)


@dataclass(frozen=True)
class Split:
    """Training and test rows of one regime."""

    train: pd.DataFrame
    test: pd.DataFrame


def plan_splits(
    job: ValidationJob,
    real: pd.DataFrame | None,
    twin: pd.DataFrame | None,
    holdout_ids: set[str] | None = None,
    skipped: dict[str, str] | None = None,
) -> dict[str, Split]:
    """The training and test rows of each regime that the data allows.

    Args:
        job: the job.
        real: the cohort on real data (None outside the lake).
        twin: the cohort on the twin (None when no twin is used).
        holdout_ids: unit ids the twin never saw; they form the real test set.
        skipped: when given (and ``real`` is), a twin regime whose rows cannot be used is
            left out and its reason recorded here, so the others still run: a twin cohort
            too small for its own test set still trains TSTR.

    Raises:
        JobError: a test set would be empty or hold one outcome class.
    """
    splits: dict[str, Split] = {}
    tolerant = skipped is not None and real is not None
    if real is not None:
        if twin is not None and holdout_ids is not None:
            held = real[job.id_column].astype(str).isin(holdout_ids)
            real_train, real_test = real[~held], real[held]
        else:
            real_train, real_test = _split(job, real)
        _check_rows(job, real_test, "real test set (the twin's held-out persons)")
        splits["TRTR"] = Split(real_train, real_test)
        if twin is not None:
            splits["TSTR"] = Split(twin, real_test)
    if twin is not None:
        try:
            twin_train, twin_test = _split(job, twin)
            _check_rows(job, twin_test, "twin test set")
            splits["TSTS"] = Split(twin_train, twin_test)
        except JobError as exc:
            if not tolerant:
                raise
            assert skipped is not None
            skipped["TSTS"] = f"the twin's cohort cannot be used: {exc}"
    if not splits:
        raise JobError("no data to validate on: give a real cohort, a twin, or both")
    for regime, split in list(splits.items()):
        try:
            _check_rows(job, split.train, f"{regime} training set")
        except JobError as exc:
            if not tolerant or regime == "TRTR":
                raise
            assert skipped is not None
            skipped[regime] = f"the twin's cohort cannot be used: {exc}"
            del splits[regime]
    return splits


def run_validation_job(
    job: ValidationJob,
    splits: dict[str, Split],
    executor: Executor,
    progress: Progress | None = None,
) -> dict[str, RegimeResult]:
    """Fit, cross-validate and bootstrap every regime in ``splits``.

    Returns:
        Regime name -> result, in TRTR, TSTR, TSTS order.
    """
    say = progress or (lambda _m: None)
    batches = _fit_batches(job, splits, executor.parallelism())
    fits = sum(len(batch.tasks) for batch in batches)
    where = "in the sandbox" if job.containment.limits is not None else "in this process"
    say(
        f"fitting {fits} models ({len(splits)} regimes x ({job.folds} folds + final)) "
        f"{where}, {len(batches)} task(s)"
    )
    fitted = [result for results in executor.map(fit_batch, batches) for result in results]
    final = {r.regime: r for r in fitted if r.fold is None}

    boots = [
        BootTask(
            regime,
            job.task,
            _y(job, split.test),
            final[regime].prediction,
            replicates,
            job.seed,
            job.threshold,
        )
        for regime, split in splits.items()
        for replicates in chunks(job.bootstrap, BOOT_CHUNK)
    ]
    # Subgroups bootstrap inside their own tasks, one per regime, variable and level: each
    # level's bootstrap sees only its own rows, so the split changes no number.
    subgroup_items = [
        _SubgroupTask(job, regime, y[rows], final[regime].prediction[rows], labels.iloc[rows])
        for regime, split in splits.items()
        for variable in job.subgroups
        for y, labels in [(_y(job, split.test), _labels(split.test, variable))]
        for rows in _level_rows(labels)
    ]
    say(
        f"second wave: {len(subgroup_items)} subgroup tasks, {len(boots)} bootstrap chunks "
        f"of up to {BOOT_CHUNK} replicates"
    )
    # The longest tasks first, so the wave does not end waiting for one straggler.
    wave: list[Any] = [*subgroup_items, *boots]
    done = executor.map(_second_wave, wave)
    subgroup_reports = _merge_subgroups(subgroup_items, done[: len(subgroup_items)])
    boot_values = done[len(subgroup_items) :]

    results: dict[str, RegimeResult] = {}
    for regime in (r for r in REGIMES if r in splits):
        split, last = splits[regime], final[regime]
        values = np.vstack(
            [v for b, v in zip(boots, boot_values, strict=True) if b.regime == regime]
        )
        y_test = _y(job, split.test)
        results[regime] = RegimeResult(
            regime=regime,
            n_train=len(split.train),
            n_test=len(split.test),
            y_test=y_test,
            prediction=last.prediction,
            report=_report(job, y_test, last.prediction, values),
            cv=_cv(fitted, regime),
            subgroups=subgroup_reports.get(regime),
            importance=last.importance or [],
            estimator=last.estimator,
            instance_based=last.instance_based,
            membership=last.membership,
            model_file=last.model_file,
            n_features=len(job.features),
        )
    return results


@dataclass(frozen=True)
class _SubgroupTask:
    job: ValidationJob
    regime: str
    y: np.ndarray
    prediction: np.ndarray
    groups: pd.DataFrame


def _labels(frame: pd.DataFrame, variable: str) -> pd.DataFrame:
    return frame[[variable]].astype("string").reset_index(drop=True)


def _level_rows(labels: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each level, in subgroup_report's order: sorted, then missing."""
    column = labels.iloc[:, 0]
    rows = [
        np.flatnonzero((column == level).fillna(False).to_numpy())
        for level in sorted(column.dropna().unique())
    ]
    missing = np.flatnonzero(column.isna().to_numpy())
    return rows + ([missing] if missing.size else [])


def _second_wave(item: BootTask | _SubgroupTask) -> Any:
    """One task of the second wave: a subgroup report or a bootstrap chunk."""
    if isinstance(item, BootTask):
        return boot_task(item)
    job = item.job
    metrics = BINARY_METRICS if job.task == BINARY else REGRESSION_METRICS
    return subgroup_report(
        item.y,
        item.prediction,
        item.groups.reset_index(drop=True),
        metrics,
        job.min_count,
        n_boot=job.bootstrap,
        seed=job.seed,
    )


def _merge_subgroups(
    items: list[_SubgroupTask], reports: list[SubgroupReport]
) -> dict[str, SubgroupReport]:
    """One report per regime from the per-variable reports, variables in spec order."""
    merged: dict[str, SubgroupReport] = {}
    for item, report in zip(items, reports, strict=True):
        if item.regime in merged:
            first = merged[item.regime]
            report = replace(first, results=first.results + report.results)
        merged[item.regime] = report
    return merged


def _fit_batches(job: ValidationJob, splits: dict[str, Split], parallelism: int) -> list[FitBatch]:
    """In the sandbox, as many batches as tasks can run at once (a sandbox's start costs more
    than a small fit, and each batch starts one), the fits dealt out in turn; in process, a
    batch per fit (as many tasks as fits, for the executor to spread)."""
    fits = [task for regime, split in splits.items() for task in _fit_tasks(job, regime, split)]
    if job.containment.limits is None:
        return [FitBatch((task,), job.containment) for task in fits]
    # The final fits also compute importance (and one the attack and its file): deal them
    # out first, so no batch holds them all.
    fits.sort(key=lambda task: task.fold is not None)
    n = max(1, min(parallelism, len(fits)))
    return [FitBatch(tuple(fits[i::n]), job.containment) for i in range(n)]


def _fit_tasks(job: ValidationJob, regime: str, split: Split) -> list[FitTask]:
    def task(fold: int | None, train: pd.DataFrame, test: pd.DataFrame) -> FitTask:
        return FitTask(
            regime=regime,
            fold=fold,
            task=job.task,
            train=train[[*job.features, job.target]],
            test=test[[*job.features, job.target]],
            features=job.features,
            target=job.target,
            model=job.model,
            seed=job.seed,
            release=fold is None and regime == "TRTR",  # only this model may be released
        )

    y = _y(job, split.train)
    if job.task == BINARY:
        folds = StratifiedKFold(job.folds, shuffle=True, random_state=job.seed).split(y, y)
    else:
        folds = KFold(job.folds, shuffle=True, random_state=job.seed).split(y)
    tasks = [
        task(i, split.train.iloc[train_idx], split.train.iloc[test_idx])
        for i, (train_idx, test_idx) in enumerate(folds)
    ]
    return [*tasks, task(None, split.train, split.test)]


def _split(job: ValidationJob, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    stratify = frame[job.target] if job.task == BINARY else None
    try:
        train, test = train_test_split(
            frame, test_size=job.test_share, random_state=job.seed, stratify=stratify
        )
    except ValueError as exc:
        raise JobError(f"cannot split {len(frame)} cohort rows for testing: {exc}") from None
    return train, test


def _check_rows(job: ValidationJob, frame: pd.DataFrame, what: str) -> None:
    need = max(job.folds, job.min_count) if "training" in what else job.min_count
    if len(frame) < need:
        raise JobError(f"the {what} has {len(frame)} rows; at least {need} are needed")
    if job.task == BINARY:
        counts = frame[job.target].value_counts()
        if len(counts) < 2 or int(counts.min()) < need:
            raise JobError(
                f"the {what} needs at least {need} persons with and {need} without the "
                f"outcome '{job.target}'; use a larger cohort or fewer folds"
            )


def _y(job: ValidationJob, frame: pd.DataFrame) -> np.ndarray:
    return frame[job.target].to_numpy(dtype=float)


def _report(
    job: ValidationJob, y: np.ndarray, prediction: np.ndarray, values: np.ndarray
) -> BinaryReport | RegressionReport:
    if job.task == BINARY:
        return binary_report(
            y,
            prediction,
            threshold=job.threshold,
            n_boot=job.bootstrap,
            seed=job.seed,
            min_events=job.min_count,
            replicate_values=values,
        )
    return regression_report(
        y, prediction, n_boot=job.bootstrap, seed=job.seed, replicate_values=values
    )


def _cv(fitted: list[FitResult], regime: str) -> dict[str, list[float]]:
    folds = sorted((r for r in fitted if r.regime == regime and r.fold is not None), key=_fold)
    names = list(folds[0].cv_metrics) if folds else []
    return {name: [r.cv_metrics[name] for r in folds] for name in names}


def _fold(result: FitResult) -> int:
    return result.fold if result.fold is not None else -1

"""The work done with the SME's model, the same in the sandbox and in-process.

:func:`compute` is the one place that orders the steps; it calls the job's own functions
(:mod:`testbench.jobs.estimators`, :mod:`validation.privacy.membership`), so a sandboxed fit
gives the numbers an in-process fit gives. The sandbox's runner calls it
inside the sandbox; :func:`run_unsandboxed` calls it here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone

from testbench.jobs.estimators import (
    estimator_name,
    is_instance_based_model,
    last_step,
    permutation_importance_rows,
    predict,
)
from testbench.jobs.sandbox.contract import FitOutcome, FitRequest
from testbench.spec.estimator import build_estimator


@dataclass(frozen=True)
class Computed:
    """What :func:`compute` found, before it crosses any boundary."""

    predictions: dict[str, np.ndarray]  # as FitOutcome.predictions
    importance: list[dict[str, float | str]] | None  # as FitOutcome.importance
    membership: dict[str, float] | None  # as FitOutcome.membership
    estimator: str  # as FitOutcome.estimator (unchecked: the model code named the class)
    estimator_module: str  # module of the last step's class (unchecked, as estimator)
    instance_based: bool  # as FitOutcome.instance_based
    model_file: bytes | None  # skops file, when asked


def compute(
    request: FitRequest, model_path: Path, on_stage: Callable[[str], None] = lambda _: None
) -> Computed:
    """Build, fit and use the SME's model as ``request`` asks.

    Args:
        request: the inputs; ``request.code.source`` is executed.
        model_path: the path the model source is compiled under (tracebacks name it).
        on_stage: told each stage's name ("build", "fit", "predict", "importance",
            "membership", "export") before it starts, so a failure can be placed.

    Raises:
        Whatever the model code raises; a :class:`~testbench.spec.errors.SpecError` when the model
        file does not build a usable estimator.
    """
    on_stage("build")
    code = request.code
    model: Any = clone(build_estimator(code.source, model_path, code.function, request.task))
    on_stage("fit")
    model.fit(request.train_x, request.train_y)
    on_stage("predict")
    predictions = {name: predict(model, x, request.task) for name, x in request.predict.items()}
    importance = None
    if request.importance is not None:
        on_stage("importance")
        asked = request.importance
        importance = permutation_importance_rows(
            model, request.predict[asked.on], asked.y, request.task, asked.seed
        )
    membership = None
    if request.membership is not None:
        on_stage("membership")
        from validation.privacy.membership import membership_inference

        attack = membership_inference(
            model,
            request.train_x,
            request.train_y,
            request.predict[request.membership.on],
            request.membership.y,
            seed=request.membership.seed,
        )
        membership = {"auc": float(attack.auc), "advantage": float(attack.advantage)}
    model_file = None
    if request.export_model:
        on_stage("export")
        import skops.io

        model_file = skops.io.dumps(model)
    return Computed(
        predictions=predictions,
        importance=importance,
        membership=membership,
        estimator=estimator_name(model),
        estimator_module=type(last_step(model)).__module__,
        instance_based=is_instance_based_model(model),
        model_file=model_file,
    )


def run_unsandboxed(request: FitRequest) -> FitOutcome:
    """Run ``request`` in this process: for a twin bundle on the SME's own machine, or an
    operator's explicit ``--unsandboxed`` (which the caller must record).

    The model code runs with everything this process has: never call it on a lake
    without the operator's explicit choice.

    Raises:
        Whatever the model code raises, with its message (nothing here is a lake).
    """
    from testbench.jobs.sandbox.release import model_types

    start = time.perf_counter()
    found = compute(request, Path(request.code.filename))
    return FitOutcome(
        predictions=found.predictions,
        importance=found.importance,
        membership=found.membership,
        estimator=found.estimator,
        instance_based=found.instance_based,
        model_file=found.model_file,
        model_types=model_types(found.model_file) if found.model_file is not None else [],
        seconds=time.perf_counter() - start,
    )

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from testbench.jobs import RayExecutor, SerialExecutor
from testbench.jobs.training import TrainTask, train_and_score


def _cohort(n: int, signal: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    noise = rng.normal(size=n)
    y = (signal * x + rng.logistic(size=n) > 0).astype(int)
    return pd.DataFrame({"x": x, "noise": noise, "y": y})


def _tasks() -> list[TrainTask]:
    test = _cohort(400, 3.0, seed=1)
    model = LogisticRegression()
    return [
        TrainTask("TRTR", _cohort(400, 3.0, seed=2), test, ["x", "noise"], "y", model),
        TrainTask("TSTR", _cohort(400, 0.0, seed=3), test, ["x", "noise"], "y", model),
    ]


def test_informative_training_data_scores_higher() -> None:
    trtr, tstr = SerialExecutor().map(train_and_score, _tasks())
    assert trtr.auroc > 0.8
    assert tstr.auroc < trtr.auroc - 0.2  # trained on noise: far from the informative model
    assert (trtr.n_train, trtr.n_test) == (400, 400)


def test_single_class_training_set_is_refused() -> None:
    task = _tasks()[0]
    one_class = task.train.assign(y=0)
    with pytest.raises(ValueError, match="only one outcome class"):
        train_and_score(TrainTask("TRTR", one_class, task.test, task.features, "y", task.model))


def test_ray_gives_the_same_results_as_serial() -> None:
    executor = RayExecutor(num_cpus=2)
    try:
        on_ray = executor.map(train_and_score, _tasks())
    finally:
        executor.shutdown()
    serial = SerialExecutor().map(train_and_score, _tasks())
    assert [r.regime for r in on_ray] == ["TRTR", "TSTR"]
    assert [r.auroc for r in on_ray] == pytest.approx([r.auroc for r in serial])

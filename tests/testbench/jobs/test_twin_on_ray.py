"""A twin built with its fits and sampling chunks on a real local Ray equals the serial one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from common.executor import RayExecutor
from generators.relations import Relation
from generators.twin import TwinBuilder

pytestmark = pytest.mark.ray


def _lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    rng = np.random.default_rng(5)
    n = 300
    persons = pd.DataFrame(
        {"pid": [f"p{i:04d}" for i in range(n)], "age": rng.integers(20, 90, n),
         "sex": rng.choice(["F", "M"], n)}
    )  # fmt: skip
    k = rng.poisson(persons["age"] / 20)
    visits = pd.DataFrame(
        {"pid": np.repeat(persons["pid"].to_numpy(), k),
         "kind": rng.choice(["acute", "planned", "virtual"], int(k.sum())),
         "minutes": rng.gamma(2.0, 20.0, int(k.sum())).round()}
    )  # fmt: skip
    return (
        {"persons": persons, "visits": visits},
        [Relation("visits", "pid", "persons", "pid")],
        {"persons": "pid"},
    )


def test_same_twin_on_ray_as_serial() -> None:
    tables, relations, keys = _lake()
    serial = TwinBuilder(seed=9, chunk_rows=200).fit(tables, relations, keys).sample(seed=1)
    executor = RayExecutor(num_cpus=2)
    try:
        builder = TwinBuilder(seed=9, chunk_rows=200, executor=executor)
        on_ray = builder.fit(tables, relations, keys).sample(seed=1)
    finally:
        executor.shutdown()
    for name in serial:
        pd.testing.assert_frame_equal(serial[name], on_ray[name])

"""The sandbox's limits: a model that runs too long, too hard or too big is stopped."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from testbench.jobs.sandbox import FitOutcome, SandboxLimitExceeded, SandboxLimits

pytestmark = pytest.mark.timeout(120)

AT_IMPORT = """\
from sklearn.linear_model import LogisticRegression

{code}


def build_model():
    return LogisticRegression()
"""


def test_a_model_past_the_wall_clock_is_killed(run_model: Callable[..., FitOutcome]) -> None:
    start = time.perf_counter()
    with pytest.raises(SandboxLimitExceeded, match="wall-clock") as caught:
        run_model(
            AT_IMPORT.format(code="import time; time.sleep(60)"), SandboxLimits(wall_seconds=3)
        )
    assert caught.value.limit == "wall"
    assert time.perf_counter() - start < 20


def test_a_model_past_its_cpu_time_is_stopped(run_model: Callable[..., FitOutcome]) -> None:
    with pytest.raises(SandboxLimitExceeded, match="CPU") as caught:
        run_model(AT_IMPORT.format(code="while True: pass"), SandboxLimits(cpu_seconds=2))
    assert caught.value.limit == "cpu"


def test_a_model_past_its_memory_is_stopped(run_model: Callable[..., FitOutcome]) -> None:
    code = "import numpy as np; big = np.ones(2**31 // 8 * 3)"  # 3 GiB
    with pytest.raises(SandboxLimitExceeded, match="out of memory") as caught:
        run_model(AT_IMPORT.format(code=code), SandboxLimits(memory_mb=2048))
    assert caught.value.limit == "memory"
